package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/disclose"
	"github.com/gongkai/gongkai/projections"
)

// Disclosures (公开事项) for residents and for API clients. A disclosure's
// content is drafted by the server from the read models (internal/disclose),
// so the commands endpoint refuses disclosure.draft and disclosure.publish:
// a client sends them through the endpoints below, which generate the
// content and check, before publishing, that the approved figures still
// match the books. Only published versions are public; drafts and reviews
// are the workbench's.

func (s *Server) disclosureRoutes() {
	s.mux.HandleFunc("GET /api/v1/communities/{community}/disclosures", s.handleDisclosuresJSON)
	s.mux.HandleFunc("POST /api/v1/communities/{community}/disclosures/{item}/draft", s.handleDraftDisclosure)
	s.mux.HandleFunc("POST /api/v1/communities/{community}/disclosures/{item}/publish", s.handlePublishDisclosure)
	s.mux.HandleFunc("GET /c/{community}/disclosures", s.handleDisclosuresPage)
	s.mux.HandleFunc("GET /c/{community}/disclosures/{item}", s.handleDisclosurePage)
	s.mux.HandleFunc("GET /c/{community}/disclosures/{item}/verify", s.handleDisclosureVerifyPage)
	s.mux.HandleFunc("GET /c/{community}/disclosures/{item}/sheet", s.handleDisclosureSheet)
}

// generator drafts disclosures from the finance read model once it has
// applied the stream's head.
func (s *Server) generator() disclose.Generator {
	return disclose.Generator{Books: s.Finance, Head: s.Ledger.LastSeq}
}

// generatedCommands are drafted or checked by the server: the commands
// endpoints refuse them.
var generatedCommands = []string{domain.CmdDraftDisclosure, domain.CmdPublishDisclosure}

// publicDisclosure is a published item as the public sees it: the version
// in force and the earlier published versions it corrected, newest first.
type publicDisclosure struct {
	Item    string                     `json:"item"`
	Title   string                     `json:"title"`
	Kind    domain.DisclosureKind      `json:"kind"`
	Current domain.DisclosureVersion   `json:"current"`
	Earlier []domain.DisclosureVersion `json:"earlier,omitempty"`
	// Until is the last day of the current version's posting period.
	Until domain.Date `json:"posted_until"`
	Seqs  []uint64    `json:"stream_seqs"`
}

// published returns the published items of a board, most recently posted
// first. Versions never published (drafts, returned, replaced) are left
// out.
func published(v projections.BoardView) []publicDisclosure {
	var out []publicDisclosure
	for _, row := range v.Disclosures {
		d := row.Disclosure()
		cur := d.Published()
		if cur == nil {
			continue
		}
		it, _ := domain.ParseDisclosureItem(row.Item)
		pd := publicDisclosure{Item: row.Item, Title: cur.Content.Title, Kind: it.Kind, Current: *cur,
			Until: cur.PostedOn.AddDays(cur.PostingDays - 1), Seqs: row.Seqs}
		for i := len(d.Versions) - 1; i >= 0; i-- {
			if x := d.Versions[i]; x.Status == domain.StatusPublished && x.Version != cur.Version {
				pd.Earlier = append(pd.Earlier, x)
			}
		}
		out = append(out, pd)
	}
	slices.SortStableFunc(out, func(a, b publicDisclosure) int {
		return strings.Compare(b.Current.PostedOn.String(), a.Current.PostedOn.String())
	})
	return out
}

// obligationLine is an obligation as a page shows it.
type obligationLine struct {
	domain.Obligation
	Overdue bool   `json:"overdue"`
	Days    int    `json:"days_overdue,omitempty"`
	Link    string `json:"link,omitempty"` // the item's page once published, or the matter's page
}

// disclosuresView is what the list page and its JSON show.
type disclosuresView struct {
	Community string             `json:"community"`
	Name      string             `json:"name"`
	Today     domain.Date        `json:"today"`
	Published []publicDisclosure `json:"published"`
	// Overdue are the obligations unmet after their due date; Upcoming
	// those not yet due; Done those met (Late when after the due date).
	Overdue  []obligationLine       `json:"overdue"`
	Upcoming []obligationLine       `json:"upcoming"`
	Done     []obligationLine       `json:"done"`
	Rules    domain.DisclosureRules `json:"rules"`
}

