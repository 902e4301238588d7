package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// Finance is the read model of a community's budgets and books: general
// ledger, trial balance, the official statements, budget execution, the
// finance summary, the cashier's day-books and the vouchers. Every row
// carries the stream sequences it was built from.
//
// Each fiscal year is shown in its own chart of accounts (the chart the
// books record for it, as domain.Books.ChartFor decides), with the
// community's sub-accounts under their parents. The opening balances (期初
// 余额) and the change of chart (新旧衔接) of a year are voucher number 0,
// dated 1 January: they open the year, so a period that starts on 1
// January counts them in its opening balances, not in its turnover.
type Finance interface {
	ReadModel
	TrialBalance(ctx context.Context, community, month string) (TrialBalance, error)
	Ledger(ctx context.Context, community, account, month string) (Ledger, error)
	BalanceSheet(ctx context.Context, community, month string) (BalanceSheet, error)
	IncomeStatement(ctx context.Context, community string, period Period) (IncomeStatement, error)
	// BalanceSheetForm and IncomeForm lay the statements out by the
	// official form of the year's chart (domain.StatementFormFor).
	BalanceSheetForm(ctx context.Context, community, month string) (Form, error)
	IncomeForm(ctx context.Context, community string, year int) (Form, error)
	BudgetExecution(ctx context.Context, community string, year int) (BudgetExecution, error)
	Summary(ctx context.Context, community string, year int) (Summary, error)
	// CashBook is the day-book (现金日记账, 银行存款日记账) of a cash or
	// bank account for a period.
	CashBook(ctx context.Context, community, account string, period Period) (CashBook, error)
	// BankReconciliation is what the books give a 银行存款余额调节表 of a
	// bank account at a month's end.
	BankReconciliation(ctx context.Context, community, account, month string) (BankReconciliation, error)
	// Voucher returns one voucher (记账凭证) by id; Vouchers a month's.
	Voucher(ctx context.Context, community, id string) (VoucherView, error)
	Vouchers(ctx context.Context, community, month string) (VoucherList, error)
	// Corrections returns the later years' corrections of a year's
	// vouchers.
	Corrections(ctx context.Context, community string, year int) ([]VoucherBrief, error)
	// Accounts returns the chart of a year with the community's
	// sub-accounts.
	Accounts(ctx context.Context, community string, year int) (AccountList, error)
	// Years returns the fiscal years with books or a budget, newest first.
	Years(ctx context.Context, community string) ([]int, error)
	// YearCloses returns the stream sequence of each closed year's
	// books.year_closed event.
	YearCloses(ctx context.Context, community string) (map[int]uint64, error)
}

// FinanceModel is the finance read model. Version 2 follows charts by
// year, sub-accounts, opening balances and the change of chart; version 3
// keeps the date each budget was adopted; version 4 when each voucher was
// recorded and the corrections of each.
var FinanceModel = Model{
	Name:    "finance",
	Version: 4,
	Wants: func(e Event) bool {
		return e.AggregateType == domain.AggregateBooks || e.AggregateType == domain.AggregateBudget
	},
	New: func(string) State { return newFinState() },
}

// FinanceOn serves Finance queries from a backend of FinanceModel.
type FinanceOn struct{ Backend }

// MemoryFinance is the in-memory Finance.
type MemoryFinance struct{ FinanceOn }

// NewMemoryFinance returns an empty in-memory finance read model.
func NewMemoryFinance() *MemoryFinance { return &MemoryFinance{FinanceOn{NewMemory(FinanceModel)}} }

// finState is one community's books and budgets. Documents: ("chart", "")
// the chart adopted without a year, ("chart", year), ("sub", code) a
// sub-account's history,
// ("voucher", id), ("closing", year), ("budget", year), ("funds", seq) and
// ("closed", month).
type finState struct {
	base     string                  // chart adopted without a year, or ""
	years    map[int]string          // chart of each fiscal year, as recorded
	subs     map[string][]subVersion // sub-accounts by code, in the order recorded
	vouchers []*voucherRec           // stream order
	byID     map[string]*voucherRec
	closings map[int]*voucherRec // year-end carry-forward, dated 12-31
	budgets  map[int]*budgetRec
	funds    []fundsRec
	closed   map[string]uint64 // month -> seq of its closing
}

