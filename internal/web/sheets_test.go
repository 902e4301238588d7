package web_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	qrreader "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/demo"
)

const sheetPublicURL = "https://ledger.example.org"

// startSheetDemo starts the demo at now with a public URL, and waits until
// the board and the books have applied all of it.
func startSheetDemo(t *testing.T, publicURL string, now time.Time) *apptest.Server {
	t.Helper()
	var n atomic.Uint64
	s := apptest.StartOn(t, app.Config{DataDir: t.TempDir(), Demo: true, PublicURL: publicURL,
		Now:   func() time.Time { return now },
		NewID: func() string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n.Add(1)) },
	})
	waitSeq(t, s, "/api/v1/communities/"+demo.Community+"/board", uint64(demo.Events()))
	waitSeq(t, s, "/api/v1/communities/"+demo.Community+"/finance/summary?year=2025", s.LastSeq(t))
	return s
}

var (
	sheetMonthRow = regexp.MustCompile(`<tr><td>(\d+)月</td><td class="num">([-0-9.]+)</td><td class="num">([-0-9.]+)</td>`)
	sheetTotals   = regexp.MustCompile(`<tr><td>(收入合计|支出合计)</td><td class="num">([-0-9.]+)</td><td>大写：([^<]+)</td>`)
	paymentsTotal = regexp.MustCompile(`(收入合计|支出合计)</td><td class="num">([-0-9.]+)</td><td class="words">大写：([^<]+)</td>`)
	sheetQR       = regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"`)
)

// totals returns 收入合计 and 支出合计 of a page, each as figures and 大写.
func totals(t *testing.T, re *regexp.Regexp, page string) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	for _, m := range re.FindAllStringSubmatch(page, -1) {
		out[m[1]] = [2]string{m[2], m[3]}
	}
	if len(out) != 2 {
		t.Fatalf("found totals %v, want 收入合计 and 支出合计 in:\n%s", out, page)
	}
	return out
}

// The quarterly finance sheet prints, by month and for the quarter, the
// income and expense that 收支明细 lists for the same period, with 大写,
// the 公示期 from today in Beijing time, the recorded 监督电话, space for
// signatures and a seal, and a QR code of the quarter's 收支明细 page.
func TestFinanceSheet(t *testing.T) {
	s := startSheetDemo(t, sheetPublicURL, goldenNow)
	c := "/c/" + demo.Community
	sheet := get(t, s, c+"/finance/sheet?quarter=2025-Q2&paper=a3")
	for _, w := range []string{"文化路社区2025年第2季度财务收支公示", "2025年4月1日至2025年6月30日",
		"@page { size: A3 portrait; margin: 15mm }", "公示期：2026年11月26日至2026年12月2日",
		"监督电话：0906-2123456", "村务监督委员会审核意见", "签字", "盖章处", "按预算项目和资金来源"} {
		if !strings.Contains(sheet, w) {
			t.Errorf("the finance sheet lacks %q", w)
		}
	}
	months := map[string][2]string{}
	for _, m := range sheetMonthRow.FindAllStringSubmatch(sheet, -1) {
		months[m[1]] = [2]string{m[2], m[3]}
	}
	for _, m := range []string{"4", "5", "6"} {
		p := totals(t, paymentsTotal, get(t, s, fmt.Sprintf("%s/finance/payments?month=2025-0%s", c, m)))
		want := [2]string{p["收入合计"][0], p["支出合计"][0]}
		if months[m] != want {
			t.Errorf("finance sheet 2025-Q2, month %s: income and expense %v, want %v as 收支明细 has them", m, months[m], want)
		}
	}
	q := totals(t, paymentsTotal, get(t, s, c+"/finance/payments?quarter=2025-Q2"))
	if got := totals(t, sheetTotals, sheet); fmt.Sprint(got) != fmt.Sprint(q) {
		t.Errorf("finance sheet 2025-Q2 totals = %v, want %v as 收支明细 has them", got, q)
	}
	// June alone: income 5790.00, expense 4230.00 (TestPaymentsPage).
	if months["6"] != [2]string{"5790.00", "4230.00"} {
		t.Errorf("finance sheet June = %v, want [5790.00 4230.00]", months["6"])
	}

	want := sheetPublicURL + c + "/finance/payments?quarter=2025-Q2"
	checkQR(t, sheet, want)

	for _, bad := range []string{"", "?quarter=2025-Q5", "?quarter=2025-Q2&paper=letter"} {
		if r := apptest.Do(t, http.MethodGet, s.URL+c+"/finance/sheet"+bad, nil, nil); r.Status != http.StatusBadRequest {
			t.Errorf("finance sheet %q: %d, want 400", bad, r.Status)
		}
	}
	if r := apptest.Do(t, http.MethodGet, s.URL+c+"/finance/sheet?quarter=2025-Q2", nil, nil); !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("finance sheet Cache-Control = %q, want no-store (the 公示期 starts today)", r.Header.Get("Cache-Control"))
	}
}

