package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
)

// commandReply is the reply to one command.
type commandReply struct {
	command.AppendResult
	Replayed bool `json:"idempotent_replay"`
}

func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	var c command.Command
	req, ok := s.writeRequest(w, r, MaxCommandBody, &c)
	if !ok {
		return
	}
	req.Commands = []command.Command{c}
	if !recordsOnly(w, req.Commands) {
		return
	}
	if v := r.Header.Get("If-Match"); v != "" {
		n, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(v, "W/"), `"`), 10, 64)
		if err != nil {
			writeProblem(w, badRequest("bad_if_match", "If-Match must be an aggregate version, such as \"12\".",
				"If-Match 须为记录版本号，例如 \"12\"。", domain.FieldError{Field: "If-Match", Reason: "not a version number", ReasonZH: "不是版本号"}))
			return
		}
		req.IfMatch = &n
	}
	res, err := s.Commands.Execute(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ar := res.Appends[0]
	w.Header().Set("ETag", fmt.Sprintf(`"%d"`, ar.Version))
	writeJSON(w, status(res), commandReply{ar, res.Replayed})
}

func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Commands []command.Command `json:"commands"`
	}
	req, ok := s.writeRequest(w, r, MaxBatchBody, &body)
	if !ok {
		return
	}
	if r.Header.Get("If-Match") != "" {
		writeProblem(w, badRequest("if_match_on_batch", "If-Match applies to one command; a batch checks each aggregate at the version it was decided on.",
			"If-Match 仅适用于单条指令。", domain.FieldError{Field: "If-Match", Reason: "not allowed on a batch", ReasonZH: "批量请求不可使用"}))
		return
	}
	req.Commands = body.Commands
	if !recordsOnly(w, req.Commands) {
		return
	}
	res, err := s.Commands.Execute(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status(res), res)
}

func status(res command.Result) int {
	if res.Replayed {
		return http.StatusOK
	}
	return http.StatusCreated
}

// writeRequest authenticates a write, reads the Idempotency-Key and decodes
// the body strictly into v. It writes a problem and returns false when the
// request cannot go on.
func (s *Server) writeRequest(w http.ResponseWriter, r *http.Request, limit int64, v any) (command.Request, bool) {
	community := r.PathValue("community")
	p, ok := s.authenticate(w, r)
	if !ok {
		return command.Request{}, false
	}
	if !domain.ValidCommunityID(community) {
		writeProblem(w, badRequest("bad_community", "The community id must be 1 to 64 characters of a-z, 0-9 and -.",
			"社区编号须为 1 至 64 个小写字母、数字或 -。", domain.FieldError{Field: "community", Reason: "invalid community id", ReasonZH: "社区编号无效"}))
		return command.Request{}, false
	}
	if !s.mayWrite(p, community) {
		writeProblem(w, Problem{Status: http.StatusForbidden, Title: "Forbidden", TitleZH: "无权操作", Code: "forbidden",
			Detail: "This token may not write to community " + community + ".", DetailZH: "此令牌无权向该社区写入。"})
		return command.Request{}, false
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 200 || !utf8.ValidString(key) || strings.ContainsAny(key, "\r\n") {
		writeProblem(w, badRequest("idempotency_key_required", "Writes need an Idempotency-Key header (1 to 200 characters), the same on every retry.",
			"写入请求须带 Idempotency-Key 请求头（1 至 200 个字符），重试时保持不变。",
			domain.FieldError{Field: "Idempotency-Key", Reason: "required", ReasonZH: "必填"}))
		return command.Request{}, false
	}
	if !decodeBody(w, r, limit, v) {
		return command.Request{}, false
	}
	return command.Request{Community: community, IdempotencyKey: key, Actor: p}, true
}

// decodeBody reads a JSON body of at most limit bytes into v with
// domain.DecodeJSON: the one place every JSON write is decoded. The media
// type must be application/json, with no parameter but charset=utf-8.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	if !jsonMediaType(r.Header.Get("Content-Type")) {
		writeProblem(w, Problem{Status: http.StatusUnsupportedMediaType, Title: "Unsupported media type", TitleZH: "不支持的内容类型",
			Code: "content_type", Detail: "Send the body as Content-Type: application/json (charset=utf-8 is the only parameter allowed).",
			DetailZH: "请以 Content-Type: application/json 提交请求体（仅可附加 charset=utf-8）。"})
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeProblem(w, Problem{Status: http.StatusRequestEntityTooLarge, Title: "Body too large", TitleZH: "请求体过大", Code: "too_large",
			Detail: fmt.Sprintf("The body is over %d bytes; nothing was recorded.", limit), DetailZH: fmt.Sprintf("请求体超过 %d 字节，未记录任何内容。", limit)})
		return false
	}
	if err != nil {
		writeProblem(w, badRequest("read_body", "Could not read the body.", "无法读取请求体。"))
		return false
	}
	err = domain.DecodeJSON(body, v)
	var je *domain.JSONError
	if errors.As(err, &je) {
		field, code := je.Path, "malformed_json"
		if field == "" {
			field = "body"
		}
		if errors.Is(err, domain.ErrNotUTF8) {
			code = "invalid_utf8"
		}
		writeProblem(w, badRequest(code, "The body is not a valid request: "+je.Error()+"; nothing was recorded.",
			"请求体不是有效的 JSON 请求："+je.ReasonZH+"。未记录任何内容。",
			domain.FieldError{Field: field, Reason: je.Reason, ReasonZH: je.ReasonZH}))
		return false
	}
	if err != nil {
		panic(err) // v is not a pointer: a bug in the handler
	}
	return true
}

