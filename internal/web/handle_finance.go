package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

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
	if q.account != "" && !accountRE.MatchString(q.account) {
		return q, bad("account", "account must be an account code such as 102 or 10201", "科目须为科目编码，如 102 或 10201")
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

// handleBalanceSheetForm serves the balance sheet at a month's end (or a
// year's) laid out by the official form of the year's chart.
func (s *Server) handleBalanceSheetForm(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, true, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.BalanceSheetForm(ctx, q.community, q.month)
	})
}

// handleIncomeForm serves a year's 收益及收益分配表 laid out by the
// official form of its chart.
func (s *Server) handleIncomeForm(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, false, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.IncomeForm(ctx, q.community, q.year)
	})
}

// handleAccounts serves the chart of a year with the sub-accounts.
func (s *Server) handleAccounts(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, false, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.Accounts(ctx, q.community, q.year)
	})
}

// handleCashBook serves the day-book of a cash or bank account (account,
// 101 by default) for a month, or a year without month.
func (s *Server) handleCashBook(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, false, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.CashBook(ctx, q.community, cmp.Or(q.account, domain.AccountCash), period(q))
	})
}

// handleVouchers serves a month's vouchers (month, December of the year by
// default).
func (s *Server) handleVouchers(w http.ResponseWriter, r *http.Request) {
	s.financeJSON(w, r, true, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.Vouchers(ctx, q.community, q.month)
	})
}

// handleVoucher serves one voucher by id.
func (s *Server) handleVoucher(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !voucherIDRE.MatchString(id) {
		writeProblem(w, badRequest("bad_voucher", "A voucher id is written 2025-03-007 (or 2025-closing).",
			"凭证编号格式如 2025-03-007（年终结转为 2025-closing）。", domain.FieldError{Field: "id", Reason: "invalid voucher id", ReasonZH: "凭证编号无效"}))
		return
	}
	s.financeJSON(w, r, false, func(ctx context.Context, q financeQuery) (any, error) {
		return s.Finance.Voucher(ctx, q.community, id)
	})
}

var (
	voucherIDRE = regexp.MustCompile(`^\d{4}-(\d{2}-\d{3,5}|closing)$`)
	accountRE   = regexp.MustCompile(`^[0-9]{3,20}$`)
)

// reconQuery is what the clerk types for a bank reconciliation: the
// statement balance, what the bank recorded that the books have not, and
// the refs of the month's postings the statement lacks.
type reconQuery struct {
	given                  bool
	statement              domain.Fen
	bankReceived, bankPaid domain.Fen
	outstanding            []string
}

// parseRecon reads the reconciliation's query parameters: statement_balance
// (may be negative: an overdraft), bank_received, bank_paid, and
// outstanding, once per ref. Amounts may be written with commas.
func parseRecon(r *http.Request) (reconQuery, *Problem) {
	var q reconQuery
	v := r.URL.Query()
	amount := func(field string, signed bool) (domain.Fen, *Problem) {
		s := strings.NewReplacer(",", "", "，", "", " ", "").Replace(strings.TrimSpace(v.Get(field)))
		if s == "" {
			return 0, nil
		}
		neg := signed && strings.HasPrefix(s, "-")
		f, err := domain.ParseYuan(strings.TrimPrefix(s, "-"))
		if err != nil || (!signed && strings.HasPrefix(s, "-")) {
			p := badRequest("bad_query", field+" must be an amount in yuan such as 12345.67", field+" 须为金额，如 12345.67",
				domain.FieldError{Field: field, Reason: "an amount in yuan such as 12345.67", ReasonZH: "金额，如 12345.67"})
			return 0, &p
		}
		if neg {
			f = -f
		}
		return f, nil
	}
	var p *Problem
	q.given = strings.TrimSpace(v.Get("statement_balance")) != ""
	if q.statement, p = amount("statement_balance", true); p != nil {
		return q, p
	}
	if q.bankReceived, p = amount("bank_received", false); p != nil {
		return q, p
	}
	if q.bankPaid, p = amount("bank_paid", false); p != nil {
		return q, p
	}
	q.outstanding = v["outstanding"]
	if len(q.outstanding) > 1000 {
		pr := badRequest("bad_query", "at most 1000 outstanding postings", "最多勾选 1000 笔",
			domain.FieldError{Field: "outstanding", Reason: "too many", ReasonZH: "过多"})
		return q, &pr
	}
	return q, nil
}

// reconcile returns the books' side of a bank reconciliation, worked out
// with what the clerk typed when she typed a statement balance.
func (s *Server) reconcile(ctx context.Context, q financeQuery, rq reconQuery) (projections.BankReconciliation, error) {
	br, err := s.Finance.BankReconciliation(ctx, q.community, cmp.Or(q.account, domain.AccountBank), q.month)
	if err == nil && rq.given {
		rec := br.Reconcile(rq.statement, rq.bankReceived, rq.bankPaid, rq.outstanding)
		br.Reconciled = &rec
	}
	return br, err
}

// handleBankReconciliation serves a bank account's reconciliation at a
// month's end (account, 102 by default; month, December by default).
func (s *Server) handleBankReconciliation(w http.ResponseWriter, r *http.Request) {
	rq, p := parseRecon(r)
	if p != nil {
		writeProblem(w, *p)
		return
	}
	s.financeJSON(w, r, true, func(ctx context.Context, q financeQuery) (any, error) {
		return s.reconcile(ctx, q, rq)
	})
}
