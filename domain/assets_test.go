package domain_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// booksLog runs commands against the books of a registered community as
// the command service does: decode, decide, store (a JSON round trip, so
// that what is applied is what a replay reads) and apply.
type booksLog struct {
	t       *testing.T
	comm    *domain.Community
	books   *domain.Books
	matters map[string]*domain.Matter
}

func newBooksLog(t *testing.T) *booksLog {
	t.Helper()
	return &booksLog{t: t, comm: community(t, registered), matters: map[string]*domain.Matter{}}
}

func (l *booksLog) env(date string) domain.Env {
	return domain.Env{Today: mustDate(l.t, "2030-12-31"), Date: mustDate(l.t, date), CommunityID: communityID,
		Community: l.comm, AggregateID: domain.BooksID, Books: l.books,
		LookupMatter: func(id string) *domain.Matter { return l.matters[id] }}
}

func (l *booksLog) decide(date, typ, data string) ([]domain.Event, error) {
	l.t.Helper()
	cmd, err := domain.DecodeCommand(typ, []byte(data))
	if err != nil {
		l.t.Fatalf("DecodeCommand(%s, %s): %v", typ, data, err)
	}
	return cmd.Decide(l.env(date))
}

// do decides a command that must be accepted and applies its events.
func (l *booksLog) do(date, typ, data string) []domain.Event {
	l.t.Helper()
	evs, err := l.decide(date, typ, data)
	if err != nil {
		l.t.Fatalf("Decide(%s %s) on %s = %v, want events", typ, data, date, err)
	}
	for _, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			l.t.Fatalf("json.Marshal(%T): %v", e, err)
		}
		stored, err := domain.DecodeEvent(e.EventType(), domain.SchemaVersion, b)
		if err != nil {
			l.t.Fatalf("DecodeEvent(%s, %s): %v", e.EventType(), b, err)
		}
		var s domain.State = l.books
		l.books = domain.ApplyTo(s, domain.AggregateBooks, domain.BooksID, stored, mustDate(l.t, date)).(*domain.Books)
	}
	return evs
}

// refuse decides a command that must be refused with a RuleError of the
// code, in both languages, with no events and the books unchanged.
func (l *booksLog) refuse(date, typ, data, code string) {
	l.t.Helper()
	before := domain.CloneState(l.books)
	evs, err := l.decide(date, typ, data)
	if errSummary(err) != "rule "+code || evs != nil {
		l.t.Errorf("Decide(%s %s) on %s = %s, %q; want no events, %q", typ, data, date, show(evs), errSummary(err), "rule "+code)
	}
	checkErrorTexts(l.t, err)
	if d := diff(before, domain.State(l.books)); d != "" {
		l.t.Errorf("Decide(%s %s) changed the books:%s", typ, data, d)
	}
}

func (l *booksLog) balance(account, date string) domain.Fen {
	return l.books.Balance(account, mustDate(l.t, date))
}

// depreciate posts the depreciation of month ym ("2025-03") on its last
// day and returns the event.
func (l *booksLog) depreciate(ym string) *domain.DepreciationPosted {
	l.t.Helper()
	evs := l.do(monthEndOf(l.t, ym), domain.CmdPostDepreciation, `{"month":"`+ym+`","preparer":"赵敏"}`)
	return evs[len(evs)-1].(*domain.DepreciationPosted)
}

func monthEndOf(tb testing.TB, ym string) string {
	tb.Helper()
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		tb.Fatalf("month %q: %v", ym, err)
	}
	return t.AddDate(0, 1, -1).Format("2006-01-02")
}

func monthsFrom(from string, n int) []string {
	t, _ := time.Parse("2006-01", from)
	out := make([]string, n)
	for i := range out {
		out[i] = t.AddDate(0, i, 0).Format("2006-01")
	}
	return out
}

func total(items []domain.DepreciationItem, asset string) domain.Fen {
	var sum domain.Fen
	for _, it := range items {
		if it.Asset == asset {
			sum += it.Amount
		}
	}
	return sum
}

const (
	// The 503,500 yuan of fixed assets of issue 10: the office building
	// received in January 2025 (480,000.00, as a donation, the way the
	// 2023 system records one) and the service equipment bought in April
	// (23,500.00).
	registerBuilding = `{"asset":"fa-building","name":"办公楼（原水管所，320平方米）","category":"房屋及建筑物","acquisition":"donated",` +
		`"donor":"城关镇人民政府","cost":"480000.00","method":"straight_line","useful_life_months":240,"residual_rate":"5%",` +
		`"accounts":{"expense":"513"},"preparer":"赵敏","reviewer":"李娜","approver":"张丽"}`
	buyEquipment = `{"number":1,"summary":"购置便民服务设备（电脑2台、打印机1台、档案柜4组）",` +
		`"lines":[{"account":"151","debit":"23500.00"},{"account":"211","credit":"23500.00"}],"preparer":"赵敏"}`
	registerEquipment = `{"asset":"fa-equipment","name":"便民服务设备","category":"电子设备","acquisition":"posted","voucher":"2025-04-001",` +
		`"cost":"23500.00","method":"straight_line","useful_life_months":36,"residual_rate":"5%","accounts":{"expense":"513"}}`
)

