package projections

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// CashBook is the day-book of one cash or bank account for a month or a
// year: 现金日记账 for 库存现金 (101), 银行存款日记账 for 银行存款 (102), or
// one of their sub-accounts. Every posting is listed in date order
// (posting order within a day) with the running balance, and each day
// closes with its totals and balance (本日合计).
type CashBook struct {
	Community string `json:"community"`
	Account   string `json:"account"`
	NameZH    string `json:"name_zh"`
	NameEN    string `json:"name_en"`
	// Kind is "cash" (现金日记账) or "bank" (银行存款日记账).
	Kind    string     `json:"kind"`
	Period  string     `json:"period"`
	Chart   string     `json:"chart"`
	Opening domain.Fen `json:"opening"`
	// OpeningVoucher is the year's voucher 0, when the period opens the
	// year and has one: its postings are in Opening.
	OpeningVoucher string     `json:"opening_voucher,omitempty"`
	Days           []CashDay  `json:"days"`
	Debit          domain.Fen `json:"debit"`  // 本期收入合计
	Credit         domain.Fen `json:"credit"` // 本期支出合计
	Closing        domain.Fen `json:"closing"`
	// Accounts are the year's cash and bank accounts that take postings,
	// each of which has a day-book.
	Accounts []AccountInfo `json:"accounts"`
	AsOfSeq  uint64        `json:"as_of_seq"`
	AsOf     time.Time     `json:"as_of"`
}

// CashDay is one day of a day-book: its postings, its totals and its
// closing balance.
type CashDay struct {
	Date    domain.Date `json:"date"`
	Entries []CashEntry `json:"entries"`
	Debit   domain.Fen  `json:"debit"`
	Credit  domain.Fen  `json:"credit"`
	Balance domain.Fen  `json:"balance"`
}

// CashEntry is one posting of a day-book. Debit is money in (收入),
// Credit money out (支出); Counter are the accounts on the voucher's other
// side (对方科目); Account is the sub-account posted to, in the book of
// its parent.
type CashEntry struct {
	Voucher string       `json:"voucher"`
	Summary string       `json:"summary"`
	Account string       `json:"account,omitempty"`
	Counter []AccountRef `json:"counter"`
	Debit   domain.Fen   `json:"debit"`
	Credit  domain.Fen   `json:"credit"`
	Balance domain.Fen   `json:"balance"`
	Seq     uint64       `json:"stream_seq"`
}

// AccountRef names an account.
type AccountRef struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en,omitempty"`
}

// cashAccount returns a cash or bank account of the year and whether it
// is cash (库存现金) rather than bank.
func (v *yearView) cashAccount(code string) (domain.Account, bool, error) {
	a, ok := v.accountIn(v.chart, code)
	if !ok || !a.Cash {
		return a, false, fmt.Errorf("account %s is not a cash or bank account of the %d chart %s: %w", code, v.year, v.chart.ID, ErrNotFound)
	}
	return a, len(v.chart.CashCodes) > 0 && v.rootOf(code) == v.chart.CashCodes[0], nil
}

// counter returns the accounts on the other side of line i of vr.
func (v *yearView) counter(vr *voucherRec, i int) []AccountRef {
	debit := vr.Lines[i].Debit != 0
	out := []AccountRef{}
	for j, l := range vr.Lines {
		if j == i || l.Account == vr.Lines[i].Account || (l.Debit != 0) == debit {
			continue
		}
		a, _, _ := v.account(l.Account)
		out = append(out, AccountRef{Code: l.Account, NameZH: a.NameZH, NameEN: a.NameEN})
	}
	return out
}

