package projections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// VoucherView is one voucher (记账凭证) as printed: its lines with the
// names of their accounts (总账科目 and, for a sub-account, 明细科目), the
// totals, who prepared, reviewed and approved it, and the stream sequence
// of the event that recorded it. Kind is posted, reversal (红字冲销),
// correction (蓝字更正), opening (期初余额), transition (新旧会计制度衔接)
// or closing (年终结转).
type VoucherView struct {
	Community string        `json:"community"`
	ID        string        `json:"id"`
	Number    int           `json:"number"`
	Date      domain.Date   `json:"date"`
	Kind      string        `json:"kind"`
	Summary   string        `json:"summary"`
	Chart     string        `json:"chart"`
	Lines     []VoucherLine `json:"lines"`
	Debit     domain.Fen    `json:"debit"`
	Credit    domain.Fen    `json:"credit"`
	// TotalCapital is the total in Chinese capital numerals (大写).
	TotalCapital string   `json:"total_capital"`
	Preparer     string   `json:"preparer,omitempty"` // 制单
	Reviewer     string   `json:"reviewer,omitempty"` // 审核
	Approver     string   `json:"approver,omitempty"` // 审批
	Attachments  []string `json:"attachments"`        // SHA-256 of each attachment
	BudgetLine   string   `json:"budget_line,omitempty"`
	Matter       string   `json:"matter,omitempty"`
	Reverses     string   `json:"reverses,omitempty"`
	ReversedBy   string   `json:"reversed_by,omitempty"`
	Corrects     string   `json:"corrects,omitempty"`
	// CorrectedBy are the later years' corrections of this voucher.
	CorrectedBy []string `json:"corrected_by,omitempty"`
	// RecordedAt is when the log recorded the voucher (a voucher recorded
	// long after its date was entered late, 补录).
	RecordedAt time.Time `json:"recorded_at,omitzero"`
	Reason     string    `json:"reason,omitempty"`
	Source     string    `json:"source,omitempty"` // the statement opening balances come from
	// From, To, Mapping and Moves describe a change of chart.
	From    string     `json:"from,omitempty"`
	To      string     `json:"to,omitempty"`
	Mapping string     `json:"mapping,omitempty"`
	Moves   []MoveView `json:"moves,omitempty"`
	Seq     uint64     `json:"stream_seq"`
	AsOfSeq uint64     `json:"as_of_seq"`
	AsOf    time.Time  `json:"as_of"`
}

// VoucherLine is one line of a voucher. Root is the account of the chart
// (总账科目) the line's account is, or is under; NameZH and NameEN name
// the account posted to. Former marks an account of a superseded chart.
type VoucherLine struct {
	Account    string     `json:"account"`
	NameZH     string     `json:"name_zh"`
	NameEN     string     `json:"name_en"`
	Root       string     `json:"root"`
	RootNameZH string     `json:"root_name_zh"`
	RootNameEN string     `json:"root_name_en"`
	Former     bool       `json:"former,omitempty"`
	Debit      domain.Fen `json:"debit"`
	Credit     domain.Fen `json:"credit"`
}

// MoveView is one balance moved at a change of chart, with the names of
// the old and the new account.
type MoveView struct {
	From       string     `json:"from"`
	FromNameZH string     `json:"from_name_zh"`
	To         string     `json:"to"`
	ToNameZH   string     `json:"to_name_zh"`
	Amount     domain.Fen `json:"amount"`
	NoteZH     string     `json:"note_zh,omitempty"`
}

// lineAccount names a line's account as the view's year shows it.
func (v *yearView) lineAccount(code string) (a domain.Account, former bool) {
	a, former, _ = v.account(code)
	return a, former
}

// Voucher returns a voucher by id: "2025-03-007", "2024-01-000" (a year's
// opening balances or change of chart) or "2025-closing" (the year-end
// carry-forward).
func (f FinanceOn) Voucher(ctx context.Context, community, id string) (VoucherView, error) {
	var vv VoucherView
	err := f.view(ctx, community, func(s *finState, pos Position) error {
		v := s.byID[id]
		if v == nil {
			var y int
			if _, err := fmt.Sscanf(id, "%d-closing", &y); err == nil && fmt.Sprintf("%d-closing", y) == id {
				v = s.closings[y]
			}
		}
		if v == nil {
			return fmt.Errorf("voucher %s: %w", id, ErrNotFound)
		}
		year := v.Date.Year
		// A change of chart takes each balance out of an account of the
		// year before, and puts it into an account of its own year, line
		// by line in pairs.
		now, before := s.at(year), s.at(year-1)
		vv = VoucherView{Community: community, ID: v.ID, Number: v.Number, Date: v.Date, Kind: v.Kind, Summary: v.Summary,
			Chart: now.chart.ID, Lines: []VoucherLine{}, Preparer: v.Preparer, Reviewer: v.Reviewer, Approver: v.Approver,
			Attachments: append([]string{}, v.Attachments...), BudgetLine: v.BudgetLine, Matter: v.Matter, Reverses: v.Reverses,
			ReversedBy: v.ReversedBy, Corrects: v.Corrects, CorrectedBy: slices.Clone(v.CorrectedBy), RecordedAt: v.RecordedAt,
			Reason: v.Reason, Source: v.Source, From: v.From, To: v.To,
			Mapping: v.Mapping, Seq: v.Seq, AsOfSeq: pos.Seq, AsOf: pos.Time}
		for i, l := range v.Lines {
			yv := now
			if v.Kind == kindTransition && i%2 == 0 {
				yv = before
			}
			a, former := yv.lineAccount(l.Account)
			root := yv.rootOf(l.Account)
			ra, _ := yv.lineAccount(root)
			vv.Lines = append(vv.Lines, VoucherLine{Account: l.Account, NameZH: a.NameZH, NameEN: a.NameEN, Root: root,
				RootNameZH: ra.NameZH, RootNameEN: ra.NameEN, Former: former, Debit: l.Debit, Credit: l.Credit})
			vv.Debit += l.Debit
			vv.Credit += l.Credit
		}
		vv.TotalCapital = vv.Debit.Capital()
		for _, m := range v.Moves {
			fa, _ := before.lineAccount(m.From)
			ta, _ := now.lineAccount(m.To)
			vv.Moves = append(vv.Moves, MoveView{From: m.From, FromNameZH: fa.NameZH, To: m.To, ToNameZH: ta.NameZH, Amount: m.Amount, NoteZH: m.NoteZH})
		}
		return nil
	})
	return vv, err
}

