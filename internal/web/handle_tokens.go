package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/auth"
)

// handleCreateToken issues a clerk token scoped to one community. Only the
// administrator may call it. The token is shown once; the log keeps its hash.
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	p, ok := s.admin(w, r, "issue tokens", "签发令牌")
	if !ok {
		return
	}
	var body struct {
		Community string `json:"community"`
		Label     string `json:"label"`
	}
	if !decodeBody(w, r, 64<<10, &body) {
		return
	}
	var fe []domain.FieldError
	if !domain.ValidCommunityID(body.Community) {
		fe = append(fe, domain.FieldError{Field: "community", Reason: "invalid community id", ReasonZH: "社区编号无效"})
	}
	if fe1, ok := checkLabel(body.Label); !ok {
		fe = append(fe, fe1)
	}
	if len(fe) > 0 {
		writeProblem(w, problemFor(&domain.ValidationError{Fields: fe}))
		return
	}
	token, hash := auth.NewToken()
	id := s.NewID()
	data, _ := json.Marshal(auth.TokenIssued{TokenID: id, Label: body.Label, SHA256: hash, Community: body.Community})
	now := s.Now()
	ev := eventstore.Event{ID: s.NewID(), Type: auth.EvTokenIssued, Schema: 1, Community: body.Community,
		AggregateType: auth.AggregateToken, AggregateID: id, EffectiveDate: domain.DateOf(now).String(),
		RecordedAt: now.UTC(), Actor: p.ID, Data: data}
	res, err := s.Store.Append(r.Context(), eventstore.Request{Community: body.Community, IdempotencyKey: "token:" + id, Fingerprint: id,
		Appends: []eventstore.Append{{AggregateType: auth.AggregateToken, AggregateID: id, Events: []eventstore.Event{ev}}}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Tokens.Apply(eventstore.Stored{Event: ev, Seq: res.Appends[0].Version})
	writeJSON(w, http.StatusCreated, map[string]any{"token_id": id, "community": body.Community, "label": body.Label, "token": token,
		"stream_seq": res.Appends[0].Version})
}

// handleRevokeToken revokes a clerk token (administrator only). The log
// records the revocation; the token stops working on every instance.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	p, ok := s.admin(w, r, "revoke tokens", "吊销令牌")
	if !ok {
		return
	}
	community, id := r.PathValue("community"), r.PathValue("id")
	if !domain.ValidCommunityID(community) || !s.Tokens.Known(community, id) {
		writeProblem(w, Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
			Detail: "No valid token " + id + " for community " + community + ".", DetailZH: "没有该社区的有效令牌。"})
		return
	}
	now := s.Now()
	ev := eventstore.Event{ID: s.NewID(), Type: auth.EvTokenRevoked, Schema: 1, Community: community,
		AggregateType: auth.AggregateToken, AggregateID: id, EffectiveDate: domain.DateOf(now).String(),
		RecordedAt: now.UTC(), Actor: p.ID, Data: json.RawMessage(`{}`)}
	version, err := s.Store.Version(r.Context(), eventstore.Subject(community, auth.AggregateToken, id))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.Store.Append(r.Context(), eventstore.Request{Community: community, IdempotencyKey: "revoke:" + id, Fingerprint: "revoke:" + id,
		Appends: []eventstore.Append{{AggregateType: auth.AggregateToken, AggregateID: id, ExpectedVersion: version, Events: []eventstore.Event{ev}}}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Tokens.Apply(eventstore.Stored{Event: ev, Seq: res.Appends[0].Version})
	writeJSON(w, http.StatusOK, map[string]any{"token_id": id, "community": community, "revoked": true, "stream_seq": res.Appends[0].Version})
}

// checkLabel checks a person's label for a token or a writer key: 1 to
// 100 characters, one line, no < or >.
func checkLabel(label string) (domain.FieldError, bool) {
	if n := utf8.RuneCountInString(label); n == 0 || n > 100 || strings.ContainsAny(label, "<>") || strings.IndexFunc(label, unicode.IsControl) >= 0 {
		return domain.FieldError{Field: "label", Reason: "required: at most 100 characters, one line, no < or >", ReasonZH: "必填：最多100个字符，单行，不能包含 < 或 >"}, false
	}
	return domain.FieldError{}, true
}

// admin authenticates the administrator; anyone else gets 401 or 403.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, what, whatZH string) (auth.Principal, bool) {
	p, ok := s.authenticate(w, r)
	if ok && !p.Admin {
		writeProblem(w, Problem{Status: http.StatusForbidden, Title: "Forbidden", TitleZH: "无权操作", Code: "forbidden",
			Detail: "Only the administrator can " + what + ".", DetailZH: "只有管理员可以" + whatZH + "。"})
		ok = false
	}
	return p, ok
}
