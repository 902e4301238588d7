package workbench

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
)

// Groups of forms, as the workbench's home shows them.
const (
	groupCommunity = "community"
	groupMatter    = "matter"
	groupBudget    = "budget"
	groupBooks     = "books"
)

// The data of matter commands, as docs/api.md §7.5–7.14 describe them.
type (
	registerMatterData struct {
		Title       string `json:"title"`
		Description string `json:"description,omitempty"`
		Category    string `json:"category,omitempty"`
		Amount      string `json:"amount,omitempty"`
	}
	proposeData struct {
		Summary string `json:"summary,omitempty"`
		Joint   bool   `json:"joint,omitempty"`
	}
	summaryData struct {
		Summary string `json:"summary,omitempty"`
	}
	reviewData struct {
		Votes domain.Votes `json:"votes"`
	}
	resolveData struct {
		Votes domain.Votes `json:"votes"`
		Text  string       `json:"text,omitempty"`
	}
	discloseData struct {
		Channels []string `json:"channels,omitempty"`
		Summary  string   `json:"summary,omitempty"`
	}
	reasonData struct {
		Reason string `json:"reason"`
	}
	revokeData struct {
		ByMatter string `json:"by_matter"`
		Reason   string `json:"reason"`
	}
	// correctData is matter.correct: only the fields given are corrected.
	correctData struct {
		Stage         domain.Stage  `json:"stage"`
		Reason        string        `json:"reason"`
		CorrectedDate string        `json:"corrected_date,omitempty"`
		Report        int           `json:"report,omitempty"`
		Summary       *string       `json:"summary,omitempty"`
		Channels      *[]string     `json:"channels,omitempty"`
		Votes         *domain.Votes `json:"votes,omitempty"`
		Text          *string       `json:"text,omitempty"`
	}
)

var (
	fSummary = field{Name: "summary", Label: txt{"内容摘要", "Summary"}, Kind: kTextarea,
		Help: txt{"会议的主要意见，可不填。", "The meeting's main points; optional."}}
	fChannels = field{Name: "channels", Label: txt{"公开渠道", "Channels"}, Kind: kText,
		Help:    txt{"多个渠道用顿号或逗号分开，如：社区公开栏、微信群", "Separate several with commas, e.g. 社区公开栏、微信群"},
		Suggest: []string{"社区公开栏", "村务公开栏", "微信群", "社区公开栏、微信群", "政务公开网站"}}
	fReason = field{Name: "reason", Label: txt{"原因", "Reason"}, Kind: kTextarea, Required: true}
)

func voteFields(prefix string) []field {
	return []field{
		{Name: prefix + ".expected", Label: txt{"应到人数", "Expected"}, Kind: kCount, Required: true},
		{Name: prefix + ".present", Label: txt{"实到人数", "Present"}, Kind: kCount, Required: true},
		{Name: prefix + ".for", Label: txt{"赞成", "For"}, Kind: kCount, Required: true},
		{Name: prefix + ".against", Label: txt{"反对", "Against"}, Kind: kCount, Help: txt{"不填为0", "blank is 0"}},
		{Name: prefix + ".abstain", Label: txt{"弃权", "Abstain"}, Kind: kCount, Help: txt{"不填为0", "blank is 0"}},
	}
}

func votesOf(m map[string]int) domain.Votes {
	return domain.Votes{Expected: m["expected"], Present: m["present"], For: m["for"], Against: m["against"], Abstain: m["abstain"]}
}

// matterField shows the matter a step is recorded for.
func matterField(fc *formCtx, v values) field {
	d := v["id"]
	if m := fc.matter(v["id"]); m != nil {
		d = v["id"] + " " + m.Title + txt{"（" + stageText("zh", m.Stage) + "）", " (" + stageText("en", m.Stage) + ")"}.in(fc.lang())
	}
	return field{Name: "id", Label: txt{"事项", "Matter"}, Kind: kStatic, Display: d}
}

func stageText(lang string, s domain.Stage) string {
	if lang == "en" {
		return strings.ReplaceAll(string(s), "_", " ")
	}
	return domain.StageZH(s)
}

