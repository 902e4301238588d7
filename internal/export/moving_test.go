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
