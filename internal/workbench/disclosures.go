package workbench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/disclose"
	"github.com/gongkai/gongkai/projections"
)

// Disclosure as a process (公开的流程), the clerk's and the supervision
// committee's side: the desk lists what the catalogue requires and by when
// (domain.Obligations), with each item's versions; a clerk or an
// accountant drafts an item (its content generated on the server from the
// finance read model, never typed), the supervision committee approves or
// returns it, and the clerk publishes an approved version once it still
// matches the books. A published item is corrected by a new draft with a
// reason, which goes through review and publication again.

const groupDisclosure = "disclosure"

// Form fields of the disclosure forms.
const (
	fDigest   = "content_digest"
	fVersion  = "version"
	fOpinion  = "opinion"
	fPostDays = "posting_days"
	fChOther  = "ch_other"
)

// channelBoxes are the publication channels offered as checkboxes.
var channelBoxes = []struct {
	name string
	zh   string
	en   string
}{{"ch_board", "公开栏", "Notice board"}, {"ch_online", "网上", "Online"}, {"ch_meeting", "会议", "Meeting"}}

var (
	staleText = txt{"草稿生成后账目有变动，请重新生成草稿并送监督委员会审核。",
		"The books changed after this draft was made: draft it again and send it to the supervision committee."}
	changedText = txt{"账目在您核对后有变动，公开内容已按最新账目重新生成。请核对下方新的内容后再确认记录。",
		"The books changed after you checked: the content was drafted again from them. Check the new content below before recording it."}
	noGeneratorText = txt{"本服务未接入财务数据，不能生成或核对公开内容。", "This server has no finance read model: disclosures can be neither drafted nor checked against the books."}
)

// generator returns the drafter of disclosure contents, if the workbench
// has the finance read model and the log's head.
func (w *Workbench) generator() (disclose.Generator, bool) {
	if w.d.Finance == nil || w.d.Head == nil {
		return disclose.Generator{}, false
	}
	return disclose.Generator{Books: w.d.Finance, Head: w.d.Head}, true
}

// disclosure returns the state of the form's item (nil before a draft).
func (fc *formCtx) disclosure() *domain.Disclosure {
	d, _ := fc.state.(*domain.Disclosure)
	return d
}

// itemTitle names an item: its title, or a special item's title in the
// catalogue in force.
func itemTitle(comm *domain.Community, today domain.Date, id string) string {
	it, err := domain.ParseDisclosureItem(id)
	if err != nil {
		return id
	}
	if it.Kind == domain.DisclosureSpecial && comm != nil {
		if s, ok := comm.RuleSetAt(today).DisclosureRules().SpecialItem(it.Special); ok {
			return s.Title
		}
	}
	return it.TitleZH()
}

// itemField shows the item a form is for; a form opened without one asks
// for it.
func itemField(fc *formCtx, v values) field {
	id := strings.TrimSpace(v["item"])
	if _, err := domain.ParseDisclosureItem(id); err == nil {
		return field{Name: "item", Label: txt{"公开事项", "Item"}, Kind: kStatic, Display: id + " " + itemTitle(fc.desk.comm, fc.today(), id)}
	}
	return field{Name: "item", Label: txt{"公开事项编号", "Item id"}, Kind: kText, Required: true,
		Help: txt{"如 finance-2026-Q2（季度）、finance-2026-06（月份）、budget-2026、budget_execution-2026、special-编号",
			"Such as finance-2026-Q2 (a quarter), finance-2026-06 (a month), budget-2026, budget_execution-2026, special-<id>"}}
}

// versionField shows the version a review or a publication is for.
func versionField(fc *formCtx, v values) field {
	d := v[fVersion]
	if d != "" {
		d = fmt.Sprintf(txt{"第%s版", "%s"}.in(fc.lang()), d)
	}
	return field{Name: fVersion, Label: txt{"版本", "Version"}, Kind: kStatic, Display: d}
}

// prefillLatest fills the latest version's number and today's date.
func prefillLatest(fc *formCtx, v values) {
	if v[fVersion] == "" {
		if l := fc.disclosure().Latest(); l != nil {
			v[fVersion] = strconv.Itoa(l.Version)
		}
	}
	prefillToday(fc, v)
}

func prefillToday(fc *formCtx, v values) {
	if v["effective_date"] == "" {
		v["effective_date"] = fc.today().String()
	}
}

