package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/importer"
)

// The walk-through of issue 9, in Debian's Chromium on a 360 px phone
// screen with JavaScript on: the administrator signs in through /login,
// registers a community on the workbench and makes a clerk account on
// /admin/accounts; the clerk signs in, takes a matter through every stage
// of 四议两公开 with a vote count typed wrong and then corrected, imports a
// 50-row spreadsheet of rent received twice (the second time records
// nothing), posts a three-line voucher that pays from the bank and
// reverses it, and signs out; a resident with no cookies reads the
// results on the public pages.
//
// Every form, confirmation and receipt is saved as a full-page PNG in
// $GONGKAI_ARTEFACTS, or in gongkai-artefacts/<test name> under the
// temporary directory; the test logs where.
func TestWalkthrough(t *testing.T) {
	bin := chromium(t)
	chineseFonts(t)
	began := time.Now()
	s := apptest.Start(t, app.Config{CheckpointEvery: 100 * time.Millisecond, PublicURL: "https://ledger.example.org"})
	s.CreateAccount(t, "zhangwei", "张伟", "admin-pass-2026!", "administrator", "all")
	shots := newWalkShots(t)
	b := startWalkBrowser(t, bin, s.URL)

	// Dates are typed as clerks write them, relative to today in Beijing
	// so that no stage is in the future: day(n) is n days ago.
	now := time.Now().In(domain.Shanghai)
	day := func(n int) domain.Date { return domain.DateOf(now.AddDate(0, 0, -n)) }
	slash := func(d domain.Date) string { return fmt.Sprintf("%d/%d/%d", d.Year, int(d.Month), d.Day) }
	zh := func(d domain.Date) string { return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day) }
	today := day(0)

	const (
		community = "xingfu"
		commName  = "幸福里社区"
		clerk     = "王芳"
		clerkPass = "clerk-pass-2026!"
	)

	// 1. The administrator.
	admin := b.tab("administrator", shots)
	admin.signIn("zhangwei", "admin-pass-2026!", "张伟")
	admin.step("register the community", func(s *walkStep) {
		s.open("/desk")
		s.follow("登记新的社区/村")
		s.typeIn("community", community)
		s.typeIn("name", commName)
		s.choose("kind", "社区")
		s.typeIn("town", "城关街道")
		s.typeIn("county", "示范县")
		s.typeIn("effective_date", slash(day(20)))
		s.shot("community-form")
		s.press(walkCheck)
		s.confirmation(commName, "城关街道", "示范县", zh(day(20)), "记录人", "张伟")
		s.check("xingfu") // the id in every address, which cannot change later
		s.shot("community-confirm")
		s.press(walkRecord)
		s.receipt("张伟", commName+"（xingfu）")
		s.shot("community-receipt")
	})
	admin.step("make the clerk's account", func(s *walkStep) {
		s.open("/admin/accounts")
		s.typeIn("#login", "wangfang")
		s.typeIn("#display_name", clerk)
		s.typeIn("#password", clerkPass)
		s.choose("#role", "clerk")
		s.choose("#scope_kind", "community")
		s.typeIn("#scope_value", community)
		s.shot("account-form")
		s.press(`form:has(input[name=action][value=create]) button[type=submit]`)
		s.want("已记录 Recorded: create wangfang")
		s.check("wangfang", clerk, "文书")
		s.wantRE(`wangfang\s+王芳\s+文书[^\n]*xingfu`)
		s.shot("account-created")
	})
	admin.signOut()

	// 2. The clerk: a matter through every stage, the vote corrected.
	desk := b.tab("clerk", shots)
	desk.signIn("wangfang", clerkPass, clerk)
	var matter string
	desk.step("register a matter", func(s *walkStep) {
		s.open("/desk")
		s.want(commName)
		s.follow("进入工作台")
		s.want(commName+" · 工作台", "事项（四议两公开）")
		s.shot("workbench")
		s.follow("登记事项")
		matter = s.value("id")
		if matter == "" {
			s.fatalf("the matter form suggests no id")
		}
		s.typeIn("effective_date", zh(day(14)))
		s.typeIn("title", "幸福里3号楼加装电梯")
		s.typeIn("category", "基础设施")
		s.typeIn("amount", "6,800")
		s.typeIn("description", "3号楼居民申请加装电梯，社区补贴设计费。")
		s.shot("matter-register-form")
		s.press(walkCheck)
		s.confirmation("幸福里3号楼加装电梯", zh(day(14)), "6,800.00 元", "大写：陆仟捌佰元整", "记录人", clerk)
		s.check(matter) // the id typed or suggested, which cannot change later
		s.shot("matter-register-confirm")
		s.press(walkRecord)
		s.receipt(clerk, matter+" 幸福里3号楼加装电梯", "已登记")
		s.shot("matter-register-receipt")
	})
	desk.step("the party organisation proposes", func(s *walkStep) {
		s.follow("党组织提议")
		s.typeIn("effective_date", slash(day(13)))
		s.typeIn("summary", "党组织会议同意提议加装电梯。")
		s.shot("matter-propose-form")
		s.press(walkCheck)
		s.confirmation(zh(day(13)), "党组织会议同意提议加装电梯。")
		s.shot("matter-propose-confirm")
		s.press(walkRecord)
		s.receipt(clerk, "党组织提议")
		s.shot("matter-propose-receipt")
	})
	desk.step("the two committees consult", func(s *walkStep) {
		s.follow("两委会商议")
		s.typeIn("effective_date", zh(day(12)))
		s.typeIn("summary", "两委会商议通过实施方案。")
		s.shot("matter-consult-form")
		s.press(walkCheck)
		s.confirmation(zh(day(12)), "两委会商议通过实施方案。")
		s.shot("matter-consult-confirm")
		s.press(walkRecord)
		s.receipt(clerk, "两委会商议")
		s.shot("matter-consult-receipt")
	})
	desk.step("the party members review", func(s *walkStep) {
		s.follow("党员大会审议")
		s.typeIn("effective_date", slash(day(11)))
		s.votes("20人", "18人", "16人", "1人", "1人")
		s.shot("matter-review-form")
		s.press(walkCheck)
		s.confirmation(zh(day(11)), "20人", "18人", "16人", "达到法定人数，表决通过")
		s.shot("matter-review-confirm")
		s.press(walkRecord)
		s.receipt(clerk, "应到 20人，实到 18人，赞成 16人，反对 1人，弃权 1人；达到法定人数，表决通过")
		s.shot("matter-review-receipt")
	})
	desk.step("the assembly votes, the count typed wrong", func(s *walkStep) {
		s.follow("代表会议决议")
		s.typeIn("effective_date", zh(day(10)))
		s.votes("15人", "9人", "8人", "1人", "0人")
		s.typeIn("text", "同意加装电梯，社区补贴设计费6,800元。")
		s.shot("matter-resolve-form")
		s.press(walkCheck)
		s.confirmation(zh(day(10)), "15人", "9人", "未达到法定人数，未通过")
		s.shot("matter-resolve-confirm")
		s.press(walkRecord)
		s.receipt(clerk, "应到 15人，实到 9人，赞成 8人，反对 1人，弃权 0人；未达到法定人数，未通过")
		s.shot("matter-resolve-receipt")
	})
	const reason = "会议签到表显示实到12人，赞成11人，误记为实到9人、赞成8人。"
	desk.step("the vote count is corrected", func(s *walkStep) {
		s.follow("更正记录")
		s.shot("matter-correct-choose")
		s.press(`main a[href*="stage=resolved"]`)
		s.want("更正已记录的程序", "代表会议决议")
		if got := s.value("votes.present"); got != "9" {
			s.fatalf("the correction form shows %q present, want the recorded 9", got)
		}
		s.typeIn("effective_date", slash(day(9)))
		s.typeIn("votes.present", "12人")
		s.typeIn("votes.for", "11人")
		s.typeIn("reason", reason)
		s.shot("matter-correct-form")
		s.press(walkCheck)
		s.confirmation("原记录", "实到 9人", "未达到法定人数，未通过", "更正为", "实到 12人", "赞成 11人", "达到法定人数，表决通过", reason)
		s.shot("matter-correct-confirm")
		s.press(walkRecord)
		s.receipt(clerk, "原记录", "实到 9人", "更正为", "实到 12人，赞成 11人", "达到法定人数，表决通过", "更正原因", reason)
		s.shot("matter-correct-receipt")
	})
	desk.step("the resolution is made public", func(s *walkStep) {
		s.follow("决议公开")
		s.typeIn("effective_date", zh(day(8)))
		s.typeIn("channels", "社区公开栏、微信群")
		s.typeIn("summary", "决议在社区公开栏张贴七日。")
		s.shot("matter-disclose-resolution-form")
		s.press(walkCheck)
		s.confirmation(zh(day(8)), "社区公开栏", "微信群")
		s.shot("matter-disclose-resolution-confirm")
		s.press(walkRecord)
		s.receipt(clerk, "决议公开")
		s.shot("matter-disclose-resolution-receipt")
	})
	desk.step("the implementation is reported", func(s *walkStep) {
		s.follow("报告实施情况")
		s.typeIn("effective_date", slash(day(5)))
		s.typeIn("summary", "设计单位已完成电梯井道设计，补贴已拨付。")
		s.shot("matter-report-form")
		s.press(walkCheck)
		s.confirmation(zh(day(5)), "设计单位已完成电梯井道设计")
		s.shot("matter-report-confirm")
		s.press(walkRecord)
		s.receipt(clerk, "实施中")
		s.shot("matter-report-receipt")
	})
	desk.step("the result is made public", func(s *walkStep) {
		s.follow("实施结果公开")
		s.typeIn("effective_date", zh(day(2)))
		s.typeIn("channels", "社区公开栏")
		s.typeIn("summary", "设计完成情况在公开栏公布。")
		s.shot("matter-disclose-result-form")
		s.press(walkCheck)
		s.confirmation(zh(day(2)), "社区公开栏", "设计完成情况在公开栏公布。")
		s.shot("matter-disclose-result-confirm")
		s.press(walkRecord)
		s.receipt(clerk, "实施结果公开")
		s.shot("matter-disclose-result-receipt")
	})

	// 3. The books, on the chart the law sets for the year (from 2024 the
	// 2023 chart), which new books take up by themselves. First a 50-row
	// spreadsheet: 25 vouchers of 200 yuan of rent received into the bank,
	// imported once, then again.
	book := filepath.Join(t.TempDir(), "租金收入.xlsx")
	walkVoucherWorkbook(t, book, today, 1)
	var seqs string
	for i, again := range []bool{false, true} {
		desk.step(fmt.Sprintf("import the spreadsheet (%d)", i+1), func(s *walkStep) {
			s.follow("返回工作台") // from the last receipt
			s.follow("上传 Excel/CSV 文件")
			s.upload(`#f-file`, book)
			s.shot(fmt.Sprintf("import-%d-form", i+1))
			s.press(`button[name=action][value=preview]`)
			s.want("导入前请核对")
			s.check("租金收入.xlsx", "读取 50 行，将生成 25 条记录", "2,3", "50,51", "200.00 元")
			s.shot(fmt.Sprintf("import-%d-confirm", i+1))
			s.press(`button[name=action][value=confirm]`)
			got := s.receipt(clerk, "表格导入", "vouchers", "25")
			if !again {
				// 25 vouchers and, as they are the books' first postings of
				// the year, the year's chart (books.chart_adopted) before them.
				s.want("已导入", "共 26 条记录")
				seqs = got
			} else {
				s.want("此文件已导入，未重复记录。")
				if got != seqs {
					s.fatalf("the second import's receipt shows stream sequences %s, want the first import's %s", got, seqs)
				}
			}
			s.shot(fmt.Sprintf("import-%d-receipt", i+1))
		})
	}

	// 4. A voucher paying 2,000 yuan of the rent out of the bank (which
	// cannot go below zero), after the 25 imported ones, and its red-ink
	// reversal.
	voucher := fmt.Sprintf("%04d-%02d-026", today.Year, int(today.Month))
	reversal := fmt.Sprintf("%04d-%02d-027", today.Year, int(today.Month))
	desk.step("post a three-line voucher", func(s *walkStep) {
		s.follow("返回工作台")
		s.follow("记账凭证")
		s.typeIn("effective_date", zh(today))
		s.typeIn("summary", "支付社区办公用品及维修费")
		s.choose("lines.0.account", "513")
		s.typeIn("lines.0.debit", "1,234.50")
		s.choose("lines.1.account", "515")
		s.typeIn("lines.1.debit", "765.50")
		s.press(`button[name=action][value=add_line]`)
		if got := s.value("lines.0.debit"); got != "1,234.50" {
			s.fatalf("after adding a line, line 1's debit is %q, want 1,234.50 as typed", got)
		}
		s.choose("lines.2.account", "102")
		s.typeIn("lines.2.credit", "2,000")
		s.shot("voucher-form")
		s.press(walkCheck)
		s.confirmation(voucher, zh(today), "513 管理费用", "1,234.50 元", "壹仟贰佰叁拾肆元伍角", "515 其他支出", "765.50 元", "柒佰陆拾伍元伍角",
			"102 银行存款", "2,000.00 元", "贰仟元整", clerk)
		s.shot("voucher-confirm")
		s.press(walkRecord)
		s.receipt(clerk, voucher+" 支付社区办公用品及维修费", "壹仟贰佰叁拾肆元伍角", "贰仟元整")
		s.shot("voucher-receipt")
	})
	desk.step("reverse the voucher", func(s *walkStep) {
		s.follow("返回工作台")
		s.follow("红字冲销")
		if got := s.value("voucher"); got != voucher {
			s.fatalf("the reversal form has voucher %q selected, want %s", got, voucher)
		}
		s.typeIn("effective_date", slash(today))
		s.typeIn("reason", "重复记账，予以冲销。")
		s.shot("reversal-form")
		s.press(walkCheck)
		s.confirmation(reversal, voucher, "重复记账，予以冲销。", "-1,234.50 元", "-2,000.00 元")
		s.shot("reversal-confirm")
		s.press(walkRecord)
		s.receipt(clerk, reversal)
		s.shot("reversal-receipt")
		s.follow("返回工作台")
		s.want("已被 " + reversal + " 冲销")
		s.shot("workbench-books")
	})

	// 5. The clerk signs out; the workbench then asks for a sign-in.
	desk.signOut()
	desk.step("the workbench needs a sign-in again", func(s *walkStep) {
		s.open("/c/" + community + "/desk")
		if loc := s.location(); !strings.Contains(loc, "/login?next=") {
			s.fatalf("after signing out, the workbench is at %s, want the sign-in page", loc)
		}
		s.want("登录名")
		s.shot("signed-out")
	})

	// 6. A resident, in a browser context of their own.
	resident := b.tab("resident", shots, chromedp.WithNewBrowserContext())
	resident.step("the public board", func(s *walkStep) {
		s.open("/c/" + community)
		s.want(commName, "幸福里3号楼加装电梯")
		s.check("实施结果公开", "6800.00")
		s.shot("public-board")
		// The matter's own page holds every stage and the correction.
		s.open("/c/" + community + "/matters/" + matter)
		s.want("幸福里3号楼加装电梯")
		s.check("实施结果公开", "6800.00",
			"更正“代表会议决议”",
			"原记录 应到15人 实到9人 赞成8 反对1 弃权0，未通过（未达法定人数）", "更正为 应到15人 实到12人 赞成11 反对1 弃权0，通过", reason)
		s.shot("public-matter")
	})
	resident.step("the public finance pages", func(s *walkStep) {
		y := strconv.Itoa(today.Year)
		s.open("/c/" + community + "/finance?year=" + y)
		s.want("财务公开")
		// The imported 25 × 200 yuan are the year's income; the voucher and
		// its red-ink reversal leave its two expense accounts at zero.
		s.check("504 其他收入", "5000.00", "伍仟元整")
		s.checkRE(`513 管理费用\s+0\.00`, `515 其他支出\s+0\.00`)
		s.shot("public-finance")
		s.open("/c/" + community + "/finance/statements?year=" + y)
		s.want("资产负债表")
		s.check("科目余额表")
		s.checkRE(`货币资金\s+1\s+5000\.00`, `本年收益\s+\d+\s+5000\.00`)
		s.shot("public-statements")
	})

	t.Logf("%d screenshots at 360 px in %s; the walk-through took %s", shots.n, shots.dir, time.Since(began).Round(100*time.Millisecond))
}