// Kinds of voucher.
const (
	kindPosted     = "posted"
	kindReversal   = "reversal"
	kindCorrection = "correction"
	kindOpening    = "opening"    // 期初余额, number 0
	kindTransition = "transition" // 新旧会计制度衔接, number 0
	kindClosing    = "closing"    // 年终结转
	// Vouchers of fixed assets (固定资产卡片): a donated asset received,
	// a month's depreciation (计提折旧), a disposal (固定资产清理).
	kindAsset        = "asset"
	kindDepreciation = "depreciation"
	kindDisposal     = "disposal"
)

type voucherRec struct {
	Seq        uint64        `json:"seq"`
	ID         string        `json:"id"`
	Number     int           `json:"number"`
	Date       domain.Date   `json:"date"`
	Summary    string        `json:"summary"`
	Lines      []domain.Line `json:"lines"`
	BudgetLine string        `json:"budget_line,omitempty"`
	Matter     string        `json:"matter,omitempty"`
	Kind       string        `json:"kind"`
	Reverses   string        `json:"reverses,omitempty"`
	ReversedBy string        `json:"reversed_by,omitempty"`
	Corrects   string        `json:"corrects,omitempty"`
	// CorrectedBy are the blue-ink corrections of this voucher, posted in a
	// later year; RecordedAt is when the log recorded the voucher.
	CorrectedBy []string  `json:"corrected_by,omitempty"`
	RecordedAt  time.Time `json:"recorded_at,omitzero"`
	Reason      string    `json:"reason,omitempty"`
	Preparer    string    `json:"preparer,omitempty"`
	Reviewer    string    `json:"reviewer,omitempty"`
	Approver    string    `json:"approver,omitempty"`
	Attachments []string  `json:"attachments,omitempty"`
	// Source names the statement opening balances come from.
	Source string `json:"source,omitempty"`
	// From, To, Mapping and Moves describe a change of chart.
	From    string        `json:"from,omitempty"`
	To      string        `json:"to,omitempty"`
	Mapping string        `json:"mapping,omitempty"`
	Moves   []domain.Move `json:"moves,omitempty"`
}

// opensYear reports whether v is a year's opening balances or change of
// chart: it counts before any period that starts on its date.
func (v *voucherRec) opensYear() bool { return v.Kind == kindOpening || v.Kind == kindTransition }

// before reports whether v's postings stand before a period that starts
// on from.
func (v *voucherRec) before(from domain.Date) bool {
	return v.Date.Before(from) || (v.opensYear() && v.Date == from)
}

// in reports whether v's postings fall in the period from..to.
func (v *voucherRec) in(from, to domain.Date) bool {
	return !v.before(from) && !v.Date.After(to)
}

type budgetRec struct {
	Lines      []domain.BudgetLine `json:"lines"`
	Resolution string              `json:"resolution"`
	Seqs       []uint64            `json:"seqs"`
	// Adopted is the effective date of the budget's adoption.
	Adopted domain.Date `json:"adopted"`
}

type fundsRec struct {
	Seq  uint64 `json:"seq"`
	Year int    `json:"year"`
	domain.FundsReceived
}

const (
	docChart   = "chart"
	docSub     = "sub"
	docVoucher = "voucher"
	docClosing = "closing"
	docBudget  = "budget"
	docFunds   = "funds"
	docClosed  = "closed"
)

func newFinState() *finState {
	return &finState{years: map[int]string{}, subs: map[string][]subVersion{},
		byID: map[string]*voucherRec{}, closings: map[int]*voucherRec{}, budgets: map[int]*budgetRec{}, closed: map[string]uint64{}}
}

func (s *finState) addVoucher(r *voucherRec) {
	s.vouchers = append(s.vouchers, r)
	s.byID[r.ID] = r
}

// yearChart records the chart of a voucher's year when the books record
// none, as domain.Books does: the chart adopted without a year, else the
// default chart (books kept before charts went by year).
func (s *finState) yearChart(year int) []DocKey {
	if s.years[year] != "" {
		return nil
	}
	s.years[year] = s.base
	if s.base == "" {
		s.years[year] = domain.DefaultChartID
	}
	return []DocKey{{docChart, strconv.Itoa(year)}}
}