// versionOf reads the version field.
func versionOf(p *parser) int {
	n, err := strconv.Atoi(p.raw(fVersion))
	if err != nil || n < 1 {
		p.failTop(txt{"缺少版本号，请从工作台重新打开表单。", "The version is missing: open the form again from the workbench."})
		return 0
	}
	return n
}

// contentDigest identifies what a clerk is shown of a content: its
// figures, title, period and note. The read models' stream position
// (AsOfSeq) is left out: it moves with every entry of any community, and
// is not shown.
func contentDigest(c domain.DisclosureContent) string {
	c.AsOfSeq = 0
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// draftContent generates the content of the item of the values, for the
// draft form's build: at the check, and again at the confirmation, where a
// content that differs from the one checked (its digest, in a hidden
// field) is shown to be confirmed again rather than recorded.
func (fc *formCtx) draftContent(p *parser) domain.DisclosureContent {
	id := strings.TrimSpace(p.v["item"])
	it, err := domain.ParseDisclosureItem(id)
	if err != nil {
		return domain.DisclosureContent{}
	}
	if !p.ok() {
		return domain.DisclosureContent{}
	}
	g, ok := fc.w.generator()
	if !ok {
		p.failTop(noGeneratorText)
		return domain.DisclosureContent{}
	}
	note := p.str("note")
	title := ""
	if it.Kind == domain.DisclosureSpecial {
		title = itemTitle(fc.desk.comm, fc.today(), id)
	}
	c, err := g.Content(fc.ctx, fc.desk.id, it, title, note)
	if err != nil {
		fc.contentError(p, err)
		return domain.DisclosureContent{}
	}
	fc.content = &c
	digest := contentDigest(c)
	if fc.r.Method == "POST" && fc.r.PostFormValue("action") == "confirm" && p.raw(fDigest) != digest {
		fc.reconfirm = true
	}
	p.fixed[fDigest] = digest
	return c
}

// contentError shows why a content could not be generated.
func (fc *formCtx) contentError(p *parser, err error) {
	var ve *domain.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, f := range ve.Fields {
			if f.Field == "note" {
				p.fail("note", txt{f.ReasonZH, f.Reason})
			} else {
				p.failTop(txt{f.ReasonZH, f.Reason})
			}
		}
	case errors.Is(err, disclose.ErrBehind):
		p.failTop(txt{"财务数据尚未更新到最新记录，请稍后再试。", "The finance read model has not caught up with the log yet: try again shortly."})
	default:
		var re *domain.RuleError
		if errors.As(err, &re) {
			p.addRule(re)
			return
		}
		fc.w.d.Log.Warn("workbench: disclosure content", "community", fc.desk.id, "item", p.raw("item"), "err", err)
		p.failTop(txt{"暂时无法读取财务数据，未记录任何内容。请稍后再试。", "The finance read model could not be read; nothing was recorded. Try again later."})
	}
}

// checkStale refuses to publish a version whose figures no longer match
// the books (disclose.Generator.Check).
func (fc *formCtx) checkStale(p *parser, version int) {
	d := fc.disclosure()
	l := d.Latest()
	if !p.ok() || l == nil || l.Version != version || l.Status != domain.StatusApproved {
		return // the domain says why it cannot be published
	}
	it, err := domain.ParseDisclosureItem(fc.aggID)
	if err != nil {
		p.failTop(txt{"公开事项编号无效。", "Invalid item id."})
		return
	}
	g, ok := fc.w.generator()
	if !ok {
		p.failTop(noGeneratorText)
		return
	}
	err = g.Check(fc.ctx, fc.desk.id, it, *l)
	var se *disclose.StaleError
	switch {
	case err == nil:
	case errors.As(err, &se):
		p.failTop(staleText)
	default:
		fc.contentError(p, err)
	}
}