// issueAssets returns books holding the issue's two assets, neither yet
// depreciated.
func issueAssets(t *testing.T) *booksLog {
	l := newBooksLog(t)
	l.do("2025-01-06", domain.CmdRegisterAsset, registerBuilding)
	l.do("2025-04-28", domain.CmdPostVoucher, buyEquipment)
	l.do("2025-04-28", domain.CmdRegisterAsset, registerEquipment)
	return l
}

func TestDepreciationSchedule(t *testing.T) {
	tests := []struct {
		name               string
		cost               domain.Fen
		rate, life         int
		residual, monthly  domain.Fen // monthly: every month but the last
		last, firstYear    domain.Fen
		fullyAfter, amount int // months with an amount
	}{
		// 480,000.00 × 5% = 24,000.00; 456,000.00 ÷ 240 = 1,900.00 exactly.
		{"the building", 480_000_00, 500, 240, 24_000_00, 1_900_00, 1_900_00, 22_800_00, 240, 240},
		// 503,500.00 × 5% = 25,175.00; 478,325.00 ÷ 240 = 1,993.0208 → 1,993.02;
		// the last month 478,325.00 − 239 × 1,993.02 = 1,993.22.
		{"503,500 as one building", 503_500_00, 500, 240, 25_175_00, 1_993_02, 1_993_22, 23_916_24, 240, 240},
		// 23,500.00 × 5% = 1,175.00; 22,325.00 ÷ 36 = 620.1389 → 620.14;
		// the last month 22,325.00 − 35 × 620.14 = 620.10.
		{"the equipment", 23_500_00, 500, 36, 1_175_00, 620_14, 620_10, 7_441_68, 36, 36},
		// 10.10 × 5% = 0.505 → 0.51 (half up); 9.59 ÷ 12 = 0.7992 → 0.80;
		// the last month 9.59 − 11 × 0.80 = 0.79.
		{"residual rounded half up", 10_10, 500, 12, 51, 80, 79, 959, 12, 12},
		// 0.30 ÷ 4 = 0.075 → 0.08 (half up); the last month 0.06.
		{"monthly rounded half up", 30, 0, 4, 0, 8, 6, 30, 4, 4},
		// 0.10 ÷ 12 = 0.0083 → 0.01: ten months take it all, the last two
		// charge nothing.
		{"fully depreciated early", 10, 0, 12, 0, 1, 0, 10, 12, 10},
	}
	for _, tc := range tests {
		residual, months := domain.DepreciationSchedule(tc.cost, tc.rate, tc.life)
		var sum, year domain.Fen
		charged := 0
		for i, m := range months {
			sum += m
			if i < 12 {
				year += m
			}
			if m > 0 {
				charged++
			}
		}
		if residual != tc.residual || len(months) != tc.life || sum != tc.cost-tc.residual ||
			months[0] != tc.monthly || year != tc.firstYear || charged != tc.amount ||
			(tc.amount == tc.life && months[len(months)-1] != tc.last) {
			t.Errorf("%s: DepreciationSchedule(%s, %d, %d) = %s, %d months, first %s, last %s, first year %s, sum %s, %d charged; "+
				"want %s, %d, %s, %s, %s, %s, %d",
				tc.name, tc.cost, tc.rate, tc.life, residual, len(months), months[0], months[len(months)-1], year, sum, charged,
				tc.residual, tc.life, tc.monthly, tc.last, tc.firstYear, tc.cost-tc.residual, tc.amount)
		}
	}
}

func TestDepreciationScheduleRefusesNonsense(t *testing.T) {
	for _, in := range [][3]int{{100, 0, 0}, {100, 10_000, 12}, {-1, 0, 12}, {100, -1, 12}} {
		if r, m := domain.DepreciationSchedule(domain.Fen(in[0]), in[1], in[2]); r != 0 || m != nil {
			t.Errorf("DepreciationSchedule(%d, %d, %d) = %s, %v; want 0, nil", in[0], in[1], in[2], r, m)
		}
	}
}

func TestRegisterDonatedAsset(t *testing.T) {
	l := newBooksLog(t)
	got := l.do("2025-01-06", domain.CmdRegisterAsset, registerBuilding)
	chart := domain.Charts()["cn-rural-collective-2023"]
	want := []domain.Event{
		&domain.ChartAdopted{Chart: chart.ID, Version: chart.Version, Year: 2025},
		&domain.AssetRegistered{
			AssetCard: domain.AssetCard{Asset: "fa-building", Name: "办公楼（原水管所，320平方米）", Category: "房屋及建筑物",
				Acquisition: domain.AcquisitionDonated, Acquired: mustDate(t, "2025-01-06"), Voucher: "2025-01-001", Donor: "城关镇人民政府",
				Cost: 480_000_00, Method: domain.MethodStraightLine, LifeMonths: 240, ResidualRate: 500, Residual: 24_000_00, Monthly: 1_900_00,
				Accounts: domain.AssetAccounts{Asset: "151", Depreciation: "152", Expense: "513"}},
			Posted: &domain.VoucherData{Number: 1, Summary: "接受捐赠固定资产：办公楼（原水管所，320平方米）（捐赠人：城关镇人民政府）",
				Lines:    []domain.Line{{Account: "151", Debit: 480_000_00}, {Account: "311", Credit: 480_000_00}},
				Preparer: "赵敏", Reviewer: "李娜", Approver: "张丽"}},
	}
	if d := diff(want, got); d != "" {
		t.Errorf("Decide(%s) = %s; want %s%s", domain.CmdRegisterAsset, show(got), show(want), d)
	}
	if b := l.balance("151", "2025-01-06"); b != 480_000_00 {
		t.Errorf("Balance(151) = %s, want 480000.00", b)
	}
	if b := l.balance("311", "2025-01-06"); b != 480_000_00 {
		t.Errorf("Balance(311 公积公益金) = %s, want 480000.00", b)
	}
	if v := l.books.Vouchers["2025-01-001"]; v == nil || v.Payment != 0 {
		t.Errorf("voucher 2025-01-001 = %+v, want a voucher that pays nothing", v)
	}
}