func (s *finState) Apply(e Event, ev domain.Event) ([]DocKey, error) {
	date, _ := domain.ParseDate(e.EffectiveDate)
	voucher := func(d domain.Date, v *domain.VoucherData, kind string) (*voucherRec, []DocKey) {
		keys := s.yearChart(d.Year)
		r := &voucherRec{Seq: e.Seq, ID: domain.VoucherID(d, v.Number), Number: v.Number, Date: d, Summary: v.Summary,
			Lines: v.Lines, BudgetLine: v.BudgetLine, Matter: v.Matter, Kind: kind, Preparer: v.Preparer,
			Reviewer: v.Reviewer, Approver: v.Approver, Attachments: v.Attachments, RecordedAt: e.RecordedAt.UTC()}
		s.addVoucher(r)
		return r, append(keys, DocKey{docVoucher, r.ID})
	}
	year := func() int { y, _ := strconv.Atoi(e.AggregateID); return y }
	switch ev := ev.(type) {
	case *domain.ChartAdopted:
		if domain.Charts()[ev.Chart] == nil {
			return nil, nil
		}
		if ev.Year == 0 {
			s.base = ev.Chart
			return []DocKey{{docChart, ""}}, nil
		}
		s.years[ev.Year] = ev.Chart
		return []DocKey{{docChart, strconv.Itoa(ev.Year)}}, nil
	case *domain.AccountDefined:
		s.defineSub(date.Year, ev.SubAccount)
		return []DocKey{{docSub, ev.Code}}, nil
	case *domain.BalancesOpened:
		jan1 := domain.Date{Year: ev.Year, Month: time.January, Day: 1}
		r, keys := voucher(jan1, &domain.VoucherData{Summary: "期初余额 " + ev.Source, Lines: ev.Lines}, kindOpening)
		r.Source = ev.Source
		return keys, nil
	case *domain.ChartTransitioned:
		jan1 := domain.Date{Year: ev.Year, Month: time.January, Day: 1}
		var keys []DocKey
		if domain.Charts()[ev.To] != nil {
			s.years[ev.Year] = ev.To
			keys = append(keys, DocKey{docChart, strconv.Itoa(ev.Year)})
		}
		for _, code := range ev.Retired {
			s.retireSub(ev.Year, code)
			keys = append(keys, DocKey{docSub, code})
		}
		for _, sub := range ev.NewSubs {
			s.defineSub(ev.Year, sub)
			keys = append(keys, DocKey{docSub, sub.Code})
		}
		r, vkeys := voucher(jan1, &domain.VoucherData{Summary: "新旧会计制度衔接 " + ev.From + " → " + ev.To,
			Lines: ev.Lines, Preparer: ev.Preparer}, kindTransition)
		r.From, r.To, r.Mapping, r.Moves = ev.From, ev.To, ev.Mapping, ev.Moves
		return append(keys, vkeys...), nil
	case *domain.VoucherPosted:
		_, keys := voucher(date, &ev.VoucherData, kindPosted)
		return keys, nil
	case *domain.AssetRegistered:
		if ev.Posted == nil {
			return nil, nil
		}
		_, keys := voucher(date, ev.Posted, kindAsset)
		return keys, nil
	case *domain.DepreciationPosted:
		_, keys := voucher(date, &ev.VoucherData, kindDepreciation)
		return keys, nil
	case *domain.AssetDisposed:
		_, keys := voucher(date, &ev.VoucherData, kindDisposal)
		return keys, nil
	case *domain.CorrectionPosted:
		r, keys := voucher(date, &ev.VoucherData, kindCorrection)
		r.Corrects, r.Reason = ev.Corrects, ev.Reason
		if orig := s.byID[ev.Corrects]; orig != nil {
			orig.CorrectedBy = append(orig.CorrectedBy, r.ID)
			keys = append(keys, DocKey{docVoucher, orig.ID})
		}
		return keys, nil
	case *domain.VoucherReversed:
		r, keys := voucher(date, &ev.VoucherData, kindReversal)
		r.Reverses, r.Reason = ev.Reverses, ev.Reason
		if orig := s.byID[ev.Reverses]; orig != nil {
			orig.ReversedBy = r.ID
			keys = append(keys, DocKey{docVoucher, orig.ID})
		}
		return keys, nil
	case *domain.MonthClosed:
		s.closed[ev.Month] = e.Seq
		return []DocKey{{docClosed, ev.Month}}, nil
	case *domain.YearClosed:
		s.closings[ev.Year] = &voucherRec{Seq: e.Seq, ID: fmt.Sprintf("%d-closing", ev.Year),
			Date: domain.Date{Year: ev.Year, Month: 12, Day: 31}, Summary: "年终结转", Lines: ev.Lines, Kind: kindClosing}
		return []DocKey{{docClosing, strconv.Itoa(ev.Year)}}, nil
	case *domain.BudgetAdopted:
		s.budget(year()).set(ev.Lines, ev.Resolution, e.Seq)
		s.budget(year()).Adopted = date
		return []DocKey{{docBudget, e.AggregateID}}, nil
	case *domain.BudgetAdjusted:
		s.budget(year()).set(ev.Lines, ev.Resolution, e.Seq)
		return []DocKey{{docBudget, e.AggregateID}}, nil
	case *domain.FundsReceived:
		s.funds = append(s.funds, fundsRec{Seq: e.Seq, Year: year(), FundsReceived: *ev})
		return []DocKey{{docFunds, strconv.FormatUint(e.Seq, 10)}}, nil
	}
	return nil, nil
}