// step returns the form of a stage of an existing matter.
func step(name, typ string, title, intro, dateLabel txt, fields func(fc *formCtx, v values) []field, build func(fc *formCtx, p *parser) any) *formDef {
	return &formDef{name: name, typ: typ, title: title, intro: intro, dateLabel: dateLabel, group: groupMatter,
		aggType: domain.AggregateMatter, aggField: "id", mustExist: true, params: []string{"id"},
		target: func(_ *formCtx, v values) string { return strings.TrimSpace(v["id"]) },
		fields: func(fc *formCtx, v values) []field { return append([]field{matterField(fc, v)}, fields(fc, v)...) },
		build:  build}
}

func matterForms() []*formDef {
	meeting := txt{"会议日期", "Meeting date"}
	disclosed := txt{"公开日期", "Date made public"}
	return []*formDef{
		{
			name: "matter-register", typ: domain.CmdRegisterMatter, group: groupMatter,
			title:     txt{"登记事项", "Register a matter"},
			intro:     txt{"登记一项须经“四议两公开”决策的事项。", "Open a matter to be decided through 四议两公开."},
			dateLabel: txt{"登记日期", "Date registered"},
			aggType:   domain.AggregateMatter, aggField: "id", creates: true,
			target: func(_ *formCtx, v values) string { return strings.TrimSpace(v["id"]) },
			prefill: func(fc *formCtx, v values) {
				if v["id"] == "" {
					v["id"] = fc.nextMatterID()
				}
			},
			fields: func(fc *formCtx, v values) []field {
				return []field{
					{Name: "id", Label: txt{"事项编号", "Matter id"}, Kind: kText, Required: true,
						Help: txt{"如 m-2026-01；只能用字母、数字、- 和 _，登记后不能更改。", "Such as m-2026-01: letters, digits, - and _; it cannot change later."}},
					{Name: "title", Label: txt{"事项名称", "Title"}, Kind: kText, Required: true},
					{Name: "category", Label: txt{"类别", "Category"}, Kind: kText,
						Suggest: []string{"财务", "资产", "集体经济", "公共事务", "基础设施", "民生服务"}},
					{Name: "amount", Label: txt{"涉及金额（元）", "Amount (yuan)"}, Kind: kAmount,
						Help: txt{"没有可不填。", "Leave blank if none."}},
					{Name: "description", Label: txt{"事项说明", "Description"}, Kind: kTextarea},
				}
			},
			build: func(fc *formCtx, p *parser) any {
				d := registerMatterData{Title: p.str("title"), Description: p.str("description"), Category: p.str("category")}
				if a, ok := p.amount("amount", false); ok {
					d.Amount = a.String()
				}
				return d
			},
		},
		step("matter-propose", domain.CmdProposeMatter, txt{"党组织提议", "Party organisation's proposal"},
			txt{"第一议：党组织提议。", "First deliberation: the party organisation proposes."}, meeting,
			func(fc *formCtx, v values) []field {
				fs := []field{fSummary}
				if fc.desk.comm != nil && fc.desk.comm.Holds(domain.RoleSecretary, domain.RoleDirector) {
					fs = append(fs, field{Name: "joint", Label: txt{"与两委会商议合并进行（书记、主任“一肩挑”）", "Held together with the two committees' consultation (one person holds both posts)"}, Kind: kCheckbox})
				}
				return fs
			},
			func(fc *formCtx, p *parser) any {
				return proposeData{Summary: p.str("summary"), Joint: p.raw("joint") != ""}
			}),
		step("matter-consult", domain.CmdConsultMatter, txt{"两委会商议", "Two committees' consultation"},
			txt{"第二议：党组织和村（居）民委员会会议商议。", "Second deliberation: the two committees consult."}, meeting,
			func(*formCtx, values) []field { return []field{fSummary} },
			func(fc *formCtx, p *parser) any { return summaryData{Summary: p.str("summary")} }),
		step("matter-review", domain.CmdReviewMatter, txt{"党员大会审议", "Party members' meeting"},
			txt{"第三议：党员大会审议。人数可写“12”或“12人”。", "Third deliberation: the party members' meeting. Counts may be written 12 or 12人."}, meeting,
			func(*formCtx, values) []field { return voteFields("votes") },
			func(fc *formCtx, p *parser) any { return reviewData{Votes: votesOf(p.votes("votes"))} }),
		step("matter-resolve", domain.CmdResolveMatter, txt{"代表会议决议", "Representative assembly's resolution"},
			txt{"第四议：社区成员（村民）代表会议表决。人数可写“12”或“12人”。", "Fourth deliberation: the representative assembly votes. Counts may be written 12 or 12人."}, meeting,
			func(*formCtx, values) []field {
				return append(voteFields("votes"), field{Name: "text", Label: txt{"决议内容", "Text of the resolution"}, Kind: kTextarea})
			},
			func(fc *formCtx, p *parser) any {
				return resolveData{Votes: votesOf(p.votes("votes")), Text: p.str("text")}
			}),
		step("matter-disclose-resolution", domain.CmdDiscloseResolution, txt{"决议公开", "Disclose the resolution"},
			txt{"第一公开：决议公开。", "First disclosure: the resolution is made public."}, disclosed,
			func(*formCtx, values) []field { return []field{fChannels, fSummary} },
			func(fc *formCtx, p *parser) any {
				return discloseData{Channels: p.list("channels"), Summary: p.str("summary")}
			}),
		step("matter-report-implementation", domain.CmdReportImplementation, txt{"报告实施情况", "Report implementation"},
			txt{"可多次报告。", "May be reported more than once."}, txt{"报告日期", "Date of the report"},
			func(*formCtx, values) []field {
				return []field{{Name: "summary", Label: txt{"实施情况", "Progress"}, Kind: kTextarea, Required: true}}
			},
			func(fc *formCtx, p *parser) any { return summaryData{Summary: p.str("summary")} }),
		step("matter-disclose-result", domain.CmdDiscloseResult, txt{"实施结果公开", "Disclose the result"},
			txt{"第二公开：实施结果公开。", "Second disclosure: the result is made public."}, disclosed,
			func(*formCtx, values) []field { return []field{fChannels, fSummary} },
			func(fc *formCtx, p *parser) any {
				return discloseData{Channels: p.list("channels"), Summary: p.str("summary")}
			}),
		step("matter-withdraw", domain.CmdWithdrawMatter, txt{"撤回事项", "Withdraw the matter"},
			txt{"在代表会议表决前，或表决未通过后，撤回事项。", "Drop the matter before the assembly's vote, or after it failed."}, txt{"撤回日期", "Date withdrawn"},
			func(*formCtx, values) []field { return []field{fReason} },
			func(fc *formCtx, p *parser) any { return reasonData{Reason: p.str("reason")} }),
		step("matter-revoke", domain.CmdRevokeMatter, txt{"撤销决议", "Revoke the resolution"},
			txt{"以另一项表决通过的决议撤销本事项的决议。", "Revoke this matter's resolution by another passed resolution."}, txt{"撤销日期", "Date revoked"},
			func(fc *formCtx, v values) []field {
				opts := fc.passedMatters(v["id"])
				return []field{{Name: "by_matter", Label: txt{"作出撤销决议的事项", "Revoked by matter"}, Kind: kSelect, Required: true, Options: opts}, fReason}
			},
			func(fc *formCtx, p *parser) any {
				return revokeData{ByMatter: p.str("by_matter"), Reason: p.str("reason")}
			}),
		correctForm(),
	}
}