// TestDepreciationOfTheIssueAssets depreciates the issue's 503,500 yuan of
// fixed assets through 2025 and 2026, by hand:
//
//	building   480,000.00, 5%, 240 months: 1,900.00 a month from February 2025
//	equipment   23,500.00, 5%,  36 months:   620.14 a month from May 2025
func TestDepreciationOfTheIssueAssets(t *testing.T) {
	l := issueAssets(t)

	// Acquired in January: nothing is due in January.
	l.refuse("2025-01-31", domain.CmdPostDepreciation, `{"month":"2025-01","preparer":"赵敏"}`, "nothing_to_depreciate")

	var items2025 []domain.DepreciationItem
	for _, m := range monthsFrom("2025-02", 11) {
		ev := l.depreciate(m)
		items2025 = append(items2025, ev.Items...)
		// The equipment, bought on 28 April, is first depreciated for May.
		hasEquipment := total(ev.Items, "fa-equipment") > 0
		if want := m >= "2025-05"; hasEquipment != want {
			t.Errorf("%s: equipment depreciated %v, want %v (from the month after its acquisition in April)", m, hasEquipment, want)
		}
	}
	if got := total(items2025, "fa-building"); got != 20_900_00 { // 11 × 1,900.00
		t.Errorf("building 2025 = %s, want 20900.00", got)
	}
	if got := total(items2025, "fa-equipment"); got != 4_961_12 { // 8 × 620.14
		t.Errorf("equipment 2025 = %s, want 4961.12", got)
	}
	if got := l.balance("152", "2025-12-31"); got != 25_861_12 {
		t.Errorf("Balance(152) at the end of 2025 = %s, want 25861.12", got)
	}
	if got := l.balance("513", "2025-12-31"); got != 25_861_12 {
		t.Errorf("Balance(513 管理费用) at the end of 2025 = %s, want 25861.12", got)
	}
	// April's run was the month's second voucher, after the purchase.
	if got := l.books.Depreciated["2025-04"]; got != "2025-04-002" {
		t.Errorf("Depreciated[2025-04] = %q, want 2025-04-002", got)
	}

	// Twelve monthly runs of 2026 add up to the year's amount to the fen:
	// the building's 456,000.00 ÷ 20 years = 22,800.00; the equipment's
	// 12 × 620.14 = 7,441.68 (its last month, April 2028, takes 620.10).
	var year domain.Fen
	var items2026 []domain.DepreciationItem
	for _, m := range monthsFrom("2026-01", 12) {
		ev := l.depreciate(m)
		items2026 = append(items2026, ev.Items...)
		for _, ln := range ev.Lines {
			year += ln.Debit
		}
	}
	if got := total(items2026, "fa-building"); got != 22_800_00 {
		t.Errorf("building 2026 = %s, want 22800.00", got)
	}
	if got := total(items2026, "fa-equipment"); got != 7_441_68 {
		t.Errorf("equipment 2026 = %s, want 7441.68", got)
	}
	if year != 30_241_68 {
		t.Errorf("the twelve 2026 vouchers debit %s, want 30241.68", year)
	}
	if got := l.balance("152", "2026-12-31") - l.balance("152", "2025-12-31"); got != 30_241_68 {
		t.Errorf("152 grew by %s in 2026, want 30241.68", got)
	}

	// Posted twice, or on another day than the month's last: refused.
	l.refuse("2026-12-31", domain.CmdPostDepreciation, `{"month":"2026-12","preparer":"赵敏"}`, "depreciation_posted")
	l.refuse("2027-01-30", domain.CmdPostDepreciation, `{"month":"2027-01","preparer":"赵敏"}`, "depreciation_date")
	// A month skipped: refused until it is posted.
	l.refuse("2027-02-28", domain.CmdPostDepreciation, `{"month":"2027-02","preparer":"赵敏"}`, "depreciation_gap")
}

// TestDepreciationVoucher pins one run: one voucher numbered next in the
// month, dated its last day, one line per account, every figure recorded.
func TestDepreciationVoucher(t *testing.T) {
	l := issueAssets(t)
	for _, m := range monthsFrom("2025-02", 3) {
		l.depreciate(m)
	}
	got := l.depreciate("2025-05")
	want := &domain.DepreciationPosted{Month: "2025-05",
		VoucherData: domain.VoucherData{Number: 1, Summary: "计提 2025-05 固定资产折旧（2 项）",
			Lines:    []domain.Line{{Account: "513", Debit: 2_520_14}, {Account: "152", Credit: 2_520_14}},
			Preparer: "赵敏"},
		Items: []domain.DepreciationItem{
			{Asset: "fa-building", Expense: "513", Account: "152", Amount: 1_900_00, Accumulated: 7_600_00, Months: 4},
			{Asset: "fa-equipment", Expense: "513", Account: "152", Amount: 620_14, Accumulated: 620_14, Months: 1},
		}}
	if d := diff(want, got); d != "" {
		t.Errorf("Decide(%s 2025-05) = %s; want %s%s", domain.CmdPostDepreciation, show(got), show(want), d)
	}
	v := l.books.Vouchers["2025-05-001"]
	if v == nil || v.Date != mustDate(t, "2025-05-31") {
		t.Errorf("voucher 2025-05-001 = %+v, want one dated 2025-05-31", v)
	}
}