// chineseFonts fails the test when fontconfig knows no Chinese font, for
// then the screenshots show empty boxes.
func chineseFonts(t *testing.T) {
	t.Helper()
	out, err := exec.Command("fc-list", ":lang=zh", "family").Output()
	if err != nil {
		t.Logf("cannot tell whether Chinese fonts are installed (fc-list: %v): the screenshots may show empty boxes", err)
		return
	}
	if len(bytes.TrimSpace(out)) == 0 {
		t.Fatal("Chinese fonts are needed for the walk-through's screenshots: apt-get install -y fonts-noto-cjk")
	}
}

// Selectors of the workbench's buttons.
const (
	walkCheck  = `main button.primary[name=action][value=check]`
	walkRecord = `main button[name=action][value=confirm]`
)

// walkStepTimeout bounds each step, so that a stuck page fails the test
// with the step's name instead of hanging it.
const walkStepTimeout = 30 * time.Second

// walkShots numbers and saves the screenshots of a walk-through.
type walkShots struct {
	dir string
	n   int
}

// newWalkShots prepares the artefact directory: $GONGKAI_ARTEFACTS, or
// gongkai-artefacts/<test name> under the temporary directory. Earlier
// screenshots of the walk-through there are removed.
func newWalkShots(t *testing.T) *walkShots {
	t.Helper()
	dir := os.Getenv("GONGKAI_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "gongkai-artefacts", t.Name())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.png"))
	for _, p := range old {
		_ = os.Remove(p)
	}
	t.Logf("screenshots go to %s", dir)
	return &walkShots{dir: dir}
}