func disclosureForms() []*formDef {
	target := func(_ *formCtx, v values) string { return strings.TrimSpace(v["item"]) }
	withItem := func(fs ...func(fc *formCtx, v values) []field) func(fc *formCtx, v values) []field {
		return func(fc *formCtx, v values) []field {
			out := []field{itemField(fc, v)}
			for _, f := range fs {
				out = append(out, f(fc, v)...)
			}
			return out
		}
	}
	return []*formDef{
		{
			name: "disclosure-draft", typ: domain.CmdDraftDisclosure, group: groupDisclosure,
			title: txt{"生成公开草稿", "Draft a disclosure"},
			intro: txt{"公开内容由系统按账簿生成，不能手工填写；可加说明。草稿须经监督委员会审核后才能公开。已公开的事项再次生成即为更正，须填写更正原因。",
				"The content is drawn from the books, not typed; you may add a note. The supervision committee reviews a draft before it is published. A new draft of a published item corrects it and needs a reason."},
			dateLabel: txt{"起草日期", "Date drafted"},
			aggType:   domain.AggregateDisclosure, aggField: "item", params: []string{"item"},
			target:  target,
			prefill: prefillToday,
			fields: withItem(func(fc *formCtx, v values) []field {
				fs := []field{{Name: "note", Label: txt{"说明", "Note"}, Kind: kTextarea,
					Help: txt{"随公开内容一并公开，可不填（专项公开必填）。", "Published with the content; optional (required for a special item)."}}}
				// Read here: the form's fields are known before its target is
				// loaded (formValues).
				var d *domain.Disclosure
				if id := strings.TrimSpace(v["item"]); domain.ValidAggregateID(id) {
					d, _ = fc.stateOf(domain.AggregateDisclosure, id).(*domain.Disclosure)
				}
				if d.Published() != nil {
					fs = append(fs, field{Name: "reason", Label: txt{"更正原因", "Reason for the correction"}, Kind: kTextarea, Required: true,
						Help: txt{"此事项已公开，新的草稿即为更正。", "This item is published: a new draft corrects it."}})
				}
				return append(fs, field{Name: fDigest, Kind: kHidden})
			}),
			build: func(fc *formCtx, p *parser) any {
				reason := ""
				if fc.disclosure().Published() != nil {
					if reason = p.str("reason"); reason == "" {
						p.fail("reason", required)
					}
				}
				return domain.DraftDisclosure{Content: fc.draftContent(p), Reason: reason}
			},
			alias: map[string]string{"content.note": "note"},
			show:  func(fc *formCtx, _ values) *contentView { return fc.draftView() },
		},
		{
			name: "disclosure-approve", typ: domain.CmdApproveDisclosure, group: groupDisclosure,
			title:     txt{"审核同意公开", "Approve for publication"},
			intro:     txt{"村务监督委员会审核公开内容。起草人不能审核自己起草的内容。", "The supervision committee reviews the content. Who drafted it cannot review it."},
			dateLabel: txt{"审核日期", "Date reviewed"},
			aggType:   domain.AggregateDisclosure, aggField: "item", mustExist: true, params: []string{"item"},
			target: target, prefill: prefillLatest,
			fields: withItem(func(fc *formCtx, v values) []field {
				return []field{versionField(fc, v), {Name: fOpinion, Label: txt{"审核意见", "Opinion"}, Kind: kTextarea,
					Help: txt{"可不填。", "Optional."}}}
			}),
			build: func(fc *formCtx, p *parser) any {
				return domain.ApproveDisclosure{Version: versionOf(p), Opinion: p.str(fOpinion)}
			},
			show: func(fc *formCtx, v values) *contentView { return fc.versionView(v) },
		},
		{
			name: "disclosure-return", typ: domain.CmdReturnDisclosure, group: groupDisclosure,
			title:     txt{"退回修改", "Return for changes"},
			intro:     txt{"村务监督委员会退回草稿，须写明意见。", "The supervision committee returns the draft with its opinion."},
			dateLabel: txt{"审核日期", "Date reviewed"},
			aggType:   domain.AggregateDisclosure, aggField: "item", mustExist: true, params: []string{"item"},
			target: target, prefill: prefillLatest,
			fields: withItem(func(fc *formCtx, v values) []field {
				return []field{versionField(fc, v), {Name: fOpinion, Label: txt{"退回意见", "Opinion"}, Kind: kTextarea, Required: true}}
			}),
			build: func(fc *formCtx, p *parser) any {
				o := p.str(fOpinion)
				if o == "" {
					p.fail(fOpinion, required)
				}
				return domain.ReturnDisclosure{Version: versionOf(p), Opinion: o}
			},
			show: func(fc *formCtx, v values) *contentView { return fc.versionView(v) },
		},
		{
			name: "disclosure-publish", typ: domain.CmdPublishDisclosure, group: groupDisclosure,
			title: txt{"公开", "Publish"},
			intro: txt{"公开经监督委员会审核同意的版本。公开前系统核对账目：草稿生成后账目有变动的，须重新生成草稿并送审。",
				"Publish the version the supervision committee approved. The books are checked first: if they changed since the draft, draft it again and send it for review."},
			dateLabel: txt{"公开日期", "Date published"},
			aggType:   domain.AggregateDisclosure, aggField: "item", mustExist: true, params: []string{"item"},
			target: target,
			prefill: func(fc *formCtx, v values) {
				prefillLatest(fc, v)
				if v[fPostDays] == "" && fc.desk.comm != nil {
					v[fPostDays] = strconv.Itoa(fc.desk.comm.RuleSetAt(fc.today()).DisclosureRules().PostingDays)
				}
				v["ch_board"] = "1"
			},
			fields: withItem(func(fc *formCtx, v values) []field {
				fs := []field{versionField(fc, v)}
				for _, c := range channelBoxes {
					fs = append(fs, field{Name: c.name, Label: txt{c.zh, c.en}, Kind: kCheckbox})
				}
				days := domain.DefaultDisclosureRules().PostingDays
				if fc.desk.comm != nil {
					days = fc.desk.comm.RuleSetAt(fc.today()).DisclosureRules().PostingDays
				}
				return append(fs,
					field{Name: fChOther, Label: txt{"其他公开方式", "Other channels"}, Kind: kText,
						Help: txt{"多个用顿号分开，可不填。", "Separate several with commas; optional."}},
					field{Name: fPostDays, Label: txt{"公示天数", "Days posted"}, Kind: kNumber,
						Help: txt{fmt.Sprintf("规则规定至少%d天。", days), fmt.Sprintf("The rule set requires at least %d days.", days)}})
			}),
			build: func(fc *formCtx, p *parser) any {
				var chans []string
				for _, c := range channelBoxes {
					if p.raw(c.name) != "" {
						chans = append(chans, c.zh)
					}
				}
				chans = append(chans, p.list(fChOther)...)
				if len(chans) > 0 {
					p.shown[fChOther] = shown{Value: strings.Join(chans, "、")}
				}
				days, _ := p.number(fPostDays, false)
				d := domain.PublishDisclosure{Version: versionOf(p), Channels: chans, PostingDays: days}
				fc.checkStale(p, d.Version)
				return d
			},
			alias: map[string]string{"channels": fChOther},
			show:  func(fc *formCtx, v values) *contentView { return fc.versionView(v) },
		},
	}
}

