package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/demo"
)

// get fetches a page of the demo and fails the test unless it answers 200.
func get(t *testing.T, s *apptest.Server, path string) string {
	t.Helper()
	r := apptest.Do(t, http.MethodGet, s.URL+path, nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return string(r.Body)
}

// inOrder reports whether each of want occurs in page after the one before.
func inOrder(page string, want ...string) bool {
	at := 0
	for _, w := range want {
		i := strings.Index(page[at:], w)
		if i < 0 {
			return false
		}
		at += i + len(w)
	}
	return true
}

var beijingTime = regexp.MustCompile(`\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}`)

// The board lists a year's matters newest first, one line each, with a
// year picker; the current year (2026 under the golden clock) has none,
// so the latest year with matters is shown, and says so.
func TestBoardNewestFirstByYear(t *testing.T) {
	s := startGoldenDemo(t)
	board := "/c/" + demo.Community
	page := get(t, s, board)
	if !strings.Contains(page, "2026年暂无事项，下面是2025年的事项") {
		t.Errorf("board under a 2026 clock does not say it shows 2025 for want of matters in 2026")
	}
	// m-2025-05 (withdrawn in October) is the newest, m-2025-01 (voted in
	// March) the oldest of 2025.
	if !inOrder(page, "更换小区主干道路灯", "增设社区便民服务点", "社区文化活动室改造", "在小区内收取停车管理费", "出租社区临街门面发展集体经济") {
		t.Errorf("board of 2025 is not newest first:\n%s", page)
	}
	if strings.Contains(page, "接收原水管所二层办公楼") {
		t.Errorf("board of 2025 lists a matter of 2024")
	}
	for _, w := range []string{`href="?year=2024"`, `<strong>2025</strong>`, `href="/c/wenhualu/matters/m-2025-02"`,
		"决议公开（表决未通过）", "14000.00", "2025年3月20日", "可核验"} {
		if !strings.Contains(page, w) {
			t.Errorf("board lacks %q", w)
		}
	}
	for _, w := range []string{"日志序号", "根哈希", "UTC"} {
		if strings.Contains(page, w) {
			t.Errorf("board speaks of %q", w)
		}
	}
	if !beijingTime.MatchString(page) {
		t.Errorf("board gives no time as 2026年11月26日 08:00")
	}

	y2024 := get(t, s, board+"?year=2024")
	if !inOrder(y2024, "使用上级专项经费购置社区办公设备", "接收原水管所二层办公楼") || strings.Contains(y2024, "出租社区临街门面") {
		t.Errorf("board of 2024 is not its two matters newest first:\n%s", y2024)
	}
	if empty := get(t, s, board+"?year=2026"); !strings.Contains(empty, "暂无事项") {
		t.Errorf("board of 2026 does not say it has no matters")
	}
	if en := get(t, s, board+"?year=2024&lang=en"); !strings.Contains(en, "Public board") || !strings.Contains(en, `href="?year=2025&amp;lang=en"`) {
		t.Errorf("English board of 2024 lacks its title or a year link in English")
	}
	if r := apptest.Do(t, http.MethodGet, s.URL+board+"?year=20x5", nil, nil); r.Status != http.StatusBadRequest {
		t.Errorf("board ?year=20x5: %d, want 400", r.Status)
	}
}

// A matter's page shows every stage with its date, the votes and the rule
// in plain words, where the resolution was posted, the implementation and
// the result; a failed resolution's reason; late entries; times in
// Beijing time.
func TestMatterPages(t *testing.T) {
	s := startGoldenDemo(t)
	m := "/c/" + demo.Community + "/matters/"
	for _, c := range []struct {
		id   string
		want []string
	}{
		{"m-2024-01", []string{"接收原水管所二层办公楼", "2024年2月20日 已登记", "2024年2月22日 党组织提议", "社区党支部提议接收并使用该办公楼。",
			"2024年2月26日 两委会商议", "2024年3月1日 党员大会审议", "2024年3月5日 代表会议决议", "应到15人 实到14人 赞成14 反对0 弃权0",
			"表决通过：赞成票超过到会人数的一半", "同意接收原水管所办公楼作为社区办公场所。", "2024年3月6日 决议公开", "公开方式：社区公开栏",
			"决议在社区公开栏公示7天。", "2024年4月15日 实施情况", "办公楼完成移交，社区迁入办公。", "2024年4月20日 实施结果公开", "办公楼已投入使用。",
			"记录人：示例数据", "补录于 2026年11月26日"}},
		{"m-2025-02", []string{"在小区内收取停车管理费", "2025年6月10日 党员大会审议", "2025年6月16日 代表会议决议",
			"应到15人 实到12人 赞成5 反对6 弃权1", "表决未通过：赞成票未超过到会人数的一半", "2025年6月17日 决议公开", "表决未通过，不收取停车管理费。"}},
		{"m-2025-05", []string{"更换小区主干道路灯", "已撤回", "原因："}},
	} {
		page := get(t, s, m+c.id)
		for _, w := range c.want {
			if !strings.Contains(page, w) {
				t.Errorf("matter page %s lacks %q", c.id, w)
			}
		}
		for _, w := range []string{"日志序号", "根哈希", "UTC"} {
			if strings.Contains(page, w) {
				t.Errorf("matter page %s speaks of %q", c.id, w)
			}
		}
		if !strings.Contains(page, `href="/c/wenhualu/matters/`+c.id+`/verify"`) {
			t.Errorf("matter page %s does not link its verify page", c.id)
		}
	}
	if en := get(t, s, m+"m-2025-02?lang=en"); !strings.Contains(en, "Failed: the votes for were not more than 1/2 of those present") {
		t.Errorf("English matter page of m-2025-02 does not say why the vote failed")
	}
	v := get(t, s, m+"m-2025-02/verify")
	for _, w := range []string{"这条记录已写入不可更改的日志", "gongkai verify proof", `/api/v1/log/bundle?seq=`, "代表会议决议"} {
		if !strings.Contains(v, w) {
			t.Errorf("verify page lacks %q", w)
		}
	}
	if r := apptest.Do(t, http.MethodGet, s.URL+m+"m-none", nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("matter page of a matter that does not exist: %d, want 404", r.Status)
	}
}

// 收支明细 of June 2025 lists every voucher, the red-ink reversal negative
// among the expenses, and the totals in figures and 大写.
func TestPaymentsPage(t *testing.T) {
	s := startGoldenDemo(t)
	p := "/c/" + demo.Community + "/finance/payments"
	page := get(t, s, p+"?month=2025-06")
	if !inOrder(page, "收到县财政拨付6月社区工作人员补贴", "收入", "2290.00",
		"冲销 2025-06-004 购买办公用品", "支出", "-860.00",
		"收到临街门面第2季度租金", "收入", "3500.00",
		"计提 2025-06 固定资产折旧", "不涉及收付", "2520.14") {
		t.Errorf("收支明细 2025-06 does not list the vouchers as wanted:\n%s", page)
	}
	for _, w := range []string{"收入合计", "5790.00", "伍仟柒佰玖拾元整", "支出合计", "4230.00", "肆仟贰佰叁拾元整", "说明：", `href="?quarter=2025-Q2"`} {
		if !strings.Contains(page, w) {
			t.Errorf("收支明细 2025-06 lacks %q", w)
		}
	}
	q := get(t, s, p+"?quarter=2025-Q2")
	if !inOrder(q, "2025年4月", "2025年5月", "2025年6月") {
		t.Errorf("收支明细 2025-Q2 does not run from April to June")
	}
	for _, bad := range []string{"?month=2025-13", "?quarter=2025-Q5", "?month=2025-06&quarter=2025-Q2"} {
		if r := apptest.Do(t, http.MethodGet, s.URL+p+bad, nil, nil); r.Status != http.StatusBadRequest {
			t.Errorf("收支明细 %s: %d, want 400", bad, r.Status)
		}
	}
	if f := get(t, s, "/c/"+demo.Community+"/finance?year=2025"); !strings.Contains(f, "/finance/payments") {
		t.Errorf("the finance page does not link 收支明细")
	}
}

// On a 360 px phone the board, a matter page (with its questions and the
// form to ask), its verify page, 收支明细, the disclosure catalogue and a
// published disclosure with its earlier version need no horizontal
// scrolling.
func TestResidentPagesOnPhone(t *testing.T) {
	bin := chromium(t)
	s := startGoldenDemo(t)
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
	c := "/c/" + demo.Community
	for _, p := range []string{c, c + "?year=2024&lang=en", c + "/matters/m-2024-01", c + "/matters/m-2025-02?lang=en",
		c + "/matters/m-2024-01/verify", c + "/finance/payments?month=2025-06", c + "/finance/payments?quarter=2025-Q2&lang=en",
		c + "/disclosures", c + "/disclosures?lang=en", c + "/disclosures/finance-2025-Q3", c + "/disclosures/finance-2025-Q2?lang=en",
		c + "/disclosures/budget-2025", c + "/disclosures/finance-2025-Q3/verify", c + "/matters/m-2025-01",
		"/town/" + url.PathEscape("示例镇"), "/town/" + url.PathEscape("示例镇") + "?lang=en",
		"/town/" + url.PathEscape("示例镇") + "/evaluation/2025", "/town/" + url.PathEscape("示例镇") + "/evaluation/2025?sort=name&lang=en"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+p)); err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil || w > 360 {
			t.Errorf("%s on a 360 px phone is %d px wide (%v)", p, w, err)
		}
	}
}

