package workbench

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/importer"
)

// The import page: an XLSX or CSV file of one kind is read by package
// importer, shown as a dry run (its rows and the commands they make), and
// recorded in one batch once confirmed. The file travels with the
// confirmation (base64 in a hidden field) and is read again there: nothing
// is kept on the server between the two requests. Its idempotency key is
// made from the file's bytes, so the same file uploaded again records
// nothing.

var importKinds = []struct {
	kind importer.Kind
	typ  string
	name txt
}{
	{importer.Vouchers, domain.CmdPostVoucher, txt{"凭证", "Vouchers"}},
	{importer.Budget, domain.CmdAdoptBudget, txt{"年度预算", "A year's budget"}},
	{importer.Funds, domain.CmdRecordFunds, txt{"资金到账", "Funds received"}},
	{importer.Matters, domain.CmdRegisterMatter, txt{"事项登记", "Matters"}},
}

type (
	importView struct {
		Action    string
		CSRF      string
		Kinds     []optionView
		Templates []linkView
		Top       []string
		RowErrors []string
		Preview   *previewView
	}
	previewView struct {
		Kind, KindName, Filename string
		Rows, Commands           int
		Lines                    [][]string
		More                     string
		Hidden                   []kv
	}
)

// importKindsFor returns the kinds the actor may import into the community.
func (w *Workbench) importKindsFor(s *session, d *desk) []importer.Kind {
	var out []importer.Kind
	for _, k := range importKinds {
		if s.actor.MayRecord(k.typ, d.id, d.town) {
			out = append(out, k.kind)
		}
	}
	return out
}

func kindName(lang string, k importer.Kind) string {
	for _, x := range importKinds {
		if x.kind == k {
			return x.name.in(lang)
		}
	}
	return string(k)
}

