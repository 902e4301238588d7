package web

import (
	"cmp"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

func (s *Server) handleBoardJSON(w http.ResponseWriter, r *http.Request) {
	v, ok := s.board(w, r, func(p Problem) { writeProblem(w, p) })
	if !ok {
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, v)
}

// handleBoardPage shows the board for residents: one line per matter,
// newest first, the matters of one year (?year=YYYY; by default the
// current year in Beijing time, or the latest year with matters when the
// current year has none yet).
func (s *Server) handleBoardPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return
	}
	page := boardPage{BoardView: v, Checkpoint: s.checkpointOf(), Rejected: s.rejectedIn(v.Community), Names: s.actorNames()}
	lines := boardLines(v.Matters)
	for _, l := range lines {
		if !slices.Contains(page.Years, l.Date.Year) {
			page.Years = append(page.Years, l.Date.Year)
		}
	}
	slices.Sort(page.Years)
	slices.Reverse(page.Years)
	page.Year = domain.DateOf(s.Now()).Year
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1900 || n > 9999 {
			s.errorPage(w, r, badRequest("bad_year", "The year must be four digits, such as 2025.", "年度须为四位数字，例如 2025。"))
			return
		}
		page.Year = n
	} else if len(page.Years) > 0 && !slices.Contains(page.Years, page.Year) {
		page.Fallback, page.Year = page.Year, page.Years[0]
	}
	for _, l := range lines {
		if l.Date.Year == page.Year {
			page.Lines = append(page.Lines, l)
		}
	}
	dv, err := s.disclosuresView(r, v)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	page.Overdue, page.Published = len(dv.Overdue), dv.Published
	if len(page.Published) > 3 {
		page.Published = page.Published[:3]
	}
	s.render(w, r, http.StatusOK, "board.html", page)
}

// boardPage is the board with the latest checkpoint.
type boardPage struct {
	projections.BoardView
	Checkpoint *checkpointPanel
	// Rejected are messages on this community's subjects that are not
	// facts (no valid writer signature): the page says they were left out.
	Rejected []Rejection
	// Names maps who recorded each stage (an account's login, a token's
	// id) to the name shown.
	Names map[string]string
	// Year is the year shown, Years the years that have matters, newest
	// first; Fallback, when not 0, is the current year, which has none.
	Year     int
	Years    []int
	Fallback int
	// Lines are the year's matters, newest first.
	Lines []boardLine
	// Overdue counts the disclosures the catalogue required that are late;
	// Published are the latest published items.
	Overdue   int
	Published []publicDisclosure
}

// boardLine is one matter as a line of the board: Date is the date of its
// latest stage (corrections aside), which also places it in a year.
type boardLine struct {
	ID     string
	Title  string
	Stage  domain.Stage
	Failed bool // the assembly's latest vote failed
	Amount domain.Fen
	Date   domain.Date
	seq    uint64
}

// boardLines returns the matters as lines, newest first.
func boardLines(ms []projections.MatterRow) []boardLine {
	out := make([]boardLine, 0, len(ms))
	for _, m := range ms {
		l := boardLine{ID: m.ID, Title: m.Title, Stage: m.Stage, Amount: m.Amount, Failed: m.Resolution != nil && !m.Resolution.Passed}
		for _, d := range m.Dates {
			if d.Stage != projections.StageCorrection && !d.Date.Before(l.Date) {
				l.Date = d.Date
			}
		}
		if len(m.Seqs) > 0 {
			l.seq = m.Seqs[len(m.Seqs)-1]
		}
		out = append(out, l)
	}
	slices.SortStableFunc(out, func(a, b boardLine) int {
		if c := strings.Compare(b.Date.String(), a.Date.String()); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	return out
}

// actorNames maps every actor id the log may name to a name for a page.
func (s *Server) actorNames() map[string]string {
	// The demo's actors (internal/demo: its loader and its reviewer) and
	// a resident asking from a public page.
	names := map[string]string{"admin": "管理员", "demo": "示例数据", "demo-jiandu": "示例监督委员会", domain.PublicActor: "居民"}
	if s.Access == nil {
		return names
	}
	for _, a := range s.Access.Accounts() {
		names[a.Login] = a.DisplayName
	}
	for _, t := range s.Access.Tokens("") {
		names[t.ID] = t.Label
	}
	return names
}

// rejected lists the stored messages that are not facts.
func (s *Server) rejected() []Rejection {
	if s.Ledger == nil {
		return nil
	}
	return s.Ledger.Rejected()
}

// rejectedIn returns the rejected messages on a community's subjects.
func (s *Server) rejectedIn(community string) []Rejection {
	var out []Rejection
	for _, r := range s.rejected() {
		if r.Community == community {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) board(w http.ResponseWriter, r *http.Request, fail func(Problem)) (projections.BoardView, bool) {
	c := r.PathValue("community")
	if !domain.ValidCommunityID(c) {
		fail(badRequest("bad_community", "The community id must be 1 to 64 characters of a-z, 0-9 and -.",
			"社区编号须为 1 至 64 个小写字母、数字或 -。"))
		return projections.BoardView{}, false
	}
	v, err := s.Board.Board(r.Context(), c)
	if errors.Is(err, projections.ErrNotFound) {
		fail(Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
			Detail: "No community " + c + " on this board.", DetailZH: "没有编号为 " + c + " 的社区。"})
		return v, false
	}
	if err != nil {
		s.Log.Error("board", "community", c, "err", err)
		fail(Problem{Status: http.StatusServiceUnavailable, Title: "Unavailable", TitleZH: "暂不可用", Code: "unavailable"})
		return v, false
	}
	return v, true
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "index.html", nil)
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	p := Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
		Detail: "No such page or endpoint.", DetailZH: "没有这个页面或接口。"}
	if len(r.URL.Path) > 4 && r.URL.Path[:5] == "/api/" {
		writeProblem(w, p)
		return
	}
	s.errorPage(w, r, p)
}
