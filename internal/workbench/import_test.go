package workbench

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/importer"
)

func (b *testBench) upload(path string, fields url.Values, filename string, data []byte) *httptest.ResponseRecorder {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if filename != "" {
		fw, _ := mw.CreateFormFile("file", filename)
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rr := httptest.NewRecorder()
	b.w.ServeHTTP(rr, req)
	return rr
}

func TestImport(t *testing.T) {
	b := newBench(t)
	page := b.get("/c/wenhualu/desk/import")
	for _, want := range []string{`enctype="multipart/form-data"`, "/c/wenhualu/desk/import/template/vouchers.xlsx", `name="csrf" value="` + testCSRF + `"`} {
		if !strings.Contains(page.Body.String(), want) {
			t.Errorf("import page lacks %q", want)
		}
	}
	tpl := b.get("/c/wenhualu/desk/import/template/matters.xlsx")
	if tpl.Code != http.StatusOK || !strings.HasPrefix(tpl.Header().Get("Content-Type"), "application/vnd.openxmlformats") || tpl.Body.Len() < 1000 {
		t.Fatalf("template = %d %s, %d bytes", tpl.Code, tpl.Header().Get("Content-Type"), tpl.Body.Len())
	}
	file := tpl.Body.Bytes()

	// Without the CSRF token: refused, nothing recorded.
	if rr := b.upload("/c/wenhualu/desk/import", url.Values{"kind": {"matters"}}, "事项.xlsx", file); rr.Code != http.StatusForbidden {
		t.Errorf("upload without csrf = %d", rr.Code)
	}
	rr := b.upload("/c/wenhualu/desk/import", url.Values{"csrf": {testCSRF}, "kind": {"matters"}}, "事项.xlsx", file)
	if rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), "导入前请核对") {
		t.Fatalf("preview = %d\n%s", rr.Code, errorsOf(rr.Body.String()))
	}
	if len(b.fake.Requests) != 0 {
		t.Fatalf("the preview recorded something")
	}
	plan, err := importer.Parse(importer.Matters, "事项.xlsx", file)
	if err != nil {
		t.Fatal(err)
	}
	form := hiddenAndValues(rr.Body.String())
	form.Set("action", "confirm")
	first := b.upload("/c/wenhualu/desk/import", form, "", nil)
	if first.Code != http.StatusSeeOther {
		t.Fatalf("confirm = %d\n%s", first.Code, errorsOf(first.Body.String()))
	}
	req := b.fake.Requests[0]
	if req.IdempotencyKey != plan.IdempotencyKey || len(req.Commands) != len(plan.Commands) || req.Actor.ID != "lina" {
		t.Errorf("request: key %q, %d commands, want %q, %d", req.IdempotencyKey, len(req.Commands), plan.IdempotencyKey, len(plan.Commands))
	}
	// The same file again: recorded once.
	rr = b.upload("/c/wenhualu/desk/import", url.Values{"csrf": {testCSRF}, "action": {"confirm"}, "kind": {"matters"}}, "again.xlsx", file)
	if rr.Code != http.StatusSeeOther {
		t.Fatalf("again = %d", rr.Code)
	}
	if body := b.get(rr.Header().Get("Location")).Body.String(); !strings.Contains(body, "此文件已导入，未重复记录") {
		t.Errorf("the receipt of the same file does not say it was imported before")
	}

	// A refused command names its rows.
	b.fake.Fail = &command.Error{Index: 0, Type: domain.CmdRegisterMatter, Err: &domain.RuleError{Code: "x", Field: "aggregate_id", Reason: "taken", ReasonZH: "该编号的事项已登记"}}
	rr = b.upload("/c/wenhualu/desk/import", form, "", nil)
	if rr.Code != http.StatusUnprocessableEntity || !strings.Contains(rr.Body.String(), "第") || !strings.Contains(rr.Body.String(), "行：该编号的事项已登记") {
		t.Errorf("refused import = %d\n%s", rr.Code, errorsOf(rr.Body.String()))
	}

	// A file with errors shows them by row and column.
	bad := []byte("登记日期,事项编号,标题\n2026-13-01,m-x,修路\n")
	rr = b.upload("/c/wenhualu/desk/import", url.Values{"csrf": {testCSRF}, "kind": {"matters"}}, "bad.csv", bad)
	if rr.Code != http.StatusUnprocessableEntity || !strings.Contains(rr.Body.String(), "第2行 A列（登记日期）") {
		t.Errorf("bad file = %d\n%s", rr.Code, errorsOf(rr.Body.String()))
	}
}