func (w *Workbench) handleImport(rw http.ResponseWriter, r *http.Request, s *session) {
	d, ok := w.desk(rw, r, s)
	if !ok {
		return
	}
	l := s.lang
	kinds := w.importKindsFor(s, d)
	if len(kinds) == 0 {
		w.errorPage(rw, r, s, http.StatusForbidden, txt{"您的角色无权在本社区导入。", "Your roles do not allow importing in this community."})
		return
	}
	iv := importView{Action: link(l, "/c/"+d.id+"/desk/import"), CSRF: s.csrf}
	chosen := importer.Kind(r.FormValue("kind"))
	iv.Kinds = append(iv.Kinds, optionView{Value: "", Label: txt{"按表头自动识别", "Tell from the header row"}.in(l), Selected: chosen == ""})
	for _, k := range kinds {
		iv.Kinds = append(iv.Kinds, optionView{Value: string(k), Label: kindName(l, k), Selected: k == chosen})
		iv.Templates = append(iv.Templates, linkView{Href: "/c/" + d.id + "/desk/import/template/" + string(k) + ".xlsx",
			Label: kindName(l, k) + txt{"模板（Excel）", " template (Excel)"}.in(l)})
	}
	render := func(status int) {
		crumbs := []linkView{{Href: link(l, "/desk"), Label: txt{"我的工作台", "My desks"}.in(l)}, {Href: link(l, "/c/"+d.id+"/desk"), Label: d.name()}}
		w.render(rw, r, s, status, "import.html", txt{"从表格导入", "Import from a spreadsheet"}.in(l), crumbs, iv)
	}
	if r.Method == http.MethodGet {
		render(http.StatusOK)
		return
	}

	filename, data, err := uploaded(r)
	if err != nil {
		iv.Top = append(iv.Top, err.Error())
		render(http.StatusBadRequest)
		return
	}
	if len(data) == 0 {
		iv.Top = append(iv.Top, txt{"请选择要上传的文件（.xlsx 或 .csv）。", "Choose a file to upload (.xlsx or .csv)."}.in(l))
		render(http.StatusUnprocessableEntity)
		return
	}
	kind := chosen
	if kind == "" {
		if kind, err = importer.Detect(filename, data); err != nil {
			iv.Top = append(iv.Top, importErrorText(l, err)...)
			render(http.StatusUnprocessableEntity)
			return
		}
	}
	allowed := false
	for _, k := range kinds {
		allowed = allowed || k == kind
	}
	if !allowed {
		iv.Top = append(iv.Top, txt{"您的角色无权导入此类表格（" + kindName("zh", kind) + "）。", "Your roles do not allow importing " + string(kind) + "."}.in(l))
		render(http.StatusForbidden)
		return
	}
	plan, err := importer.Parse(kind, filename, data)
	if err != nil {
		var rep *importer.Report
		if errors.As(err, &rep) {
			iv.Top = append(iv.Top, fmt.Sprintf(txt{"表格中有 %d 处错误，未记录任何内容。请改正后重新上传。", "%d error(s) in the file; nothing was recorded. Correct them and upload again."}.in(l), len(rep.Errors)))
			for _, e := range rep.Errors {
				iv.RowErrors = append(iv.RowErrors, cellErrorText(l, e))
			}
		} else {
			iv.Top = append(iv.Top, importErrorText(l, err)...)
		}
		render(http.StatusUnprocessableEntity)
		return
	}
	if r.FormValue("action") != "confirm" {
		iv.Preview = w.preview(s, plan, filename, data)
		render(http.StatusOK)
		return
	}
	res, err := w.d.Commands.Execute(r.Context(), command.Request{Community: d.id, IdempotencyKey: plan.IdempotencyKey,
		Actor: s.actor, Commands: plan.Commands})
	if err != nil {
		var ce *command.Error
		if errors.As(err, &ce) {
			fc := &formCtx{w: w, s: s, desk: d, def: &formDef{typ: ce.Type}, now: w.d.Now()}
			p := newParser(l, values{}, nil, "", nil)
			fc.addError(p, ce.Err)
			var rows []string
			for _, n := range importer.RowsForCommand(plan, ce.Index) {
				rows = append(rows, fmt.Sprintf(txt{"第%d行", "row %d"}.in(l), n))
			}
			where := strings.Join(rows, txt{"、", ", "}.in(l))
			for _, t := range p.top {
				iv.RowErrors = append(iv.RowErrors, where+txt{"：", ": "}.in(l)+t.in(l))
			}
			for _, k := range sortedErrs(p.errs) {
				iv.RowErrors = append(iv.RowErrors, where+txt{"：", ": "}.in(l)+p.errs[k].in(l))
			}
			iv.Top = append(iv.Top, txt{"账本拒绝了其中一条记录，整个文件未记录任何内容。请改正后重新上传。",
				"The ledger refused one of the records; nothing of the file was recorded. Correct it and upload again."}.in(l))
			iv.Preview = w.preview(s, plan, filename, data)
			iv.Preview.Hidden = nil
			render(statusOf(err))
			return
		}
		p := newParser(l, values{}, nil, "", nil)
		(&formCtx{w: w, s: s, desk: d, def: &formDef{typ: "import"}}).addError(p, err)
		for _, t := range p.top {
			iv.Top = append(iv.Top, t.in(l))
		}
		iv.Preview = w.preview(s, plan, filename, data)
		render(statusOf(err))
		return
	}
	rc := receipt{Form: "import", Community: d.id, Aggregate: string(plan.Kind), Seqs: seqsOf(res), At: w.d.Now().Unix(),
		Replayed: res.Replayed, Ref: strconv.Itoa(len(plan.Commands))}
	http.Redirect(rw, r, rc.url(s), http.StatusSeeOther)
}

// uploaded returns the file of an import form: the upload, or on the
// confirmation the file carried in its hidden field.
func uploaded(r *http.Request) (string, []byte, error) {
	if b64 := r.FormValue("file_data"); b64 != "" {
		data, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(data) > importer.MaxFileSize {
			return "", nil, errors.New("文件数据有误，请重新上传。(The file's data is damaged: upload it again.)")
		}
		return r.FormValue("file_name"), data, nil
	}
	if r.MultipartForm == nil {
		return "", nil, nil
	}
	fhs := r.MultipartForm.File["file"]
	if len(fhs) == 0 {
		return "", nil, nil
	}
	f, err := fhs[0].Open()
	if err != nil {
		return "", nil, errors.New("无法读取上传的文件。(The upload could not be read.)")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, importer.MaxFileSize+1))
	if err != nil {
		return "", nil, errors.New("无法读取上传的文件。(The upload could not be read.)")
	}
	if len(data) > importer.MaxFileSize {
		return "", nil, fmt.Errorf("文件超过 %d MB，未记录任何内容。(The file is over %d MB; nothing was recorded.)", importer.MaxFileSize>>20, importer.MaxFileSize>>20)
	}
	return fhs[0].Filename, data, nil
}

func cellErrorText(lang string, e importer.CellError) string {
	if lang == "en" {
		where := fmt.Sprintf("row %d", e.Row)
		if e.Column != "" {
			where += ", column " + e.Column
			if e.Header != "" {
				where += " (" + e.Header + ")"
			}
		}
		return where + ": " + e.Reason
	}
	return e.Place() + "：" + e.ReasonZH
}

