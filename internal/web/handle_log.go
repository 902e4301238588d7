package web

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gongkai/gongkai/domain"
)

func (s *Server) noLog(w http.ResponseWriter) bool {
	if s.TLog == nil {
		writeProblem(w, Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "no_log",
			Detail: "This server keeps no verifiable log.", DetailZH: "本服务器未启用可验证日志。"})
		return true
	}
	return false
}

// handleCheckpoint serves the latest signed checkpoint, byte for byte as
// stored, cosignatures included.
func (s *Server) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	if s.noLog(w) {
		return
	}
	signed, _, _ := s.TLog.Latest()
	if signed == nil {
		writeProblem(w, Problem{Status: http.StatusNotFound, Title: "No checkpoint yet", TitleZH: "尚无检查点", Code: "no_checkpoint",
			Detail: "The log has not published a checkpoint yet.", DetailZH: "日志尚未发布检查点。"})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(signed)
}

func (s *Server) handleLogKey(w http.ResponseWriter, r *http.Request) {
	if s.noLog(w) {
		return
	}
	if s.LogKey == "" {
		writeProblem(w, Problem{Status: http.StatusNotFound, Title: "No key", TitleZH: "无公钥", Code: "no_key",
			Detail: "This server does not sign checkpoints.", DetailZH: "本服务器不签署检查点。"})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, s.LogKey)
}

func uintParam(r *http.Request, name string, def uint64) (uint64, *Problem) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		p := badRequest("bad_query", name+" must be a whole number", name+" 须为非负整数",
			domain.FieldError{Field: name, Reason: "not a number", ReasonZH: "不是整数"})
		return 0, &p
	}
	return n, nil
}

