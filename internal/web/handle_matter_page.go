package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// The matter pages: one matter's every stage in plain words, for residents
// (/c/{community}/matters/{id}), and how to check it against the log
// (/c/{community}/matters/{id}/verify), the only page with technical terms.

// lateAfter is how long after its effective date a stage may be recorded
// before the page says it was entered late (补录).
const lateAfter = 7 * 24 * time.Hour

// matterPage is one matter for residents.
type matterPage struct {
	Community string
	Name      string
	M         projections.MatterRow
	Steps     []matterStep
	Names     map[string]string
	// Seqs pairs each stream sequence of the matter with what it recorded,
	// for the verify page.
	Seqs       []seqLine
	Checkpoint *checkpointPanel
	// Subject and Back name what the verify page checks and link it; a
	// matter's are its title and page.
	Subject, Back string
	// Questions are the residents' questions about the matter, with the
	// form to ask one (matter.html only).
	Questions *questionsBlock
}

// matterStep is one recorded stage: its date, who recorded it, when it was
// entered if late, and what it recorded.
type matterStep struct {
	projections.StageDate
	Late     time.Time // when the log recorded it, set only if late
	Label    string
	Summary  string
	Channels []string
	Decision *domain.Decision
	// Rule says in plain words why the vote passed or failed.
	Rule string
	// Round numbers the assembly's votes on a matter voted on more than
	// once, from 1.
	Round           int
	Implementations []domain.Implementation
	Correction      *domain.Correction
	Reason          string
	RevokedBy       string
}

type seqLine struct {
	Seq   uint64
	Label string
}

func (s *Server) handleMatterPage(w http.ResponseWriter, r *http.Request) {
	s.serveMatter(w, r, "matter.html")
}

func (s *Server) handleMatterVerifyPage(w http.ResponseWriter, r *http.Request) {
	s.serveMatter(w, r, "verify.html")
}

func (s *Server) serveMatter(w http.ResponseWriter, r *http.Request, tmpl string) {
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return
	}
	id := r.PathValue("id")
	for _, m := range v.Matters {
		if m.ID == id {
			page := newMatterPage(pageLang(r), v, m)
			page.Names = s.actorNames()
			if tmpl == "verify.html" {
				page.Checkpoint = s.checkpointOf()
				s.render(w, r, http.StatusOK, tmpl, page)
				return
			}
			page.Questions = s.questionsOf(pageLang(r), v, "matter/"+m.ID)
			s.renderAskable(w, r, http.StatusOK, tmpl, page)
			return
		}
	}
	s.errorPage(w, r, Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
		Detail: "No matter " + id + " on this board.", DetailZH: "本社区没有编号为 " + id + " 的事项。"})
}

// newMatterPage lays out a matter's stages in the order they were recorded.
func newMatterPage(lang string, v projections.BoardView, m projections.MatterRow) matterPage {
	p := matterPage{Community: v.Community, Name: v.Name, M: m, Subject: m.Title, Back: "/c/" + v.Community + "/matters/" + m.ID}
	c := &domain.Community{RuleSets: v.RuleSets}
	// The board keeps the latest review, the latest vote and the earlier
	// failed votes; a stage reached again (a new vote) is listed each time.
	reviews, votes, corrections := 0, 0, 0
	for _, d := range m.Dates {
		if d.Stage == domain.StageReviewed {
			reviews++
		}
		if d.Stage == domain.StageResolved {
			votes++
		}
	}
	review, vote := 0, 0
	labels := map[uint64]string{}
	for _, d := range m.Dates {
		st := matterStep{StageDate: d, Label: stageName(lang, d.Stage)}
		if !d.RecordedAt.IsZero() && d.RecordedAt.Sub(civilStart(d.Date)) >= lateAfter+24*time.Hour {
			st.Late = d.RecordedAt
		}
		switch d.Stage {
		case domain.StageProposed:
			if m.Proposal != nil {
				st.Summary = m.Proposal.Summary
			}
		case domain.StageConsulted:
			if m.Consultation != nil {
				st.Summary = m.Consultation.Summary
			}
		case domain.StageReviewed:
			review++
			if review == reviews && m.Review != nil {
				st.Decision = m.Review
				st.Rule = voteRule(lang, c, d.Date, domain.BodyPartyMembers, m.Review)
			}
		case domain.StageResolved:
			vote++
			if votes > 1 {
				st.Round = vote
			}
			if vote <= len(m.PastResolutions) {
				st.Decision = m.PastResolutions[vote-1].Decision
			} else if vote == votes {
				st.Decision = m.Resolution
			}
			if st.Decision != nil {
				st.Rule = voteRule(lang, c, d.Date, domain.BodyRepresentatives, st.Decision)
			}
		case domain.StageResolutionDisclosed:
			if m.ResolutionDisclosure != nil {
				st.Summary, st.Channels = m.ResolutionDisclosure.Summary, m.ResolutionDisclosure.Channels
			}
		case domain.StageImplementing:
			st.Label = translate(lang, "implementation")
			st.Implementations = m.Implementations
		case domain.StageResultDisclosed:
			if m.ResultDisclosure != nil {
				st.Summary, st.Channels = m.ResultDisclosure.Summary, m.ResultDisclosure.Channels
			}
		case domain.StageWithdrawn:
			st.Reason = m.Reason
		case domain.StageRevoked:
			st.Reason, st.RevokedBy = m.Reason, m.RevokedBy
		case projections.StageCorrection:
			if lang == "en" {
				st.Label = "Correction of " + stageName(lang, d.Corrects)
			} else {
				st.Label = "更正“" + stageName(lang, d.Corrects) + "”"
			}
			if corrections < len(m.Corrections) {
				st.Correction = &m.Corrections[corrections]
			}
			corrections++
		}
		labels[d.Seq] = st.Label
		p.Steps = append(p.Steps, st)
	}
	for _, seq := range m.Seqs {
		l, ok := labels[seq]
		if !ok {
			l = translate(lang, "implementation")
		}
		p.Seqs = append(p.Seqs, seqLine{seq, l})
	}
	return p
}