// Views of a disclosure's content.
type (
	contentView struct {
		// WordsLabel and NoteLabel introduce an amount in words and the
		// clerk's note in the page's language.
		WordsLabel, NoteLabel string
		Heading               string
		Meta                  []shownRow
		Tables                []tableView
		Totals                []shownRow
		Note                  string
	}
	tableView struct {
		Caption string
		Head    []string
		Rows    [][]string
	}
)

func disclosureView(lang string, c domain.DisclosureContent) *contentView {
	cv := &contentView{Heading: c.Title, Note: c.Note, WordsLabel: txt{"大写：", "In words: "}.in(lang), NoteLabel: txt{"说明：", "Note: "}.in(lang)}
	if !c.From.IsZero() {
		cv.Meta = append(cv.Meta, shownRow{Label: txt{"公开期间", "Period"}.in(lang), Value: dateText(lang, c.From) + " – " + dateText(lang, c.To)})
	}
	for _, t := range c.Tables {
		cv.Tables = append(cv.Tables, tableView{Caption: t.Caption, Head: t.Columns, Rows: t.Rows})
	}
	for _, t := range c.Totals {
		cv.Totals = append(cv.Totals, shownRow{Label: t.Label, Value: yuanText(lang, t.Amount), Words: t.Amount.Capital()})
	}
	return cv
}

// draftView is the content generated for the draft form.
func (fc *formCtx) draftView() *contentView {
	if fc.content == nil {
		return nil
	}
	l := fc.lang()
	cv := disclosureView(l, *fc.content)
	cv.Meta = append(cv.Meta, shownRow{Label: txt{"账目截至", "Books as of"}.in(l),
		Value: fmt.Sprintf(txt{"日志第%d条", "stream sequence %d"}.in(l), fc.content.AsOfSeq)})
	if to := fc.content.To; !to.IsZero() && !fc.today().After(to) {
		// The domain lets a period be drafted once it has begun.
		cv.Meta = append(cv.Meta, shownRow{Label: txt{"注意", "Note"}.in(l),
			Value: fmt.Sprintf(txt{"公开期间至%s尚未结束，本期账目可能尚不完整。", "The period runs to %s: its books may not be complete yet."}.in(l), dateText(l, to))})
	}
	return cv
}

