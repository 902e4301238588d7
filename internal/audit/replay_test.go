package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/audit"
	"github.com/gongkai/gongkai/internal/projector"
)

// beijing returns a time in Beijing.
func beijing(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, domain.Shanghai)
}

func send(t *testing.T, s *apptest.Server, key, body string) {
	t.Helper()
	if r := s.Command(t, "c1", key, body); r.Status != http.StatusCreated {
		t.Fatalf("%s: %d %s", key, r.Status, r.Body)
	}
}

func postVoucher(date string, n int, summary, dr, cr, amount string) string {
	return fmt.Sprintf(`{"type":"books.post_voucher","aggregate_id":"books","effective_date":%q,"data":{"number":%d,"summary":%q,"preparer":"赵敏","lines":[{"account":%q,"debit":%q},{"account":%q,"credit":%q}]}}`,
		date, n, summary, dr, amount, cr, amount)
}

// The bitemporal case of issue 12: the 2025 books as recorded on three
// dates. Recorded in 2025: a receipt of 50,000.00 into the bank (2025-11-03)
// and office costs of 1,000.00 (2025-11-20). Recorded on 2026-01-10, dated
// December 2025: wages of 6,000.00 (2025-12-10, 2025-12-001) and a
// receipt of 3,000.00 (2025-12-28, 2025-12-002). Recorded on 2026-02-05: the
// red-ink reversal of the wages (2025-12-003, dated 2025-12-31). So, by
// hand, bank (102) at the end of 2025:
//
//	as of 2026-01-01: 50,000.00 − 1,000.00                       = 49,000.00
//	as of 2026-01-31: 49,000.00 − 6,000.00 + 3,000.00           = 46,000.00
//	as of 2026-03-01: 46,000.00 + 6,000.00 (the wages reversed)  = 52,000.00
//
// and 2025's expenses (513 管理费用 in the 2023 chart) 1,000.00, 7,000.00 and
// 1,000.00. Between 2026-01-01 and 2026-03-01 the diff lists exactly the
// three late events, each with its effective date and recording time.
func TestYearAsRecorded(t *testing.T) {
	var now atomic.Value
	now.Store(beijing(2025, 11, 3, 10))
	s := apptest.Start(t, app.Config{Now: func() time.Time { return now.Load().(time.Time) }})
	at := func(tm time.Time) { now.Store(tm) }
	send(t, s, "reg", `{"type":"community.register","aggregate_id":"c1","effective_date":"2025-01-02","data":{"name":"测试社区","kind":"社区","town":"示例镇","county":"示例县"}}`)
	send(t, s, "v1", postVoucher("2025-11-03", 1, "收到镇拨工作经费", "102", "503", "50000.00"))
	at(beijing(2025, 11, 20, 10))
	send(t, s, "v2", postVoucher("2025-11-20", 2, "支付办公费", "513", "102", "1000.00"))
	at(beijing(2026, 1, 10, 9))
	send(t, s, "v3", postVoucher("2025-12-10", 1, "发放12月工资", "513", "102", "6000.00"))
	send(t, s, "v4", postVoucher("2025-12-28", 2, "收到门面租金", "102", "503", "3000.00"))
	at(beijing(2026, 2, 5, 9))
	send(t, s, "v5", `{"type":"books.reverse_voucher","aggregate_id":"books","effective_date":"2025-12-31","data":{"voucher":"2025-12-001","number":3,"reason":"工资重复入账","preparer":"赵敏"}}`)

	ctx := context.Background()
	h, err := audit.Load(ctx, projector.CommunityReader{Store: s.Store}, "c1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		asOf          time.Time
		bank, expense string
	}{
		{beijing(2026, 1, 1, 0), "49000.00", "1000.00"},
		{beijing(2026, 1, 31, 0), "46000.00", "7000.00"},
		{beijing(2026, 3, 1, 0), "52000.00", "1000.00"},
	} {
		v, err := h.View(ctx, "c1", tc.asOf)
		if err != nil {
			t.Fatal(err)
		}
		tb, err := v.Finance.TrialBalance(ctx, "c1", "2025-12")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range tb.Rows {
			got[r.Account] = r.ClosingDebit.String()
		}
		if got["102"] != tc.bank || got["513"] != tc.expense {
			t.Errorf("as of %s: bank %s and 513 %s at 2025-12-31, want %s and %s", tc.asOf.Format(time.DateOnly), got["102"], got["513"], tc.bank, tc.expense)
		}
	}
	changes := h.Changes(beijing(2026, 1, 1, 0), beijing(2026, 3, 1, 0), 2025)
	want := []struct {
		typ       string
		effective string
		recorded  string
		late      int
	}{
		{domain.EvVoucherPosted, "2025-12-10", "2026-01-10", 31},
		{domain.EvVoucherPosted, "2025-12-28", "2026-01-10", 13},
		{domain.EvVoucherReversed, "2025-12-31", "2026-02-05", 36},
	}
	if len(changes) != len(want) {
		t.Fatalf("changes = %+v, want %d", changes, len(want))
	}
	for i, w := range want {
		c := changes[i]
		if c.Type != w.typ || c.EffectiveDate.String() != w.effective || domain.DateOf(c.RecordedAt).String() != w.recorded || c.LateDays != w.late {
			t.Errorf("change %d = %+v, want %+v", i, c, w)
		}
	}
	if n := len(h.Changes(beijing(2026, 3, 1, 0), time.Time{}, 2025)); n != 0 {
		t.Errorf("%d changes after 2026-03-01, want none", n)
	}
	if n := len(h.Changes(time.Time{}, beijing(2026, 1, 1, 0), 2024)); n != 0 {
		t.Errorf("%d changes bear on 2024, want none", n)
	}
}