// walkBrowser is one headless Chromium, for the server at base.
type walkBrowser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// startWalkBrowser starts Chromium with the flags browser_test.go gives it
// and stops it when the test ends.
func startWalkBrowser(t *testing.T, bin, base string) *walkBrowser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.UserDataDir(t.TempDir()))
	// Starting the browser is bounded too: nothing here may hang the test.
	life, stop := context.WithTimeout(context.Background(), 3*time.Minute)
	actx, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc(); stop() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", bin, err)
	}
	return &walkBrowser{t: t, ctx: ctx, base: base}
}

// walkTab is one person's tab, on a 360 px wide screen.
type walkTab struct {
	t     *testing.T
	who   string
	base  string
	ctx   context.Context
	shots *walkShots
}

func (b *walkBrowser) tab(who string, sh *walkShots, opts ...chromedp.ContextOption) *walkTab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, opts...)
	b.t.Cleanup(cancel)
	tb := &walkTab{t: b.t, who: who, base: b.base, ctx: ctx, shots: sh}
	// The tab's first action opens it and must run on its own context, not
	// a step's: the tab would close with the step. The browser's life
	// bounds it.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
		b.t.Fatalf("%s: open a tab at 360 px: %v", who, err)
	}
	return tb
}

// step runs one step of the walk-through within walkStepTimeout.
func (tb *walkTab) step(name string, f func(s *walkStep)) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, walkStepTimeout)
	defer cancel()
	began := time.Now()
	f(&walkStep{walkTab: tb, name: tb.who + ": " + name, ctx: ctx})
	tb.t.Logf("%s: %s: done in %s", tb.who, name, time.Since(began).Round(10*time.Millisecond))
}