func TestFullyDepreciatedAssetStops(t *testing.T) {
	l := newBooksLog(t)
	l.do("2025-01-15", domain.CmdPostVoucher, `{"number":1,"summary":"购置打印机","lines":[{"account":"151","debit":"1000.00"},{"account":"211","credit":"1000.00"}],"preparer":"赵敏"}`)
	l.do("2025-01-15", domain.CmdRegisterAsset, `{"asset":"fa-printer","name":"打印机","category":"电子设备","acquisition":"posted","voucher":"2025-01-001",`+
		`"cost":"1000.00","method":"straight_line","useful_life_months":12,"residual_rate":"0%","accounts":{"expense":"513"}}`)
	var amounts []domain.Fen
	for _, m := range monthsFrom("2025-02", 12) {
		amounts = append(amounts, l.depreciate(m).Items[0].Amount)
	}
	// 1,000.00 ÷ 12 = 83.33; the twelfth month takes 1,000.00 − 11 × 83.33 = 83.37.
	if amounts[0] != 83_33 || amounts[10] != 83_33 || amounts[11] != 83_37 {
		t.Errorf("monthly amounts %v, want 83.33 eleven times and 83.37", amounts)
	}
	if got := l.balance("152", "2026-01-31"); got != 1000_00 {
		t.Errorf("Balance(152) = %s, want 1000.00: fully depreciated", got)
	}
	l.refuse("2026-02-28", domain.CmdPostDepreciation, `{"month":"2026-02","preparer":"赵敏"}`, "nothing_to_depreciate")
	if a := l.books.Assets["fa-printer"]; a.Accumulated != 1000_00 || a.Months != 12 || a.LastMonth != "2026-01" || a.BookValue() != 0 {
		t.Errorf("card = %+v, want 1000.00 over 12 months to 2026-01, book value 0", a)
	}
}

func TestAssetNotDepreciated(t *testing.T) {
	l := newBooksLog(t)
	// A donated asset that could not be valued, at the nominal 1 yuan (名义金额).
	l.do("2025-03-02", domain.CmdRegisterAsset, `{"asset":"fa-bell","name":"古钟","category":"其他","acquisition":"donated","donor":"村民","cost":"1.00","method":"none","preparer":"赵敏"}`)
	l.refuse("2025-04-30", domain.CmdPostDepreciation, `{"month":"2025-04","preparer":"赵敏"}`, "nothing_to_depreciate")
	evs := l.do("2025-05-06", domain.CmdDisposeAsset, `{"asset":"fa-bell","reason":"赠与县博物馆","preparer":"赵敏"}`)
	want := []domain.Line{{Account: "154", Debit: 1_00}, {Account: "151", Credit: 1_00}}
	if got := evs[0].(*domain.AssetDisposed).Lines; diff(want, got) != "" {
		t.Errorf("disposal lines = %s, want %s", show(got), show(want))
	}
}

func TestDisposeAsset(t *testing.T) {
	l := issueAssets(t)
	for _, m := range monthsFrom("2025-02", 23) { // to December 2026
		l.depreciate(m)
	}
	l.depreciate("2027-01")
	// Disposed of on 10 February 2027, before February's run: the equipment
	// is depreciated for February in the disposal voucher (当月减少当月照提).
	//   accumulated before: May 2025 – January 2027, 21 × 620.14 = 13,022.94
	//   February:            620.14; accumulated 13,643.08
	//   book value:          23,500.00 − 13,643.08 = 9,856.92
	//   proceeds:            3,000.00 into the bank; to clearing 6,856.92
	evs := l.do("2027-02-10", domain.CmdDisposeAsset, `{"asset":"fa-equipment","reason":"设备老化，经村民代表会议同意出售","proceeds":"3000.00","preparer":"赵敏","reviewer":"李娜"}`)
	want := []domain.Event{&domain.AssetDisposed{Asset: "fa-equipment", Reason: "设备老化，经村民代表会议同意出售", Cost: 23_500_00,
		Depreciation: 620_14, Months: 22, Expense: "513", Accumulated: 13_643_08, BookValue: 9_856_92, Proceeds: 3_000_00, ProceedsAccount: "102", Clearing: "154",
		VoucherData: domain.VoucherData{Number: 1, Summary: "固定资产转入清理：便民服务设备",
			Lines: []domain.Line{{Account: "513", Debit: 620_14}, {Account: "152", Debit: 13_022_94}, {Account: "102", Debit: 3_000_00},
				{Account: "154", Debit: 6_856_92}, {Account: "151", Credit: 23_500_00}},
			Preparer: "赵敏", Reviewer: "李娜"}}}
	if d := diff(want, evs); d != "" {
		t.Errorf("Decide(%s) = %s; want %s%s", domain.CmdDisposeAsset, show(evs), show(want), d)
	}
	// What 151 and 152 hold for the equipment is gone: what is left is the
	// building's (480,000.00; 24 months × 1,900.00 = 45,600.00).
	if got := l.balance("151", "2027-02-10"); got != 480_000_00 {
		t.Errorf("Balance(151) = %s, want 480000.00", got)
	}
	if got := l.balance("152", "2027-02-10"); got != 45_600_00 {
		t.Errorf("Balance(152) = %s, want 45600.00", got)
	}
	if got := l.balance("154", "2027-02-10"); got != 6_856_92 {
		t.Errorf("Balance(154 固定资产清理) = %s, want 6856.92", got)
	}
	a := l.books.Assets["fa-equipment"]
	if a.Disposed != mustDate(t, "2027-02-10") || a.DisposedBy != "2027-02-001" || a.LastMonth != "2027-02" || a.Accumulated != 13_643_08 {
		t.Errorf("card after disposal = %+v", a)
	}
	// February's run takes the building alone.
	ev := l.depreciate("2027-02")
	if len(ev.Items) != 1 || ev.Items[0].Asset != "fa-building" {
		t.Errorf("February 2027 items = %s, want the building alone", show(ev.Items))
	}
	l.refuse("2027-03-01", domain.CmdDisposeAsset, `{"asset":"fa-equipment","reason":"再次处置","preparer":"赵敏"}`, "asset_disposed")
}