// versionView is the version a review or a publication is for.
func (fc *formCtx) versionView(v values) *contentView {
	d := fc.disclosure()
	if d == nil {
		return nil
	}
	n, _ := strconv.Atoi(v[fVersion])
	var ver *domain.DisclosureVersion
	for i := range d.Versions {
		if d.Versions[i].Version == n {
			ver = &d.Versions[i]
		}
	}
	if ver == nil {
		ver = d.Latest()
	}
	if ver == nil {
		return nil
	}
	l := fc.lang()
	cv := disclosureView(l, ver.Content)
	cv.Heading = fmt.Sprintf(txt{"第%d版：%s（%s）", "Version %d: %s (%s)"}.in(l), ver.Version, ver.Content.Title, statusText(l, ver.Status))
	cv.Meta = append(cv.Meta, versionRows(l, *ver)...)
	return cv
}

func statusText(lang string, s domain.DisclosureStatus) string {
	if lang == "en" {
		return string(s)
	}
	return domain.DisclosureStatusZH(s)
}

// versionRows says who drafted, reviewed and published a version.
func versionRows(l string, v domain.DisclosureVersion) []shownRow {
	out := []shownRow{{Label: txt{"起草", "Drafted"}.in(l), Value: dateText(l, v.DraftedOn) + " " + v.DraftedBy}}
	if v.Reason != "" {
		out = append(out, shownRow{Label: txt{"更正原因", "Reason for the correction"}.in(l), Value: v.Reason})
	}
	if v.ReviewedBy != "" {
		what := txt{"审核同意", "Approved"}
		if v.Status == domain.StatusReturned {
			what = txt{"退回", "Returned"}
		}
		val := what.in(l) + " " + dateText(l, v.ReviewedOn) + " " + v.ReviewedBy
		if v.Opinion != "" {
			val += txt{"；意见：", "; opinion: "}.in(l) + v.Opinion
		}
		out = append(out, shownRow{Label: txt{"监督委员会审核", "Supervision committee"}.in(l), Value: val})
	}
	if !v.PostedOn.IsZero() {
		out = append(out, shownRow{Label: txt{"公开", "Published"}.in(l),
			Value: fmt.Sprintf(txt{"%s 通过%s公开，公示%d天", "%s through %s, posted %d days"}.in(l), dateText(l, v.PostedOn), strings.Join(v.Channels, "、"), v.PostingDays)})
	}
	if v.SupersededBy != 0 {
		out = append(out, shownRow{Label: txt{"更正", "Corrected"}.in(l), Value: fmt.Sprintf(txt{"已被第%d版更正", "corrected by version %d"}.in(l), v.SupersededBy)})
	}
	return out
}

// versionLine is a version in one line, for the desk.
func versionLine(l string, v domain.DisclosureVersion) string {
	parts := []string{fmt.Sprintf(txt{"第%d版 %s", "v%d %s"}.in(l), v.Version, statusText(l, v.Status))}
	for _, r := range versionRows(l, v) {
		parts = append(parts, r.Label+"："+r.Value)
	}
	return strings.Join(parts, " · ")
}

