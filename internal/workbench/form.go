package workbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/entry"
)

// Kinds of field.
const (
	kText     = "text"
	kTextarea = "textarea"
	kAmount   = "amount"
	kDate     = "date"
	kCount    = "count"
	kNumber   = "number"
	kSelect   = "select"
	kCheckbox = "checkbox"
	// kStatic is shown, not edited, and travels in a hidden field;
	// kHidden travels in a hidden field and is not shown.
	kStatic = "static"
	kHidden = "hidden"
)

// field is one input of a form.
type field struct {
	Name     string
	Label    txt
	Kind     string
	Required bool
	Help     txt
	Options  []option
	// Suggest lists values offered as the field is typed (a datalist).
	Suggest []string
	// Display is how a static field shows its value.
	Display string
	// After puts the field after the form's lines.
	After bool
}

type option struct {
	Value string
	Label txt
}

// lineSpec is a form's repeating lines (of a budget or a voucher).
type lineSpec struct {
	Label txt
	Cols  []field
	// Min is the number of rows a new form shows.
	Min int
	// Options, when set, returns the options of select columns by name.
	Options func(fc *formCtx) map[string][]option
}

// cols returns the columns with their options for this request.
func (l *lineSpec) cols(fc *formCtx) []field {
	if l.Options == nil {
		return l.Cols
	}
	opts := l.Options(fc)
	out := make([]field, len(l.Cols))
	for i, c := range l.Cols {
		if o, ok := opts[c.Name]; ok {
			c.Options = o
		}
		out[i] = c
	}
	return out
}

func (l *lineSpec) colNames() []string {
	out := make([]string, len(l.Cols))
	for i, c := range l.Cols {
		out[i] = c.Name
	}
	return out
}

// formDef is the form of one command type.
type formDef struct {
	name  string // in the path: /c/{community}/desk/{name}
	typ   string // the command type
	title txt
	intro txt
	// dateLabel names the command's effective date on this form.
	dateLabel txt
	aggType   string
	// target returns the aggregate id the values address.
	target func(fc *formCtx, v values) string
	// aggField is the field holding the aggregate id, "" when it is
	// fixed; creates marks a form that makes a new aggregate (If-Match 0)
	// and mustExist one whose target must exist to show the form.
	aggField  string
	creates   bool
	mustExist bool
	// params are the query parameters a link may fill the form with.
	params []string
	// fields returns the form's fields after the date; lines its lines.
	fields func(fc *formCtx, v values) []field
	lines  *lineSpec
	// prefill fills a new form's values.
	prefill func(fc *formCtx, v values)
	// choose, when set and returning links, asks for a choice first (the
	// stage to correct).
	choose func(fc *formCtx, v values) []linkView
	// build returns the command's data from the values.
	build func(fc *formCtx, p *parser) any
	alias map[string]string
	// group is the section of the workbench the form belongs to.
	group string
	// show, when set, returns what the form is about, shown above its
	// fields and on its confirmation (a disclosure's content).
	show func(fc *formCtx, v values) *contentView
}

// formCtx is one request to a form.
type formCtx struct {
	w    *Workbench
	r    *http.Request
	ctx  context.Context
	s    *session
	desk *desk
	def  *formDef
	now  time.Time
	// state and version are the target aggregate's, as the form was last
	// checked against.
	aggID   string
	state   domain.State
	version uint64
	// vals are the values the form was last loaded with.
	vals values
	// content is a disclosure's content as build generated it, and
	// reconfirm is set when it differs from the one the confirmation
	// showed: it is shown to be confirmed again, not recorded.
	content   *domain.DisclosureContent
	reconfirm bool
}

func (fc *formCtx) lang() string { return fc.s.lang }

// today is the current civil date in Beijing.
func (fc *formCtx) today() domain.Date { return domain.DateOf(fc.now) }

// year is the fiscal year of the form's date, or this year while the date
// is blank or not a date: a year's vouchers use the year's chart.
func (fc *formCtx) year() int {
	if d, err := entry.ParseDate(strings.TrimSpace(fc.vals["effective_date"])); err == nil {
		return d.Year
	}
	return fc.today().Year
}

// stateOf returns another aggregate's current state.
func (fc *formCtx) stateOf(aggType, id string) domain.State {
	st, _ := fc.w.d.Commands.State(fc.desk.id, aggType, id)
	return st
}

func (fc *formCtx) matter(id string) *domain.Matter {
	if id == "" {
		return nil
	}
	m, _ := fc.stateOf(domain.AggregateMatter, id).(*domain.Matter)
	return m
}

