package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gongkai/gongkai/internal/guard"
)

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readModelStatus is one read model in /readyz.
type readModelStatus struct {
	Name     string `json:"name"`
	Backend  string `json:"backend"`
	Ready    bool   `json:"ready"`
	Role     string `json:"role,omitempty"`
	Position uint64 `json:"position"`
	// LagEvents is how many stream events the read model has not applied;
	// LagSeconds how long ago the oldest of them was stored.
	LagEvents  uint64  `json:"lag_events"`
	LagSeconds float64 `json:"lag_seconds"`
	Error      string  `json:"error,omitempty"`
}

// readModels reports every read model with its lag behind the stream.
func (s *Server) readModels(ctx context.Context) (uint64, []readModelStatus) {
	last, _ := s.Ledger.LastSeq(ctx)
	var out []readModelStatus
	if s.ReadModels != nil {
		for _, st := range s.ReadModels() {
			out = append(out, readModelStatus{Name: st.Name, Backend: st.Backend, Role: st.Role, Position: st.Position,
				Ready: st.Ready, Error: st.Error})
		}
	}
	now := s.Now()
	for i := range out {
		rm := &out[i]
		if rm.Position > last {
			// The read model has applied events the log does not have: the
			// log was restored from an older backup than the database.
			rm.Ready = false
			rm.Error = fmt.Sprintf("read model at sequence %d is ahead of the log (last %d): restore or rebuild the read models", rm.Position, last)
		}
		if rm.Position < last {
			rm.LagEvents = last - rm.Position
			if t, err := s.Ledger.StoredAt(ctx, rm.Position+1); err == nil {
				rm.LagSeconds = now.Sub(t).Seconds()
			}
		}
	}
	return last, out
}

// handleReadyz answers 503 until the command service and every read model
// have caught up with the stream as it was when they started, and while a
// PostgreSQL read model cannot be reached. It reports each read model's lag.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	// Whether the demo is loading is read first: read after the stream's
	// last sequence, a demo that finished in between would make a 200
	// whose body reports the stream as it was mid-load.
	demoLoading := s.DemoLoading != nil && s.DemoLoading()
	ready := s.Commands.Ready()
	last, rms := s.readModels(r.Context())
	for _, rm := range rms {
		ready = ready && rm.Ready
	}
	var reasons []string
	writes := map[string]any{"ok": true}
	if s.Guard != nil {
		if err := s.Guard.Err(); err != nil {
			ready = false
			writes = map[string]any{"ok": false, "reason": err.Error()}
			var be *guard.BlockedError
			if errors.As(err, &be) {
				writes["problems"] = be.Problems
			}
			reasons = append(reasons, err.Error())
		}
	}
	if demoLoading {
		ready = false
		reasons = append(reasons, "the demo community is still loading")
	}
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	body := map[string]any{"ready": ready, "fsync": s.Fsync, "commands_ready": s.Commands.Ready(),
		"stream_last_seq": last, "read_models": rms, "writes": writes}
	if demoLoading {
		body["demo_loading"] = true
	}
	if len(reasons) > 0 {
		body["reasons"] = reasons
	}
	if rej := s.rejected(); len(rej) > 0 {
		// An alarm, not a reason to refuse writes: these messages are
		// left out of everything gongkai shows (docs/deploy.md, "Alarms").
		body["alarm"] = fmt.Sprintf("%d stored message(s) are not facts (no valid writer signature or a copy); first at stream sequence %d", len(rej), rej[0].Seq)
		body["rejected_messages"] = rej[:min(len(rej), 50)]
	}
	if s.TLog != nil {
		body["verifiable_log"] = s.TLog.Status()
	}
	writeJSON(w, code, body)
}
