package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/command"
)

// handleCreateToken issues an API token scoped to one community, acting as
// its clerk and accountant or, with "account", as that account. The token
// is shown once; the log keeps its hash (a token.issue command).
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var body struct {
		Community string `json:"community"`
		Label     string `json:"label"`
		Account   string `json:"account"`
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
	token, id, res, err := s.issueToken(r, p, body.Community, body.Label, body.Account)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token_id": id, "community": body.Community, "label": body.Label,
		"account": body.Account, "token": token, "stream_seq": res.LastSeq()})
}

// issueToken records a new token and returns it (shown once).
func (s *Server) issueToken(r *http.Request, p domain.Actor, community, label, account string) (token, id string, res command.Result, err error) {
	token, hash := auth.NewToken()
	id = s.NewID()
	res, err = s.Commands.Execute(r.Context(), command.Request{Community: community, IdempotencyKey: "token:" + id, Actor: p,
		Commands: []command.Command{s.cmd(domain.CmdIssueToken, id, domain.IssueToken{Label: label, SHA256: hash, Account: account})}})
	return token, id, res, err
}

// handleRevokeToken revokes a token (a token.revoke command): it stops
// working on every instance.
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	community, id := r.PathValue("community"), r.PathValue("id")
	if !domain.ValidCommunityID(community) || !domain.ValidAggregateID(id) {
		writeProblem(w, Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
			Detail: "No valid token " + id + " for community " + community + ".", DetailZH: "没有该社区的有效令牌。"})
		return
	}
	res, err := s.Commands.Execute(r.Context(), command.Request{Community: community, IdempotencyKey: "revoke:" + id, Actor: p,
		Commands: []command.Command{s.cmd(domain.CmdRevokeToken, id, domain.RevokeToken{})}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token_id": id, "community": community, "revoked": true, "stream_seq": res.LastSeq()})
}

// handleListTokens lists the tokens the actor administers (never the
// tokens themselves, which the log does not hold).
func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	community := r.URL.Query().Get("community")
	if !p.IsAdministrator() {
		s.forbidden(w, "list tokens", "查看令牌")
		return
	}
	type row struct {
		ID        string `json:"token_id"`
		Community string `json:"community"`
		Label     string `json:"label"`
		Account   string `json:"account,omitempty"`
		Revoked   bool   `json:"revoked"`
	}
	out := []row{}
	for _, t := range s.Access.Tokens(community) {
		if p.Has(domain.AccessAdministrator, t.Community, s.townOf(t.Community)) {
			out = append(out, row{t.ID, t.Community, t.Label, t.Account, t.Revoked})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
}

// checkLabel checks a person's label for a token or a writer key: 1 to
// 100 characters, one line, no < or >.
func checkLabel(label string) (domain.FieldError, bool) {
	if n := utf8.RuneCountInString(label); n == 0 || n > 100 || strings.ContainsAny(label, "<>") || strings.IndexFunc(label, unicode.IsControl) >= 0 {
		return domain.FieldError{Field: "label", Reason: "required: at most 100 characters, one line, no < or >", ReasonZH: "必填：最多100个字符，单行，不能包含 < 或 >"}, false
	}
	return domain.FieldError{}, true
}

// admin authenticates an administrator of everything (the environment
// token, or an account with the administrator role over "all"); anyone
// else gets 401 or 403.
func (s *Server) admin(w http.ResponseWriter, r *http.Request, what, whatZH string) (domain.Actor, bool) {
	p, ok := s.authenticate(w, r)
	if ok && !p.Has(domain.AccessAdministrator, "", "") {
		s.forbidden(w, what, whatZH)
		ok = false
	}
	return p, ok
}

func (s *Server) forbidden(w http.ResponseWriter, what, whatZH string) {
	writeProblem(w, Problem{Status: http.StatusForbidden, Title: "Forbidden", TitleZH: "无权操作", Code: "forbidden",
		Detail: "Only the administrator can " + what + ".", DetailZH: "只有管理员可以" + whatZH + "。"})
}

// cmd builds one command of the API's shape from a domain command's data,
// effective today (Beijing time).
func (s *Server) cmd(typ, aggregateID string, data any) command.Command {
	return command.Command{Type: typ, AggregateID: aggregateID, EffectiveDate: domain.DateOf(s.Now()).String(), Data: mustJSON(data)}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