func (fc *formCtx) books() *domain.Books {
	b, _ := fc.stateOf(domain.AggregateBooks, domain.BooksID).(*domain.Books)
	if b == nil {
		b = domain.NewBooks()
	}
	return b
}

func (fc *formCtx) budget(year int) *domain.Budget {
	b, _ := fc.stateOf(domain.AggregateBudget, strconv.Itoa(year)).(*domain.Budget)
	return b
}

// load reads the target aggregate of values v.
func (fc *formCtx) load(v values) {
	fc.vals = v
	fc.aggID = fc.def.target(fc, v)
	fc.state, fc.version = nil, 0
	c := fc.desk.id
	if c == "" {
		c = fc.aggID // a new community
	}
	if domain.ValidAggregateID(fc.aggID) && domain.ValidCommunityID(c) {
		fc.state, fc.version = fc.w.d.Commands.State(c, fc.def.aggType, fc.aggID)
	}
}

// allFields returns the form's fields, the date first.
func (fc *formCtx) allFields(v values) []field {
	dl := fc.def.dateLabel
	if dl.ZH == "" {
		dl = txt{"日期", "Date"}
	}
	out := []field{{Name: "effective_date", Label: dl, Kind: kDate, Required: true}}
	return append(out, fc.def.fields(fc, v)...)
}

// known returns every field name of the form, its line cells included.
func (fc *formCtx) known(v values) []string {
	var out []string
	for _, f := range fc.allFields(v) {
		out = append(out, f.Name)
	}
	if l := fc.def.lines; l != nil {
		n := max(lineCount(v), l.Min)
		for i := 0; i < n; i++ {
			for _, c := range l.Cols {
				out = append(out, lineName(i, c.Name))
			}
		}
	}
	return out
}

// formValues reads a POSTed form's values: only the form's own fields.
func (fc *formCtx) formValues(r *http.Request) values {
	v := values{}
	get := func(k string) {
		if vs, ok := r.PostForm[k]; ok && len(vs) > 0 {
			v[k] = vs[0]
		}
	}
	for _, k := range fc.def.params {
		get(k)
	}
	get("nlines")
	get("fixed")
	if l := fc.def.lines; l != nil {
		cols := l.colNames()
		for k := range r.PostForm {
			if m := lineKeyRE.FindStringSubmatch(k); m != nil {
				if i, _ := strconv.Atoi(m[1]); i < maxLines && slices.Contains(cols, k[len("lines.")+len(m[1])+1:]) {
					get(k)
				}
			}
		}
	}
	// Twice: which fields a form has may depend on its values.
	for range 2 {
		for _, k := range fc.known(v) {
			get(k)
		}
	}
	return v
}

// prepared is a form's values turned into a command and decided against
// the current state.
type prepared struct {
	p      *parser
	cmd    command.Command
	date   domain.Date
	events []domain.Event
}

// prepare parses the values, builds the command, validates it with the
// domain and, when decide is set, decides it against the current state.
// The parser holds the errors; events are what the command would record
// now.
func (fc *formCtx) prepare(v values, decide bool) *prepared {
	fc.load(v)
	p := newParser(fc.lang(), v, fc.known(v), fc.def.aggField, fc.def.alias)
	date, _ := p.date("effective_date", true)
	data := fc.def.build(fc, p)
	if fc.def.aggField != "" && fc.aggID != "" {
		// The new record's id is on the confirmation: it never changes.
		if _, ok := p.shown[fc.def.aggField]; !ok {
			p.shown[fc.def.aggField] = shown{Value: fc.aggID}
		}
	}
	if fc.aggID == "" || !domain.ValidAggregateID(fc.aggID) {
		if fc.def.aggField != "" {
			if _, has := p.errs[fc.def.aggField]; !has {
				if fc.aggID == "" {
					p.fail(fc.def.aggField, required)
				} else {
					p.fail(fc.def.aggField, txt{"仅限字母、数字、- 和 _，最多64个字符", "letters, digits, - and _ only, at most 64"})
				}
			}
		} else {
			p.failTop(txt{"缺少记录编号，请从工作台重新打开表单。", "The record's id is missing: open the form again from the workbench."})
		}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		p.failTop(txt{"内部错误：" + err.Error(), "internal error: " + err.Error()})
		return &prepared{p: p}
	}
	pr := &prepared{p: p, date: date,
		cmd: command.Command{Type: fc.def.typ, AggregateID: fc.aggID, EffectiveDate: date.String(), Data: raw}}
	cmd, err := domain.DecodeCommand(fc.def.typ, raw)
	if err != nil {
		if fe, ok := domain.AsValidation(err); ok {
			p.addDomain(fe)
		} else {
			p.failTop(txt{err.Error(), err.Error()})
		}
		return pr
	}
	if !p.ok() || !decide {
		return pr
	}
	pr.events, err = cmd.Decide(fc.env(date))
	if err != nil {
		fc.addError(p, err)
	}
	return pr
}