// Instances' clocks differ, so recorded_at can run backwards in stream
// order (an instance two minutes ahead records seq 1, one on time seq 2):
// a view as of a time is still the log up to its first event recorded
// after that time, a state the log passed through, and Changes lists what
// one such state added to another.
func TestAsOfWithClocksThatDiffer(t *testing.T) {
	t0 := time.Date(2026, 1, 10, 2, 0, 0, 0, time.UTC)
	h := audit.History{
		{Seq: 1, Type: domain.EvVoucherPosted, EffectiveDate: "2025-12-10", RecordedAt: t0.Add(2 * time.Minute)},
		{Seq: 2, Type: domain.EvVoucherPosted, EffectiveDate: "2025-12-11", RecordedAt: t0},
		{Seq: 3, Type: domain.EvVoucherPosted, EffectiveDate: "2025-12-12", RecordedAt: t0.Add(3 * time.Minute)},
	}
	seqs := func(h audit.History) []uint64 {
		var out []uint64
		for _, e := range h {
			out = append(out, e.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		at   time.Time
		want []uint64
	}{
		{t0.Add(-time.Minute), nil},
		{t0.Add(time.Minute), nil}, // seq 2 is recorded, but only after seq 1
		{t0.Add(2 * time.Minute), []uint64{1, 2}},
		{t0.Add(3 * time.Minute), []uint64{1, 2, 3}},
		{time.Time{}, []uint64{1, 2, 3}},
	} {
		if got := seqs(h.AsOf(tc.at)); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("AsOf(%s) = %v, want %v", tc.at.Format(time.TimeOnly), got, tc.want)
		}
	}
	for _, tc := range []struct {
		from, to time.Time
		want     []uint64
	}{
		{t0.Add(time.Minute), t0.Add(2 * time.Minute), []uint64{1, 2}},
		{t0.Add(2 * time.Minute), time.Time{}, []uint64{3}},
		{time.Time{}, t0.Add(time.Minute), nil},
	} {
		var got []uint64
		for _, c := range h.Changes(tc.from, tc.to, 2025) {
			got = append(got, c.Seq)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Changes(%s, %s) = %v, want %v", tc.from.Format(time.TimeOnly), tc.to.Format(time.TimeOnly), got, tc.want)
		}
	}
}
