package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
)

// Problem is an RFC 9457 problem detail, with Chinese beside English.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	TitleZH  string `json:"title_zh"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	DetailZH string `json:"detail_zh,omitempty"`
	// Code is a stable identifier of the rule or failure.
	Code string `json:"code,omitempty"`
	// CommandIndex is the failing command's position in a batch.
	CommandIndex *int `json:"command_index,omitempty"`
	// CommandType is the failing command's type.
	CommandType string `json:"command_type,omitempty"`
	// CurrentVersion is the aggregate's version, on a 409.
	CurrentVersion *uint64             `json:"current_version,omitempty"`
	Errors         []domain.FieldError `json:"errors,omitempty"`
}

func writeProblem(w http.ResponseWriter, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func badRequest(code, detail, detailZH string, fields ...domain.FieldError) Problem {
	return Problem{Status: http.StatusBadRequest, Title: "Bad request", TitleZH: "请求格式错误",
		Code: code, Detail: detail, DetailZH: detailZH, Errors: fields}
}

// problemFor maps an error of the command service to a problem.
func problemFor(err error) Problem {
	var p Problem
	var cerr *command.Error
	if errors.As(err, &cerr) {
		i := cerr.Index
		p.CommandIndex, p.CommandType = &i, cerr.Type
	}
	var (
		ve  *domain.ValidationError
		re  *domain.RuleError
		nf  *domain.NotFoundError
		ce  *command.ConflictError
		rf  *command.RefusedError
		why string
	)
	if p.CommandIndex != nil {
		why = fmt.Sprintf(" (command %d, %s)", *p.CommandIndex, p.CommandType)
	}
	switch {
	case errors.As(err, &ve):
		p.Status, p.Code = http.StatusUnprocessableEntity, "validation"
		p.Title, p.TitleZH = "Invalid command", "指令内容有误"
		p.Detail = "One or more fields are invalid" + why + "; nothing was recorded."
		p.DetailZH = "指令中有字段不符合要求，未记录任何内容。"
		p.Errors = ve.Fields
	case errors.As(err, &re):
		p.Status, p.Code = http.StatusUnprocessableEntity, re.Code
		p.Title, p.TitleZH = "Rule violated", "不符合规则"
		p.Detail, p.DetailZH = re.Reason+why+"; nothing was recorded.", re.ReasonZH+"。未记录任何内容。"
		p.Errors = []domain.FieldError{{Field: re.Field, Reason: re.Reason, ReasonZH: re.ReasonZH}}
	case errors.As(err, &nf):
		p.Status, p.Code = http.StatusNotFound, "not_found"
		p.Title, p.TitleZH = "Not found", "未找到"
		p.Detail = nf.Error() + why + "; nothing was recorded."
		what := map[string]string{"community": "社区", "matter": "事项", "voucher": "凭证", "budget": "预算", "writer key": "写入密钥", "account": "账户", "token": "令牌"}[nf.What]
		p.DetailZH = what + " " + nf.ID + " 不存在，未记录任何内容。"
	case errors.As(err, &ce):
		cur := ce.Current
		p.Status, p.Code, p.CurrentVersion = http.StatusConflict, "version_conflict", &cur
		p.Title, p.TitleZH = "Version conflict", "版本冲突"
		p.Detail = fmt.Sprintf("%s changed since version %d; its current version is %d. Reload and decide again.", ce.Subject, ce.Expected, ce.Current)
		p.DetailZH = fmt.Sprintf("该记录已被他人更新（当前版本 %d），请刷新后重新提交。", ce.Current)
	case errors.Is(err, command.ErrIdempotencyMismatch):
		p.Status, p.Code = http.StatusUnprocessableEntity, "idempotency_key_reused"
		p.Title, p.TitleZH = "Idempotency key reused", "幂等键重复使用"
		p.Detail = "This Idempotency-Key was already used for a different request."
		p.DetailZH = "该 Idempotency-Key 已用于另一项不同的请求。"
	case errors.Is(err, domain.ErrUnknownCommand):
		idx, typ := p.CommandIndex, p.CommandType
		p = badRequest("unknown_command_type", fmt.Sprintf("Unknown command type %q%s; docs/api.md lists them.", typ, why),
			"未知的指令类型“"+typ+"”。", domain.FieldError{Field: "type", Reason: "unknown command type", ReasonZH: "未知的指令类型"})
		p.CommandIndex, p.CommandType = idx, typ
	case errors.Is(err, command.ErrForbidden):
		p.Status, p.Code = http.StatusForbidden, "forbidden"
		p.Title, p.TitleZH = "Forbidden", "无权操作"
		p.Detail = "Your roles do not allow " + p.CommandType + " here" + why + "; nothing was recorded."
		p.DetailZH = "您的角色无权在此提交此类指令（" + p.CommandType + "），未记录任何内容。"
	case errors.Is(err, command.ErrTooMany), errors.Is(err, command.ErrTooManyEvents):
		p = badRequest("too_many_commands", fmt.Sprintf("A batch holds at most %d commands and %d events.", command.MaxBatch, command.MaxEvents),
			fmt.Sprintf("每批最多 %d 条指令、%d 个事件。", command.MaxBatch, command.MaxEvents),
			domain.FieldError{Field: "commands", Reason: "too many", ReasonZH: "数量过多"})
	case errors.Is(err, command.ErrEmpty), errors.Is(err, command.ErrInvalid):
		p = badRequest("empty", err.Error(), "请求中没有可记录的指令。",
			domain.FieldError{Field: "commands", Reason: err.Error(), ReasonZH: "没有可记录的指令"})
	case errors.As(err, &rf):
		p.Status, p.Code = http.StatusServiceUnavailable, "writes_refused"
		p.Title, p.TitleZH = "Writes refused", "暂停写入"
		p.Detail = "The ledger takes no writes now: " + rf.Reason.Error() + ". Nothing was recorded; retry with the same Idempotency-Key once /readyz answers 200."
		p.DetailZH = "账本暂停写入（存储或写入密钥异常，须由管理员处理），未记录任何内容。请在 /readyz 恢复正常后使用相同的 Idempotency-Key 重试。原因（英文）：" + rf.Reason.Error()
	default:
		p.Status, p.Code = http.StatusServiceUnavailable, "unavailable"
		p.Title, p.TitleZH = "Not recorded", "未能记录"
		p.Detail = "The ledger could not confirm that it recorded the request: it may or may not be recorded. Retry with the same Idempotency-Key: a recorded request is answered as before and never recorded twice."
		p.DetailZH = "账本未能确认是否已记录此请求。请使用相同的 Idempotency-Key 重试：已记录的请求会按原结果答复，不会重复记录。"
	}
	return p
}