// env is the domain's view of the current state, as the command service
// will decide the command (it decides again when it records).
func (fc *formCtx) env(date domain.Date) domain.Env {
	c := fc.desk.id
	if fc.def.aggType == domain.AggregateCommunity && c == "" {
		c = fc.aggID // a new community
	}
	comm, _ := fc.w.d.Commands.State(c, domain.AggregateCommunity, c)
	community, _ := comm.(*domain.Community)
	env := domain.Env{
		Today: fc.today(), Date: date, CommunityID: c, Community: community, AggregateID: fc.aggID,
		LookupMatter: func(id string) *domain.Matter {
			m, _ := fc.w.d.Commands.State(c, domain.AggregateMatter, id)
			mm, _ := m.(*domain.Matter)
			return mm
		},
		LookupBudget: func(year int) *domain.Budget {
			b, _ := fc.w.d.Commands.State(c, domain.AggregateBudget, strconv.Itoa(year))
			bb, _ := b.(*domain.Budget)
			return bb
		},
		LookupCommunity: func(id string) *domain.Community {
			s, _ := fc.w.d.Commands.State(id, domain.AggregateCommunity, id)
			cc, _ := s.(*domain.Community)
			return cc
		},
	}
	return domain.EnvFor(env, fc.state)
}

// addError shows an error of the domain or of the command service on the
// form.
func (fc *formCtx) addError(p *parser, err error) {
	var (
		ve *domain.ValidationError
		re *domain.RuleError
		nf *domain.NotFoundError
	)
	switch {
	case errors.As(err, &ve):
		p.addDomain(ve.Fields)
	case errors.As(err, &re):
		p.addRule(re)
	case errors.As(err, &nf):
		p.failTop(notFoundText(nf))
	case errors.Is(err, command.ErrForbidden):
		p.failTop(txt{"您的角色无权在本社区记录此项，未记录任何内容。", "Your roles do not allow you to record this here; nothing was recorded."})
	case errors.Is(err, command.ErrIdempotencyMismatch):
		p.failTop(txt{"此表单已用于另一次记录，未重复记录。请核对后再次提交（已换用新的表单编号）。",
			"This form was already used for another record; nothing was recorded. Check and submit again (the form has a new key)."})
	default:
		var rf *command.RefusedError
		if errors.As(err, &rf) {
			p.failTop(txt{"账本暂停写入（存储或写入密钥异常，须由管理员处理），未记录任何内容。请稍后再点“确认记录”。",
				"The ledger takes no writes now (its storage or writer key needs the administrator); nothing was recorded. Try 确认记录 again later."})
			return
		}
		fc.w.d.Log.Warn("workbench: record", "community", fc.desk.id, "type", fc.def.typ, "err", err)
		p.failTop(txt{"账本未能确认是否已记录。请再点一次“确认记录”：已记录的不会重复记录。",
			"The ledger could not confirm whether it recorded this. Press 确认记录 again: what was recorded is never recorded twice."})
	}
}

func notFoundText(nf *domain.NotFoundError) txt {
	what := map[string]string{"community": "社区", "matter": "事项", "voucher": "凭证", "budget": "预算", "account": "账户"}[nf.What]
	if what == "" {
		what = nf.What
	}
	return txt{what + " " + nf.ID + " 不存在，未记录任何内容。", nf.Error() + "; nothing was recorded."}
}

// conflictText is the message of a form whose record changed meanwhile.
var conflictText = txt{"此事项已被他人更新，请核对下方的当前记录后再提交。", "This record was changed by someone else: check its current state below and submit again."}

