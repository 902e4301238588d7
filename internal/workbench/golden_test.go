package workbench

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGolden compares rendered pages with testdata/*.golden.html; run with
// -update after a deliberate change and read the diff.
func TestGolden(t *testing.T) {
	b := newBench(t)
	b.fake.seed(t, "wenhualu", budget2026()...)
	b.fake.seed(t, "wenhualu", vouchers()...)
	voucher := map[string]string{"summary": "支付办公用品", "effective_date": "2026年11月12日", "budget_line": "office",
		"lines.0.account": "513", "lines.0.debit": "1,234.50", "lines.1.account": "101", "lines.1.credit": "234.50", "lines.2.account": "102", "lines.2.credit": "1,000"}
	bad := map[string]string{"summary": "支付办公用品", "effective_date": "2026-11-12",
		"lines.0.account": "513", "lines.0.debit": "1,234.50", "lines.1.account": "101", "lines.1.credit": "一千"}
	pages := map[string][]byte{
		"home":            b.get("/c/wenhualu/desk").Body.Bytes(),
		"voucher-form":    b.get("/c/wenhualu/desk/books-voucher").Body.Bytes(),
		"voucher-errors":  b.submit("/c/wenhualu/desk/books-voucher", bad, "check").Body.Bytes(),
		"voucher-confirm": b.submit("/c/wenhualu/desk/books-voucher", voucher, "check").Body.Bytes(),
		"correct-en":      b.get("/c/wenhualu/desk/matter-correct?id=m-2026-01&stage=resolved&lang=en").Body.Bytes(),
	}
	rr := b.record("/c/wenhualu/desk/books-voucher", voucher)
	pages["receipt"] = b.get(rr.Header().Get("Location")).Body.Bytes()
	// A draft awaiting review, seen by a member of the supervision
	// committee (an administrator's grant does not make one).
	draft := cmd(domain.CmdDraftDisclosure, "finance-2026-Q3", "2026-11-02", nil)
	draft.Data = draftQ3()
	b.fake.seed(t, "wenhualu", draft)
	b.actor.Grants = append(b.actor.Grants, domain.Grant{Role: domain.AccessSupervisor, Scope: domain.CommunityScope("wenhualu")})
	pages["disclosure-approve"] = b.get("/c/wenhualu/desk/disclosure-approve?item=finance-2026-Q3").Body.Bytes()
	for name, got := range pages {
		path := filepath.Join("testdata", name+".golden.html")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; run go test -update and read the diff", name, path)
		}
	}
}