// checkQR checks that page holds one QR code, and that it decodes (with
// gozxing, a decoder that shares nothing with the encoder) to want.
func checkQR(t *testing.T, page, want string) {
	t.Helper()
	m := sheetQR.FindAllStringSubmatch(html.UnescapeString(page), -1)
	if len(m) != 1 {
		t.Fatalf("found %d QR codes, want 1", len(m))
	}
	b, err := base64.StdEncoding.DecodeString(m[0][1])
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrreader.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("the QR code does not decode: %v", err)
	}
	if res.GetText() != want {
		t.Errorf("the QR code decodes to %q, want %q", res.GetText(), want)
	}
	if !strings.Contains(page, "扫码查看网上公开页") {
		t.Errorf("the QR code is not captioned")
	}
}

// The board sheet lists the year's matters, newest first, with the same
// 公示期, 监督电话, signatures, seal and a QR code of the year's board; a
// sheet without a public URL says why it has no QR code; the 公示期 runs
// on Beijing dates.
func TestBoardSheet(t *testing.T) {
	s := startSheetDemo(t, sheetPublicURL, goldenNow)
	c := "/c/" + demo.Community
	sheet := get(t, s, c+"/sheet?year=2025&paper=a4")
	board := get(t, s, c+"?year=2025")
	for _, w := range []string{"文化路社区2025年事项公示", "@page { size: A4 portrait; margin: 15mm }",
		"公示期：2026年11月26日至2026年12月2日", "监督电话：0906-2123456", "村务监督委员会审核意见", "盖章处"} {
		if !strings.Contains(sheet, w) {
			t.Errorf("the board sheet lacks %q", w)
		}
	}
	titles := regexp.MustCompile(`<tr><td>([^<]+)</td><td>`).FindAllStringSubmatch(sheet, -1)
	if len(titles) == 0 {
		t.Fatalf("the board sheet lists no matters:\n%s", sheet)
	}
	var want []string
	for _, m := range titles {
		want = append(want, m[1])
	}
	if !inOrder(board, want...) {
		t.Errorf("the board sheet's matters %q are not the board's of 2025 in its order", want)
	}
	checkQR(t, sheet, sheetPublicURL+c+"?year=2025")

	// 16:30 UTC on 30 November is 1 December in Beijing.
	bare := startSheetDemo(t, "", time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC))
	page := get(t, bare, c+"/sheet?year=2025")
	if strings.Contains(page, "data:image/png") || !strings.Contains(page, "未配置公开网址，本表不印二维码") {
		t.Errorf("without a public URL the board sheet has a QR code or does not say why not")
	}
	if !strings.Contains(page, "公示期：2026年12月1日至2026年12月7日") {
		t.Errorf("at 2026-11-30 16:30 UTC the 公示期 is not 2026年12月1日至2026年12月7日 (Beijing dates)")
	}
}