// serveForm serves GET and POST of a form.
func (w *Workbench) serveForm(rw http.ResponseWriter, r *http.Request, s *session, d *desk, def *formDef) {
	fc := &formCtx{w: w, r: r, ctx: r.Context(), s: s, desk: d, def: def, now: w.d.Now()}
	if !w.mayUse(s.actor, d, def) {
		w.errorPage(rw, r, s, http.StatusForbidden, txt{"您的角色无权在本社区记录此项。", "Your roles do not allow you to record this in this community."})
		return
	}
	if r.Method == http.MethodGet {
		v := values{}
		q := r.URL.Query()
		for _, k := range def.params {
			if x := q.Get(k); x != "" {
				v[k] = x
			}
		}
		fc.load(v)
		if def.mustExist && fc.state == nil {
			msg := txt{"事项 " + fc.aggID + " 不存在。", "There is no matter " + fc.aggID + "."}
			if def.aggType == domain.AggregateDisclosure {
				msg = txt{"公开事项 " + fc.aggID + " 尚无草稿。", "There is no draft of " + fc.aggID + " yet."}
			}
			var links []linkView
			if def.aggType == domain.AggregateBudget {
				msg = txt{fc.aggID + "年度预算尚未通过，请先录入预算。", "The " + fc.aggID + " budget has not been adopted yet: enter it first."}
				if lv, ok := w.formLink(s, d, "budget-adopt", "year="+urlEscape(fc.aggID), txt{}); ok {
					links = append(links, lv)
				}
			}
			links = append(links, linkView{Href: link(s.lang, "/c/"+d.id+"/desk"), Label: txt{"返回工作台", "Back to the workbench"}.in(s.lang)})
			w.errorPage(rw, r, s, http.StatusNotFound, msg, links...)
			return
		}
		if def.choose != nil {
			if links := def.choose(fc, v); links != nil {
				w.renderForm(rw, r, fc, http.StatusOK, v, formState{choose: links})
				return
			}
		}
		if def.prefill != nil {
			def.prefill(fc, v)
		}
		if def.lines != nil {
			v["nlines"] = strconv.Itoa(max(lineCount(v), def.lines.Min))
		}
		fc.load(v)
		st := formState{idem: "wb-" + w.d.NewID(), ver: verOf(fc)}
		w.renderForm(rw, r, fc, http.StatusOK, v, st)
		return
	}

	v := fc.formValues(r)
	st := formState{idem: r.PostFormValue("idem"), ver: r.PostFormValue("ver")}
	if !validIdem(st.idem) {
		st.idem = "wb-" + w.d.NewID()
	}
	switch r.PostFormValue("action") {
	case "add_line":
		if def.lines != nil {
			v["nlines"] = strconv.Itoa(min(max(lineCount(v), def.lines.Min)+1, maxLines))
		}
		fc.load(v)
		w.renderForm(rw, r, fc, http.StatusOK, v, st)
		return
	case "edit":
		unfix(v)
		fc.load(v)
		w.renderForm(rw, r, fc, http.StatusOK, v, st)
		return
	}
	if r.PostFormValue("action") != "confirm" {
		pr := fc.prepare(v, true)
		expected, sameTarget := expectedVersion(st.ver, fc)
		if !sameTarget {
			st.ver = verOf(fc)
		}
		if sameTarget && expected != fc.version {
			// Changed since the form was filled in: show it, keep the
			// values, and take the current version for the next submission.
			st.ver, st.conflict = verOf(fc), true
			unfix(v)
			w.renderForm(rw, r, fc, http.StatusConflict, v, st.with(pr.p))
			return
		}
		if !pr.p.ok() {
			w.renderForm(rw, r, fc, http.StatusUnprocessableEntity, v, st.with(pr.p))
			return
		}
		// What was filled in for the clerk (a voucher's number) travels on
		// as if typed, so that the confirmation records what it showed.
		var names []string
		for k, x := range pr.p.fixed {
			v[k] = x
			names = append(names, k)
		}
		if len(names) > 0 {
			slices.Sort(names)
			v["fixed"] = strings.Join(names, ",")
		}
		w.renderConfirm(rw, r, fc, v, st, pr)
		return
	}

	// The confirmation: validated again, decided by the command service
	// alone (it answers a repeated submission with the original result
	// before deciding anything), at the version the form was filled
	// against.
	pr := fc.prepare(v, false)
	if !pr.p.ok() {
		w.renderForm(rw, r, fc, http.StatusUnprocessableEntity, v, st.with(pr.p))
		return
	}
	if fc.reconfirm {
		// What would be recorded is not what was confirmed: show it.
		for k, x := range pr.p.fixed {
			v[k] = x
		}
		notice := newParser(fc.lang(), v, nil, "", nil)
		notice.failTop(changedText)
		w.renderConfirmStatus(rw, r, fc, http.StatusConflict, v, st.with(notice), pr)
		return
	}
	ifMatch := fc.version
	if expected, sameTarget := expectedVersion(st.ver, fc); sameTarget {
		ifMatch = expected
	}
	if def.creates {
		ifMatch = 0
	}
	community := d.id
	if community == "" {
		community = fc.aggID
	}
	res, err := w.d.Commands.Execute(fc.ctx, command.Request{Community: community, IdempotencyKey: st.idem,
		Actor: s.actor, IfMatch: &ifMatch, Commands: []command.Command{pr.cmd}})
	if err != nil {
		var ce *command.ConflictError
		if errors.As(err, &ce) {
			unfix(v)
			fc.load(v)
			st.ver, st.conflict = verOf(fc), true
			w.renderForm(rw, r, fc, http.StatusConflict, v, st)
			return
		}
		fc.addError(pr.p, err)
		if errors.Is(err, command.ErrIdempotencyMismatch) {
			st.idem = "wb-" + w.d.NewID()
		}
		status := statusOf(err)
		if status == http.StatusServiceUnavailable && !isRefused(err) {
			// Not known whether it was recorded: the confirmation again, so
			// that pressing 确认记录 retries with the same key.
			w.renderConfirm(rw, r, fc, v, st.with(pr.p), pr)
			return
		}
		w.renderForm(rw, r, fc, status, v, st.with(pr.p))
		return
	}
	rc := receipt{Form: def.name, Community: community, Aggregate: fc.aggID, Seqs: seqsOf(res),
		At: w.d.Now().Unix(), Replayed: res.Replayed, Ref: refOf(pr.cmd)}
	http.Redirect(rw, r, rc.url(s), http.StatusSeeOther)
}

