package projections

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/gongkai/gongkai/domain"
)

// Finance is the read model of a community's budgets and books: general
// ledger, trial balance, balance sheet, income statement, budget execution
// and the finance summary. Every row carries the stream sequences it was
// built from.
type Finance interface {
	ReadModel
	TrialBalance(ctx context.Context, community, month string) (TrialBalance, error)
	Ledger(ctx context.Context, community, account, month string) (Ledger, error)
	BalanceSheet(ctx context.Context, community, month string) (BalanceSheet, error)
	IncomeStatement(ctx context.Context, community string, period Period) (IncomeStatement, error)
	BudgetExecution(ctx context.Context, community string, year int) (BudgetExecution, error)
	Summary(ctx context.Context, community string, year int) (Summary, error)
	// Years returns the fiscal years with books or a budget, newest first.
	Years(ctx context.Context, community string) ([]int, error)
}

// MemoryFinance is the in-memory Finance. It is safe for concurrent use.
type MemoryFinance struct {
	mu    sync.RWMutex
	pos   uint64
	comms map[string]*finState
}

type finState struct {
	chart    *domain.Chart
	vouchers []*voucherRec // stream order
	byID     map[string]*voucherRec
	closings map[int]*voucherRec // year-end carry-forward, dated 12-31
	budgets  map[int]*budgetRec
	funds    []fundsRec
	closed   map[string]uint64 // month -> seq of its closing
}

type voucherRec struct {
	seq        uint64
	id         string
	date       domain.Date
	summary    string
	lines      []domain.Line
	budgetLine string
	matter     string
	kind       string // posted, reversal, correction, closing
	reverses   string
	reversedBy string
}

type budgetRec struct {
	lines      []domain.BudgetLine
	resolution string
	seqs       []uint64
}

type fundsRec struct {
	seq  uint64
	year int
	domain.FundsReceived
}

// NewMemoryFinance returns an empty in-memory finance read model.
func NewMemoryFinance() *MemoryFinance { return &MemoryFinance{comms: map[string]*finState{}} }

// Name returns "finance".
func (f *MemoryFinance) Name() string { return "finance" }

// Position returns the last applied stream sequence.
func (f *MemoryFinance) Position(context.Context) (uint64, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.pos, nil
}

// Apply folds events into the read model.
func (f *MemoryFinance) Apply(_ context.Context, events []Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range events {
		if e.Seq <= f.pos {
			continue
		}
		if e.AggregateType == domain.AggregateBooks || e.AggregateType == domain.AggregateBudget {
			if err := f.apply(e); err != nil {
				return fmt.Errorf("finance: event %d: %w", e.Seq, err)
			}
		}
		f.pos = e.Seq
	}
	return nil
}

func (f *MemoryFinance) state(c string) *finState {
	s := f.comms[c]
	if s == nil {
		s = &finState{chart: domain.DefaultChart(), byID: map[string]*voucherRec{}, closings: map[int]*voucherRec{},
			budgets: map[int]*budgetRec{}, closed: map[string]uint64{}}
		f.comms[c] = s
	}
	return s
}

func (f *MemoryFinance) apply(e Event) error {
	ev, err := domain.DecodeEvent(e.Type, e.Schema, e.Data)
	if err != nil {
		return err
	}
	date, _ := domain.ParseDate(e.EffectiveDate)
	s := f.state(e.Community)
	add := func(v *domain.VoucherData, kind, reverses string) *voucherRec {
		r := &voucherRec{seq: e.Seq, id: domain.VoucherID(date, v.Number), date: date, summary: v.Summary,
			lines: v.Lines, budgetLine: v.BudgetLine, matter: v.Matter, kind: kind, reverses: reverses}
		s.vouchers = append(s.vouchers, r)
		s.byID[r.id] = r
		return r
	}
	switch ev := ev.(type) {
	case *domain.ChartAdopted:
		if c := domain.Charts()[ev.Chart]; c != nil {
			s.chart = c
		}
	case *domain.VoucherPosted:
		add(&ev.VoucherData, "posted", "")
	case *domain.CorrectionPosted:
		add(&ev.VoucherData, "correction", "")
	case *domain.VoucherReversed:
		r := add(&ev.VoucherData, "reversal", ev.Reverses)
		if orig := s.byID[ev.Reverses]; orig != nil {
			orig.reversedBy = r.id
		}
	case *domain.MonthClosed:
		s.closed[ev.Month] = e.Seq
	case *domain.YearClosed:
		s.closings[ev.Year] = &voucherRec{seq: e.Seq, id: fmt.Sprintf("%d-closing", ev.Year),
			date: domain.Date{Year: ev.Year, Month: 12, Day: 31}, summary: "年终结转", lines: ev.Lines, kind: "closing"}
	case *domain.BudgetAdopted:
		s.budget(e.AggregateID).set(ev.Lines, ev.Resolution, e.Seq)
	case *domain.BudgetAdjusted:
		s.budget(e.AggregateID).set(ev.Lines, ev.Resolution, e.Seq)
	case *domain.FundsReceived:
		var y int
		fmt.Sscan(e.AggregateID, &y)
		s.funds = append(s.funds, fundsRec{seq: e.Seq, year: y, FundsReceived: *ev})
	}
	return nil
}

func (s *finState) budget(id string) *budgetRec {
	var y int
	fmt.Sscan(id, &y)
	b := s.budgets[y]
	if b == nil {
		b = &budgetRec{}
		s.budgets[y] = b
	}
	return b
}

func (b *budgetRec) set(lines []domain.BudgetLine, resolution string, seq uint64) {
	b.lines, b.resolution = slices.Clone(lines), resolution
	b.seqs = append(b.seqs, seq)
}

func (f *MemoryFinance) community(c string) (*finState, error) {
	s := f.comms[c]
	if s == nil {
		return nil, fmt.Errorf("finance of %s: %w", c, ErrNotFound)
	}
	return s, nil
}