func TestDisposeAfterTheMonthsRun(t *testing.T) {
	l := issueAssets(t)
	for _, m := range monthsFrom("2025-02", 4) { // to May
		l.depreciate(m)
	}
	// Disposed of on the last day of May, after May's run: nothing more is
	// charged, and a sale above book value leaves a credit in clearing.
	evs := l.do("2025-05-31", domain.CmdDisposeAsset, `{"asset":"fa-equipment","reason":"转让","proceeds":"23000.00","proceeds_account":"112","preparer":"赵敏"}`)
	got := evs[0].(*domain.AssetDisposed)
	want := []domain.Line{{Account: "152", Debit: 620_14}, {Account: "112", Debit: 23_000_00}, {Account: "154", Credit: 120_14}, {Account: "151", Credit: 23_500_00}}
	if d := diff(want, got.Lines); d != "" || got.Depreciation != 0 || got.BookValue != 22_879_86 {
		t.Errorf("disposal = %s; want lines %s, no depreciation, book value 22879.86%s", show(got), show(want), d)
	}
	if b := l.balance("152", "2025-05-31"); b != 7_600_00 { // the building's four months
		t.Errorf("Balance(152) = %s, want 7600.00", b)
	}
}

func TestDisposeInTheMonthOfAcquisition(t *testing.T) {
	l := issueAssets(t)
	// Returned to the seller within the month: no depreciation (当月增加
	// 当月不提), nothing left in clearing, no clearing line.
	evs := l.do("2025-04-30", domain.CmdDisposeAsset, `{"asset":"fa-equipment","reason":"退货","proceeds":"23500.00","proceeds_account":"112","preparer":"赵敏"}`)
	want := []domain.Line{{Account: "112", Debit: 23_500_00}, {Account: "151", Credit: 23_500_00}}
	if got := evs[0].(*domain.AssetDisposed); diff(want, got.Lines) != "" || got.Depreciation != 0 || got.Accumulated != 0 {
		t.Errorf("disposal = %s, want lines %s and no depreciation", show(got), show(want))
	}
	// May's run takes the building alone.
	for _, m := range monthsFrom("2025-02", 4) {
		ev := l.depreciate(m)
		if total(ev.Items, "fa-equipment") != 0 {
			t.Errorf("%s: the returned equipment was depreciated", m)
		}
	}
}

// TestCatchUpAfterAClosedMonth: a month closed without its depreciation
// run is caught up (补提) by the next month's run, in the open period; an
// open month missed is refused instead.
func TestCatchUpAfterAClosedMonth(t *testing.T) {
	l := issueAssets(t)
	l.depreciate("2025-02")
	for _, m := range []string{"2025-01", "2025-02", "2025-03"} {
		l.do(monthEndOf(t, m), domain.CmdCloseMonth, `{"month":"`+m+`"}`)
	}
	l.refuse("2025-03-31", domain.CmdPostDepreciation, `{"month":"2025-03","preparer":"赵敏"}`, "period_closed")
	ev := l.depreciate("2025-04")
	want := []domain.DepreciationItem{{Asset: "fa-building", Expense: "513", Account: "152", Amount: 3_800_00, Accumulated: 5_700_00, Months: 3, CaughtUp: []string{"2025-03"}}}
	if d := diff(want, ev.Items); d != "" {
		t.Errorf("April 2025 items = %s, want %s", show(ev.Items), show(want))
	}
	if got := l.balance("152", "2025-04-30"); got != 5_700_00 {
		t.Errorf("Balance(152) = %s, want 5700.00: three months of the building", got)
	}
	// May open and missed: June is refused, and so is a disposal in June.
	l.refuse("2025-06-30", domain.CmdPostDepreciation, `{"month":"2025-06","preparer":"赵敏"}`, "depreciation_gap")
	l.refuse("2025-06-10", domain.CmdDisposeAsset, `{"asset":"fa-building","reason":"拆除","preparer":"赵敏"}`, "depreciation_gap")
	for _, id := range []string{"2025-04-002", "2025-01-001", "2025-04-001"} {
		if _, ok := l.books.AssetVoucher(id); !ok {
			t.Errorf("AssetVoucher(%s) = false, want true", id)
		}
	}
}