func importErrorText(lang string, err error) []string {
	var fe *importer.FileError
	var rep *importer.Report
	switch {
	case errors.As(err, &rep):
		var out []string
		for _, e := range rep.Errors {
			out = append(out, cellErrorText(lang, e))
		}
		return out
	case errors.As(err, &fe):
		return []string{txt{fe.ReasonZH + "。未记录任何内容。", fe.Reason + "; nothing was recorded."}.in(lang)}
	}
	return []string{txt{"文件无法导入：" + err.Error(), "The file cannot be imported: " + err.Error()}.in(lang)}
}

// preview shows a plan: a line per command with the rows it came from.
func (w *Workbench) preview(s *session, plan *importer.Plan, filename string, data []byte) *previewView {
	l := s.lang
	pv := &previewView{Kind: string(plan.Kind), KindName: kindName(l, plan.Kind), Filename: filename, Rows: plan.Rows, Commands: len(plan.Commands),
		Hidden: []kv{{"csrf", s.csrf}, {"kind", string(plan.Kind)}, {"file_name", filename}, {"file_data", base64.StdEncoding.EncodeToString(data)}}}
	const show = 200
	for i, c := range plan.Commands {
		if i == show {
			pv.More = fmt.Sprintf(txt{"……另有 %d 条未列出", "… and %d more"}.in(l), len(plan.Commands)-show)
			break
		}
		var rows []string
		for _, n := range importer.RowsForCommand(plan, i) {
			rows = append(rows, strconv.Itoa(n))
		}
		pv.Lines = append(pv.Lines, []string{strings.Join(rows, ","), w.typeName(l, c.Type), c.AggregateID, dateOf(l, c.EffectiveDate), commandSummary(l, c)})
	}
	return pv
}

func (w *Workbench) typeName(lang, typ string) string {
	for _, f := range w.forms {
		if f.typ == typ {
			return f.title.in(lang)
		}
	}
	return typ
}

func dateOf(lang, s string) string {
	d, err := domain.ParseDate(s)
	if err != nil {
		return s
	}
	return dateText(lang, d)
}

// commandSummary shows the gist of a command's data in a line.
func commandSummary(lang string, c command.Command) string {
	var m map[string]any
	if json.Unmarshal(c.Data, &m) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"number", "title", "summary", "document", "source", "line", "resolution"} {
		switch x := m[k].(type) {
		case string:
			if x != "" {
				if k == "source" && domain.SourceZH(x) != "" && lang != "en" {
					x = domain.SourceZH(x)
				}
				parts = append(parts, x)
			}
		case float64:
			parts = append(parts, txt{"第" + strconv.Itoa(int(x)) + "号", "no. " + strconv.Itoa(int(x))}.in(lang))
		}
	}
	if a, ok := m["amount"].(string); ok {
		if f, err := domain.ParseYuan(a); err == nil {
			parts = append(parts, yuanText(lang, f))
		}
	}
	if ls, ok := m["lines"].([]any); ok {
		var debit domain.Fen
		for _, x := range ls {
			if line, ok := x.(map[string]any); ok {
				for _, k := range []string{"debit", "amount"} {
					if a, ok := line[k].(string); ok {
						if f, err := domain.ParseYuan(a); err == nil {
							debit += f
						}
					}
				}
			}
		}
		parts = append(parts, fmt.Sprintf(txt{"%d行，合计 %s", "%d lines, total %s"}.in(lang), len(ls), yuanText(lang, debit)))
	}
	return strings.Join(parts, " · ")
}

// handleTemplate serves the workbook to fill in for a kind:
// /c/{community}/desk/import/template/{kind}.xlsx.
func (w *Workbench) handleTemplate(rw http.ResponseWriter, r *http.Request, s *session) {
	d, ok := w.desk(rw, r, s)
	if !ok {
		return
	}
	name, ok := strings.CutSuffix(r.PathValue("file"), ".xlsx")
	kind := importer.Kind(name)
	if !ok || kindName("en", kind) == string(kind) {
		w.errorPage(rw, r, s, http.StatusNotFound, txt{"没有这种模板。", "There is no such template."})
		return
	}
	b, err := importer.Template(kind)
	if err != nil {
		w.d.Log.Error("workbench: template", "kind", kind, "community", d.id, "err", err)
		w.errorPage(rw, r, s, http.StatusInternalServerError, txt{"模板生成失败。", "The template could not be made."})
		return
	}
	file := "gongkai-" + string(kind) + ".xlsx"
	zh := "gongkai-" + kindName("zh", kind) + "模板.xlsx"
	rw.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	rw.Header().Set("Content-Disposition", `attachment; filename="`+file+`"; filename*=UTF-8''`+url.PathEscape(zh))
	rw.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = rw.Write(b)
}