// disclosureSection is the desk's 公开: what the catalogue requires and
// by when, overdue items in red, and each item's versions with the steps
// the actor may take (draft, review, publish, correct).
func (w *Workbench) disclosureSection(ctx context.Context, s *session, d *desk, today domain.Date) (sectionView, bool) {
	l := s.lang
	may := func(form string) bool { return w.mayUse(s.actor, d, w.forms[form]) }
	if !may("disclosure-draft") && !may("disclosure-approve") && !may("disclosure-publish") {
		return sectionView{}, false
	}
	sec := sectionView{Title: txt{"公开", "Disclosures"}.in(l),
		Note: fmt.Sprintf(txt{"按公开目录应公开的事项及期限（截至%s）。草稿由系统按账簿生成，经监督委员会审核后公开。",
			"What the catalogue requires and by when (as of %s). Drafts are drawn from the books and published after the supervision committee's review."}.in(l), dateText(l, today)),
		Actions: w.links(s, d, linkSpec{form: "disclosure-draft", label: txt{"生成其他公开事项草稿", "Draft another item"}}),
		Empty:   txt{"暂无应公开事项。", "Nothing to disclose yet."}.in(l)}
	var bv projections.BoardView
	if w.d.Board != nil {
		w.boardCaughtUp(ctx)
		bv, _ = w.d.Board.Board(ctx, d.id)
	}
	rows := map[string]projections.DisclosureRow{}
	for _, r := range bv.Disclosures {
		rows[r.Item] = r
	}
	seen := map[string]bool{}
	var books disclose.Books
	var years disclose.Years
	if w.d.Finance != nil {
		books, years = w.d.Finance, w.d.Finance
	}
	obs, err := disclose.Obligations(ctx, books, years, bv, today)
	if err != nil {
		w.d.Log.Error("disclosure obligations", "community", d.id, "err", err)
	}
	for _, o := range obs {
		it := itemView{ID: "d-" + strings.ReplaceAll(o.Item, "/", "-"), Title: o.Title,
			Meta: fmt.Sprintf(txt{"应于%s前公开", "due %s"}.in(l), dateText(l, o.Due))}
		if !o.Done.IsZero() {
			it.Meta += fmt.Sprintf(txt{"；已于%s公开", "; published %s"}.in(l), dateText(l, o.Done))
		}
		switch {
		case o.Overdue(today):
			it.Alert = fmt.Sprintf(txt{"逾期%d天未公开", "%d days overdue"}.in(l), o.DaysOverdue(today))
		case o.Late():
			it.Alert = txt{"逾期公开", "published late"}.in(l)
		}
		if rest, ok := strings.CutPrefix(o.Item, "matter/"); ok {
			// A matter's disclosures are stages of the matter, on its forms.
			id, stage, _ := strings.Cut(rest, "/")
			form := "matter-disclose-resolution"
			if stage == "result" {
				form = "matter-disclose-result"
			}
			if o.Done.IsZero() {
				it.Links = w.links(s, d, linkSpec{form: form, query: "id=" + urlEscape(id)})
			}
			sec.Items = append(sec.Items, it)
			continue
		}
		seen[o.Item] = true
		w.disclosureItem(&it, s, d, o.Item, rows[o.Item])
		sec.Items = append(sec.Items, it)
	}
	// Items drafted that the catalogue does not (yet) require: a month,
	// a period not ended.
	for _, r := range bv.Disclosures {
		if seen[r.Item] {
			continue
		}
		it := itemView{ID: "d-" + r.Item, Title: itemTitle(d.comm, today, r.Item)}
		w.disclosureItem(&it, s, d, r.Item, r)
		sec.Items = append(sec.Items, it)
	}
	return sec, true
}

// disclosureItem adds an item's status, versions and next steps.
func (w *Workbench) disclosureItem(it *itemView, s *session, d *desk, item string, r projections.DisclosureRow) {
	l := s.lang
	q := "item=" + urlEscape(item)
	for _, v := range r.Versions {
		it.Lines = append(it.Lines, versionLine(l, v))
	}
	draft := linkSpec{form: "disclosure-draft", query: q, label: txt{"生成草稿", "Draft"}}
	latest := r.Disclosure().Latest()
	if latest == nil {
		it.Badge = txt{"未起草", "not drafted"}.in(l)
		it.Links = w.links(s, d, draft)
		return
	}
	it.Badge = statusText(l, latest.Status)
	again := linkSpec{form: "disclosure-draft", query: q, label: txt{"重新生成草稿", "Draft again"}}
	switch latest.Status {
	case domain.StatusDrafted:
		it.Links = w.links(s, d, linkSpec{form: "disclosure-approve", query: q, label: txt{"审核同意", "Approve"}},
			linkSpec{form: "disclosure-return", query: q, label: txt{"退回", "Return"}}, again)
	case domain.StatusApproved:
		it.Links = w.links(s, d, linkSpec{form: "disclosure-publish", query: q, label: txt{"公开", "Publish"}}, again)
	case domain.StatusPublished:
		it.Links = w.links(s, d, linkSpec{form: "disclosure-draft", query: q, label: txt{"更正", "Correct"}})
	default:
		it.Links = w.links(s, d, again)
	}
}

// boardCaughtUp waits a little for the board to apply the log's head, so
// that the desk shows what was just recorded (a receipt's 返回工作台).
func (w *Workbench) boardCaughtUp(ctx context.Context) {
	if w.d.Head == nil {
		return
	}
	head, err := w.d.Head(ctx)
	if err != nil {
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		pos, err := w.d.Board.Position(ctx)
		if err != nil || pos >= head || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}
