package workbench

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"t": ui,
}).ParseFS(templateFS, "templates/*.html"))

// pageView is what every workbench page shows around its body.
type pageView struct {
	Lang  string
	Title string
	// Other is this page in the other language (its GET address).
	Other     string
	ActorName string
	// Admin shows the link to the accounts page.
	Admin   bool
	ActorID string
	CSRF    string
	Crumbs  []linkView
	Body    any
}

type linkView struct {
	Href  string
	Label string
	Note  string
}

type kv struct{ K, V string }

// render writes a page.
func (w *Workbench) render(rw http.ResponseWriter, r *http.Request, s *session, status int, name, title string, crumbs []linkView, body any) {
	q := r.URL.Query()
	if s.lang == "en" {
		q.Del("lang")
	} else {
		q.Set("lang", "en")
	}
	other := r.URL.Path
	if len(q) > 0 {
		other += "?" + q.Encode()
	}
	pv := pageView{Lang: s.lang, Title: title, Other: other, ActorName: s.actor.Name, ActorID: s.actor.ID, Admin: s.actor.IsAdministrator(), CSRF: s.csrf,
		Crumbs: crumbs, Body: body}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, pv); err != nil {
		w.d.Log.Error("workbench: render", "template", name, "err", err)
		http.Error(rw, "render error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	_, _ = rw.Write(buf.Bytes())
}

type messageView struct {
	Message string
	Links   []linkView
}

// errorPage writes a page that says what went wrong.
func (w *Workbench) errorPage(rw http.ResponseWriter, r *http.Request, s *session, status int, msg txt, links ...linkView) {
	title := txt{"无法继续", "Cannot continue"}
	switch status {
	case http.StatusForbidden:
		title = txt{"无权操作", "Forbidden"}
	case http.StatusNotFound:
		title = txt{"未找到", "Not found"}
	}
	links = append(links, linkView{Href: link(s.lang, "/desk"), Label: txt{"返回我的工作台", "Back to my desks"}.in(s.lang)})
	w.render(rw, r, s, status, "message.html", title.in(s.lang), nil, messageView{Message: msg.in(s.lang), Links: links})
}

// Views of a form.
type (
	formView struct {
		Title, Intro string
		Action       string
		Hidden       []kv
		Top          []string
		Conflict     string
		Current      []shownRow
		Fields       []fieldView
		Lines        *linesView
		After        []fieldView
		Choose       []linkView
		Content      *contentView
	}
	fieldView struct {
		Name, Label, Value, Error, Help, Display string
		Kind                                     string
		Required                                 bool
		Checked                                  bool
		InputMode, Placeholder                   string
		Options                                  []optionView
		Suggest                                  []string
		ListID                                   string
	}
	optionView struct {
		Value, Label string
		Selected     bool
	}
	linesView struct {
		Label string
		Cols  int
		Error string
		Rows  []lineRowView
	}
	lineRowView struct {
		N     int
		Key   string
		Error string
		Cells []fieldView
	}
	confirmView struct {
		Title  string
		Action string
		Top    []string
		Rows   []shownRow
		Lines  *shownLines
		Notes  []shownRow
		Hidden []kv
		// Content is what a disclosure discloses.
		Content *contentView
	}
	shownRow   struct{ Label, Value, Words string }
	shownLines struct {
		Label string
		Head  []string
		Rows  [][]shown
		Foot  []shown
	}
)

func (fc *formCtx) action() string {
	path := fc.r.URL.Path
	if fc.r.Method == http.MethodGet && fc.def.params != nil {
		// Keep the parameters that chose the form's target.
		q := fc.r.URL.Query()
		var parts []string
		for _, k := range fc.def.params {
			if x := q.Get(k); x != "" {
				parts = append(parts, k+"="+urlEscape(x))
			}
		}
		if len(parts) > 0 {
			path += "?" + strings.Join(parts, "&")
		}
	}
	return link(fc.lang(), path)
}

func (fc *formCtx) crumbs() []linkView {
	l := fc.lang()
	out := []linkView{{Href: link(l, "/desk"), Label: txt{"我的工作台", "My desks"}.in(l)}}
	if fc.desk.id != "" {
		out = append(out, linkView{Href: link(l, "/c/"+fc.desk.id+"/desk"), Label: fc.desk.name()})
	}
	return out
}

func (fc *formCtx) fieldView(f field, v values, p *parser) fieldView {
	l := fc.lang()
	fv := fieldView{Name: f.Name, Label: f.Label.in(l), Value: v[f.Name], Help: f.Help.in(l), Kind: f.Kind,
		Required: f.Required, Display: f.Display, Suggest: f.Suggest}
	if len(f.Suggest) > 0 {
		fv.ListID = "list-" + strings.ReplaceAll(f.Name, ".", "-")
	}
	if p != nil {
		if e, ok := p.errs[f.Name]; ok {
			fv.Error = e.in(l)
		}
	}
	switch f.Kind {
	case kAmount:
		fv.InputMode = "decimal"
		fv.Placeholder = txt{"如 6,800.00", "e.g. 6,800.00"}.in(l)
	case kDate:
		fv.Placeholder = txt{"如 2026-11-12 或 2026年11月12日", "e.g. 2026-11-12"}.in(l)
	case kCount:
		fv.InputMode = "numeric"
		fv.Placeholder = txt{"如 12 或 12人", "e.g. 12"}.in(l)
	case kNumber:
		fv.InputMode = "numeric"
	case kCheckbox:
		fv.Checked = v[f.Name] != ""
	case kStatic:
		if fv.Display == "" {
			fv.Display = fv.Value
		}
	}
	found := false
	for _, o := range f.Options {
		sel := o.Value == v[f.Name]
		found = found || sel
		fv.Options = append(fv.Options, optionView{Value: o.Value, Label: o.Label.in(l), Selected: sel})
	}
	if f.Kind == kSelect && !found && v[f.Name] != "" {
		// A value that is no longer (or never was) an option is kept, so
		// that the clerk sees what was sent and the error beside it.
		fv.Options = append(fv.Options, optionView{Value: v[f.Name], Label: v[f.Name], Selected: true})
	}
	return fv
}

// renderForm writes a form with values v (and, after a submission, its
// errors).
func (w *Workbench) renderForm(rw http.ResponseWriter, r *http.Request, fc *formCtx, status int, v values, st formState) {
	l := fc.lang()
	def := fc.def
	fv := formView{Title: def.title.in(l), Intro: def.intro.in(l), Action: fc.action(), Choose: st.choose}
	if st.choose == nil {
		fv.Hidden = []kv{{"csrf", fc.s.csrf}, {"idem", st.idem}, {"ver", st.ver}}
		if def.lines != nil {
			fv.Hidden = append(fv.Hidden, kv{"nlines", strconv.Itoa(max(lineCount(v), def.lines.Min))})
		}
		for _, f := range fc.allFields(v) {
			if f.After && def.lines != nil {
				fv.After = append(fv.After, fc.fieldView(f, v, st.p))
			} else {
				fv.Fields = append(fv.Fields, fc.fieldView(f, v, st.p))
			}
		}
		if l := def.lines; l != nil {
			lv := &linesView{Label: l.Label.in(fc.lang()), Cols: len(l.Cols)}
			if st.p != nil {
				lv.Error = st.p.errs["lines"].in(fc.lang())
			}
			n := max(lineCount(v), l.Min)
			for i := 0; i < n; i++ {
				row := lineRowView{N: i + 1, Key: "lines." + strconv.Itoa(i)}
				if st.p != nil {
					row.Error = st.p.errs["lines."+strconv.Itoa(i)].in(fc.lang())
				}
				for _, c := range l.cols(fc) {
					c.Name = lineName(i, c.Name)
					row.Cells = append(row.Cells, fc.fieldView(c, v, st.p))
				}
				lv.Rows = append(lv.Rows, row)
			}
			fv.Lines = lv
		}
	}
	if st.p != nil {
		for _, t := range st.p.top {
			fv.Top = append(fv.Top, t.in(l))
		}
		// An error beside a field that is not on the form goes on top.
		names := map[string]bool{"lines": true}
		for _, f := range fc.known(v) {
			names[f] = true
		}
		for i := 0; i < lineCount(v); i++ {
			names["lines."+strconv.Itoa(i)] = true
		}
		for _, name := range sortedErrs(st.p.errs) {
			if !names[name] {
				fv.Top = append(fv.Top, st.p.errs[name].in(l))
			}
		}
		if len(st.p.errs) > 0 && len(fv.Top) == 0 {
			fv.Top = append(fv.Top, txt{"请按各项旁的提示修改后再提交。", "Please correct the fields marked below."}.in(l))
		}
	}
	if st.conflict {
		fv.Conflict = conflictText.in(l)
		fv.Current = fc.current()
	}
	if def.show != nil && st.choose == nil {
		fv.Content = def.show(fc, v)
	}
	w.render(rw, r, fc.s, status, "form.html", fv.Title, fc.crumbs(), fv)
}

// renderConfirm writes the confirmation of a valid submission: what was
// understood, and the buttons 确认记录 and 返回修改.
func (w *Workbench) renderConfirm(rw http.ResponseWriter, r *http.Request, fc *formCtx, v values, st formState, pr *prepared) {
	w.renderConfirmStatus(rw, r, fc, http.StatusOK, v, st, pr)
}

func (w *Workbench) renderConfirmStatus(rw http.ResponseWriter, r *http.Request, fc *formCtx, status int, v values, st formState, pr *prepared) {
	l := fc.lang()
	cv := confirmView{Title: fc.def.title.in(l), Action: fc.action()}
	if st.p != nil {
		for _, t := range st.p.top {
			cv.Top = append(cv.Top, t.in(l))
		}
	}
	p := pr.p
	for _, f := range fc.allFields(v) {
		if f.Kind == kHidden {
			continue
		}
		if f.Kind == kStatic {
			if f.Display != "" || v[f.Name] != "" {
				d := f.Display
				if d == "" {
					d = v[f.Name]
				}
				cv.Rows = append(cv.Rows, shownRow{Label: f.Label.in(l), Value: d})
			}
			continue
		}
		if f.Kind == kCheckbox {
			yes := txt{"否", "no"}
			if v[f.Name] != "" {
				yes = txt{"是", "yes"}
			}
			cv.Rows = append(cv.Rows, shownRow{Label: f.Label.in(l), Value: yes.in(l)})
			continue
		}
		sh, ok := p.shown[f.Name]
		if !ok {
			continue
		}
		if f.Kind == kSelect {
			for _, o := range f.Options {
				if o.Value == v[f.Name] {
					sh.Value = o.Label.in(l)
				}
			}
		}
		cv.Rows = append(cv.Rows, shownRow{Label: f.Label.in(l), Value: sh.Value, Words: sh.Words})
	}
	if ls := fc.def.lines; ls != nil && len(p.lineRows) > 0 {
		sl := &shownLines{Label: ls.Label.in(l), Head: []string{"#"}}
		cols := ls.cols(fc)
		for _, c := range cols {
			sl.Head = append(sl.Head, c.Label.in(l))
		}
		for n, i := range p.lineRows {
			row := []shown{{Value: strconv.Itoa(n + 1)}}
			for _, c := range cols {
				name := lineName(i, c.Name)
				sh := p.shown[name]
				if c.Kind == kSelect {
					for _, o := range c.Options {
						if o.Value == v[name] && o.Value != "" {
							sh.Value = o.Label.in(l)
						}
					}
				}
				row = append(row, sh)
			}
			sl.Rows = append(sl.Rows, row)
		}
		sl.Foot = linesFoot(fc, p)
		cv.Lines = sl
	}
	cv.Notes = eventNotes(fc, pr)
	if fc.def.show != nil {
		cv.Content = fc.def.show(fc, v)
	}
	cv.Hidden = []kv{{"csrf", fc.s.csrf}, {"idem", st.idem}, {"ver", st.ver}}
	for _, k := range sortedKeys(v) {
		cv.Hidden = append(cv.Hidden, kv{k, v[k]})
	}
	w.render(rw, r, fc.s, status, "confirm.html", cv.Title, fc.crumbs(), cv)
}

// linesFoot returns the totals row of a voucher's or a budget's lines.
func linesFoot(fc *formCtx, p *parser) []shown {
	l := fc.lang()
	total := shown{Value: txt{"合计", "Total"}.in(l)}
	switch fc.def.lines {
	case voucherLines, openingLines:
		var dr, cr domain.Fen
		for _, i := range p.lineRows {
			if f, err := parseQuiet(p.raw(lineName(i, "debit"))); err == nil {
				dr += f
			}
			if f, err := parseQuiet(p.raw(lineName(i, "credit"))); err == nil {
				cr += f
			}
		}
		return []shown{total, {}, {Value: yuanText(l, dr), Words: dr.Capital()}, {Value: yuanText(l, cr), Words: cr.Capital()}}
	case budgetLines:
		var sum domain.Fen
		for _, i := range p.lineRows {
			if f, err := parseQuiet(p.raw(lineName(i, "amount"))); err == nil {
				sum += f
			}
		}
		return []shown{total, {}, {}, {}, {Value: yuanText(l, sum), Words: sum.Capital()}}
	}
	return nil
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}

// ui are the fixed texts of the templates.
var uiTexts = map[string]txt{
	"app":          {"gongkai 工作台", "gongkai workbench"},
	"signed_in":    {"当前登录", "Signed in"},
	"logout":       {"退出登录", "Log out"},
	"other_lang":   {"English", "中文"},
	"required":     {"必填", "required"},
	"check":        {"下一步：核对", "Next: check"},
	"add_line":     {"增加一行", "Add a line"},
	"line":         {"第%d行", "Line %d"},
	"blank_lines":  {"留空的行不会记录。", "Blank lines are not recorded."},
	"confirm_hint": {"请核对以下内容。点“确认记录”后写入账本，不能删除，只能更正。", "Check what follows. 确认记录 writes it to the ledger, where it cannot be deleted, only corrected."},
	"record":       {"确认记录", "Record"},
	"back":         {"返回修改", "Back to edit"},
	"current":      {"当前记录", "Current record"},
	"choose":       {"请选择：", "Choose:"},
	"public_board": {"公开栏", "Public board"},
}

func ui(lang, key string) string {
	t, ok := uiTexts[key]
	if !ok {
		return key
	}
	return t.in(lang)
}

func sortedErrs(m map[string]txt) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
