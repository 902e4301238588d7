package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

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
	// YearCloses returns the stream sequence of each closed year's
	// books.year_closed event.
	YearCloses(ctx context.Context, community string) (map[int]uint64, error)
}

// FinanceModel is the finance read model.
var FinanceModel = Model{
	Name:    "finance",
	Version: 1,
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

// finState is one community's books and budgets. Documents: ("chart", ""),
// ("voucher", id), ("closing", year), ("budget", year), ("funds", seq) and
// ("closed", month).
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
	Seq        uint64        `json:"seq"`
	ID         string        `json:"id"`
	Date       domain.Date   `json:"date"`
	Summary    string        `json:"summary"`
	Lines      []domain.Line `json:"lines"`
	BudgetLine string        `json:"budget_line,omitempty"`
	Matter     string        `json:"matter,omitempty"`
	Kind       string        `json:"kind"` // posted, reversal, correction, closing
	Reverses   string        `json:"reverses,omitempty"`
	ReversedBy string        `json:"reversed_by,omitempty"`
}

type budgetRec struct {
	Lines      []domain.BudgetLine `json:"lines"`
	Resolution string              `json:"resolution"`
	Seqs       []uint64            `json:"seqs"`
}

type fundsRec struct {
	Seq  uint64 `json:"seq"`
	Year int    `json:"year"`
	domain.FundsReceived
}

const (
	docChart   = "chart"
	docVoucher = "voucher"
	docClosing = "closing"
	docBudget  = "budget"
	docFunds   = "funds"
	docClosed  = "closed"
)

func newFinState() *finState {
	return &finState{chart: domain.DefaultChart(), byID: map[string]*voucherRec{}, closings: map[int]*voucherRec{},
		budgets: map[int]*budgetRec{}, closed: map[string]uint64{}}
}

func (s *finState) addVoucher(r *voucherRec) {
	s.vouchers = append(s.vouchers, r)
	s.byID[r.ID] = r
}

func (s *finState) Apply(e Event, ev domain.Event) ([]DocKey, error) {
	date, _ := domain.ParseDate(e.EffectiveDate)
	voucher := func(v *domain.VoucherData, kind, reverses string) *voucherRec {
		r := &voucherRec{Seq: e.Seq, ID: domain.VoucherID(date, v.Number), Date: date, Summary: v.Summary,
			Lines: v.Lines, BudgetLine: v.BudgetLine, Matter: v.Matter, Kind: kind, Reverses: reverses}
		s.addVoucher(r)
		return r
	}
	year := func() int { y, _ := strconv.Atoi(e.AggregateID); return y }
	switch ev := ev.(type) {
	case *domain.ChartAdopted:
		if c := domain.Charts()[ev.Chart]; c != nil {
			s.chart = c
		}
		return []DocKey{{docChart, ""}}, nil
	case *domain.VoucherPosted:
		r := voucher(&ev.VoucherData, "posted", "")
		return []DocKey{{docVoucher, r.ID}}, nil
	case *domain.CorrectionPosted:
		r := voucher(&ev.VoucherData, "correction", "")
		return []DocKey{{docVoucher, r.ID}}, nil
	case *domain.VoucherReversed:
		r := voucher(&ev.VoucherData, "reversal", ev.Reverses)
		keys := []DocKey{{docVoucher, r.ID}}
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
			Date: domain.Date{Year: ev.Year, Month: 12, Day: 31}, Summary: "年终结转", Lines: ev.Lines, Kind: "closing"}
		return []DocKey{{docClosing, strconv.Itoa(ev.Year)}}, nil
	case *domain.BudgetAdopted:
		s.budget(year()).set(ev.Lines, ev.Resolution, e.Seq)
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
		return json.Marshal(s.chart.ID)
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
		if c := domain.Charts()[id]; c != nil {
			s.chart = c
		}
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