// jsonMediaType reports whether a Content-Type is application/json, with at
// most a charset=utf-8 parameter (type, subtype and charset compared without
// regard to case, RFC 9110 §8.3.1). An absent Content-Type is not JSON.
func jsonMediaType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// authenticate returns the principal of the request's bearer token. It
// answers 401 to a missing or wrong token, and 429 to any token from an
// address with too many recent failures (see throttle).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (domain.Actor, bool) {
	client := clientOf(r)
	if wait := s.authFailures.blocked(client); wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeProblem(w, Problem{Status: http.StatusTooManyRequests, Title: "Too many failed attempts", TitleZH: "认证失败次数过多",
			Code: "too_many_auth_failures",
			Detail: fmt.Sprintf("Requests from this address failed authentication %d times within %d seconds; for the next %d seconds no token from it is accepted. Nothing was recorded.",
				AuthFailureLimit, int(AuthFailureWindow/time.Second), secs),
			DetailZH: fmt.Sprintf("此地址在 %d 秒内认证失败已达 %d 次，接下来 %d 秒内不受理其任何令牌。未记录任何内容。",
				int(AuthFailureWindow/time.Second), AuthFailureLimit, secs)})
		return domain.Actor{}, false
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p, valid := s.Access.Authenticate(strings.TrimSpace(token))
	if !ok || !valid {
		s.authFailures.fail(client)
		w.Header().Set("WWW-Authenticate", `Bearer realm="gongkai"`)
		writeProblem(w, Problem{Status: http.StatusUnauthorized, Title: "Unauthorized", TitleZH: "未授权", Code: "unauthorized",
			Detail: "Writes need a valid bearer token.", DetailZH: "写入请求须提供有效的令牌（Bearer token）。"})
		return domain.Actor{}, false
	}
	return p, true
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	if p.Status >= 500 {
		s.Log.Error("command failed", "path", r.URL.Path, "err", err)
	}
	writeProblem(w, p)
}

// writeJSON writes v as the reply. A reply whose handler set no
// Cache-Control is not stored by any cache (it may hold a token or a
// write's result).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// townOf returns the town of a community, "" if it is not registered.
func (s *Server) townOf(community string) string {
	st, _ := s.Commands.State(community, domain.AggregateCommunity, community)
	if c, ok := st.(*domain.Community); ok && c != nil {
		return c.Town
	}
	return ""
}

// mayWrite reports whether an actor holds any role that records in a
// community (the command service checks each command).
func (s *Server) mayWrite(a domain.Actor, community string) bool {
	town := s.townOf(community)
	for _, r := range []domain.AccessRole{domain.AccessClerk, domain.AccessAccountant, domain.AccessSupervisor, domain.AccessAdministrator} {
		if a.Has(r, community, town) {
			return true
		}
	}
	return false
}

// recordsOnly refuses, on the commands endpoints, the command types of
// accounts and tokens: those are sent by their own endpoints, which make
// the token and its id and hash the password, so that no client chooses a
// token's id (the actor its writes are recorded under) or sends a hash.
func recordsOnly(w http.ResponseWriter, cmds []command.Command) bool {
	for i, c := range cmds {
		if slices.Contains(domain.AccessCommandTypes(), c.Type) {
			p := badRequest("access_command", fmt.Sprintf("%s is sent through /api/v1/accounts or /api/v1/tokens, not the commands endpoint; nothing was recorded.", c.Type),
				"账户和令牌指令须通过 /api/v1/accounts 或 /api/v1/tokens 提交，不能用指令接口提交。未记录任何内容。",
				domain.FieldError{Field: "type", Reason: "not accepted here", ReasonZH: "此处不接受"})
			idx := i
			p.CommandIndex, p.CommandType = &idx, c.Type
			writeProblem(w, p)
			return false
		}
		if slices.Contains(generatedCommands, c.Type) {
			p := badRequest("generated_command", fmt.Sprintf("%s is sent through /api/v1/communities/{community}/disclosures/{item}/draft or /publish: the server drafts a disclosure's content from the books and checks it before publishing; nothing was recorded.", c.Type),
				"公开草稿由系统根据账目生成，公开前由系统核对，须通过 /api/v1/communities/{社区}/disclosures/{事项}/draft 或 /publish 提交，不能用指令接口提交。未记录任何内容。",
				domain.FieldError{Field: "type", Reason: "not accepted here", ReasonZH: "此处不接受"})
			idx := i
			p.CommandIndex, p.CommandType = &idx, c.Type
			writeProblem(w, p)
			return false
		}
	}
	return true
}