// TestCardsAcrossAChangeOfChart registers an asset in 2023 on the 2004
// chart, charged to 541 管理费用, and depreciates it in 2024 on the 2023
// chart: the transition mapping carries it to 513 管理费用.
func TestCardsAcrossAChangeOfChart(t *testing.T) {
	l := newBooksLog(t)
	l.do("2023-11-20", domain.CmdRegisterAsset, `{"asset":"fa-car","name":"农用运输车","category":"运输工具","acquisition":"donated","donor":"县农业农村局",`+
		`"cost":"12000.00","method":"straight_line","useful_life_months":60,"residual_rate":"0%","accounts":{"expense":"541"},"preparer":"赵敏"}`)
	dec := l.depreciate("2023-12")
	if want := []domain.Line{{Account: "541", Debit: 200_00}, {Account: "152", Credit: 200_00}}; diff(want, dec.Lines) != "" {
		t.Errorf("2023-12 lines = %s, want %s", show(dec.Lines), show(want))
	}
	l.do("2023-11-30", domain.CmdCloseMonth, `{"month":"2023-11"}`)
	l.do("2023-12-31", domain.CmdCloseMonth, `{"month":"2023-12"}`)
	l.do("2023-12-31", domain.CmdCloseYear, `{"year":2023}`)
	// Before the change of chart is recorded, no run of 2024.
	l.refuse("2024-01-31", domain.CmdPostDepreciation, `{"month":"2024-01","preparer":"赵敏"}`, "transition_required")
	l.do("2024-01-01", domain.CmdTransition, `{"year":2024,"preparer":"赵敏"}`)
	jan := l.depreciate("2024-01")
	if want := []domain.Line{{Account: "513", Debit: 200_00}, {Account: "152", Credit: 200_00}}; diff(want, jan.Lines) != "" {
		t.Errorf("2024-01 lines = %s, want %s", show(jan.Lines), show(want))
	}
	// The clearing account is 154 in the 2023 chart (153 in the 2004 one).
	evs := l.do("2024-02-05", domain.CmdDisposeAsset, `{"asset":"fa-car","reason":"事故报废","preparer":"赵敏"}`)
	if got := evs[len(evs)-1].(*domain.AssetDisposed); got.Clearing != "154" || got.Expense != "513" || got.Accumulated != 600_00 {
		t.Errorf("disposal = %s, want clearing 154, February's 200.00 to 513, 600.00 accumulated", show(got))
	}
}

