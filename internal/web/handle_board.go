package web

import (
	"errors"
	"net/http"

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

func (s *Server) handleBoardPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "board.html", boardPage{BoardView: v, Checkpoint: s.checkpointOf(), Rejected: s.rejectedIn(v.Community), Names: s.actorNames()})
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
}

// actorNames maps every actor id the log may name to a name for a page.
func (s *Server) actorNames() map[string]string {
	names := map[string]string{"admin": "管理员", "demo": "示例数据"}
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
