package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

var numericCell = regexp.MustCompile(`^-?[0-9][0-9,]*(\.[0-9]+)?%?$`)

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"t":       translate,
	"stage":   stageName,
	"yuan":    func(f domain.Fen) string { return f.String() },
	"capital": func(f domain.Fen) string { return f.Capital() },
	"pctbp":   func(bp int64) string { return fmt.Sprintf("%d.%02d%%", bp/100, bp%100) },
	// stars draws a rating as stars.
	"stars": func(n int) string { return strings.Repeat("★", n) },
	// lateEntry reports whether a voucher of date d recorded at t was
	// entered late (补录): lateAfter or more after the end of its day.
	"lateEntry": func(d domain.Date, t time.Time) bool {
		return !t.IsZero() && t.Sub(civilStart(d)) >= lateAfter+24*time.Hour
	},
	// numeric reports whether a table cell is an amount or a percentage,
	// to align it right.
	"numeric": func(s string) bool { return numericCell.MatchString(s) },
	"source": func(lang, s string) string {
		if lang == "en" || domain.SourceZH(s) == "" {
			if s == "unassigned" && lang != "en" {
				return "未指定预算行"
			}
			return s
		}
		return domain.SourceZH(s)
	},
	"lastSeq": func(seqs []uint64) uint64 {
		if len(seqs) == 0 {
			return 0
		}
		return seqs[len(seqs)-1]
	},
	"dictCP": func(lang string, cp *checkpointPanel) map[string]any { return map[string]any{"Lang": lang, "CP": cp} },
	"colon": func(lang string) string {
		if lang == "en" {
			return ": "
		}
		return "："
	},
	"name": func(lang, zh, en string) string {
		if lang == "en" {
			return en
		}
		return zh
	},
	"dict":      func(lang, title string, d *domain.Decision) votesData { return votesData{lang, title, d} },
	"roleZH":    func(r domain.AccessRole) string { return domain.AccessRoleZH(r) },
	"scopeZH":   domain.ScopeZH,
	"beijing":   beijing,
	"cnDate":    cnDate,
	"civilDate": domain.DateOf,
	"actorName": func(names map[string]string, id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	},
}).ParseFS(templateFS, "templates/*.html"))

type votesData struct {
	Lang  string
	Title string
	D     *domain.Decision
}

type pageData struct {
	Lang string
	// Other is this page's address in the other language.
	Other string
	Data  any
}

func pageLang(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "zh"
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.renderWith(w, r, status, name, data, false)
}

