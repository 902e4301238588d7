package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/demo"
)

// The books' replies refuse what they cannot answer, each with its own
// status and a reason in both languages.
func TestBooksRepliesRefuse(t *testing.T) {
	s := startGoldenDemo(t)
	api := s.URL + "/api/v1/communities/" + demo.Community + "/finance/"
	page := s.URL + "/c/" + demo.Community + "/finance/"
	for _, c := range []struct {
		url    string
		status int
		code   string
	}{
		{api + "vouchers/2025-06-999", http.StatusNotFound, "not_found"},
		{api + "vouchers/06-003", http.StatusBadRequest, "bad_voucher"},
		{api + "cash-book?account=501&year=2025", http.StatusNotFound, "not_found"},               // not cash or bank
		{api + "cash-book?account=10x&year=2025", http.StatusBadRequest, "bad_query"},             // not a code
		{api + "bank-reconciliation?account=101&month=2025-06", http.StatusNotFound, "not_found"}, // cash, not a bank
		{api + "bank-reconciliation?month=2025-06&statement_balance=12,3.4.5", http.StatusBadRequest, "bad_query"},
		{api + "bank-reconciliation?month=2025-06&statement_balance=100&bank_paid=-5", http.StatusBadRequest, "bad_query"},
		{api + "forms/balance-sheet?month=2025-13", http.StatusBadRequest, "bad_query"},
		{api + "ledger?account=999&month=2025-06", http.StatusNotFound, "not_found"},
		{page + "vouchers/2025-06-999", http.StatusNotFound, ""},
		{page + "cash?account=501", http.StatusNotFound, ""},
		{page + "bank-reconciliation?statement_balance=abc", http.StatusBadRequest, ""},
	} {
		r := apptest.Do(t, http.MethodGet, c.url, nil, nil)
		if r.Status != c.status {
			t.Errorf("GET %s: status %d, want %d: %s", c.url, r.Status, c.status, r.Body)
			continue
		}
		if c.code != "" {
			if got := r.JSON(t); got["code"] != c.code || got["detail_zh"] == "" {
				t.Errorf("GET %s: %v, want code %s with a reason in Chinese", c.url, got, c.code)
			}
		}
	}
}

// The bank reconciliation page is a form that submits to itself: its
// policy lets it, and no shared cache keeps what a clerk typed. When the
// statement balance is the book balance and nothing is ticked, the two
// sides agree; ticking a payment puts them apart by its amount.
func TestReconciliationPage(t *testing.T) {
	s := startGoldenDemo(t)
	api := s.URL + "/api/v1/communities/" + demo.Community + "/finance/bank-reconciliation?month=2025-06"
	book := apptest.Do(t, http.MethodGet, api, nil, nil).JSON(t)["book_balance"].(string)
	u := s.URL + "/c/" + demo.Community + "/finance/bank-reconciliation?month=2025-06&statement_balance=" + book
	r := apptest.Do(t, http.MethodGet, u, nil, nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Security-Policy"), "form-action 'self'") ||
		r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET %s: %d, CSP %q, Cache-Control %q", u, r.Status, r.Header.Get("Content-Security-Policy"), r.Header.Get("Cache-Control"))
	}
	body := string(r.Body)
	for _, w := range []string{"调节后两方余额相等", "gongkai 只掌握账簿", `name="outstanding" value="2025-06-003/2"`, `value="` + book + `"`} {
		if !strings.Contains(body, w) {
			t.Errorf("reconciliation page with the statement at the book balance lacks %q", w)
		}
	}
	ticked := apptest.Do(t, http.MethodGet, u+"&outstanding=2025-06-003/2", nil, nil)
	if body := string(ticked.Body); !strings.Contains(body, "相差 1260.00 元") || !strings.Contains(body, `value="2025-06-003/2" aria-label="2025-06-003/2" checked`) {
		t.Errorf("reconciliation page with 2025-06-003 ticked does not say the sides are 1260.00 apart, or forgets the tick")
	}
	if r := apptest.Do(t, http.MethodGet, s.URL+"/c/"+demo.Community+"/finance/statements?year=2025", nil, nil); strings.Contains(r.Header.Get("Content-Security-Policy"), "form-action 'self'") {
		t.Errorf("the statements page lets forms submit: %s", r.Header.Get("Content-Security-Policy"))
	}
}

// The books pages fit a 360 px phone (nothing wider than the screen but a
// table that scrolls within itself), and print on A4: the two halves of a
// form side by side, their rows level with each other, nothing wider than
// the page.
func TestBooksPagesOnPhoneAndA4(t *testing.T) {
	bin := chromium(t)
	s := startGoldenDemo(t)
	c := "/c/" + demo.Community + "/finance"
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.UserDataDir(t.TempDir()))
	life, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	actx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
		t.Fatalf("open a tab at 360 px: %v", err)
	}
	pages := []string{"/statements?year=2025", "/statements?year=2023", "/statements?year=2024&lang=en", "/ledger?account=513&month=2025-06",
		"/cash?account=102&month=2025-06", "/bank-reconciliation?month=2025-06&statement_balance=1.00", "/vouchers?month=2025-06",
		"/vouchers/2025-06-005", "/vouchers/2024-01-000"}
	for _, p := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+c+p)); err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil || w > 360 {
			t.Errorf("%s on a 360 px phone is %d px wide (%v)", p, w, err)
		}
	}
	print := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	})
	// A4 less 12 mm margins is 186 mm: 703 px at 96 dpi.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(703, 1000), print); err != nil {
		t.Fatalf("print media at A4 width: %v", err)
	}
	// For every form with two halves: the halves start level, and row i
	// of one is level with row i of the other.
	const aligned = `(() => {
	  const bad = [];
	  for (const f of document.querySelectorAll('.form2')) {
	    const h = f.querySelectorAll('.half');
	    if (h.length != 2) continue;
	    const a = h[0].querySelectorAll('tr'), b = h[1].querySelectorAll('tr');
	    if (a.length != b.length) { bad.push('rows ' + a.length + ' and ' + b.length); continue; }
	    for (let i = 0; i < a.length; i++) {
	      const x = a[i].getBoundingClientRect(), y = b[i].getBoundingClientRect();
	      if (Math.abs(x.top - y.top) > 1 || Math.abs(x.height - y.height) > 1) bad.push(a[i].innerText + ' | ' + b[i].innerText);
	    }
	    if (h[0].getBoundingClientRect().right > h[1].getBoundingClientRect().left + 1) bad.push('halves overlap or stack');
	  }
	  return bad.join('; ');
	})()`
	for _, p := range []string{"/statements?year=2023", "/statements?year=2025", "/vouchers/2025-06-005", "/cash?account=102&month=2025-06"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+c+p)); err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil || w > 703 {
			t.Errorf("%s printed is %d px wide, wider than A4 (%v)", p, w, err)
		}
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[string](aligned))
		if err != nil || bad != "" {
			t.Errorf("%s printed: the halves of a form do not line up: %s (%v)", p, bad, err)
		}
	}
}