// signIn signs in through the /login page and checks the page after it
// names the person.
func (tb *walkTab) signIn(login, password, name string) {
	tb.t.Helper()
	tb.step("sign in", func(s *walkStep) {
		s.open("/login")
		s.typeIn("#login", login)
		s.typeIn("#password", password)
		s.shot(tb.who + "-login")
		s.press(`form.login button[type=submit]`)
		if loc := s.location(); !strings.HasSuffix(loc, "/desk") {
			s.fatalf("signed in at %s, want /desk", loc)
		}
		s.want(name, "我的工作台")
		s.shot(tb.who + "-desk")
	})
}

// signOut presses the page's 退出登录 button and checks it lands on the
// sign-in page.
func (tb *walkTab) signOut() {
	tb.t.Helper()
	tb.step("sign out", func(s *walkStep) {
		s.press(`form[action="/logout"] button[type=submit]`)
		if loc := s.location(); !strings.Contains(loc, "/login") {
			s.fatalf("signed out at %s, want /login", loc)
		}
		s.want("登录名", "密码")
	})
}

// walkStep is one named step in a tab; its methods fail the test with the
// step's name.
type walkStep struct {
	*walkTab
	name string
	ctx  context.Context
}

func (s *walkStep) fatalf(format string, args ...any) {
	s.t.Helper()
	s.t.Fatalf("%s: %s", s.name, fmt.Sprintf(format, args...))
}

