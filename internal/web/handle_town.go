package web

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/audit"
)

// The town's page (/town/{town}): every community registered in the town
// with its current state as the town looks at it — the disclosures the
// catalogue required that are overdue, residents' questions unanswered past
// their deadline, and the compliance findings of this year and last — each
// linking to the community's own page.

func (s *Server) townRoutes() {
	s.mux.HandleFunc("GET /town/{town}", s.handleTownPage)
}

// townRow is one community on the town's page.
type townRow struct {
	Community, Name string
	// Overdue are the required disclosures overdue today (the first few
	// listed), OverdueCount all of them.
	Overdue      []obligationLine
	OverdueCount int
	// Unanswered counts the questions not answered yet, Late those of
	// them past their deadline.
	Unanswered, Late int
	// Findings counts this year's and last year's findings, High the
	// high-severity ones; Rules names them.
	Findings, High int
	Rules          []string
	// Published counts the items published.
	Published int
}

type townPage struct {
	Town  string
	Today domain.Date
	Rows  []townRow
}

// badTownName reports whether a town's name from a URL cannot be one a
// community registered (1 to 100 characters of one line, no markup).
func badTownName(town string) bool {
	return town == "" || !utf8.ValidString(town) || utf8.RuneCountInString(town) > 100 || strings.ContainsAny(town, "<>")
}

// communitiesIn returns the ids of the communities registered in town.
func (s *Server) communitiesIn(town string) []string {
	var out []string
	for _, c := range s.Commands.Communities() {
		if strings.HasPrefix(c, "_") {
			continue
		}
		st, _ := s.Commands.State(c, domain.AggregateCommunity, c)
		if cm, ok := st.(*domain.Community); ok && cm != nil && cm.Town == town {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

func (s *Server) handleTownPage(w http.ResponseWriter, r *http.Request) {
	town := r.PathValue("town")
	if badTownName(town) {
		s.errorPage(w, r, badRequest("bad_town", "The town's name is not valid.", "乡镇名称无效。"))
		return
	}
	ids := s.communitiesIn(town)
	if len(ids) == 0 {
		s.errorPage(w, r, Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
			Detail: "No community is registered in " + town + ".", DetailZH: "没有登记在" + town + "的社区或村。"})
		return
	}
	today := domain.DateOf(s.Now())
	page := townPage{Town: town, Today: today}
	for _, c := range ids {
		v, err := s.Board.Board(r.Context(), c)
		if err != nil {
			continue
		}
		row := townRow{Community: c, Name: v.Name}
		dv, err := s.disclosuresView(r, v)
		if err != nil {
			s.pageProblem(w, r, err)
			return
		}
		row.OverdueCount, row.Published = len(dv.Overdue), len(dv.Published)
		row.Overdue = dv.Overdue[:min(3, len(dv.Overdue))]
		for _, q := range v.Questions {
			if q.AnsweredOn.IsZero() {
				row.Unanswered++
				if today.After(q.Due) {
					row.Late++
				}
			}
		}
		if s.Audit != nil {
			if fs, err := s.townFindings(r, c, today); err == nil {
				for _, f := range fs {
					row.Findings++
					if f.Severity == "high" {
						row.High++
					}
					if !slices.Contains(row.Rules, f.TitleZH) {
						row.Rules = append(row.Rules, f.TitleZH)
					}
				}
			}
		}
		page.Rows = append(page.Rows, row)
	}
	s.render(w, r, http.StatusOK, "town.html", page)
}

// townFindings returns a community's findings of this year and last.
func (s *Server) townFindings(r *http.Request, community string, today domain.Date) ([]audit.Finding, error) {
	h, err := s.Audit.History(r.Context(), community)
	if err != nil {
		return nil, err
	}
	var out []audit.Finding
	for _, f := range h.Findings(s.Now(), audit.DefaultThresholds()) {
		if f.Year >= today.Year-1 {
			out = append(out, f)
		}
	}
	return out, nil
}