func b64(hashes [][]byte) []string {
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

// handleInclusion serves the inclusion proof of the event at stream
// sequence seq in the tree of size (default: the latest checkpoint's).
func (s *Server) handleInclusion(w http.ResponseWriter, r *http.Request) {
	if s.noLog(w) {
		return
	}
	_, cp, _ := s.TLog.Latest()
	seq, p := uintParam(r, "seq", 0)
	if p == nil {
		var size uint64
		if size, p = uintParam(r, "size", cp.Size); p == nil {
			hashes, err := s.TLog.InclusionProof(seq-1, size)
			if err != nil || seq == 0 {
				p = &Problem{Status: http.StatusNotFound, Title: "No such proof", TitleZH: "无此证明", Code: "no_proof",
					Detail: fmt.Sprintf("no leaf for sequence %d in a tree of size %d", seq, size), DetailZH: "该序号不在指定大小的树中。"}
			} else {
				writeJSON(w, http.StatusOK, map[string]any{"origin": s.TLog.Origin(), "stream_seq": seq, "leaf_index": seq - 1,
					"tree_size": size, "hashes": b64(hashes)})
				return
			}
		}
	}
	writeProblem(w, *p)
}

// handleConsistency serves the consistency proof between two tree sizes.
func (s *Server) handleConsistency(w http.ResponseWriter, r *http.Request) {
	if s.noLog(w) {
		return
	}
	from, p := uintParam(r, "from", 0)
	if p == nil {
		var to uint64
		if to, p = uintParam(r, "to", 0); p == nil {
			hashes, err := s.TLog.ConsistencyProof(from, to)
			if err != nil {
				p = &Problem{Status: http.StatusNotFound, Title: "No such proof", TitleZH: "无此证明", Code: "no_proof",
					Detail: err.Error(), DetailZH: "无法给出这两个大小之间的一致性证明。"}
			} else {
				writeJSON(w, http.StatusOK, map[string]any{"origin": s.TLog.Origin(), "from": from, "to": to, "hashes": b64(hashes)})
				return
			}
		}
	}
	writeProblem(w, *p)
}

// handleBundle serves the offline proof bundle of one event.
func (s *Server) handleBundle(w http.ResponseWriter, r *http.Request) {
	if s.noLog(w) {
		return
	}
	seq, p := uintParam(r, "seq", 0)
	if p != nil {
		writeProblem(w, *p)
		return
	}
	b, err := s.TLog.Bundle(r.Context(), seq)
	if err != nil {
		writeProblem(w, Problem{Status: http.StatusNotFound, Title: "No bundle", TitleZH: "无法生成证明包", Code: "no_proof",
			Detail: err.Error(), DetailZH: "该事件尚未包含在已签署的检查点中，请稍后再试。"})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="gongkai-proof-%d.txt"`, seq))
	w.Write(b)
}

// segmentProblem is the answer when a segment cannot be built.
func segmentProblem(err error) Problem {
	return Problem{Status: http.StatusNotFound, Title: "No such segment", TitleZH: "无此日志区段", Code: "no_segment",
		Detail: err.Error(), DetailZH: "无法给出该区段的证明：起止大小须为已签署检查点的大小（起点可为 0）。"}
}

// handleSegment serves the segment bundle between two checkpoint sizes.
func (s *Server) handleSegment(w http.ResponseWriter, r *http.Request) {
	if s.noLog(w) {
		return
	}
	from, p := uintParam(r, "from", 0)
	var to uint64
	if p == nil {
		_, cp, _ := s.TLog.Latest()
		to, p = uintParam(r, "to", cp.Size)
	}
	if p != nil {
		writeProblem(w, *p)
		return
	}
	b, err := s.TLog.Segment(r.Context(), from, to)
	if err != nil {
		writeProblem(w, segmentProblem(err))
		return
	}
	writeSegment(w, fmt.Sprintf("gongkai-segment-%d-%d.json", from, to), b)
}

func writeSegment(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, name))
	w.Write(b)
}

// handleYearSegment serves the year-end segment of a community's closed
// fiscal year (yearSegment).
func (s *Server) handleYearSegment(w http.ResponseWriter, r *http.Request) {
	if s.noLog(w) {
		return
	}
	community := r.PathValue("community")
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || year < 1900 || year > 9999 {
		writeProblem(w, badRequest("bad_query", "year must be a fiscal year such as 2025", "年度须为如 2025 的年份",
			domain.FieldError{Field: "year", Reason: "not a year", ReasonZH: "不是年份"}))
		return
	}
	b, p := s.yearSegment(r.Context(), community, year)
	if p != nil {
		writeProblem(w, *p)
		return
	}
	writeSegment(w, fmt.Sprintf("gongkai-%s-%d-segment.json", community, year), b)
}

// yearSegment builds the year-end segment of a community's closed fiscal
// year: from the first checkpoint that covers the previous year's close
// (the empty tree if that year was never closed) to the first that covers
// this year's close.
func (s *Server) yearSegment(ctx context.Context, community string, year int) ([]byte, *Problem) {
	closes, err := s.Finance.YearCloses(ctx, community)
	if err != nil {
		p := s.readProblem(err)
		return nil, &p
	}
	end, ok := closes[year]
	if !ok {
		return nil, &Problem{Status: http.StatusNotFound, Title: "Year not closed", TitleZH: "年度尚未结账", Code: "year_not_closed",
			Detail:   fmt.Sprintf("%s has not closed fiscal year %d", community, year),
			DetailZH: fmt.Sprintf("%s 的 %d 年度尚未年终结账，结账后方可下载年度区段证明。", community, year)}
	}
	var from uint64
	if start, ok := closes[year-1]; ok {
		_, cp, err := s.TLog.CheckpointCovering(ctx, start)
		if err != nil {
			p := segmentProblem(err)
			return nil, &p
		}
		from = cp.Size
	}
	_, cp, err := s.TLog.CheckpointCovering(ctx, end)
	if err != nil {
		p := segmentProblem(err)
		return nil, &p
	}
	b, err := s.TLog.Segment(ctx, from, cp.Size)
	if err != nil {
		p := segmentProblem(err)
		return nil, &p
	}
	return b, nil
}