// Printed by headless Chromium, the demo's 2025-Q2 finance sheet is one A3
// page and its 2025 board sheet at most two A4 pages; each also fits one
// sheet of the other size.
func TestSheetsOnPaper(t *testing.T) {
	bin := chromium(t)
	s := startSheetDemo(t, sheetPublicURL, goldenNow)
	c := "/c/" + demo.Community
	for _, tc := range []struct {
		path     string
		maxPages int
		mediaBox string // A3 or A4 portrait in points
	}{
		{c + "/finance/sheet?quarter=2025-Q2&paper=a3", 1, "/MediaBox [0 0 841.91998 1191.12]"},
		{c + "/sheet?year=2025&paper=a4", 2, "/MediaBox [0 0 594.95996 841.91998]"},
		{c + "/finance/sheet?quarter=2025-Q2&paper=a4", 1, "/MediaBox [0 0 594.95996 841.91998]"},
		{c + "/sheet?year=2025&paper=a3", 1, "/MediaBox [0 0 841.91998 1191.12]"},
		// The published disclosure of 2025-Q2, every voucher listed.
		{c + "/disclosures/finance-2025-Q2/sheet?paper=a3", 1, "/MediaBox [0 0 841.91998 1191.12]"},
		{c + "/disclosures/finance-2025-Q2/sheet?paper=a4", 2, "/MediaBox [0 0 594.95996 841.91998]"},
		// The town's evaluation of 2025, printed on A4.
		{"/town/" + url.PathEscape("示例镇") + "/evaluation/2025", 2, "/MediaBox [0 0 594.95996 841.91998]"},
	} {
		pdf := filepath.Join(t.TempDir(), "sheet.pdf")
		browse(t, bin, s.URL+tc.path, "--no-pdf-header-footer", "--print-to-pdf="+pdf)
		b, err := os.ReadFile(pdf)
		if err != nil {
			t.Fatal(err)
		}
		n := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(b, -1))
		t.Logf("%s: %d pages", tc.path, n)
		if !bytes.Contains(b, []byte(tc.mediaBox)) {
			t.Errorf("%s was not printed on %s", tc.path, tc.mediaBox)
		}
		if n < 1 || n > tc.maxPages {
			t.Errorf("%s printed on %d pages, want 1 to %d", tc.path, n, tc.maxPages)
		}
	}
}

// A published disclosure prints as its own 公示 sheet: its tables, its
// totals in figures and 大写, the 公示期 it was published with (not the day
// of printing), the recorded 监督电话, the review, space for signatures and
// a seal, and a QR code that decodes to the item's page.
func TestDisclosureSheet(t *testing.T) {
	s := startSheetDemo(t, sheetPublicURL, goldenNow)
	c := "/c/" + demo.Community
	sheet := get(t, s, c+"/disclosures/finance-2025-Q2/sheet?paper=a3")
	// The demo's 2025-Q2, as 收支明细 gives it (TestFinanceSheet checks
	// the same totals against that page); published 2025-07-09 for the
	// default 7 days.
	q := totals(t, paymentsTotal, get(t, s, c+"/finance/payments?quarter=2025-Q2"))
	for _, w := range []string{"文化路社区2025年第2季度财务收支公开", "2025年4月1日至2025年6月30日",
		"@page { size: A3 portrait; margin: 15mm }", "公示期：2025年7月9日至2025年7月15日",
		"监督电话：0906-2123456", "村务监督委员会审核意见", "盖章处", "收支明细", "按预算项目汇总",
		"本期收入合计", "大写：" + q["收入合计"][1], "大写：" + q["支出合计"][1], q["收入合计"][0], q["支出合计"][0], "专项经费23,500元用于购置便民服务设备", "经村务监督委员会于2025年7月7日审核同意"} {
		if !strings.Contains(sheet, w) {
			t.Errorf("the disclosure sheet lacks %q", w)
		}
	}
	checkQR(t, sheet, sheetPublicURL+c+"/disclosures/finance-2025-Q2")
	// Nothing unpublished prints.
	if r := apptest.Do(t, http.MethodGet, s.URL+c+"/disclosures/finance-2025-Q4/sheet", nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("an unpublished item's sheet: %d, want 404", r.Status)
	}
}