// nextMatterID suggests the id of a new matter: m-<year>-<nn>, the first
// not taken.
func (fc *formCtx) nextMatterID() string {
	y := fc.today().Year
	for n := 1; n < 1000; n++ {
		id := fmt.Sprintf("m-%d-%02d", y, n)
		if _, ver := fc.w.d.Commands.State(fc.desk.id, domain.AggregateMatter, id); ver == 0 {
			return id
		}
	}
	return ""
}

// passedMatters returns the community's passed, unrevoked matters as
// options, except the one named.
func (fc *formCtx) passedMatters(except string) []option {
	opts := []option{{Value: "", Label: txt{"（请选择）", "(choose)"}}}
	for _, m := range fc.boardMatters() {
		if m.ID == except || m.Resolution == nil || !m.Resolution.Passed || m.Stage == domain.StageRevoked {
			continue
		}
		opts = append(opts, option{Value: m.ID, Label: txt{m.ID + " " + m.Title, m.ID + " " + m.Title}})
	}
	return opts
}

// stageContent is what a recorded stage holds (report: implementation
// report number, from 1).
type stageContent struct {
	date     domain.Date
	summary  string
	channels []string
	votes    *domain.Votes
	text     string
	ok       bool
}

// encode writes the content for a hidden field.
func (c stageContent) encode() string {
	b, _ := json.Marshal(contentJSON{Date: c.date.String(), Summary: c.summary, Channels: c.channels, Votes: c.votes, Text: c.text})
	return string(b)
}