func TestAssetRefusals(t *testing.T) {
	reg := func(asset, voucher, cost string, extra string) string {
		return `{"asset":"` + asset + `","name":"设备","category":"机器设备","acquisition":"posted","voucher":"` + voucher + `","cost":"` + cost +
			`","method":"straight_line","useful_life_months":60,"residual_rate":"5%","accounts":{"expense":"513"` + extra + `}}`
	}
	dep := func(m string) string { return `{"month":"` + m + `","preparer":"赵敏"}` }

	t.Run("register", func(t *testing.T) {
		l := issueAssets(t)
		l.refuse("2025-04-28", domain.CmdRegisterAsset, registerEquipment, "asset_exists")
		l.refuse("2025-04-28", domain.CmdRegisterAsset, reg("fa-x", "2025-04-009", "100.00", ""), "acquisition_voucher_unknown")
		// The voucher debited 23,500.00 to 151, all of it carded already.
		l.refuse("2025-04-29", domain.CmdRegisterAsset, reg("fa-x", "2025-04-001", "0.01", ""), "acquisition_voucher_short")
		// Registered a month late, depreciation would start a month late.
		l.refuse("2025-05-02", domain.CmdRegisterAsset, reg("fa-x", "2025-04-001", "100.00", ""), "acquisition_voucher_month")
		l.refuse("2025-04-28", domain.CmdRegisterAsset, reg("fa-x", "2025-04-001", "100.00", `,"asset":"102"`), "asset_account_kind")
		l.refuse("2025-04-28", domain.CmdRegisterAsset, reg("fa-x", "2025-04-001", "100.00", `,"depreciation":"151"`), "asset_account_kind")
		l.refuse("2025-04-28", domain.CmdRegisterAsset, strings.ReplaceAll(reg("fa-x", "2025-04-001", "100.00", ""), `"513"`, `"501"`), "expense_account_kind")
		l.refuse("2025-04-28", domain.CmdRegisterAsset, strings.ReplaceAll(reg("fa-x", "2025-04-001", "100.00", ""), `"513"`, `"599"`), "unknown_account")
		l.refuse("2025-04-28", domain.CmdRegisterAsset, strings.ReplaceAll(reg("fa-x", "2025-04-001", "100.00", ""), `}}`, `},"matter":"m-none"}`), "resolution_not_passed")
		l.refuse("2025-04-27", domain.CmdRegisterAsset, strings.ReplaceAll(registerBuilding, "fa-building", "fa-y"), "voucher_date_order")
		// Once February is depreciated, no asset acquired in January can be
		// registered: it would have been due in February.
		l.depreciate("2025-02")
		l.refuse("2025-01-20", domain.CmdRegisterAsset, strings.ReplaceAll(registerBuilding, "fa-building", "fa-y"), "depreciation_posted_later")
		l.do("2025-05-06", domain.CmdDefineAccount, `{"code":"51301","parent":"513","name_zh":"折旧费"}`)
		l.refuse("2025-04-28", domain.CmdRegisterAsset, reg("fa-x", "2025-04-001", "100.00", ""), "not_leaf_account")
		l.do("2025-01-31", domain.CmdCloseMonth, `{"month":"2025-01"}`)
		l.refuse("2025-01-31", domain.CmdRegisterAsset, strings.ReplaceAll(registerBuilding, "fa-building", "fa-y"), "period_closed")
	})

	t.Run("register citing a reversed or an opening voucher", func(t *testing.T) {
		l := newBooksLog(t)
		l.do("2025-01-01", domain.CmdOpenBalances, `{"year":2025,"lines":[{"account":"151","debit":"5000.00"},{"account":"301","credit":"5000.00"}],"source":"2024年度资产负债表","preparer":"赵敏"}`)
		l.refuse("2025-01-01", domain.CmdRegisterAsset, reg("fa-old", "2025-01-000", "5000.00", ""), "acquisition_voucher_opening")
		l.do("2025-03-03", domain.CmdPostVoucher, `{"number":1,"summary":"购置水泵","lines":[{"account":"151","debit":"800.00"},{"account":"211","credit":"800.00"}],"preparer":"赵敏"}`)
		l.do("2025-03-04", domain.CmdReverseVoucher, `{"voucher":"2025-03-001","number":2,"reason":"重复录入","preparer":"赵敏"}`)
		l.refuse("2025-03-04", domain.CmdRegisterAsset, reg("fa-pump", "2025-03-001", "800.00", ""), "acquisition_voucher_reversed")
		l.refuse("2025-03-04", domain.CmdRegisterAsset, reg("fa-pump", "2025-03-002", "800.00", ""), "acquisition_voucher_reversed")
	})

	t.Run("post depreciation", func(t *testing.T) {
		l := issueAssets(t)
		l.refuse("2025-02-27", domain.CmdPostDepreciation, dep("2025-02"), "depreciation_date")
		l.refuse("2025-03-31", domain.CmdPostDepreciation, dep("2025-03"), "depreciation_gap")
		l.do("2025-01-31", domain.CmdCloseMonth, `{"month":"2025-01"}`)
		l.refuse("2025-01-31", domain.CmdPostDepreciation, dep("2025-01"), "period_closed")
		l.depreciate("2025-02")
		l.refuse("2025-02-28", domain.CmdPostDepreciation, dep("2025-02"), "depreciation_posted")
		// An expense account that has gained sub-accounts takes no posting.
		l.do("2025-03-02", domain.CmdDefineAccount, `{"code":"51301","parent":"513","name_zh":"折旧费"}`)
		l.refuse("2025-03-31", domain.CmdPostDepreciation, dep("2025-03"), "not_leaf_account")
	})

	t.Run("dispose", func(t *testing.T) {
		l := issueAssets(t)
		l.refuse("2025-05-06", domain.CmdDisposeAsset, `{"asset":"fa-none","reason":"报废","preparer":"赵敏"}`, "asset_unknown")
		l.refuse("2025-04-20", domain.CmdDisposeAsset, `{"asset":"fa-equipment","reason":"报废","preparer":"赵敏"}`, "disposal_before_acquisition")
		// February to April not posted: the building's depreciation has a gap.
		l.refuse("2025-05-06", domain.CmdDisposeAsset, `{"asset":"fa-building","reason":"拆除","preparer":"赵敏"}`, "depreciation_gap")
		l.refuse("2025-04-30", domain.CmdDisposeAsset, `{"asset":"fa-equipment","reason":"转让","proceeds":"100.00","proceeds_account":"151","preparer":"赵敏"}`, "asset_account_kind")
		l.refuse("2025-04-30", domain.CmdDisposeAsset, `{"asset":"fa-equipment","reason":"转让","proceeds":"100.00","proceeds_account":"211","preparer":"赵敏"}`, "asset_account_kind")
		l.refuse("2025-04-30", domain.CmdDisposeAsset, `{"asset":"fa-equipment","reason":"报废","clearing_account":"153","preparer":"赵敏"}`, "asset_account_kind")
		l.do("2025-01-31", domain.CmdCloseMonth, `{"month":"2025-01"}`)
		l.refuse("2025-01-31", domain.CmdDisposeAsset, `{"asset":"fa-building","reason":"拆除","preparer":"赵敏"}`, "period_closed")
	})
}