func (s *finState) Doc(k DocKey) ([]byte, error) {
	switch k.Kind {
	case docChart:
		if k.Key == "" {
			return json.Marshal(s.base)
		}
		y, _ := strconv.Atoi(k.Key)
		return json.Marshal(s.years[y])
	case docSub:
		return json.Marshal(s.subs[k.Key]) // its whole history
	case docVoucher:
		return json.Marshal(s.byID[k.Key])
	case docClosing:
		y, _ := strconv.Atoi(k.Key)
		return json.Marshal(s.closings[y])
	case docBudget:
		y, _ := strconv.Atoi(k.Key)
		return json.Marshal(s.budgets[y])
	case docFunds:
		for _, f := range s.funds {
			if strconv.FormatUint(f.Seq, 10) == k.Key {
				return json.Marshal(f)
			}
		}
	case docClosed:
		return json.Marshal(s.closed[k.Key])
	}
	return nil, fmt.Errorf("finance: unknown document %v", k)
}

func (s *finState) Load(k DocKey, body []byte) error {
	switch k.Kind {
	case docChart:
		var id string
		if err := json.Unmarshal(body, &id); err != nil {
			return err
		}
		if k.Key == "" {
			s.base = id
			return nil
		}
		y, err := strconv.Atoi(k.Key)
		if err != nil {
			return fmt.Errorf("finance: chart of year %q: %w", k.Key, err)
		}
		s.years[y] = id
	case docSub:
		var h []subVersion
		if err := json.Unmarshal(body, &h); err != nil {
			return err
		}
		s.subs[k.Key] = h
	case docVoucher:
		r := &voucherRec{}
		if err := json.Unmarshal(body, r); err != nil {
			return err
		}
		if old := s.byID[r.ID]; old != nil {
			*old = *r // a newer version of a document already loaded
			return nil
		}
		s.addVoucher(r)
	case docClosing:
		r := &voucherRec{}
		if err := json.Unmarshal(body, r); err != nil {
			return err
		}
		s.closings[r.Date.Year] = r
	case docBudget:
		y, _ := strconv.Atoi(k.Key)
		b := &budgetRec{}
		if err := json.Unmarshal(body, b); err != nil {
			return err
		}
		s.budgets[y] = b
	case docFunds:
		var f fundsRec
		if err := json.Unmarshal(body, &f); err != nil {
			return err
		}
		for i := range s.funds {
			if s.funds[i].Seq == f.Seq {
				s.funds[i] = f
				return nil
			}
		}
		s.funds = append(s.funds, f)
	case docClosed:
		var seq uint64
		if err := json.Unmarshal(body, &seq); err != nil {
			return err
		}
		s.closed[k.Key] = seq
	default:
		return fmt.Errorf("finance: unknown document %v", k)
	}
	return nil
}

func (s *finState) budget(y int) *budgetRec {
	b := s.budgets[y]
	if b == nil {
		b = &budgetRec{}
		s.budgets[y] = b
	}
	return b
}

func (b *budgetRec) set(lines []domain.BudgetLine, resolution string, seq uint64) {
	b.Lines, b.Resolution = slices.Clone(lines), resolution
	b.Seqs = append(b.Seqs, seq)
}

// view runs fn on a community's finance state, or returns ErrNotFound.
func (f FinanceOn) view(ctx context.Context, community string, fn func(*finState, Position) error) error {
	return f.View(ctx, community, func(st State, pos Position) error {
		s, _ := st.(*finState)
		if s == nil {
			return fmt.Errorf("finance of %s: %w", community, ErrNotFound)
		}
		return fn(s, pos)
	})
}
