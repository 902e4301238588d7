package web

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/audit"
	"github.com/gongkai/gongkai/internal/export"
)

// Auditor builds the auditor's report of a community's year from the log
// (internal/audit over the community's own events).
type Auditor interface {
	AuditReport(ctx context.Context, community string, o audit.Options) (*audit.Report, error)
	// History returns the community's facts (empty when it has none).
	History(ctx context.Context, community string) (audit.History, error)
}

func (s *Server) auditRoutes() {
	s.mux.HandleFunc("GET /api/v1/communities/{community}/audit/{year}", s.handleAuditJSON)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/audit/{year}/package", s.handleAuditPackage)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/audit/{year}/books.xlsx", s.handleAuditWorkbook)
	s.mux.HandleFunc("GET /c/{community}/audit/{year}", s.handleAuditPage)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/open-data.zip", s.handleOpenData)
}

// workbook writes the year's books as recorded at asOf (everything when
// zero) as an XLSX workbook (internal/export).
func (s *Server) workbook(ctx context.Context, h audit.History, community string, year int, asOf time.Time) ([]byte, error) {
	v, err := h.View(ctx, community, asOf)
	if err != nil {
		return nil, err
	}
	name := community
	if bv, err := v.Board.Board(ctx, community); err == nil {
		name = bv.Name
	}
	f, err := export.Workbook(ctx, v.Finance, community, name, year)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// handleAuditWorkbook serves an auditor the year's journal, ledgers, trial
// balance and statements as recorded at ?as_of= as an Excel workbook.
func (s *Server) handleAuditWorkbook(w http.ResponseWriter, r *http.Request) {
	a, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	c := r.PathValue("community")
	if !domain.ValidCommunityID(c) || !s.mayAudit(a, c) {
		writeProblem(w, forbiddenAudit)
		return
	}
	o, bad := auditOptions(r)
	if bad != nil {
		writeProblem(w, *bad)
		return
	}
	h, err := s.Audit.History(r.Context(), c)
	if err == nil && len(h) == 0 {
		err = &domain.NotFoundError{What: "community", ID: c}
	}
	var b []byte
	if err == nil {
		b, err = s.workbook(r.Context(), h, c, o.Year, o.AsOf)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="gongkai-%s-%d.xlsx"`, c, o.Year))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// handleOpenData serves the public open-data export of a community's board
// and published disclosures (CSV with a data dictionary, in a zip).
func (s *Server) handleOpenData(w http.ResponseWriter, r *http.Request) {
	v, ok := s.board(w, r, func(p Problem) { writeProblem(w, p) })
	if !ok {
		return
	}
	files := export.OpenData(v)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: v.AsOf})
		if err == nil {
			_, err = fw.Write(files[n])
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := zw.Close(); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="gongkai-%s-open-data.zip"`, v.Community))
	w.Write(b.Bytes())
}