func (s *Server) disclosuresView(r *http.Request, v projections.BoardView) (disclosuresView, error) {
	today := domain.DateOf(s.Now())
	obs, err := disclose.Obligations(r.Context(), s.Finance, s.Finance, v, today)
	if err != nil {
		return disclosuresView{}, err
	}
	dv := disclosuresView{Community: v.Community, Name: v.Name, Today: today, Published: published(v),
		Rules: (&domain.Community{RuleSets: v.RuleSets}).RuleSetAt(today).DisclosureRules()}
	for _, o := range obs {
		l := obligationLine{Obligation: o, Overdue: o.Overdue(today), Days: o.DaysOverdue(today)}
		if id, _, ok := strings.Cut(strings.TrimPrefix(o.Item, "matter/"), "/"); ok && strings.HasPrefix(o.Item, "matter/") {
			l.Link = "/c/" + v.Community + "/matters/" + id
		} else if !o.Done.IsZero() {
			l.Link = "/c/" + v.Community + "/disclosures/" + o.Item
		}
		switch {
		case l.Overdue:
			dv.Overdue = append(dv.Overdue, l)
		case o.Done.IsZero():
			dv.Upcoming = append(dv.Upcoming, l)
		default:
			dv.Done = append(dv.Done, l)
		}
	}
	slices.Reverse(dv.Done) // the latest first
	return dv, nil
}

func (s *Server) handleDisclosuresJSON(w http.ResponseWriter, r *http.Request) {
	v, ok := s.board(w, r, func(p Problem) { writeProblem(w, p) })
	if !ok {
		return
	}
	dv, err := s.disclosuresView(r, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dv)
}

func (s *Server) handleDisclosuresPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return
	}
	dv, err := s.disclosuresView(r, v)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "disclosures.html", dv)
}

// disclosurePage is one published item for residents.
type disclosurePage struct {
	Community string
	Name      string
	publicDisclosure
	Names map[string]string
	// Questions are the residents' questions about the item, with the form
	// to ask one.
	Questions *questionsBlock
}

// findPublished finds a published item of the board or writes a 404.
func (s *Server) findPublished(w http.ResponseWriter, r *http.Request, v projections.BoardView) (publicDisclosure, bool) {
	item := r.PathValue("item")
	for _, pd := range published(v) {
		if pd.Item == item {
			return pd, true
		}
	}
	s.errorPage(w, r, Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
		Detail: "Nothing published as " + item + " on this board.", DetailZH: "本社区尚未公开编号为 " + item + " 的内容。"})
	return publicDisclosure{}, false
}

func (s *Server) handleDisclosurePage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return
	}
	pd, ok := s.findPublished(w, r, v)
	if !ok {
		return
	}
	page := disclosurePage{Community: v.Community, Name: v.Name, publicDisclosure: pd, Names: s.actorNames(),
		Questions: s.questionsOf(pageLang(r), v, "disclosure/"+pd.Item)}
	s.renderAskable(w, r, http.StatusOK, "disclosure.html", page)
}

func (s *Server) handleDisclosureVerifyPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return
	}
	pd, ok := s.findPublished(w, r, v)
	if !ok {
		return
	}
	page := matterPage{Community: v.Community, Name: v.Name, Checkpoint: s.checkpointOf(),
		Subject: pd.Title, Back: "/c/" + v.Community + "/disclosures/" + pd.Item}
	page.M.Seqs = pd.Seqs
	for _, seq := range pd.Seqs {
		page.Seqs = append(page.Seqs, seqLine{seq, pd.Title})
	}
	s.render(w, r, http.StatusOK, "verify.html", page)
}

// disclosureSheet is a published item as a 公示 sheet.
type disclosureSheet struct {
	sheetCommon
	D publicDisclosure
}

func (s *Server) handleDisclosureSheet(w http.ResponseWriter, r *http.Request) {
	paper, bad := sheetPaper(r)
	if bad != nil {
		s.errorPage(w, r, *bad)
		return
	}
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return
	}
	pd, ok := s.findPublished(w, r, v)
	if !ok {
		return
	}
	sheet := disclosureSheet{sheetCommon: s.sheetCommon(v, paper, "/c/"+v.Community+"/disclosures/"+pd.Item), D: pd}
	// A published item prints the posting period it was published with.
	sheet.From, sheet.To = pd.Current.PostedOn, pd.Until
	sheet.Title = v.Name + pd.Title
	if !pd.Current.Content.From.IsZero() {
		sheet.Period = cnDate("zh", pd.Current.Content.From) + "至" + cnDate("zh", pd.Current.Content.To)
	}
	s.render(w, r, http.StatusOK, "sheet_disclosure.html", sheet)
}