// CashBook returns the day-book of a cash or bank account for a period.
// An account that is not one of the year's cash or bank accounts is not
// found.
func (f FinanceOn) CashBook(ctx context.Context, community, account string, p Period) (CashBook, error) {
	var cb CashBook
	err := f.view(ctx, community, func(s *finState, pos Position) error {
		v := s.at(p.Year)
		a, cash, err := v.cashAccount(account)
		if err != nil {
			return err
		}
		from, to := p.bounds()
		cb = CashBook{Community: community, Account: a.Code, NameZH: a.NameZH, NameEN: a.NameEN, Kind: "bank", Period: p.String(),
			Chart: v.chart.ID, OpeningVoucher: s.openingVoucher(from), Days: []CashDay{}, Accounts: append([]AccountInfo{}, v.cashLeaves()...),
			AsOfSeq: pos.Seq, AsOf: pos.Time}
		if cash {
			cb.Kind = "cash"
		}
		codes := map[string]bool{}
		for _, c := range v.descendants(account) {
			codes[c] = true
		}
		open := s.opening(from)
		for c := range codes {
			cb.Opening += net(open, c)
		}
		type posting struct {
			date  domain.Date
			entry CashEntry
		}
		var ps []posting
		for _, vr := range s.vouchers {
			if !vr.in(from, to) {
				continue
			}
			for i, l := range vr.Lines {
				if !codes[l.Account] {
					continue
				}
				e := CashEntry{Voucher: vr.ID, Summary: vr.Summary, Counter: v.counter(vr, i), Debit: l.Debit, Credit: l.Credit, Seq: vr.Seq}
				if l.Account != account {
					e.Account = l.Account
				}
				ps = append(ps, posting{vr.Date, e})
			}
		}
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].date.Before(ps[j].date) })
		bal := cb.Opening
		for _, p := range ps {
			if n := len(cb.Days); n == 0 || cb.Days[n-1].Date != p.date {
				cb.Days = append(cb.Days, CashDay{Date: p.date})
			}
			d := &cb.Days[len(cb.Days)-1]
			bal += p.entry.Debit - p.entry.Credit
			p.entry.Balance = bal
			d.Entries = append(d.Entries, p.entry)
			d.Debit += p.entry.Debit
			d.Credit += p.entry.Credit
			d.Balance = bal
			cb.Debit += p.entry.Debit
			cb.Credit += p.entry.Credit
		}
		cb.Closing = bal
		return nil
	})
	return cb, err
}

// BankReconciliation is what the books give a 银行存款余额调节表 (bank
// reconciliation statement) of a bank account at a month's end: the book
// balance, and the month's receipts and payments, any of which the bank
// may not have recorded yet (企业已收银行未收, 企业已付银行未付). The bank's
// side — the statement balance and what the bank recorded that the books
// have not (银行已收企业未收, 银行已付企业未付) — gongkai does not know: the
// clerk types it, and ticks the postings the statement lacks, and
// Reconcile does the arithmetic.
type BankReconciliation struct {
	Community   string       `json:"community"`
	Account     string       `json:"account"`
	NameZH      string       `json:"name_zh"`
	NameEN      string       `json:"name_en"`
	Month       string       `json:"month"`
	Date        domain.Date  `json:"date"`
	BookBalance domain.Fen   `json:"book_balance"`
	Postings    []ReconEntry `json:"postings"`
	// Accounts are the year's bank accounts that take postings.
	Accounts []AccountInfo `json:"accounts"`
	// Reconciled is the arithmetic on what the clerk typed, when she
	// typed a statement balance.
	Reconciled *Reconciled `json:"reconciled,omitempty"`
	AsOfSeq    uint64      `json:"as_of_seq"`
	AsOf       time.Time   `json:"as_of"`
}

// ReconEntry is one posting of the month to the bank account. Ref names
// it ("2025-06-003/1": the voucher and the line, from 1).
type ReconEntry struct {
	Ref     string      `json:"ref"`
	Date    domain.Date `json:"date"`
	Voucher string      `json:"voucher"`
	Summary string      `json:"summary"`
	Debit   domain.Fen  `json:"debit"`  // 企业已收
	Credit  domain.Fen  `json:"credit"` // 企业已付
	Seq     uint64      `json:"stream_seq"`
}