// handleAuditPackage serves the audit package of a community's year (a
// zip, internal/audit.WritePackage): the events with their proof bundles,
// the year-end segment when the year is closed, the statements and a
// README. Events recorded after the latest signed checkpoint are left out
// and counted in the manifest.
func (s *Server) handleAuditPackage(w http.ResponseWriter, r *http.Request) {
	a, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	c := r.PathValue("community")
	if !domain.ValidCommunityID(c) || !s.mayAudit(a, c) {
		writeProblem(w, forbiddenAudit)
		return
	}
	o, bad := auditOptions(r)
	if bad != nil {
		writeProblem(w, *bad)
		return
	}
	if s.noLog(w) {
		return
	}
	h, err := s.Audit.History(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(h) == 0 {
		s.fail(w, r, &domain.NotFoundError{What: "community", ID: c})
		return
	}
	seg, p := s.yearSegment(r.Context(), c, o.Year)
	if p != nil && p.Code != "year_not_closed" {
		writeProblem(w, *p)
		return
	}
	_, cp, _ := s.TLog.Latest()
	xlsx, err := s.workbook(r.Context(), h, c, o.Year, time.Time{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	err = audit.WritePackage(r.Context(), &buf, h, c, o.Year, audit.Proofs{Segment: seg, Bundle: s.TLog.Bundle, Covered: cp.Size, LogKey: s.LogKey}, s.Now(), xlsx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="gongkai-%s-%d-audit.zip"`, c, o.Year))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// auditOptions reads the year and ?as_of=&diff_as_of= (dates or RFC 3339
// times).
func auditOptions(r *http.Request) (audit.Options, *Problem) {
	bad := func(field, en, zh string) *Problem {
		p := badRequest("bad_query", en, zh, domain.FieldError{Field: field, Reason: en, ReasonZH: zh})
		return &p
	}
	var o audit.Options
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < 1949 || y > 9999 {
		return o, bad("year", "the year must be four digits, such as 2025", "年度须为四位数字，例如 2025")
	}
	o.Year = y
	if o.AsOf, err = audit.ParseAsOf(r.URL.Query().Get("as_of")); err != nil {
		return o, bad("as_of", "as_of must be a date (2026-01-31) or a time (2026-01-31T09:00:00+08:00)", "as_of 须为日期（2026-01-31）或时间（2026-01-31T09:00:00+08:00）")
	}
	if o.DiffAsOf, err = audit.ParseAsOf(r.URL.Query().Get("diff_as_of")); err != nil {
		return o, bad("diff_as_of", "diff_as_of must be a date or a time", "diff_as_of 须为日期或时间")
	}
	if !o.DiffAsOf.IsZero() && !o.DiffAsOf.After(o.AsOf) {
		return o, bad("diff_as_of", "diff_as_of must be later than as_of", "diff_as_of 须晚于 as_of")
	}
	return o, nil
}

// mayAudit reports whether an actor may read a community's audit view: an
// auditor of it or its town (or an administrator).
func (s *Server) mayAudit(a domain.Actor, community string) bool {
	return a.Has(domain.AccessAuditor, community, s.townOf(community))
}

var forbiddenAudit = Problem{Status: http.StatusForbidden, Title: "Forbidden", TitleZH: "无权查看", Code: "forbidden",
	Detail: "Only an auditor of this community or its town sees its audit view.", DetailZH: "只有本社区或所在乡镇的审计人员可以查看审计视图。"}

func (s *Server) handleAuditJSON(w http.ResponseWriter, r *http.Request) {
	a, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	c := r.PathValue("community")
	if !domain.ValidCommunityID(c) {
		writeProblem(w, badRequest("bad_community", "The community id must be 1 to 64 characters of a-z, 0-9 and -.", "社区编号须为 1 至 64 个小写字母、数字或 -。"))
		return
	}
	if !s.mayAudit(a, c) {
		writeProblem(w, forbiddenAudit)
		return
	}
	o, bad := auditOptions(r)
	if bad != nil {
		writeProblem(w, *bad)
		return
	}
	o.Now = s.Now()
	rep, err := s.Audit.AuditReport(r.Context(), c, o)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// auditPage is the report for a signed-in auditor, as text laid out for
// print, with links to its JSON.
type auditPage struct {
	Community, Name string
	Year            int
	AsOf, DiffAsOf  string
	Text            string
}

func (s *Server) handleAuditPage(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	c := r.PathValue("community")
	if !domain.ValidCommunityID(c) || !s.mayAudit(a, c) {
		s.renderPrivate(w, r, http.StatusForbidden, "error.html", forbiddenAudit)
		return
	}
	o, bad := auditOptions(r)
	if bad != nil {
		s.renderPrivate(w, r, bad.Status, "error.html", *bad)
		return
	}
	o.Now = s.Now()
	rep, err := s.Audit.AuditReport(r.Context(), c, o)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		s.pageProblem(w, r, err)
		return
	}
	s.renderPrivate(w, r, http.StatusOK, "audit.html", auditPage{Community: c, Name: rep.Name, Year: o.Year,
		AsOf: r.URL.Query().Get("as_of"), DiffAsOf: r.URL.Query().Get("diff_as_of"), Text: b.String()})
}