func (s *walkStep) do(actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	if err := chromedp.Do(s.ctx, actions...); err != nil {
		s.fatalf("%v (at %s)", err, s.location())
	}
}

// location is the tab's address, without the server's.
func (s *walkStep) location() string {
	ctx, cancel := context.WithTimeout(s.walkTab.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	if i := strings.Index(loc, "://"); i >= 0 {
		if j := strings.IndexByte(loc[i+3:], '/'); j >= 0 {
			return loc[i+3+j:]
		}
	}
	return loc
}

// open loads a path of the server and wants 200.
func (s *walkStep) open(path string) {
	s.t.Helper()
	resp, err := chromedp.Run(s.ctx, chromedp.NavigateResponse(s.base+path))
	if err != nil {
		s.fatalf("open %s: %v", path, err)
	}
	if resp.Status != 200 {
		s.fatalf("open %s: status %d: %s", path, resp.Status, s.alerts())
	}
}

// press clicks a button or link that loads a page and wants 200 (after
// any redirect).
func (s *walkStep) press(sel string) {
	s.t.Helper()
	resp, err := chromedp.RunResponse(s.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		s.fatalf("press %s: %v (at %s)", sel, err, s.location())
	}
	if resp.Status != 200 {
		s.fatalf("press %s: status %d at %s: %s", sel, resp.Status, s.location(), s.alerts())
	}
}

// follow clicks the link with the given text in the page's main part.
func (s *walkStep) follow(label string) {
	s.t.Helper()
	xpath := `//main//a[normalize-space(.)="` + label + `"]`
	q, _ := json.Marshal(xpath)
	// A missing link fails at once, naming the links there are.
	links, err := chromedp.Run(s.ctx, chromedp.Evaluate[[]string](`document.evaluate(`+string(q)+`, document, null, 7, null).snapshotLength ? [] :
		Array.from(document.querySelectorAll('main a')).map(a => a.innerText.trim())`))
	if err != nil {
		s.fatalf("look for the link %q: %v", label, err)
	}
	if len(links) > 0 {
		s.fatalf("%s has no link %q; its links are %q", s.location(), label, links)
	}
	resp, err := chromedp.RunResponse(s.ctx, chromedp.Click(xpath))
	if err != nil {
		s.fatalf("follow the link %q: %v (at %s)", label, err, s.location())
	}
	if resp.Status != 200 {
		s.fatalf("follow the link %q: status %d at %s: %s", label, resp.Status, s.location(), s.alerts())
	}
}

// walkField returns the selector of a form field: "#id", or the name of a
// visible input, textarea or select.
func walkField(name string) chromedp.CSS {
	if id, ok := strings.CutPrefix(name, "#"); ok {
		return chromedp.CSS(`[id="` + id + `"]`)
	}
	n := `[name="` + name + `"]`
	return chromedp.CSS(`input[type=text]` + n + `, input[type=password]` + n + `, textarea` + n + `, select` + n)
}

// typeIn replaces a text field's value by typing text, key by key.
func (s *walkStep) typeIn(name, text string) {
	s.t.Helper()
	sel := walkField(name)
	q, _ := json.Marshal(string(sel))
	// Emptied as a person selects all and deletes (SetValue refuses "").
	s.do(chromedp.WaitVisible(sel), chromedp.Evaluate[chromedp.Void](`void (document.querySelector(`+string(q)+`).value = "")`),
		chromedp.SendKeys(sel, text))
	if got := s.value(name); got != text {
		s.fatalf("typed %q into %s, which holds %q", text, name, got)
	}
}

// choose selects an option of a select by its value.
func (s *walkStep) choose(name, value string) {
	s.t.Helper()
	s.do(chromedp.SetValue(walkField(name), value))
	if got := s.value(name); got != value {
		s.fatalf("%s has no option %q (it shows %q)", name, value, got)
	}
}

// value returns a field's current value.
func (s *walkStep) value(name string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.ctx, chromedp.Value(walkField(name)))
	if err != nil {
		s.fatalf("read %s: %v", name, err)
	}
	return v
}

