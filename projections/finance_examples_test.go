package projections_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// checkRunningBalance fails unless each entry's running balance is the
// ledger's opening plus the entries shown down to it, and the entries add
// up to the closing balance.
func checkRunningBalance(tb failer, side string, l projections.Ledger) {
	tb.Helper()
	bal := l.Opening
	for _, e := range l.Entries {
		if side == domain.SideCredit {
			bal += e.Credit - e.Debit
		} else {
			bal += e.Debit - e.Credit
		}
		if e.Balance != bal {
			tb.Fatalf("ledger %s %s: entry %s dated %s shows a running balance of %s; the opening and the entries down to it add up to %s:\n%s",
				l.Account, l.Month, e.Voucher, e.Date, e.Balance, bal, mustJSON(tb, l))
		}
	}
	if bal != l.Closing {
		tb.Fatalf("ledger %s %s: entries add up to %s, closing is %s", l.Account, l.Month, bal, l.Closing)
	}
}

// TestLedgerRunningBalance: in every account's ledger of every month, each
// entry's running balance is the opening plus the entries shown above it.
func TestLedgerRunningBalance(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := drawBooks(rt, 0)
		b.run(20)
		for _, month := range b.months() {
			for _, code := range b.codes() {
				l := b.ledger(code, month)
				checkRunningBalance(rt, l.Side, l)
			}
		}
	})
}

// TestLedgerContinuity: every account's ledger opens each month where it
// closed the month before, December to January included (where a new
// year opens with voucher 0, the opening balances or change of chart,
// its postings are added), and closes at the domain's Balance.
func TestLedgerContinuity(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := drawBooks(rt, 0)
		b.run(20)
		prev := map[string]projections.Ledger{}
		for i, month := range b.months() {
			p, _ := projections.ParseMonth(month)
			for _, code := range b.codes() {
				l := b.ledger(code, month)
				if pl, ok := prev[code]; i > 0 && ok {
					// In raw terms (debit − credit): the side may change
					// with the chart.
					rawOf := func(l projections.Ledger, f domain.Fen) domain.Fen {
						if l.Side == domain.SideCredit {
							return -f
						}
						return f
					}
					want := rawOf(pl, pl.Closing)
					if p.Month == 1 {
						want += zeroNet(b, p.Year, code)
					}
					if got := rawOf(l, l.Opening); got != want {
						rt.Fatalf("ledger %s: %s opens at %s (%s side), %s closed at %s (%s side), voucher 0 posts %s",
							code, month, l.Opening, l.Side, pl.Month, pl.Closing, pl.Side, zeroNet(b, p.Year, code))
					}
				}
				if b.state != nil {
					if dom := b.state.Balance(code, endOf(month)); dom != l.Closing {
						rt.Fatalf("ledger %s %s closes at %s, domain Balance is %s", code, month, l.Closing, dom)
					}
				}
				prev[code] = l
			}
		}
	})
}

// TestYearCloseCarriesForward: once a year is closed, its income, expense
// and 本年收益 (321) accounts stand at zero on its last day, and the net
// income the close carried forward is the result of the year's income
// statement.
func TestYearCloseCarriesForward(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := drawBooks(rt, 0)
		b.run(30)
		checkCarryForward(rt, b)
	})
}

func checkCarryForward(tb failer, b *books) {
	tb.Helper()
	for _, y := range b.years {
		yc := b.closings[y]
		if yc == nil {
			continue
		}
		is, err := b.fin.IncomeStatement(context.Background(), propCommunity, projections.Period{Year: y})
		if err != nil {
			tb.Fatalf("IncomeStatement(%d): %v", y, err)
		}
		if is.Result != yc.NetIncome {
			tb.Fatalf("year %d closed with a net income of %s; its income statement shows a result of %s", y, yc.NetIncome, is.Result)
		}
		for _, a := range b.chart(y).Accounts {
			if a.Class != domain.ClassIncome && a.Class != domain.ClassExpense && a.Code != domain.AccountYearIncome {
				continue
			}
			if bal := b.state.Balance(a.Code, date(y, 12, 31)); bal != 0 {
				tb.Fatalf("year %d is closed but account %s stands at %s on %d-12-31; accepted:\n%s", y, a.Code, bal, y, strings.Join(b.history, "\n"))
			}
		}
	}
}

// TestClosedMonthStaysClosed: a closed month's figures never change: at
// the end of any history its trial balance still shows the turnover and
// the balances recorded when it was closed. (The December of a closed year
// is left out: the year-end carry-forward is dated 31 December and changes
// its balances by design.)
func TestClosedMonthStaysClosed(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := drawBooks(rt, 0)
		b.run(40)
		for _, month := range slices.Sorted(maps.Keys(b.monthClosed)) {
			if end := endOf(month); end.Month == time.December && b.closedYears[end.Year] {
				continue
			}
			b.checkMonthClosed(b.monthClosed[month])
		}
	})
}