// unfix clears the values the form filled in for the clerk (listed in
// "fixed"), so that they are filled in again from the current record: a
// voucher's number after someone else posted one.
func unfix(v values) {
	for _, k := range strings.Split(v["fixed"], ",") {
		if k != "" {
			v[k] = ""
		}
	}
	delete(v, "fixed")
}

func isRefused(err error) bool {
	var rf *command.RefusedError
	return errors.As(err, &rf)
}

func statusOf(err error) int {
	var (
		ve *domain.ValidationError
		re *domain.RuleError
		nf *domain.NotFoundError
	)
	switch {
	case errors.Is(err, command.ErrForbidden):
		return http.StatusForbidden
	case errors.As(err, &ve), errors.As(err, &re), errors.Is(err, command.ErrIdempotencyMismatch):
		return http.StatusUnprocessableEntity
	case errors.As(err, &nf):
		return http.StatusNotFound
	}
	return http.StatusServiceUnavailable
}

// formState is what travels with a form besides its values.
type formState struct {
	idem string
	// ver is "<aggregate id>:<version>": the version the form was filled
	// against.
	ver      string
	conflict bool
	choose   []linkView
	p        *parser
}

func (st formState) with(p *parser) formState { st.p = p; return st }

func verOf(fc *formCtx) string { return fc.aggID + ":" + strconv.FormatUint(fc.version, 10) }

// expectedVersion returns the version a form was filled against, and
// whether it was for the aggregate the form now addresses.
func expectedVersion(ver string, fc *formCtx) (uint64, bool) {
	id, n, ok := strings.Cut(ver, ":")
	if !ok || id != fc.aggID || fc.def.creates {
		return 0, false
	}
	v, err := strconv.ParseUint(n, 10, 64)
	return v, err == nil
}

func validIdem(k string) bool {
	if k == "" || len(k) > 200 {
		return false
	}
	return !strings.ContainsAny(k, "\r\n")
}

func seqsOf(res command.Result) []uint64 {
	var out []uint64
	for _, a := range res.Appends {
		for _, e := range a.Events {
			out = append(out, e.Seq)
		}
	}
	return out
}

// refOf names what a command records within its aggregate, for the
// receipt: a voucher's id, a corrected stage.
func refOf(c command.Command) string {
	var d struct {
		Number int          `json:"number"`
		Stage  domain.Stage `json:"stage"`
		Report int          `json:"report"`
	}
	date, err := domain.ParseDate(c.EffectiveDate)
	if err != nil || json.Unmarshal(c.Data, &d) != nil {
		return ""
	}
	switch c.Type {
	case domain.CmdPostVoucher, domain.CmdReverseVoucher, domain.CmdPostCorrection:
		return domain.VoucherID(date, d.Number)
	case domain.CmdCorrectMatter:
		if d.Report > 0 {
			return fmt.Sprintf("%s-%d", d.Stage, d.Report)
		}
		return string(d.Stage)
	}
	return ""
}

// mayUse reports whether the actor may record the form's command in the
// community.
func (w *Workbench) mayUse(a domain.Actor, d *desk, def *formDef) bool {
	if def.typ == domain.CmdRegisterCommunity {
		return a.IsAdministrator()
	}
	return a.MayRecord(def.typ, d.id, d.town)
}
