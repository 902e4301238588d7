package web

import (
	"net/http"

	"github.com/gongkai/gongkai/internal/projector"
)

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz answers 503 until the command service and every read model
// have caught up with the stream as it was when they started.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ready := s.Commands.Ready()
	statuses := make([]projector.Status, 0, len(s.Runners))
	for _, rn := range s.Runners {
		st := rn.Status()
		ready = ready && st.Ready
		statuses = append(statuses, st)
	}
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, map[string]any{"ready": ready, "fsync": s.Fsync, "commands_ready": s.Commands.Ready(), "read_models": statuses})
}