// civilStart is the start of a date in Beijing time.
func civilStart(d domain.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, domain.Shanghai)
}

// voteRule says in plain words how a vote of body held on date came out
// under the rule set that decided it: the one the decision names, else
// the one in force on date. The outcome is the decision's own; the words
// name the rule only where the rule gives the same outcome.
func voteRule(lang string, c *domain.Community, date domain.Date, body domain.Body, d *domain.Decision) string {
	rs := c.RuleSetAt(date)
	for _, x := range append([]domain.RuleSet{domain.DefaultRuleSet()}, c.RuleSets...) {
		if x.ID == d.RuleSet {
			rs = x
		}
	}
	rule, ok := rs.Votes[body]
	q, passed := rule.Outcome(d.Votes)
	base, baseEN := "到会人数", "those present"
	if rule.MajorityOf == "expected" {
		base, baseEN = "应到人数", "the expected members"
	}
	en := lang == "en"
	switch {
	case !ok || q != d.Quorate || passed != d.Passed:
		if d.Passed {
			return pick(en, "表决通过", "Passed")
		}
		if !d.Quorate {
			return pick(en, "表决未通过：到会人数未达到法定人数", "Failed: the meeting had no quorum")
		}
		return pick(en, "表决未通过：赞成票未过半数", "Failed: not enough votes for")
	case !d.Quorate:
		return pick(en, "表决未通过：到会人数未达到应到人数的"+fractionZH(rule.Quorum),
			fmt.Sprintf("Failed: fewer than %d/%d of the expected members were present", rule.Quorum.Num, rule.Quorum.Den))
	case !d.Passed:
		return pick(en, "表决未通过：赞成票未超过"+base+"的"+fractionZH(rule.Majority),
			fmt.Sprintf("Failed: the votes for were not more than %d/%d of %s", rule.Majority.Num, rule.Majority.Den, baseEN))
	}
	return pick(en, "表决通过：赞成票超过"+base+"的"+fractionZH(rule.Majority),
		fmt.Sprintf("Passed: the votes for were more than %d/%d of %s", rule.Majority.Num, rule.Majority.Den, baseEN))
}

func pick(en bool, zh, e string) string {
	if en {
		return e
	}
	return zh
}

// fractionZH writes a fraction as Chinese says it: 三分之二, 一半, 全部.
func fractionZH(f domain.Fraction) string {
	switch {
	case f.Den == 2*f.Num && f.Num > 0:
		return "一半"
	case f.Num == f.Den:
		return "全部"
	}
	return numberZH(f.Den) + "分之" + numberZH(f.Num)
}

// numberZH writes 0 to 99 in Chinese numerals, larger numbers in figures.
func numberZH(n int) string {
	d := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n < 0 || n > 99:
		return fmt.Sprint(n)
	case n < 10:
		return d[n]
	case n == 10:
		return "十"
	case n < 20:
		return "十" + d[n%10]
	case n%10 == 0:
		return d[n/10] + "十"
	}
	return d[n/10] + "十" + d[n%10]
}

// beijing writes a time in Beijing time: "2026年11月30日 23:56", or
// "2026-11-30 23:56 Beijing time" in English.
func beijing(lang string, t time.Time) string {
	t = t.In(domain.Shanghai)
	if lang == "en" {
		return t.Format("2006-01-02 15:04") + " Beijing time"
	}
	return fmt.Sprintf("%d年%d月%d日 %02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

// cnDate writes a date as "2025年3月20日", or "2025-03-20" in English.
func cnDate(lang string, d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	if lang == "en" {
		return d.String()
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
}