// Reconciled is a reconciliation worked out: the two sides of the form
// adjusted, and whether they agree.
type Reconciled struct {
	StatementBalance domain.Fen `json:"statement_balance"` // 银行对账单余额, typed
	Difference       domain.Fen `json:"difference"`        // statement balance − book balance
	BankReceived     domain.Fen `json:"bank_received"`     // 银行已收企业未收, typed
	BankPaid         domain.Fen `json:"bank_paid"`         // 银行已付企业未付, typed
	BooksReceived    domain.Fen `json:"books_received"`    // 企业已收银行未收: the ticked receipts
	BooksPaid        domain.Fen `json:"books_paid"`        // 企业已付银行未付: the ticked payments
	AdjustedBooks    domain.Fen `json:"adjusted_books"`    // book balance + bank received − bank paid
	AdjustedBank     domain.Fen `json:"adjusted_bank"`     // statement + books received − books paid
	Agrees           bool       `json:"agrees"`
	// Outstanding are the refs ticked; Unknown those ticked that are no
	// posting of the month.
	Outstanding []string `json:"outstanding"`
	Unknown     []string `json:"unknown,omitempty"`
}

// Reconcile works out the form from the statement balance, what the bank
// recorded that the books have not, and the refs of the month's postings
// the statement lacks.
func (r BankReconciliation) Reconcile(statement, bankReceived, bankPaid domain.Fen, outstanding []string) Reconciled {
	rec := Reconciled{StatementBalance: statement, Difference: statement - r.BookBalance, BankReceived: bankReceived, BankPaid: bankPaid,
		Outstanding: []string{}}
	byRef := map[string]ReconEntry{}
	for _, e := range r.Postings {
		byRef[e.Ref] = e
	}
	seen := map[string]bool{}
	for _, ref := range outstanding {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		e, ok := byRef[ref]
		if !ok {
			rec.Unknown = append(rec.Unknown, ref)
			continue
		}
		rec.Outstanding = append(rec.Outstanding, ref)
		rec.BooksReceived += e.Debit
		rec.BooksPaid += e.Credit
	}
	rec.AdjustedBooks = r.BookBalance + bankReceived - bankPaid
	rec.AdjustedBank = statement + rec.BooksReceived - rec.BooksPaid
	rec.Agrees = rec.AdjustedBooks == rec.AdjustedBank
	return rec
}

// BankReconciliation returns the books' side of the reconciliation of a
// bank account at a month's end. A cash (库存现金) account has none.
func (f FinanceOn) BankReconciliation(ctx context.Context, community, account, month string) (BankReconciliation, error) {
	p, err := ParseMonth(month)
	if err != nil {
		return BankReconciliation{}, err
	}
	var br BankReconciliation
	err = f.view(ctx, community, func(s *finState, pos Position) error {
		v := s.at(p.Year)
		a, cash, err := v.cashAccount(account)
		if err != nil {
			return err
		}
		if cash {
			return fmt.Errorf("account %s is cash on hand, not a bank account: %w", account, ErrNotFound)
		}
		from, to := p.bounds()
		br = BankReconciliation{Community: community, Account: a.Code, NameZH: a.NameZH, NameEN: a.NameEN, Month: p.String(), Date: to,
			Postings: []ReconEntry{}, Accounts: []AccountInfo{}, AsOfSeq: pos.Seq, AsOf: pos.Time}
		for _, l := range v.cashLeaves() {
			if _, cash, _ := v.cashAccount(l.Code); !cash {
				br.Accounts = append(br.Accounts, l)
			}
		}
		codes := map[string]bool{}
		for _, c := range v.descendants(account) {
			codes[c] = true
		}
		all := s.sumWhere(func(vr *voucherRec) bool { return !vr.Date.After(to) }, true)
		for c := range codes {
			br.BookBalance += net(all, c)
		}
		for _, vr := range s.vouchers {
			if !vr.in(from, to) {
				continue
			}
			for i, l := range vr.Lines {
				if codes[l.Account] {
					br.Postings = append(br.Postings, ReconEntry{Ref: fmt.Sprintf("%s/%d", vr.ID, i+1), Date: vr.Date, Voucher: vr.ID,
						Summary: vr.Summary, Debit: l.Debit, Credit: l.Credit, Seq: vr.Seq})
				}
			}
		}
		sort.SliceStable(br.Postings, func(i, j int) bool { return br.Postings[i].Date.Before(br.Postings[j].Date) })
		return nil
	})
	return br, err
}