// postAt posts a voucher with the next number of its month; lines are
// {account, debit, credit}.
func (b *books) postAt(d domain.Date, lines ...[3]string) {
	b.tb.Helper()
	b.do(domain.CmdPostVoucher, domain.BooksID, d, b.voucherData(b.lastNumber[domain.Month(d)]+1, voucherLines(lines...), "", ""), "")
}

// closeMonths closes the months of year y from m1 to m2 in order.
func (b *books) closeMonths(y, m1, m2 int) {
	b.tb.Helper()
	for m := m1; m <= m2; m++ {
		evs := b.do(domain.CmdCloseMonth, domain.BooksID, monthEnd(y, m), map[string]string{"month": fmt.Sprintf("%04d-%02d", y, m)}, "")
		b.checkMonthClosed(evs[0].(*domain.MonthClosed))
	}
}

// voucherLines builds the lines of a voucher command from {account,
// debit, credit}.
func voucherLines(lines ...[3]string) []map[string]string {
	var in []map[string]string
	for _, l := range lines {
		m := map[string]string{"account": l[0]}
		if l[1] != "" {
			m["debit"] = l[1]
		} else {
			m["credit"] = l[2]
		}
		in = append(in, m)
	}
	return in
}

// feed applies events, one a time, to a fresh read model, as a log kept
// before today's rules would hold them.
func feed(t *testing.T, evs ...any) *projections.MemoryFinance {
	t.Helper()
	f := projections.NewMemoryFinance()
	for i := 0; i < len(evs); i += 2 {
		d, ev := evs[i].(string), evs[i+1].(domain.Event)
		raw, _ := json.Marshal(ev)
		pe := projections.Event{Seq: uint64(i/2 + 1), Type: ev.EventType(), Schema: domain.SchemaVersion, Community: propCommunity,
			AggregateType: domain.AggregateBooks, AggregateID: domain.BooksID, EffectiveDate: d, Data: raw}
		if err := f.Apply(context.Background(), []projections.Event{pe}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func vp(n int, lines ...domain.Line) *domain.VoucherPosted {
	return &domain.VoucherPosted{VoucherData: domain.VoucherData{Number: n, Summary: "凭证", Lines: lines, Preparer: "会计"}}
}

func ln(acct string, d, c domain.Fen) domain.Line {
	return domain.Line{Account: acct, Debit: d, Credit: c}
}

// A log kept before voucher numbers had to follow dates holds vouchers of
// a month out of date order: the ledger lists them by date, and its
// running balance follows that order. Such a log also records no chart:
// its years are on the 2004 chart, whatever year they are.
func TestLedgerEntriesOutOfDateOrder(t *testing.T) {
	f := feed(t,
		"2025-03-20", vp(1, ln("541", 100_00, 0), ln("101", 0, 100_00)),
		"2025-03-05", vp(2, ln("101", 50_00, 0), ln("531", 0, 50_00)))
	l, err := f.Ledger(context.Background(), propCommunity, "101", "2025-03")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Entries) != 2 || l.Entries[0].Voucher != "2025-03-002" || l.Entries[1].Balance != -50_00 || l.NameZH != "现金" {
		t.Errorf("ledger = %s, want 2025-03-002 first, closing at -50.00, account 现金 of the 2004 chart", mustJSON(t, l))
	}
	checkRunningBalance(t, domain.SideDebit, l)
}

// After a year is closed, the December ledger of an income account and of
// 收益分配 (322) must close where the domain's Balance stands on 12-31 and
// where the January ledger opens.
func TestLedgerDecemberAfterYearClose(t *testing.T) {
	b := newBooks(t, []int{2025})
	b.postAt(date(2025, 6, 10), [3]string{"102", "1000.00", ""}, [3]string{"501", "", "1000.00"})
	b.closeMonths(2025, 6, 6)
	b.do(domain.CmdCloseYear, domain.BooksID, date(2025, 12, 31), map[string]int{"year": 2025}, "")
	for _, acct := range []string{"501", domain.AccountYearIncome, domain.AccountDistribution} {
		dec, jan := b.ledger(acct, "2025-12"), b.ledger(acct, "2026-01")
		dom := b.state.Balance(acct, date(2025, 12, 31))
		if dec.Closing != dom || jan.Opening != dom {
			t.Errorf("account %s: December ledger closes at %s, January ledger opens at %s; domain Balance on 2025-12-31 is %s",
				acct, dec.Closing, jan.Opening, dom)
		}
	}
}

// Years are closed in order: closing 2026 while 2025 has open books would
// sweep 2025's income into 2026's carry-forward, and closing 2025 later
// would carry it a second time.
func TestCloseYearsInOrder(t *testing.T) {
	b := newBooks(t, []int{2025, 2026})
	b.postAt(date(2025, 6, 10), [3]string{"102", "1000.00", ""}, [3]string{"501", "", "1000.00"})
	b.closeMonths(2025, 6, 6)
	b.do(domain.CmdCloseYear, domain.BooksID, date(2026, 12, 31), map[string]int{"year": 2026}, "earlier_year_open")
	b.do(domain.CmdCloseYear, domain.BooksID, date(2026, 12, 31), map[string]int{"year": 2025}, "")
	b.do(domain.CmdCloseYear, domain.BooksID, date(2026, 12, 31), map[string]int{"year": 2026}, "")
	if ni := b.closings[2026].NetIncome; ni != 0 {
		t.Errorf("2026 had no income, its carry-forward has a net income of %s", ni)
	}
	if got := b.state.Balance(domain.AccountDistribution, date(2026, 12, 31)); got != 1000_00 {
		t.Errorf("收益分配 (322) on 2026-12-31 = %s, want 1000.00: the only income ever was 1000.00", got)
	}
	checkCarryForward(t, b)
}

// A month closed before an earlier month must keep its figures: either
// February cannot be closed while January is open, or January cannot take
// a voucher once February is closed; if both are accepted, February's
// trial balance changes after it was closed.
func TestClosedMonthKeepsItsBalances(t *testing.T) {
	b := newBooks(t, []int{2025})
	if err := b.try(domain.CmdCloseMonth, domain.BooksID, date(2025, 2, 28), map[string]string{"month": "2025-02"}); err != nil {
		t.Logf("closing February before January: %v", err)
		return
	}
	err := b.try(domain.CmdPostVoucher, domain.BooksID, date(2025, 1, 15),
		b.voucherData(1, voucherLines([3]string{"102", "100.00", ""}, [3]string{"501", "", "100.00"}), "", ""))
	if err != nil {
		t.Logf("posting into January after February is closed: %v", err)
		return
	}
	tb, _ := b.fin.TrialBalance(context.Background(), propCommunity, "2025-02")
	mc := b.monthClosed["2025-02"]
	if tb.Total.ClosingDebit != mc.DebitBalance || tb.Total.ClosingCredit != mc.CreditBalance {
		t.Errorf("2025-02 was closed with debit and credit balances %s/%s; after a voucher dated 2025-01-15 was accepted its trial balance shows %s/%s",
			mc.DebitBalance, mc.CreditBalance, tb.Total.ClosingDebit, tb.Total.ClosingCredit)
	}
}

// A closed year must keep its balances: a voucher dated in an earlier year
// that had no books when the later year was closed must not change them
// (either closing 2026 or the 2025 voucher is refused).
func TestClosedYearKeepsItsBalances(t *testing.T) {
	b := newBooks(t, []int{2025, 2026})
	b.postAt(date(2026, 3, 10), [3]string{"102", "500.00", ""}, [3]string{"501", "", "500.00"})
	b.closeMonths(2026, 3, 3)
	if err := b.try(domain.CmdCloseYear, domain.BooksID, date(2026, 12, 31), map[string]int{"year": 2026}); err != nil {
		t.Logf("closing 2026 while 2025 is open: %v", err)
		return
	}
	err := b.try(domain.CmdPostVoucher, domain.BooksID, date(2025, 6, 10),
		b.voucherData(1, voucherLines([3]string{"102", "1000.00", ""}, [3]string{"501", "", "1000.00"}), "", ""))
	if err != nil {
		t.Logf("posting into 2025 after 2026 is closed: %v", err)
		return
	}
	if got := b.state.Balance("501", date(2026, 12, 31)); got != 0 {
		t.Errorf("2026 is closed, but after a voucher dated 2025-06-10 was accepted 经营收入 (501) stands at %s on 2026-12-31, want 0.00", got)
	}
}

// twoCharts is a community's 2023 on the 2004 chart, closed, and the
// start of 2024 on the 2023 chart after the change of chart; the figures
// of the tests below are worked out by hand from these vouchers.
func twoCharts(t *testing.T) *books {
	t.Helper()
	b := newBooks(t, []int{2023, 2024})
	b.transition = 2024
	for _, sub := range []domain.SubAccount{
		{Code: "11201", Parent: "112", NameZH: "张三"},
		{Code: "32201", Parent: "322", NameZH: "农户分配"},
		{Code: "32209", Parent: "322", NameZH: "各项分配"},
	} {
		b.defineAccount(sub)
	}
	b.openBalances()                                                                                // 101 5000, 102 80000, 151 50000 / 152 5000, 301 100000, 311 30000
	b.postAt(date(2023, 3, 10), [3]string{"102", "14000.00", ""}, [3]string{"501", "", "14000.00"}) // 经营收入
	b.postAt(date(2023, 3, 15), [3]string{"102", "20000.00", ""}, [3]string{"522", "", "20000.00"}) // 补助收入
	b.postAt(date(2023, 4, 5), [3]string{"541", "3000.00", ""}, [3]string{"101", "", "3000.00"})    // 管理费用
	b.postAt(date(2023, 4, 20), [3]string{"541", "5000.00", ""}, [3]string{"211", "", "5000.00"})   // 应付工资 (2004)
	b.postAt(date(2023, 5, 10), [3]string{"11201", "2000.00", ""}, [3]string{"511", "", "2000.00"}) // 发包及上交收入
	b.postAt(date(2023, 6, 1), [3]string{"154", "10000.00", ""}, [3]string{"202", "", "10000.00"})  // 在建工程, 应付款 (2004)
	b.postAt(date(2023, 6, 15), [3]string{"551", "1000.00", ""}, [3]string{"212", "", "1000.00"})   // 其他支出, 应付福利费
	b.postAt(date(2023, 7, 1), [3]string{"101", "2000.00", ""}, [3]string{"102", "", "2000.00"})    // 提现: no payment
	b.postAt(date(2023, 7, 20), [3]string{"32201", "4000.00", ""}, [3]string{"202", "", "4000.00"}) // 农户分配 (by name)
	b.postAt(date(2023, 7, 25), [3]string{"32209", "3000.00", ""}, [3]string{"311", "", "3000.00"}) // 提取公积公益金 (by 311)
	b.closeMonths(2023, 1, 7)
	b.do(domain.CmdCloseYear, domain.BooksID, date(2023, 12, 31), map[string]int{"year": 2023}, "")
	b.do(domain.CmdPostVoucher, domain.BooksID, date(2024, 1, 5), b.voucherData(1,
		voucherLines([3]string{"102", "1.00", ""}, [3]string{"501", "", "1.00"}), "", ""), "transition_required")
	before := b.postingsCopy()
	evs := b.do(domain.CmdTransition, domain.BooksID, date(2024, 1, 2), map[string]any{"year": 2024, "preparer": "赵敏"}, "")
	b.checkTransition(evs[0].(*domain.ChartTransitioned), before)
	b.postAt(date(2024, 2, 10), [3]string{"102", "3500.00", ""}, [3]string{"501", "", "3500.00"}) // 经营收入
	b.postAt(date(2024, 2, 20), [3]string{"513", "1200.00", ""}, [3]string{"101", "", "1200.00"}) // 管理费用 (2023)
	b.postAt(date(2024, 3, 5), [3]string{"211", "5000.00", ""}, [3]string{"102", "", "5000.00"})  // 应付款 (2023)
	b.postAt(date(2024, 3, 6), [3]string{"101", "1000.00", ""}, [3]string{"102", "", "1000.00"})  // 提现
	b.postAt(date(2024, 3, 6), [3]string{"514", "800.00", ""}, [3]string{"101", "", "800.00"})    // 公益支出
	return b
}

// layout writes a form as one line a row: 行次, label, the amounts in the
// order of the columns ("-" where a column has no figure).
func layout(f projections.Form) string {
	var sb strings.Builder
	for _, r := range f.Rows {
		if r.Row != 0 {
			fmt.Fprintf(&sb, "%d ", r.Row)
		}
		sb.WriteString(r.LabelZH)
		if r.Kind != "heading" {
			for _, c := range f.Columns {
				if a, ok := r.Amounts[c.Key]; ok {
					sb.WriteString(" " + a.String())
				} else {
					sb.WriteString(" -")
				}
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

func checkLayout(t *testing.T, name string, f projections.Form, want string) {
	t.Helper()
	got, wantLines := strings.Split(layout(f), "\n"), strings.Split(strings.TrimLeft(want, "\n"), "\n")
	for i := range max(len(got), len(wantLines)) {
		g, w := "<none>", "<none>"
		if i < len(got) {
			g = got[i]
		}
		if i < len(wantLines) {
			w = wantLines[i]
		}
		if g != w {
			t.Errorf("%s line %d:\n got %s\nwant %s", name, i+1, g, w)
			return
		}
	}
}

// The 2004 forms of 2023 and the 2023 forms of 2024, with every figure
// worked out by hand from twoCharts and every label as the form data has
// it (村会01表 and 村会02表 of 财会〔2004〕12号; the 2023 forms are the
// unverified reconstruction of domain/statements).
func TestOfficialFormsByHand(t *testing.T) {
	b := twoCharts(t)
	ctx := context.Background()
	bs23, err := b.fin.BalanceSheetForm(ctx, propCommunity, "2023-12")
	if err != nil {
		t.Fatal(err)
	}
	if bs23.Form != "balance-sheet-2004" || bs23.Columns[0].LabelZH != "年初数" || !bs23.Verified || !bs23.Balanced {
		t.Errorf("2023 balance sheet: form %s, columns %v, verified %v, balanced %v", bs23.Form, bs23.Columns, bs23.Verified, bs23.Balanced)
	}
	checkLayout(t, "资产负债表 2023-12-31", bs23, `
流动资产：
1 货币资金 85000.00 116000.00
2 短期投资 0.00 0.00
5 应收款项 0.00 2000.00
8 存　货 0.00 0.00
9 流动资产合计 85000.00 118000.00
农业资产：
10 牲畜（禽）资产 0.00 0.00
11 林木资产 0.00 0.00
15 农业资产合计 0.00 0.00
长期资产：
16 长期投资 0.00 0.00
固定资产：
19 固定资产原价 50000.00 50000.00
20 减：累计折旧 5000.00 5000.00
21 固定资产净值 45000.00 45000.00
22 固定资产清理 0.00 0.00
23 在建工程 0.00 10000.00
26 固定资产合计 45000.00 55000.00
32 资产总计 130000.00 173000.00
流动负债：
35 短期借款 0.00 0.00
36 应付款项 0.00 14000.00
37 应付工资 0.00 5000.00
38 应付福利费 0.00 1000.00
41 流动负债合计 0.00 20000.00
长期负债：
42 长期借款及应付款 0.00 0.00
43 一事一议资金 0.00 0.00
46 长期负债合计 0.00 0.00
49 负债合计 0.00 20000.00
所有者权益：
50 资本 100000.00 100000.00
51 公积公益金 30000.00 33000.00
52 未分配收益 0.00 20000.00
53 所有者权益合计 130000.00 153000.00
56 负债和所有者权益总计 130000.00 173000.00
`)
	is23, err := b.fin.IncomeForm(ctx, propCommunity, 2023)
	if err != nil {
		t.Fatal(err)
	}
	checkLayout(t, "收益及收益分配表 2023", is23, `
本年收益
1 一、经营收入 14000.00
2 加：发包及上交收入 2000.00
3 投资收益 0.00
6 减：经营支出 0.00
7 管理费用 8000.00
10 二、经营收益 8000.00
11 加：农业税附加返还收入 0.00
12 补助收入 20000.00
13 其他收入 0.00
16 减：其他支出 1000.00
20 三、本年收益 27000.00
收益分配
21 四、本年收益 27000.00
22 加：年初未分配收益 0.00
23 其他转入 0.00
26 五、可分配收益 27000.00
27 减：1. 提取公积公益金 3000.00
28 2. 提取应付福利费 0.00
29 3. 外来投资分利 0.00
30 4. 农户分配 4000.00
31 5. 其他 0.00
35 六、年末未分配收益 20000.00
`)
	if len(is23.Checks) != 1 || !is23.Checks[0].Holds || !is23.Balanced {
		t.Errorf("2023 income form checks = %+v, balanced %v; want 年末未分配收益 = 未分配收益 holding", is23.Checks, is23.Balanced)
	}

	bs24, err := b.fin.BalanceSheetForm(ctx, propCommunity, "2024-03")
	if err != nil {
		t.Fatal(err)
	}
	if bs24.Form != "balance-sheet-2023" || bs24.Verified || !bs24.RowsArePlaceholders || !bs24.Balanced {
		t.Errorf("2024 balance sheet: form %s, verified %v, placeholders %v, balanced %v", bs24.Form, bs24.Verified, bs24.RowsArePlaceholders, bs24.Balanced)
	}
	checkLayout(t, "资产负债表 2024-03-31", bs24, `
流动资产：
1 货币资金 112500.00 116000.00
2 短期投资 0.00 0.00
3 应收款项 2000.00 2000.00
4 存货 0.00 0.00
5 消耗性生物资产 0.00 0.00
6 流动资产合计 114500.00 118000.00
非流动资产：
7 长期投资 0.00 0.00
8 生产性生物资产原值 0.00 0.00
9 减：生产性生物资产累计折旧 0.00 0.00
10 生产性生物资产净值 0.00 0.00
11 固定资产原值 50000.00 50000.00
12 减：累计折旧 5000.00 5000.00
13 固定资产净值 45000.00 45000.00
14 在建工程 10000.00 10000.00
15 固定资产清理 0.00 0.00
16 固定资产小计 55000.00 55000.00
17 无形资产原值 0.00 0.00
18 减：累计摊销 0.00 0.00
19 无形资产净值 0.00 0.00
20 公益性生物资产 0.00 0.00
21 长期待摊费用 0.00 0.00
22 非流动资产合计 55000.00 55000.00
23 资产总计 169500.00 173000.00
流动负债：
24 短期借款 0.00 0.00
25 应付款项 10000.00 15000.00
26 应付工资 5000.00 5000.00
27 应付劳务费 0.00 0.00
28 应交税费 0.00 0.00
29 流动负债合计 15000.00 20000.00
非流动负债：
30 长期借款及应付款 0.00 0.00
31 一事一议资金 0.00 0.00
32 专项应付款 0.00 0.00
33 非流动负债合计 0.00 0.00
34 负债合计 15000.00 20000.00
所有者权益：
35 资本 100000.00 100000.00
36 公积公益金 33000.00 33000.00
37 未分配收益 21500.00 20000.00
38 所有者权益合计 154500.00 153000.00
39 负债和所有者权益总计 169500.00 173000.00
`)
	is24, err := b.fin.IncomeForm(ctx, propCommunity, 2024)
	if err != nil {
		t.Fatal(err)
	}
	checkLayout(t, "收益及收益分配表 2024", is24, `
本年收益
1 一、经营收入 3500.00 -
2 加：投资收益 0.00 -
3 减：经营支出 0.00 -
4 税金及附加 0.00 -
5 管理费用 1200.00 -
6 二、经营收益 2300.00 -
7 加：补助收入 0.00 -
8 其他收入 0.00 -
9 减：公益支出 800.00 -
10 其他支出 0.00 -
11 三、收益总额 1500.00 -
12 减：所得税费用 0.00 -
13 四、本年收益 1500.00 -
收益分配
14 加：年初未分配收益 20000.00 -
15 其他转入 0.00 -
16 五、可分配收益 21500.00 -
17 减：提取公积公益金 0.00 -
18 外来投资分利 0.00 -
19 农户分配 0.00 -
20 其他 0.00 -
21 六、年末未分配收益 21500.00 -
`)
	if len(is24.Notes) != 1 || is24.Notes[0].Code != "prior_year_other_chart" || len(is24.Checks) != 1 || !is24.Checks[0].Holds {
		t.Errorf("2024 income form: notes %+v, checks %+v; want the prior year left out for its other chart, and the check holding", is24.Notes, is24.Checks)
	}
}

// Each year is shown in its own chart: 2023's accounts under their 2004
// names, 2024's under the 2023 names, the change of chart as voucher 0
// naming the old account of each line it takes out and the new account of
// each line it puts in; sub-accounts under their parents, rolled up.
func TestEachYearInItsChart(t *testing.T) {
	b := twoCharts(t)
	ctx := context.Background()
	tb23, _ := b.fin.TrialBalance(ctx, propCommunity, "2023-12")
	tb24, _ := b.fin.TrialBalance(ctx, propCommunity, "2024-01")
	name := func(tb projections.TrialBalance, code string) string {
		for _, r := range tb.Rows {
			if r.Account == code {
				return r.NameZH
			}
		}
		return "<none>"
	}
	for _, c := range []struct {
		tb         projections.TrialBalance
		code, want string
	}{
		{tb23, "101", "现金"}, {tb23, "211", "应付工资"}, {tb23, "202", "应付款"}, {tb23, "154", "在建工程"},
		{tb24, "101", "库存现金"}, {tb24, "211", "应付款"}, {tb24, "212", "应付工资"}, {tb24, "153", "在建工程"},
		{tb24, "202", "<none>"}, {tb24, "154", "<none>"},
	} {
		if got := name(c.tb, c.code); got != c.want {
			t.Errorf("trial balance %s (%s): account %s is %q, want %q", c.tb.Month, c.tb.Chart, c.code, got, c.want)
		}
	}
	if tb24.Opening != "2024-01-000" || tb24.Chart != "cn-rural-collective-2023" || tb23.Chart != "cn-village-2004" {
		t.Errorf("2024-01 opens with %q on %s; 2023 is on %s", tb24.Opening, tb24.Chart, tb23.Chart)
	}
	// 112 rolls up 11201; 322 its own close and its two sub-accounts.
	rows := map[string]projections.TrialBalanceRow{}
	for _, r := range tb23.Rows {
		rows[r.Account] = r
	}
	if r, s := rows["112"], rows["11201"]; r.ClosingDebit != 2000_00 || s.ClosingDebit != 2000_00 || s.Parent != "112" || s.Level != 1 || s.NameZH != "张三" {
		t.Errorf("112 %+v, 11201 %+v: want both at 2000.00 debit, 11201 under 112", r, s)
	}
	if r := rows["322"]; r.ClosingCredit != 20000_00 || rows["32201"].ClosingDebit != 4000_00 || rows["32209"].ClosingDebit != 3000_00 {
		t.Errorf("322 %+v, 32201 %+v, 32209 %+v", r, rows["32201"], rows["32209"])
	}
	l, _ := b.fin.Ledger(ctx, propCommunity, "322", "2023-07")
	if len(l.Entries) != 2 || l.Entries[0].Account != "32201" || l.Entries[1].Account != "32209" || l.Closing != -7000_00 {
		t.Errorf("ledger of 322 for 2023-07 = %s; want the two sub-accounts' entries, closing at -7000.00 (a debit)", mustJSON(t, l))
	}

	v, err := b.fin.Voucher(ctx, propCommunity, "2024-01-000")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range v.Lines {
		lines = append(lines, fmt.Sprintf("%s %s %s/%s", l.Account, l.NameZH, l.Debit, l.Credit))
	}
	want := []string{"154 在建工程 0.00/10000.00", "153 在建工程 10000.00/0.00", "202 应付款 14000.00/0.00", "211 应付款 0.00/14000.00",
		"211 应付工资 5000.00/0.00", "212 应付工资 0.00/5000.00", "212 应付福利费 1000.00/0.00", "211 应付款 0.00/1000.00"}
	if !slices.Equal(lines, want) || v.Kind != "transition" || v.TotalCapital != "叁万元整" || v.Number != 0 || v.Preparer != "赵敏" ||
		len(v.Moves) != 4 || v.Moves[1].FromNameZH != "应付款" || v.Moves[1].ToNameZH != "应付款" || v.Moves[1].Amount != 14000_00 {
		t.Errorf("voucher 2024-01-000: lines %q, want %q; %s", lines, want, mustJSON(t, v))
	}
	ob, err := b.fin.Voucher(ctx, propCommunity, "2023-01-000")
	if err != nil || ob.Kind != "opening" || ob.Summary != "期初余额 2022年度资产负债表" || ob.Debit != 135000_00 || ob.Lines[0].NameZH != "现金" {
		t.Errorf("voucher 2023-01-000 = %s, %v", mustJSON(t, ob), err)
	}
	cl, err := b.fin.Voucher(ctx, propCommunity, "2023-closing")
	if err != nil || cl.Kind != "closing" || cl.Debit != cl.Credit {
		t.Errorf("voucher 2023-closing = %s, %v", mustJSON(t, cl), err)
	}
}

// The cashier's books: each day's postings with the running balance, the
// day's totals and closing balance, the accounts on the other side; a
// transfer between cash and bank shows in both books and is no payment.
func TestCashBook(t *testing.T) {
	b := twoCharts(t)
	ctx := context.Background()
	cb, err := b.fin.CashBook(ctx, propCommunity, "101", projections.Period{Year: 2024, Month: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range cb.Days {
		for _, e := range d.Entries {
			got = append(got, fmt.Sprintf("%s %s %s %s %s %s", d.Date, e.Voucher, e.Counter[0].NameZH, e.Debit, e.Credit, e.Balance))
		}
		got = append(got, fmt.Sprintf("%s 本日合计 %s %s %s", d.Date, d.Debit, d.Credit, d.Balance))
	}
	want := []string{
		"2024-03-06 2024-03-002 银行存款 1000.00 0.00 3800.00",
		"2024-03-06 2024-03-003 公益支出 0.00 800.00 3000.00",
		"2024-03-06 本日合计 1000.00 800.00 3000.00",
	}
	if !slices.Equal(got, want) || cb.Kind != "cash" || cb.Opening != 2800_00 || cb.Closing != 3000_00 || cb.NameZH != "库存现金" {
		t.Errorf("现金日记账 2024-03: %q, opening %s, closing %s, kind %s; want %q, 2800.00, 3000.00, cash", got, cb.Opening, cb.Closing, cb.Kind, want)
	}
	bank, err := b.fin.CashBook(ctx, propCommunity, "102", projections.Period{Year: 2024})
	if err != nil {
		t.Fatal(err)
	}
	if bank.Kind != "bank" || bank.Opening != 112000_00 || bank.OpeningVoucher != "2024-01-000" || bank.Closing != 109500_00 || len(bank.Days) != 3 ||
		bank.Debit != 3500_00 || bank.Credit != 6000_00 {
		t.Errorf("银行存款日记账 2024 = %s", mustJSON(t, bank))
	}
	if _, err := b.fin.CashBook(ctx, propCommunity, "501", projections.Period{Year: 2024}); err == nil {
		t.Errorf("a day-book of 501 经营收入: no error, want one (not a cash or bank account)")
	}
	if be, _ := b.fin.BudgetExecution(ctx, propCommunity, 2023); be.Total.Spent != 0 {
		t.Errorf("budget 2023 spent %s; no voucher cites a budget line", be.Total.Spent)
	}
	sum, _ := b.fin.Summary(ctx, propCommunity, 2024)
	for _, s := range sum.Total.Sources {
		if s.Source == "unassigned" && s.Spent != 7000_00 { // 1200 + 5000 + 800; not the 1000 moved to cash
			t.Errorf("2024 unassigned payments = %s, want 7000.00", s.Spent)
		}
	}
}

// The bank reconciliation: the books give the balance and the month's
// postings; the clerk types the statement balance and what the bank
// recorded alone, and ticks what the bank has not recorded.
func TestBankReconciliation(t *testing.T) {
	b := twoCharts(t)
	br, err := b.fin.BankReconciliation(context.Background(), propCommunity, "102", "2024-03")
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, p := range br.Postings {
		refs = append(refs, fmt.Sprintf("%s %s/%s", p.Ref, p.Debit, p.Credit))
	}
	if br.BookBalance != 109500_00 || !slices.Equal(refs, []string{"2024-03-001/2 0.00/5000.00", "2024-03-002/2 0.00/1000.00"}) {
		t.Fatalf("reconciliation of 102 at 2024-03: book balance %s, postings %q", br.BookBalance, refs)
	}
	// The bank has not paid the 5000.00 yet and charged a fee of 500.00.
	r := br.Reconcile(114000_00, 0, 500_00, []string{"2024-03-001/2", "2024-03-001/2", "2024-02-009/1"})
	want := projections.Reconciled{StatementBalance: 114000_00, Difference: 4500_00, BankPaid: 500_00, BooksPaid: 5000_00,
		AdjustedBooks: 109000_00, AdjustedBank: 109000_00, Agrees: true, Outstanding: []string{"2024-03-001/2"}, Unknown: []string{"2024-02-009/1"}}
	if mustJSON(t, r) != mustJSON(t, want) {
		t.Errorf("Reconcile = %s\nwant        %s", mustJSON(t, r), mustJSON(t, want))
	}
	if r := br.Reconcile(114000_00, 0, 0, nil); r.Agrees || r.AdjustedBank != 114000_00 || r.AdjustedBooks != 109500_00 {
		t.Errorf("nothing ticked: %+v, want the sides apart", r)
	}
	if _, err := b.fin.BankReconciliation(context.Background(), propCommunity, "101", "2024-03"); err == nil {
		t.Errorf("reconciling 101 库存现金 with a bank: no error")
	}
}

// A red-ink reversal of a distribution takes it off its row; a credit to
// 收益分配 from 公积公益金 (a loss made good) is 其他转入.
func TestDistributionRows(t *testing.T) {
	b := newBooks(t, []int{2025})
	b.defineAccount(domain.SubAccount{Code: "32201", Parent: "322", NameZH: "提取公积公益金"})
	b.defineAccount(domain.SubAccount{Code: "32202", Parent: "322", NameZH: "未分配收益"})
	b.openBalances()
	b.postAt(date(2025, 2, 1), [3]string{"32201", "3000.00", ""}, [3]string{"311", "", "3000.00"}) // 提取公积公益金
	b.postAt(date(2025, 2, 2), [3]string{"32202", "500.00", ""}, [3]string{"101", "", "500.00"})   // 其他
	b.do(domain.CmdReverseVoucher, domain.BooksID, date(2025, 2, 3), map[string]any{"voucher": "2025-02-002", "number": 3,
		"reason": "记错", "preparer": "赵敏"}, "")
	b.postAt(date(2025, 2, 4), [3]string{"311", "700.00", ""}, [3]string{"32202", "", "700.00"}) // 其他转入
	f, err := b.fin.IncomeForm(context.Background(), propCommunity, 2025)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]domain.Fen{}
	for _, r := range f.Rows {
		got[r.LabelZH] = r.Amounts["year"]
	}
	if got["减：提取公积公益金"] != 3000_00 || got["其他"] != 0 || got["其他转入"] != 700_00 || got["六、年末未分配收益"] != -2300_00 {
		t.Errorf("distribution rows = %v", got)
	}
	for _, c := range f.Checks {
		if !c.Holds {
			t.Errorf("check %q does not hold: %s", c.Note, mustJSON(t, f))
		}
	}
}

// The vouchers fixed assets generate (a donated asset received, a month's
// depreciation, a disposal) are vouchers of the books like any other.
func TestAssetVouchers(t *testing.T) {
	b := newBooks(t, []int{2025})
	b.openBalances()
	b.do(domain.CmdRegisterAsset, domain.BooksID, date(2025, 3, 10), map[string]any{"asset": "FA-1", "name": "办公楼",
		"category": "房屋", "acquisition": "donated", "donor": "县政府", "cost": "120000.00", "method": "straight_line",
		"useful_life_months": 240, "residual_rate": "5%", "accounts": map[string]string{"asset": "151", "depreciation": "152", "expense": "513"},
		"preparer": "赵敏"}, "")
	b.do(domain.CmdPostDepreciation, domain.BooksID, date(2025, 4, 30), map[string]any{"month": "2025-04", "preparer": "赵敏"}, "")
	b.do(domain.CmdDisposeAsset, domain.BooksID, date(2025, 5, 20), map[string]any{"asset": "FA-1", "reason": "拆除", "preparer": "赵敏"}, "")
	ctx := context.Background()
	for _, month := range []string{"2025-03", "2025-04", "2025-05"} {
		tb, err := b.fin.TrialBalance(ctx, propCommunity, month)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range tb.Rows {
			want := b.state.Balance(r.Account, endOf(month))
			got := r.ClosingDebit - r.ClosingCredit
			if a, _ := domain.ChartInForce(2025).Account(r.Account); a.Side == domain.SideCredit {
				got = -got
			}
			if got != want {
				t.Errorf("%s: account %s closes at %s, the domain's balance is %s", month, r.Account, got, want)
			}
		}
	}
	vl, _ := b.fin.Vouchers(ctx, propCommunity, "2025-04")
	if len(vl.Vouchers) != 1 || vl.Vouchers[0].Kind != "depreciation" || vl.Vouchers[0].Amount != 475_00 { // 120000 × 95% / 240
		t.Errorf("vouchers of 2025-04 = %s, want the month's depreciation of 475.00", mustJSON(t, vl))
	}
	if v, err := b.fin.Voucher(ctx, propCommunity, "2025-03-001"); err != nil || v.Kind != "asset" || v.Debit != 120000_00 {
		t.Errorf("voucher of the donation = %s, %v", mustJSON(t, v), err)
	}
	if v, err := b.fin.Voucher(ctx, propCommunity, "2025-05-001"); err != nil || v.Kind != "disposal" {
		t.Errorf("voucher of the disposal = %s, %v", mustJSON(t, v), err)
	}
}