// votes types a vote's five counts.
func (s *walkStep) votes(expected, present, forVotes, against, abstain string) {
	s.t.Helper()
	s.typeIn("votes.expected", expected)
	s.typeIn("votes.present", present)
	s.typeIn("votes.for", forVotes)
	s.typeIn("votes.against", against)
	s.typeIn("votes.abstain", abstain)
}

// upload chooses a file for a file input.
func (s *walkStep) upload(sel, path string) {
	s.t.Helper()
	s.do(chromedp.SetUploadFiles(chromedp.CSS(sel), []string{path}))
}

// text is the page's text as shown.
func (s *walkStep) text() string {
	s.t.Helper()
	txt, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		s.fatalf("read the page: %v", err)
	}
	return txt
}

// alerts is the text of the page's error messages, or its start.
func (s *walkStep) alerts() string {
	ctx, cancel := context.WithTimeout(s.walkTab.ctx, 5*time.Second)
	defer cancel()
	txt, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll('[role=alert], .err, .alert, .alarm')).map(e => e.innerText).join(' | ') || document.body.innerText.slice(0, 600)`))
	if err != nil {
		return "(page unreadable: " + err.Error() + ")"
	}
	return txt
}

// want fails the step unless the page shows every text.
func (s *walkStep) want(texts ...string) {
	s.t.Helper()
	if page, missing := s.missing(texts); missing != "" {
		s.fatalf("%s does not show %s; it shows:\n%s", s.location(), missing, page)
	}
}

// confirmation checks that the page is a form's confirmation step and
// what it shows.
func (s *walkStep) confirmation(texts ...string) {
	s.t.Helper()
	s.want("请核对以下内容", "确认记录", "返回修改")
	s.check(texts...)
}

// check is want that lets the walk-through go on: for what a page shows
// that later steps do not depend on.
func (s *walkStep) check(texts ...string) {
	s.t.Helper()
	if page, missing := s.missing(texts); missing != "" {
		s.t.Errorf("%s: %s does not show %s; it shows:\n%s", s.name, s.location(), missing, page)
	}
}

// missing returns the page's text and the texts it lacks, quoted.
func (s *walkStep) missing(texts []string) (page, missing string) {
	s.t.Helper()
	page = s.text()
	var out []string
	for _, w := range texts {
		if !strings.Contains(page, w) {
			out = append(out, strconv.Quote(w))
		}
	}
	return page, strings.Join(out, ", ")
}

// checkRE is check for regular expressions.
func (s *walkStep) checkRE(exprs ...string) {
	s.t.Helper()
	page := s.text()
	for _, e := range exprs {
		if !regexp.MustCompile(e).MatchString(page) {
			s.t.Errorf("%s: %s does not match %s; it shows:\n%s", s.name, s.location(), e, page)
		}
	}
}

// wantRE fails the step unless the page's text matches the expression.
func (s *walkStep) wantRE(expr string) {
	s.t.Helper()
	if page := s.text(); !regexp.MustCompile(expr).MatchString(page) {
		s.fatalf("%s does not match %s; it shows:\n%s", s.location(), expr, page)
	}
}

var (
	walkReceiptTime = regexp.MustCompile(`时间\s+(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{2}):(\d{2})（北京时间）`)
	walkReceiptSeqs = regexp.MustCompile(`日志序号\s+((?:共 \d+ 条记录，日志序号 [0-9,-]+)|\d+)`)
)

// receipt checks a receipt: recorded, by whom, at what Beijing time, at
// which stream sequences, and showing what; it returns the sequences as
// shown.
func (s *walkStep) receipt(by string, shows ...string) string {
	s.t.Helper()
	if loc := s.location(); !strings.Contains(loc, "/desk/receipt?") {
		s.fatalf("after 确认记录 the tab is at %s, not a receipt: %s", loc, s.alerts())
	}
	s.want("记录人", "（北京时间）")
	s.check(append([]string{by}, shows...)...)
	page := s.text()
	if !strings.Contains(page, "已写入账本。") && !strings.Contains(page, "未重复记录") {
		s.fatalf("the receipt says neither 已写入账本 nor 未重复记录:\n%s", page)
	}
	m := walkReceiptTime.FindStringSubmatch(page)
	if m == nil {
		s.fatalf("the receipt shows no time in Beijing time:\n%s", page)
	}
	n := func(i int) int { x, _ := strconv.Atoi(m[i]); return x }
	at := time.Date(n(1), time.Month(n(2)), n(3), n(4), n(5), 0, 0, domain.Shanghai)
	if d := time.Since(at); d < -time.Minute || d > 3*time.Minute {
		s.fatalf("the receipt's time %s (Beijing) is not now (%s)", at, time.Now().In(domain.Shanghai).Format("2006-01-02 15:04"))
	}
	seq := walkReceiptSeqs.FindStringSubmatch(page)
	if seq == nil {
		s.fatalf("the receipt shows no stream sequence:\n%s", page)
	}
	return seq[1]
}

// shot saves a full-page screenshot and checks that it is a PNG 360 px
// wide: a wider one means the page does not fit a 360 px phone (the
// screenshot is saved all the same).
func (s *walkStep) shot(label string) {
	s.t.Helper()
	buf, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.fatalf("screenshot %s: %v", label, err)
	}
	img, err := png.Decode(bytes.NewReader(buf))
	if err != nil {
		s.fatalf("screenshot %s is not a PNG: %v", label, err)
	}
	sh := s.shots
	sh.n++
	path := filepath.Join(sh.dir, fmt.Sprintf("%02d-%s.png", sh.n, label))
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		s.fatalf("%v", err)
	}
	if w := img.Bounds().Dx(); w != 360 {
		s.t.Errorf("%s: screenshot %s of %s is %d px wide, want 360: the page is wider than the phone's screen",
			s.name, filepath.Base(path), s.location(), w)
	}
}

// walkVoucherWorkbook writes a 50-row vouchers workbook, made from the
// import's own template: 25 two-line vouchers numbered from first, each
// 200 yuan of rent received into the bank, dated d.
func walkVoucherWorkbook(t *testing.T, path string, d domain.Date, first int) {
	t.Helper()
	tpl, err := importer.Template(importer.Vouchers)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(tpl))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil || len(rows) == 0 {
		t.Fatalf("template rows: %v", err)
	}
	col := map[string]string{}
	for i, h := range rows[0] {
		col[h], _ = excelize.ColumnNumberToName(i + 1)
	}
	for range len(rows) - 1 { // the example rows
		if err := f.RemoveRow(sheet, 2); err != nil {
			t.Fatal(err)
		}
	}
	set := func(row int, header string, v any) {
		c, ok := col[header]
		if !ok {
			t.Fatalf("the vouchers template has no column %s (it has %v)", header, rows[0])
		}
		if err := f.SetCellValue(sheet, c+strconv.Itoa(row), v); err != nil {
			t.Fatal(err)
		}
	}
	date := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	for i := range 25 {
		row := 2 + 2*i
		set(row, "日期", date)
		set(row, "凭证号", first+i)
		set(row, "摘要", fmt.Sprintf("收到%d号门面租金", i+1))
		set(row, "科目编码", "102")
		set(row, "借方金额", 200.0)
		set(row, "制单人", "王芳")
		set(row+1, "凭证号", first+i)
		set(row+1, "科目编码", "504 其他收入")
		set(row+1, "贷方金额", 200.0)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}