type contentJSON struct {
	Date     string        `json:"date"`
	Summary  string        `json:"summary"`
	Channels []string      `json:"channels"`
	Votes    *domain.Votes `json:"votes"`
	Text     string        `json:"text"`
}

func decodeContent(s string) (stageContent, bool) {
	var j contentJSON
	if s == "" || json.Unmarshal([]byte(s), &j) != nil {
		return stageContent{}, false
	}
	d, err := domain.ParseDate(j.Date)
	if err != nil {
		return stageContent{}, false
	}
	return stageContent{date: d, summary: j.Summary, channels: j.Channels, votes: j.Votes, text: j.Text, ok: true}, true
}

func contentOf(m *domain.Matter, s domain.Stage, report int) stageContent {
	c := stageContent{date: m.Dates.Get(s)}
	rec := func(r *domain.Record) {
		if r != nil {
			c.summary, c.channels, c.ok = r.Summary, slices.Clone(r.Channels), true
		}
	}
	switch s {
	case domain.StageProposed:
		rec(m.Proposal)
	case domain.StageConsulted:
		rec(m.Consultation)
	case domain.StageResolutionDisclosed:
		rec(m.ResolutionDisclosure)
	case domain.StageResultDisclosed:
		rec(m.ResultDisclosure)
	case domain.StageReviewed, domain.StageResolved:
		d := m.Review
		if s == domain.StageResolved {
			d = m.Resolution
		}
		if d != nil {
			v := d.Votes
			c.votes, c.text, c.ok = &v, d.Text, true
		}
	case domain.StageImplementing:
		if report >= 1 && report <= len(m.Implementations) {
			im := m.Implementations[report-1]
			c.date, c.summary, c.ok = im.Date, im.Summary, true
		}
	}
	return c
}

// correctable are the stages a correction may address, with their fields.
var correctable = []domain.Stage{domain.StageProposed, domain.StageConsulted, domain.StageReviewed, domain.StageResolved,
	domain.StageResolutionDisclosed, domain.StageImplementing, domain.StageResultDisclosed}

func stageFields(s domain.Stage) []field {
	switch s {
	case domain.StageProposed, domain.StageConsulted:
		return []field{fSummary}
	case domain.StageReviewed:
		return voteFields("votes")
	case domain.StageResolved:
		return append(voteFields("votes"), field{Name: "text", Label: txt{"决议内容", "Text of the resolution"}, Kind: kTextarea})
	case domain.StageResolutionDisclosed, domain.StageResultDisclosed:
		return []field{fChannels, fSummary}
	case domain.StageImplementing:
		return []field{{Name: "summary", Label: txt{"实施情况", "Progress"}, Kind: kTextarea, Required: true}}
	}
	return nil
}

func correctTarget(fc *formCtx, v values) (*domain.Matter, domain.Stage, int) {
	m := fc.matter(strings.TrimSpace(v["id"]))
	s := domain.Stage(v["stage"])
	n, _ := strconv.Atoi(v["report"])
	return m, s, n
}