// A vote that failed for want of a quorum says so in plain words and its
// text does not take effect; the vote held again is the second round.
func TestMatterPageFailedThenPassedVote(t *testing.T) {
	s := setup(t, app.Config{})
	mustCommands(t, s, "revote",
		register("m1", "2025-01-03"),
		step("matter.propose", "m1", "2025-01-04", `{"summary":"党支部提议"}`),
		step("matter.consult", "m1", "2025-01-05", `{}`),
		step("matter.review", "m1", "2025-01-06", `{"votes":`+votesPassJSON+`}`),
		step("matter.resolve", "m1", "2025-01-07", `{"votes":{"expected":15,"present":9,"for":9,"against":0,"abstain":0},"text":"第一次的决议文本"}`),
		step("matter.resolve", "m1", "2025-01-20", `{"votes":`+votesPassJSON+`,"text":"第二次的决议文本"}`),
	)
	waitSeq(t, s, "/api/v1/communities/c1/board", s.LastSeq(t))
	page := get(t, s, "/c/c1/matters/m1")
	if !inOrder(page, "2025年1月7日 代表会议决议（第1次表决）", "应到15人 实到9人", "表决未通过：到会人数未达到应到人数的三分之二",
		"（未通过，决议内容不生效）", "2025年1月20日 代表会议决议（第2次表决）", "表决通过：赞成票超过到会人数的一半", "第二次的决议文本") {
		t.Errorf("matter page does not show the failed vote, then the passed one:\n%s", page)
	}
	if strings.Contains(page, "第一次的决议文本") {
		t.Errorf("matter page shows the text of a failed resolution as if it took effect")
	}
}