func (s *Server) renderWith(w http.ResponseWriter, r *http.Request, status int, name string, data any, private bool) {
	lang := pageLang(r)
	q := r.URL.Query()
	if lang == "en" {
		q.Del("lang")
	} else {
		q.Set("lang", "en")
	}
	other := r.URL.Path
	if len(q) > 0 {
		other += "?" + q.Encode()
	}
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, pageData{Lang: lang, Other: other, Data: data}); err != nil {
		s.Log.Error("render", "template", name, "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if private {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write(buf.Bytes())
		return
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	// Pages are public and the same for everyone: shared caches may keep
	// a page for a minute. Nothing behind a token is ever a page. Error
	// pages are not kept.
	if status == http.StatusOK {
		w.Header().Set("Cache-Control", "public, max-age=60")
	} else {
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, p Problem) {
	s.render(w, r, p.Status, "error.html", p)
}

func stageName(lang string, st domain.Stage) string {
	if lang == "en" {
		return strings.ReplaceAll(string(st), "_", " ")
	}
	return domain.StageZH(st)
}

var messages = map[string][2]string{ // key: {zh, en}
	"board":          {"公开栏", "Public board"},
	"matters":        {"事项（四议两公开）", "Matters (four deliberations, two disclosures)"},
	"no_matters":     {"暂无事项。", "No matters yet."},
	"stage":          {"当前程序", "Stage"},
	"amount":         {"涉及金额（元）", "Amount (yuan)"},
	"review":         {"党员大会审议", "Party members' meeting"},
	"resolution":     {"代表会议表决", "Representative assembly vote"},
	"expected":       {"应到", "Expected"},
	"present":        {"实到", "Present"},
	"for":            {"赞成", "For"},
	"against":        {"反对", "Against"},
	"abstain":        {"弃权", "Abstain"},
	"passed":         {"通过", "Passed"},
	"failed":         {"未通过", "Failed"},
	"not_quorate":    {"（未达法定人数）", " (no quorum)"},
	"dates":          {"程序记录", "Record of stages"},
	"implementation": {"实施情况", "Implementation"},
	"reason":         {"原因", "Reason"},
	"revoked_by":     {"撤销决议事项", "Revoked by matter"},
	"as_of":          {"数据截至日志序号", "As of stream sequence"},
	"seqs":           {"日志序号", "Stream sequences"},
	"recorded_at":    {"，记录于 ", ", recorded "},
	"proof":          {"验证证明", "Proof"},
	"checkpoint":     {"日志检查点（可验证）", "Log checkpoint (verifiable)"},
	"cp_size":        {"事件数", "Events"},
	"cp_root":        {"根哈希", "Root hash"},
	"cp_signed":      {"签名", "Signed by"},
	"cp_help":        {"扫码或打开链接可取得签名的检查点；用 gongkai verify proof 可离线核验每一项。", "Scan or open the link for the signed checkpoint; check any item offline with gongkai verify proof."},
	"other_lang":     {"English", "中文"},
	"json":           {"数据（JSON）", "Data (JSON)"},
	"town":           {"所属", "Town"},
	"intro":          {"gongkai 公开账本：社区重大事项决策与财务的永久公开记录。", "gongkai: the permanent public record of a community's decisions and finances."},
	"demo":           {"示例社区：文化路社区", "Demo community: 文化路社区 (Wenhualu)"},
	"error":          {"出错了", "Error"},
	"home":           {"首页", "Home"},
	"finance":        {"财务公开", "Finance"},
	"budget_exec":    {"预算执行", "Budget execution"},
	"statements":     {"会计报表", "Statements"},
	"chart_months":   {"各月收入与支出（元）", "Income and expense by month (yuan)"},
	"income":         {"收入", "Income"},
	"expense":        {"支出", "Expense"},
	"month":          {"月份", "Month"},
	"quarter":        {"季度", "Quarter"},
	"total":          {"合计", "Total"},
	"in_words":       {"大写", "In words"},
	"by_source":      {"按资金来源", "By fund source"},
	"source":         {"来源", "Source"},
	"received":       {"到账", "Received"},
	"spent":          {"支出", "Spent"},
	"budget_amt":     {"预算", "Budget"},
	"remaining":      {"结余", "Remaining"},
	"executed":       {"执行率", "Executed"},
	"line":           {"预算项目", "Budget line"},
	"no_data":        {"暂无数据。", "No data yet."},
	"year":           {"年度", "Year"},
	"balance_sheet":  {"资产负债表", "Balance sheet"},
	"income_stmt":    {"收益及收益分配表", "Income and distribution statement"},
	"trial_balance":  {"科目余额表", "Trial balance"},
	"assets":         {"资产", "Assets"},
	"liabilities":    {"负债", "Liabilities"},
	"equity":         {"所有者权益", "Equity"},
	"liab_equity":    {"负债和所有者权益", "Liabilities and equity"},
	"balanced":       {"资产 = 负债 + 所有者权益", "Assets = liabilities + equity"},
	"not_balanced":   {"报表不平衡，请核查！", "The statement does not balance: check the books!"},
	"operating":      {"经营收益", "Operating result"},
	"result":         {"本期收益", "Result of the period"},
	"opening_undist": {"年初未分配收益", "Undistributed at the start of the year"},
	"available":      {"可分配收益", "Available for distribution"},
	"distributed":    {"本年分配", "Distributed this year"},
	"closing_undist": {"年末未分配收益", "Undistributed at the end of the year"},
	"account":        {"科目", "Account"},
	"opening":        {"期初余额", "Opening"},
	"debit":          {"借方", "Debit"},
	"credit":         {"贷方", "Credit"},
	"closing":        {"期末余额", "Closing"},
	"closed_month":   {"已结账", "Closed"},
	"year_segment":   {"本年度已年终结账。下载年度区段证明（JSON），可用 gongkai verify segment 离线核验本年度日志完整、未被改动：", "This year is closed. Download the year-end segment proof (JSON) and check offline with gongkai verify segment that the year's part of the log is complete and unaltered:"},
	"download":       {"下载", "download"},
	"resolution_ref": {"批准决议事项", "Approved by matter"},
	"login":          {"登录", "Sign in"},
	"recorded_by":    {"记录人", "recorded by"},
	"login_name":     {"登录名", "Login name"},
	"password":       {"密码", "Password"},
	"logout":         {"退出登录", "Sign out"},
	// The residents' board, matter, verify and 收支明细 pages.
	"updated_at":        {"更新于", "Updated"},
	"matter_title":      {"事项", "Matter"},
	"vote_failed_short": {"（表决未通过）", " (vote failed)"},
	"board_help":        {"点击事项名称查看每一步的日期、表决结果和公开情况。时间均为北京时间。", "Open a matter to see the date of each stage, how the votes went and where it was made public. Times are Beijing time."},
	"verifiable":        {"可核验", "Verifiable"},
	"verifiable_help":   {"每条记录都写入了不可更改的日志，任何人都可以核对", "every record is in a log that cannot be changed, and anyone can check it"},
	"checkpoint_link":   {"签名的检查点", "signed checkpoint"},
	"void_text":         {"（未通过，决议内容不生效）", "(failed: the resolution does not take effect)"},
	"channels":          {"公开方式", "Made public on"},
	"correction_reason": {"更正理由", "Reason for the correction"},
	"verify_title":      {"核验这条记录", "Check this record"},
	"payments":          {"收支明细", "Receipts and payments"},
	"in_or_out":         {"收支", "In or out"},
	"amount_yuan":       {"金额（元）", "Amount (yuan)"},
	"no_cash":           {"不涉及收付", "Neither"},
	"net":               {"收支相抵", "Net"},
	"payments_rule":     {"说明：凭证收到现金或银行存款，或记入收入类科目的，列为收入；从现金或银行存款付出的，列为支出；现金与银行之间的划转、计提折旧等不涉及收付的凭证照列，不计入合计。红字冲销凭证以负数列示，冲减原凭证。资金来源取自凭证所列的预算项目。", "How to read this: a voucher that takes money into cash or the bank, or credits an income account, is income; one that pays out of cash or the bank is an expense; moves between cash and the bank and vouchers that neither receive nor pay (depreciation) are listed but not counted. A red-ink reversal is shown negative and takes back the voucher it reverses. The fund source is that of the budget line the voucher cites."},
}

func translate(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		m, ok = booksMessages[key]
	}
	if !ok {
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}