// correctForm is matter.correct (更正): the stage's recorded content,
// prefilled, to be changed, with a reason.
func correctForm() *formDef {
	f := &formDef{
		name: "matter-correct", typ: domain.CmdCorrectMatter, group: groupMatter,
		title: txt{"更正已记录的程序", "Correct a recorded stage"},
		intro: txt{"更正笔误：下面是该程序现有的记录，改正有误之处并说明原因。原记录和更正都会公开保存。",
			"Correct a clerical error: below is what the stage recorded; change what is wrong and give the reason. Both the original and the correction stay on the public record."},
		dateLabel: txt{"更正日期", "Date of the correction"},
		aggType:   domain.AggregateMatter, aggField: "id", mustExist: true, params: []string{"id", "stage", "report"},
		target: func(_ *formCtx, v values) string { return strings.TrimSpace(v["id"]) },
	}
	f.choose = func(fc *formCtx, v values) []linkView {
		m, s, n := correctTarget(fc, v)
		if m == nil {
			return nil
		}
		if slices.Contains(correctable, s) && contentOf(m, s, n).ok {
			return nil
		}
		var out []linkView
		for _, st := range correctable {
			if st == domain.StageImplementing {
				for i := range m.Implementations {
					out = append(out, linkView{Href: link(fc.lang(), fmt.Sprintf("/c/%s/desk/matter-correct?id=%s&stage=%s&report=%d", fc.desk.id, urlEscape(m.ID), st, i+1)),
						Label: stageText(fc.lang(), st) + fmt.Sprintf(txt{"（第%d次报告）", " (report %d)"}.in(fc.lang()), i+1),
						Note:  dateText(fc.lang(), m.Implementations[i].Date)})
				}
				continue
			}
			if c := contentOf(m, st, 0); c.ok {
				out = append(out, linkView{Href: link(fc.lang(), fmt.Sprintf("/c/%s/desk/matter-correct?id=%s&stage=%s", fc.desk.id, urlEscape(m.ID), st)),
					Label: stageText(fc.lang(), st), Note: dateText(fc.lang(), c.date)})
			}
		}
		if len(out) == 0 {
			out = []linkView{{Href: link(fc.lang(), "/c/"+fc.desk.id+"/desk"), Label: txt{"该事项还没有可更正的记录", "This matter has no recorded stage to correct"}.in(fc.lang())}}
		}
		return out
	}
	f.fields = func(fc *formCtx, v values) []field {
		_, s, n := correctTarget(fc, v)
		label := stageText(fc.lang(), s)
		if s == domain.StageImplementing {
			label += fmt.Sprintf(txt{"（第%d次报告）", " (report %d)"}.in(fc.lang()), n)
		}
		fs := []field{matterField(fc, v), {Name: "stage", Label: txt{"更正的程序", "Stage corrected"}, Kind: kStatic, Display: label}}
		if s == domain.StageImplementing {
			fs = append(fs, field{Name: "report", Label: txt{"报告次序", "Report number"}, Kind: kStatic})
		}
		fs = append(fs, field{Name: "corrected_date", Label: txt{"该程序的日期", "Date of the stage"}, Kind: kDate, Required: true,
			Help: txt{"如日期记错，在此改正；否则保持不变。", "Change it if the date was wrong; otherwise leave it."}})
		fs = append(fs, stageFields(s)...)
		return append(fs, field{Name: "reason", Label: txt{"更正原因", "Reason for the correction"}, Kind: kTextarea, Required: true,
			Help: txt{"如：会议记录中实到人数为14人，误记为12人。", "e.g. the minutes say 14 present; 12 was recorded."}},
			field{Name: "orig", Kind: kHidden})
	}
	f.prefill = func(fc *formCtx, v values) {
		m, s, n := correctTarget(fc, v)
		if m == nil {
			return
		}
		c := contentOf(m, s, n)
		v["orig"] = c.encode()
		v["effective_date"] = fc.today().String()
		v["corrected_date"] = c.date.String()
		v["summary"] = c.summary
		v["channels"] = strings.Join(c.channels, "、")
		v["text"] = c.text
		if c.votes != nil {
			v["votes.expected"] = strconv.Itoa(c.votes.Expected)
			v["votes.present"] = strconv.Itoa(c.votes.Present)
			v["votes.for"] = strconv.Itoa(c.votes.For)
			v["votes.against"] = strconv.Itoa(c.votes.Against)
			v["votes.abstain"] = strconv.Itoa(c.votes.Abstain)
		}
	}
	f.build = func(fc *formCtx, p *parser) any {
		m, s, n := correctTarget(fc, p.v)
		d := correctData{Stage: s, Reason: p.str("reason")}
		if s == domain.StageImplementing {
			d.Report = n
		}
		if m == nil {
			return d
		}
		// Compared with the content the form was filled from (it travels
		// with the form), so that a repeated submission sends the same
		// command although the first one changed the record.
		orig, ok := decodeContent(p.v["orig"])
		if !ok {
			orig = contentOf(m, s, n)
		}
		if date, ok := p.date("corrected_date", true); ok && date != orig.date {
			d.CorrectedDate = date.String()
		}
		names := map[string]bool{}
		for _, f := range stageFields(s) {
			names[f.Name] = true
		}
		if names["summary"] {
			if x := p.str("summary"); x != orig.summary {
				d.Summary = &x
			}
		}
		if names["channels"] {
			if x := p.list("channels"); !slices.Equal(x, orig.channels) && !(len(x) == 0 && len(orig.channels) == 0) {
				d.Channels = &x
			}
		}
		if names["votes.expected"] {
			if x := votesOf(p.votes("votes")); orig.votes == nil || x != *orig.votes {
				d.Votes = &x
			}
		}
		if names["text"] {
			if x := p.str("text"); x != orig.text {
				d.Text = &x
			}
		}
		return d
	}
	return f
}