func TestAssetCommandValidation(t *testing.T) {
	base := `{"asset":"fa-1","name":"设备","category":"机器设备","acquisition":"posted","voucher":"2025-04-001","cost":"100.00",` +
		`"method":"straight_line","useful_life_months":60,"residual_rate":"5%","accounts":{"expense":"513"}}`
	tests := []struct {
		typ, data, want string
	}{
		{domain.CmdRegisterAsset, base, ""},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"5%"`, `"5"`), "invalid data.residual_rate"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"5%"`, `"100%"`), "invalid data.residual_rate"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"5%"`, `"4.5%"`), ""},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"5%"`, `"4.555%"`), "invalid data.residual_rate"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"cost":"100.00"`, `"cost":"0.01"`), ""},
		{domain.CmdRegisterAsset, strings.ReplaceAll(strings.ReplaceAll(base, `"cost":"100.00"`, `"cost":"0.01"`), `"5%"`, `"99.99%"`), "invalid data.residual_rate"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"useful_life_months":60`, `"useful_life_months":0`), "invalid data.useful_life_months"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `straight_line`, `declining_balance`), "invalid data.method"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `straight_line`, `none`), "invalid data.method"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `,"accounts":{"expense":"513"}`, ``), "invalid data.accounts.expense"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"posted"`, `"donated"`), "invalid data.voucher data.donor data.preparer"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"voucher":"2025-04-001"`, `"donor":"某人"`), "invalid data.voucher data.acquisition"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"posted"`, `"bought"`), "invalid data.acquisition"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"fa-1"`, `"固定资产1"`), "invalid data.asset"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `"cost":"100.00"`, `"cost":100`), "invalid data.cost"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `{"expense":"513"}`, `{"expense":"513","use":"admin"}`), "invalid data.accounts.use"},
		{domain.CmdRegisterAsset, strings.ReplaceAll(base, `{"expense":"513"}`, `{"expense":"5x3"}`), "invalid data.accounts.expense"},
		{domain.CmdPostDepreciation, `{"month":"2025-13","preparer":"赵敏"}`, "invalid data.month"},
		{domain.CmdPostDepreciation, `{"month":"2025-12"}`, "invalid data.preparer"},
		{domain.CmdDisposeAsset, `{"asset":"fa-1","reason":"报废","proceeds_account":"101","preparer":"赵敏"}`, "invalid data.proceeds_account"},
		{domain.CmdDisposeAsset, `{"asset":"fa-1","reason":"报废","proceeds":"0.00","preparer":"赵敏"}`, "invalid data.proceeds"},
		{domain.CmdDisposeAsset, `{"asset":"fa-1","preparer":"赵敏"}`, "invalid data.reason"},
	}
	for _, tc := range tests {
		_, err := domain.DecodeCommand(tc.typ, []byte(tc.data))
		if got := errSummary(err); got != tc.want {
			t.Errorf("DecodeCommand(%s, %s) = %q, want %q", tc.typ, tc.data, got, tc.want)
		}
		checkErrorTexts(t, err)
	}
}

func TestAssetEventsRoundTrip(t *testing.T) {
	v := domain.VoucherData{Number: 3, Summary: "摘要", Lines: []domain.Line{{Account: "513", Debit: 1}, {Account: "152", Credit: 1}}, Preparer: "赵敏"}
	events := []domain.Event{
		&domain.AssetRegistered{AssetCard: domain.AssetCard{Asset: "fa-1", Name: "办公楼", Category: "房屋及建筑物", Acquisition: domain.AcquisitionDonated,
			Acquired: mustDate(t, "2025-01-06"), Voucher: "2025-01-001", Donor: "镇政府", Matter: "m-1", Cost: 480_000_00, Method: domain.MethodStraightLine,
			LifeMonths: 240, ResidualRate: 500, Residual: 24_000_00, Monthly: 1_900_00, Accounts: domain.AssetAccounts{Asset: "151", Depreciation: "152", Expense: "513"}},
			Posted: &v},
		&domain.DepreciationPosted{Month: "2025-02", VoucherData: v, Items: []domain.DepreciationItem{{Asset: "fa-1", Expense: "513", Account: "152", Amount: 1, Accumulated: 1, Months: 1, CaughtUp: []string{"2025-01"}}}},
		&domain.AssetDisposed{Asset: "fa-1", Reason: "报废", Cost: 10, Depreciation: 1, Months: 2, CaughtUp: []string{"2025-02"}, Expense: "513", Accumulated: 2, BookValue: 8, Proceeds: 3,
			ProceedsAccount: "102", Clearing: "154", VoucherData: v},
	}
	types := []string{"books.asset_registered", "books.depreciation_posted", "books.asset_disposed"}
	for i, e := range events {
		if e.EventType() != types[i] {
			t.Errorf("%T.EventType() = %q, want %q", e, e.EventType(), types[i])
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("json.Marshal(%T): %v", e, err)
		}
		got, err := domain.DecodeEvent(e.EventType(), domain.SchemaVersion, b)
		if err != nil || diff(e, got) != "" {
			t.Errorf("DecodeEvent(%s, %s) = %s, %v; want %s", e.EventType(), b, show(got), err, show(e))
		}
	}
	// The stored shape of a run.
	b, _ := json.Marshal(events[1])
	want := `{"month":"2025-02","number":3,"summary":"摘要","lines":[{"account":"513","debit":"0.01"},{"account":"152","credit":"0.01"}],"preparer":"赵敏",` +
		`"items":[{"asset":"fa-1","expense":"513","account":"152","amount":"0.01","accumulated":"0.01","months":1,"caught_up":["2025-01"]}]}`
	if string(b) != want {
		t.Errorf("json.Marshal(DepreciationPosted) = %s, want %s", b, want)
	}
	cmds := []string{domain.CmdRegisterAsset, domain.CmdPostDepreciation, domain.CmdDisposeAsset}
	if d := diff([]string{"books.register_asset", "books.post_depreciation", "books.dispose_asset"}, cmds); d != "" {
		t.Errorf("command types:%s", d)
	}
}
