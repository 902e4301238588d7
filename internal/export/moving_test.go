package export_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gongkai/gongkai/internal/demo"
	"github.com/gongkai/gongkai/internal/export"
	"github.com/gongkai/gongkai/projections"
)

// projections.Finance is what Workbook reads.
var _ export.Books = projections.Finance(nil)

// movingBooks are books that an event lands in while the workbook reads
// them, for the first moves workbooks.
type movingBooks struct {
	export.Books
	moves, builds int
}

func (m *movingBooks) Accounts(ctx context.Context, community string, year int) (projections.AccountList, error) {
	m.builds++
	l, err := m.Books.Accounts(ctx, community, year)
	if m.builds <= m.moves {
		l.AsOfSeq++ // read before the event that the rest is read after
	}
	return l, err
}

// failingBooks fail to give a ledger.
type failingBooks struct{ export.Books }

var errBroken = errors.New("read model broken")

func (failingBooks) Ledger(context.Context, string, string, string) (projections.Ledger, error) {
	return projections.Ledger{}, errBroken
}

func checkMoving(t *testing.T, d demoBooks) {
	ctx := context.Background()
	once := &movingBooks{Books: d.finance, moves: 1}
	f, err := export.Workbook(ctx, once, demo.Community, "文化路社区", 2025)
	if err != nil {
		t.Fatalf("Workbook on books that moved once: %v", err)
	}
	f.Close()
	if once.builds != 2 {
		t.Errorf("Workbook read the books %d times, want 2 (once more after they moved)", once.builds)
	}
	always := &movingBooks{Books: d.finance, moves: 1 << 30}
	if _, err := export.Workbook(ctx, always, demo.Community, "文化路社区", 2025); !errors.Is(err, export.ErrMoving) {
		t.Errorf("Workbook on books that keep moving = %v, want ErrMoving", err)
	}
	if _, err := export.Workbook(ctx, failingBooks{d.finance}, demo.Community, "文化路社区", 2025); !errors.Is(err, errBroken) {
		t.Errorf("Workbook on a broken ledger = %v, want %v", err, errBroken)
	}
}

// checkEdges checks a year without books and a community the books do
// not know.
func checkEdges(t *testing.T, d demoBooks) {
	ctx := context.Background()
	if _, err := export.Workbook(ctx, d.finance, "nowhere", "", 2025); !errors.Is(err, projections.ErrNotFound) {
		t.Errorf("Workbook of an unknown community = %v, want ErrNotFound", err)
	}
	// 2026 has no voucher yet: the balances carried from 2025 stand.
	raw, shown := workbook(t, d, 2026)
	checkCommon(t, d, raw, shown, 2026)
	j := sheetGrid(t, raw, export.SheetJournal)
	if j.at(4, 3) != "本年合计（0张凭证）" || j.amountAt(t, 4, 6) != 0 {
		t.Errorf("序时账 2026 = %v, want only 本年合计（0张凭证） 0.00", j[4])
	}
	tb := sheetGrid(t, raw, export.SheetTrialBalance)
	if r := tb.find(1, "151"); tb.amountAt(t, r, 3) != yuan(t, "503500.00") || tb.amountAt(t, r, 7) != yuan(t, "503500.00") {
		t.Errorf("科目余额表 2026 151 = %v, want 503,500.00 opening and closing", tb[r])
	}
	if sl := sheetGrid(t, raw, export.SheetSubsidiary); len(sl) > 4 {
		t.Errorf("明细账 2026 has %d rows, want the header only: no account was posted to", len(sl)-1)
	}
}
