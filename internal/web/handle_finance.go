package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// financeQuery reads the period parameters of a finance request.
type financeQuery struct {
	community string
	year      int
	month     string // "YYYY-MM", or "" for a whole year
	account   string
}

func (s *Server) parseFinance(r *http.Request, needMonth bool) (financeQuery, *Problem) {
	q := financeQuery{community: r.PathValue("community"), month: r.URL.Query().Get("month"), account: r.URL.Query().Get("account")}
	bad := func(field, en, zh string) *Problem {
		p := badRequest("bad_query", en, zh, domain.FieldError{Field: field, Reason: en, ReasonZH: zh})
		return &p
	}
	if !domain.ValidCommunityID(q.community) {
		p := badRequest("bad_community", "The community id must be 1 to 64 characters of a-z, 0-9 and -.",
			"社区编号须为 1 至 64 个小写字母、数字或 -。", domain.FieldError{Field: "community", Reason: "invalid community id", ReasonZH: "社区编号无效"})
		return q, &p
	}
	if q.month != "" {
		p, err := projections.ParseMonth(q.month)
		if err != nil {
			return q, bad("month", "month must be written YYYY-MM", "月份格式须为 YYYY-MM")
		}
		q.year = p.Year
	}
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1949 || n > 9999 {
			return q, bad("year", "year must be a year such as 2025", "年度格式错误，如 2025")
		}
		q.year = n
	}
	if q.year == 0 {
		q.year = s.defaultYear(r.Context(), q.community)
	}
	if needMonth && q.month == "" {
		q.month = strconv.Itoa(q.year) + "-12"
	}
	return q, nil
}

// defaultYear is the latest year with books, or this year.
func (s *Server) defaultYear(ctx context.Context, community string) int {
	if ys, err := s.Finance.Years(ctx, community); err == nil && len(ys) > 0 {
		return ys[0]
	}
	return domain.DateOf(s.Now()).Year
}

func (s *Server) financeJSON(w http.ResponseWriter, r *http.Request, needMonth bool, get func(context.Context, financeQuery) (any, error)) {
	q, p := s.parseFinance(r, needMonth)
	if p != nil {
		writeProblem(w, *p)
		return
	}
	v, err := get(r.Context(), q)
	if err != nil {
		writeProblem(w, s.readProblem(err))
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) readProblem(err error) Problem {
	if errors.Is(err, projections.ErrNotFound) {
		return Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
			Detail: err.Error(), DetailZH: "没有找到相应的财务数据。"}
	}
	s.Log.Error("finance read", "err", err)
	return Problem{Status: http.StatusServiceUnavailable, Title: "Unavailable", TitleZH: "暂不可用", Code: "unavailable",
		Detail: "The read model could not answer.", DetailZH: "暂时无法读取数据。"}
}

func (s *Server) handleTrialBalance(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, true, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.TrialBalance(ctx, q.community, q.month)
	})
}

func (s *Server) handleLedger(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("account") == "" {
		writeProblem(w, badRequest("bad_query", "account is required, such as account=102", "须指定科目，如 account=102",
			domain.FieldError{Field: "account", Reason: "required", ReasonZH: "必填"}))
		return
	}
	s.financeJSON(w, r, true, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.Ledger(ctx, q.community, q.account, q.month)
	})
}

func (s *Server) handleBalanceSheet(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, true, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.BalanceSheet(ctx, q.community, q.month)
	})
}

func (s *Server) handleIncomeStatement(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, false, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.IncomeStatement(ctx, q.community, period(q))
	})
}

func (s *Server) handleBudgetExecution(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, false, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.BudgetExecution(ctx, q.community, q.year)
	})
}

func (s *Server) handleSummary(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, false, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.Summary(ctx, q.community, q.year)
	})
}

func (s *Server) handleYears(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, false, func(ctx context.Context, q financeQuery) (any, error) {
		ys, err := s.Finance.Years(ctx, q.community)
		return map[string]any{"community": q.community, "years": ys}, err
	})
}

func period(q financeQuery) projections.Period {
	if q.month == "" {
		return projections.Period{Year: q.year}
	}
	p, _ := projections.ParseMonth(q.month)
	return p
}