// VoucherList is a month's vouchers in number order, the year-end
// carry-forward last in a closed year's December.
type VoucherList struct {
	Community string         `json:"community"`
	Month     string         `json:"month"`
	Vouchers  []VoucherBrief `json:"vouchers"`
	AsOfSeq   uint64         `json:"as_of_seq"`
	AsOf      time.Time      `json:"as_of"`
}

// VoucherBrief is one voucher of a list; Amount is its debit total.
type VoucherBrief struct {
	ID         string      `json:"id"`
	Number     int         `json:"number"`
	Date       domain.Date `json:"date"`
	Kind       string      `json:"kind"`
	Summary    string      `json:"summary"`
	Amount     domain.Fen  `json:"amount"`
	Reverses   string      `json:"reverses,omitempty"`
	ReversedBy string      `json:"reversed_by,omitempty"`
	// Corrects and CorrectedBy link a blue-ink correction and the voucher
	// of an earlier year it corrects; RecordedAt is when it was recorded.
	Corrects    string    `json:"corrects,omitempty"`
	CorrectedBy []string  `json:"corrected_by,omitempty"`
	RecordedAt  time.Time `json:"recorded_at,omitzero"`
	Seq         uint64    `json:"stream_seq"`
}

// Vouchers returns the vouchers of a month.
func (f FinanceOn) Vouchers(ctx context.Context, community, month string) (VoucherList, error) {
	p, err := ParseMonth(month)
	if err != nil {
		return VoucherList{}, err
	}
	var vl VoucherList
	err = f.view(ctx, community, func(s *finState, pos Position) error {
		vl = VoucherList{Community: community, Month: p.String(), Vouchers: []VoucherBrief{}, AsOfSeq: pos.Seq, AsOf: pos.Time}
		from, to := p.bounds()
		var vs []*voucherRec
		for _, v := range s.withClosings() {
			if !v.Date.Before(from) && !v.Date.After(to) {
				vs = append(vs, v)
			}
		}
		sort.SliceStable(vs, func(i, j int) bool {
			if (vs[i].Kind == kindClosing) != (vs[j].Kind == kindClosing) {
				return vs[j].Kind == kindClosing
			}
			return vs[i].Number < vs[j].Number
		})
		for _, v := range vs {
			var amt domain.Fen
			for _, l := range v.Lines {
				amt += l.Debit
			}
			vl.Vouchers = append(vl.Vouchers, VoucherBrief{ID: v.ID, Number: v.Number, Date: v.Date, Kind: v.Kind, Summary: v.Summary,
				Amount: amt, Reverses: v.Reverses, ReversedBy: v.ReversedBy, Corrects: v.Corrects, CorrectedBy: slices.Clone(v.CorrectedBy),
				RecordedAt: v.RecordedAt, Seq: v.Seq})
		}
		return nil
	})
	return vl, err
}

// Corrections returns the blue-ink corrections (蓝字更正), posted in later
// years, of the vouchers of year: they change the year's figures after its
// close, so the year's statements say so.
func (f FinanceOn) Corrections(ctx context.Context, community string, year int) ([]VoucherBrief, error) {
	var out []VoucherBrief
	err := f.view(ctx, community, func(s *finState, pos Position) error {
		prefix := fmt.Sprintf("%04d-", year)
		for _, v := range s.vouchers {
			if v.Kind != kindCorrection || !strings.HasPrefix(v.Corrects, prefix) {
				continue
			}
			var amt domain.Fen
			for _, l := range v.Lines {
				amt += l.Debit
			}
			out = append(out, VoucherBrief{ID: v.ID, Number: v.Number, Date: v.Date, Kind: v.Kind, Summary: v.Summary,
				Amount: amt, Corrects: v.Corrects, RecordedAt: v.RecordedAt, Seq: v.Seq})
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return out, err
}
