package export_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/demo"
	"github.com/gongkai/gongkai/internal/export"
	"github.com/gongkai/gongkai/internal/projector"
	"github.com/gongkai/gongkai/projections"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// demoNow is the fixed clock of the demo: late in 2026, so that its year
// 2025 is closed and in the past (as internal/web's golden tests).
var demoNow = time.Date(2026, 11, 26, 8, 0, 0, 0, time.FixedZone("CST", 8*60*60))

// demoBooks is the demo's read models, fed from a real server's stream.
type demoBooks struct {
	finance *projections.MemoryFinance
	board   projections.BoardView
}

// loadDemo runs a server with the demo loaded, a fixed clock and
// sequential ids, waits until the board has applied the whole demo, and
// feeds every event stored up to then to fresh in-memory read models.
func loadDemo(t *testing.T) demoBooks {
	t.Helper()
	var n atomic.Uint64
	s := apptest.Start(t, app.Config{Demo: true,
		Now:   func() time.Time { return demoNow },
		NewID: func() string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n.Add(1)) },
	})
	want := uint64(demo.Events())
	var got uint64
	for i := 0; ; i++ {
		r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/"+demo.Community+"/board", nil, nil)
		if r.Status == http.StatusOK {
			if seq, ok := r.JSON(t)["as_of_seq"].(float64); ok {
				if got = uint64(seq); got >= want {
					break
				}
			}
		}
		if i == 3000 {
			t.Fatalf("board as_of_seq = %d after 30s, want %d", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	last := s.LastSeq(t)
	ctx := context.Background()
	fin, board := projections.NewMemoryFinance(), projections.NewMemoryBoard()
	var events []projections.Event
	err := s.Store.Read(ctx, 1, func(st eventstore.Stored) error {
		if st.Seq <= last {
			events = append(events, projector.Convert(st))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, rm := range []projections.ReadModel{fin, board} {
		if err := rm.Apply(ctx, events); err != nil {
			t.Fatalf("%s: %v", rm.Name(), err)
		}
	}
	bv, err := board.Board(ctx, demo.Community)
	if err != nil {
		t.Fatal(err)
	}
	return demoBooks{finance: fin, board: bv}
}

// workbook builds a year's workbook and reads it back from its bytes, as
// a user's Excel would: raw holds the stored cell values, shown the
// values as formatted.
func workbook(t *testing.T, d demoBooks, year int) (raw, shown *excelize.File) {
	t.Helper()
	f, err := export.Workbook(context.Background(), d.finance, demo.Community, "文化路社区", year)
	if err != nil {
		t.Fatalf("Workbook(%d): %v", year, err)
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	raw, err = excelize.OpenReader(bytes.NewReader(b.Bytes()), excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	shown, err = excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close(); shown.Close() })
	return raw, shown
}

// dump lists the cells of every sheet as shown, a row a line: its
// number, then its cells separated by tabs.
func dump(t *testing.T, f *excelize.File) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, s := range f.GetSheetList() {
		rows, err := f.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "== %s\n", s)
		for i, row := range rows {
			if len(row) > 0 {
				fmt.Fprintf(&b, "%d\t%s\n", i+1, strings.Join(row, "\t"))
			}
		}
	}
	return b.Bytes()
}

// checkGolden compares got with testdata/name, or rewrites it with
// -update; on a mismatch it reports the first line that differs.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/export -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		g, w := "<end of file>", "<end of file>"
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s line %d:\n got: %s\nwant: %s\n(run with -update if the change is intended)", path, i+1, g, w)
		}
	}
}

func TestDemo(t *testing.T) {
	d := loadDemo(t)
	t.Run("Workbook2025", func(t *testing.T) { checkWorkbook2025(t, d) })
	t.Run("Workbook2024", func(t *testing.T) { checkWorkbook2024(t, d) })
	t.Run("Workbook2023", func(t *testing.T) { checkWorkbook2023(t, d) })
	t.Run("Moving", func(t *testing.T) { checkMoving(t, d) })
	t.Run("Edges", func(t *testing.T) { checkEdges(t, d) })
	t.Run("OpenData", func(t *testing.T) { checkOpenData(t, d) })
	t.Run("Golden2025", func(t *testing.T) {
		_, shown := workbook(t, d, 2025)
		checkGolden(t, "wenhualu-2025.golden.txt", dump(t, shown))
	})
}