// disclosureRequest is the body of the draft and publish endpoints.
type disclosureRequest struct {
	// EffectiveDate is the business date (today in Beijing by default).
	EffectiveDate string `json:"effective_date,omitempty"`
	// Draft: the clerk's note (说明), and the reason of a correction.
	Note   string `json:"note,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Title overrides the item's usual title.
	Title string `json:"title,omitempty"`
	// Publish: the approved version, channels and posting days.
	Version     int      `json:"version,omitempty"`
	Channels    []string `json:"channels,omitempty"`
	PostingDays int      `json:"posting_days,omitempty"`
}

// disclosureWrite reads a draft or publish request and its item.
func (s *Server) disclosureWrite(w http.ResponseWriter, r *http.Request) (command.Request, disclosureRequest, domain.DisclosureItem, bool) {
	var body disclosureRequest
	req, ok := s.writeRequest(w, r, MaxCommandBody, &body)
	if !ok {
		return req, body, domain.DisclosureItem{}, false
	}
	it, err := domain.ParseDisclosureItem(r.PathValue("item"))
	if err != nil {
		s.fail(w, r, &command.Error{Index: 0, Type: domain.CmdDraftDisclosure, Err: err})
		return req, body, it, false
	}
	if body.EffectiveDate == "" {
		body.EffectiveDate = domain.DateOf(s.Now()).String()
	}
	return req, body, it, true
}

func (s *Server) handleDraftDisclosure(w http.ResponseWriter, r *http.Request) {
	req, body, it, ok := s.disclosureWrite(w, r)
	if !ok {
		return
	}
	if body.Version != 0 || len(body.Channels) > 0 || body.PostingDays != 0 {
		writeProblem(w, badRequest("bad_field", "A draft takes note, reason, title and effective_date.", "草稿只接受说明、更正原因、标题和业务日期。",
			domain.FieldError{Field: "version", Reason: "not a draft's field", ReasonZH: "不是草稿的字段"}))
		return
	}
	title := body.Title
	if it.Kind == domain.DisclosureSpecial && title == "" {
		st, _ := s.Commands.State(req.Community, domain.AggregateCommunity, req.Community)
		if c, _ := st.(*domain.Community); c != nil {
			if sp, ok := c.RuleSetAt(domain.DateOf(s.Now())).DisclosureRules().SpecialItem(it.Special); ok {
				title = sp.Title
			}
		}
	}
	content, err := s.generator().Content(r.Context(), req.Community, it, title, body.Note)
	if err != nil {
		s.disclosureFail(w, r, domain.CmdDraftDisclosure, err)
		return
	}
	data, err := jsonData(domain.DraftDisclosure{Content: content, Reason: body.Reason})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.Commands = []command.Command{{Type: domain.CmdDraftDisclosure, AggregateID: it.ID, EffectiveDate: body.EffectiveDate, Data: data}}
	s.executeDisclosure(w, r, req)
}

func (s *Server) handlePublishDisclosure(w http.ResponseWriter, r *http.Request) {
	req, body, it, ok := s.disclosureWrite(w, r)
	if !ok {
		return
	}
	st, _ := s.Commands.State(req.Community, domain.AggregateDisclosure, it.ID)
	if d, _ := st.(*domain.Disclosure); d != nil {
		if v := d.Latest(); v != nil && v.Version == body.Version && v.Status == domain.StatusApproved {
			if err := s.generator().Check(r.Context(), req.Community, it, *v); err != nil {
				s.disclosureFail(w, r, domain.CmdPublishDisclosure, err)
				return
			}
		}
	}
	data, err := jsonData(domain.PublishDisclosure{Version: body.Version, Channels: body.Channels, PostingDays: body.PostingDays})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.Commands = []command.Command{{Type: domain.CmdPublishDisclosure, AggregateID: it.ID, EffectiveDate: body.EffectiveDate, Data: data}}
	s.executeDisclosure(w, r, req)
}

// jsonData encodes a command's data.
func jsonData(v any) (json.RawMessage, error) { return json.Marshal(v) }

func (s *Server) executeDisclosure(w http.ResponseWriter, r *http.Request, req command.Request) {
	res, err := s.Commands.Execute(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status(res), commandReply{res.Appends[0], res.Replayed})
}

// disclosureFail explains a draft that could not be generated or a publish
// whose figures went stale.
func (s *Server) disclosureFail(w http.ResponseWriter, r *http.Request, typ string, err error) {
	var stale *disclose.StaleError
	switch {
	case errors.As(err, &stale):
		writeProblem(w, Problem{Status: http.StatusConflict, Title: "Draft out of date", TitleZH: "草稿已过时", Code: "draft_stale",
			Detail:   fmt.Sprintf("The books changed in this period after version %d was drafted: draft it again and have it reviewed; nothing was recorded.", stale.Version),
			DetailZH: fmt.Sprintf("第%d版草稿生成后，本期账目有变动：请重新生成草稿并送监督委员会审核。未记录任何内容。", stale.Version)})
	case errors.Is(err, disclose.ErrBehind):
		writeProblem(w, Problem{Status: http.StatusServiceUnavailable, Title: "Try again", TitleZH: "请稍后重试", Code: "read_model_behind",
			Detail: "The books are still being brought up to date; try again in a moment. Nothing was recorded.", DetailZH: "账目正在更新，请稍后重试。未记录任何内容。"})
	default:
		s.fail(w, r, &command.Error{Index: 0, Type: typ, Err: err})
	}
}
