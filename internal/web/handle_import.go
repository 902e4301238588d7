package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/importer"
)

// handleImport records a spreadsheet (XLSX or CSV, the raw file as the
// body) in one atomic batch: every row is checked first and every error
// reported with its row and column; the same file again records nothing
// (the idempotency key is the file's hash). ?dry_run=1 checks the file and
// decides every command against the books as they are, recording nothing.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	community := r.PathValue("community")
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if !domain.ValidCommunityID(community) {
		writeProblem(w, badRequest("bad_community", "The community id must be 1 to 64 characters of a-z, 0-9 and -.",
			"社区编号须为 1 至 64 个小写字母、数字或 -。"))
		return
	}
	if !s.mayWrite(p, community) {
		writeProblem(w, Problem{Status: http.StatusForbidden, Title: "Forbidden", TitleZH: "无权操作", Code: "forbidden",
			Detail: "This token may not write to community " + community + ".", DetailZH: "此令牌无权向该社区写入。"})
		return
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, importer.MaxFileSize))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeProblem(w, Problem{Status: http.StatusRequestEntityTooLarge, Title: "File too large", TitleZH: "文件过大", Code: "too_large",
			Detail:   fmt.Sprintf("The file is over %d bytes; nothing was recorded.", importer.MaxFileSize),
			DetailZH: fmt.Sprintf("文件超过 %d 字节，未记录任何内容。", importer.MaxFileSize)})
		return
	}
	if err != nil {
		writeProblem(w, badRequest("read_body", "Could not read the file.", "无法读取文件。"))
		return
	}
	kind := importer.Kind(r.URL.Query().Get("kind"))
	if kind == "" {
		if kind, err = importer.Detect("", data); err != nil {
			writeImportProblem(w, err)
			return
		}
	}
	plan, err := importer.Parse(kind, "", data)
	if err != nil {
		writeImportProblem(w, err)
		return
	}
	dry := r.URL.Query().Get("dry_run") == "1"
	res, err := s.Commands.Execute(r.Context(), command.Request{Community: community, IdempotencyKey: plan.IdempotencyKey, Actor: p,
		Commands: plan.Commands, DryRun: dry})
	if err != nil {
		prob := problemFor(err)
		var ce *command.Error
		if errors.As(err, &ce) {
			// Name the spreadsheet rows of the refused command.
			var rows []importer.CellError
			for _, row := range importer.RowsForCommand(plan, ce.Index) {
				rows = append(rows, importer.CellError{Row: row, Reason: prob.Detail, ReasonZH: prob.DetailZH})
			}
			writeImportRows(w, prob, rows)
			return
		}
		s.fail(w, r, err)
		return
	}
	if dry {
		// Checked as the real import would be, against the books as they
		// are now; a file imported before says so.
		writeJSON(w, http.StatusOK, map[string]any{"dry_run": true, "kind": plan.Kind, "rows": plan.Rows, "commands": len(plan.Commands),
			"idempotent_replay": res.Replayed})
		return
	}
	writeJSON(w, status(res), map[string]any{"results": res.Appends, "idempotent_replay": res.Replayed, "rows": plan.Rows,
		"kind": plan.Kind})
}

// writeImportProblem answers a file that could not be read or whose rows
// hold errors.
func writeImportProblem(w http.ResponseWriter, err error) {
	var rep *importer.Report
	var fe *importer.FileError
	switch {
	case errors.As(err, &rep):
		writeImportRows(w, Problem{Status: http.StatusUnprocessableEntity, Code: "import_rows", Title: "Rows with errors", TitleZH: "表格有误",
			Detail:   fmt.Sprintf("%d error(s) in the file's rows; nothing was recorded.", len(rep.Errors)),
			DetailZH: fmt.Sprintf("表格中有 %d 处错误，未记录任何内容。请改正后重新上传。", len(rep.Errors))}, rep.Errors)
	case errors.As(err, &fe):
		writeProblem(w, Problem{Status: http.StatusUnprocessableEntity, Code: "import_file", Title: "File not imported", TitleZH: "文件无法导入",
			Detail: fe.Reason + "; nothing was recorded.", DetailZH: fe.ReasonZH + "。未记录任何内容。"})
	default:
		writeProblem(w, badRequest("import", err.Error(), "文件无法导入。"))
	}
}

// writeImportRows writes a problem with each row error as a field error
// ("第437行 E列（借方金额）") and, for programs, as "rows".
func writeImportRows(w http.ResponseWriter, p Problem, rows []importer.CellError) {
	for _, e := range rows {
		p.Errors = append(p.Errors, domain.FieldError{Field: e.Place(), Reason: e.Reason, ReasonZH: e.ReasonZH})
	}
	if p.Status == 0 {
		p.Status = http.StatusUnprocessableEntity
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(struct {
		Problem
		Rows []importer.CellError `json:"rows"`
	}{p, rows})
}
