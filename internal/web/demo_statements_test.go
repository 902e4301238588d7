package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/demo"
)

// The demo's official statements, every row, against figures worked out
// by hand from the demo's commands (internal/demo/books.go) — not by
// gongkai's code. All amounts are yuan.
//
// What the demo posts, by year (A = 2,290.00 = 5 staff × 458.00, the
// county's staff allowance for a month, received on the 5th and paid out on
// the 10th, so it leaves the bank where it found it):
//
//	2023, 2004 chart. Opening balances from the 2022 statement: 101 现金
//	500.00, 102 银行存款 30,000.00 | 301 资本 26,000.00, 311 公积公益金
//	4,500.00. Monthly Dr 102 / Cr 522 补助收入 A and Dr 541 管理费用 /
//	Cr 102 A; in March, June, September and December Dr 541 / Cr 102
//	1,180.00 (utilities).
//	1 January 2024: the change of chart; 101, 102, 301, 311 and 322 keep
//	their codes (transition-2004-2023.json).
//	2024, 2023 chart. Monthly Dr 102 / Cr 503 补助收入 A and Dr 513 管理费用
//	/ Cr 102 A; quarterly Dr 513 / Cr 102 1,240.00; 15 April the office
//	building donated: Dr 151 固定资产 / Cr 311 公积公益金 480,000.00,
//	depreciated from May (Dr 513 / Cr 152 累计折旧).
//	2025, 2023 chart. Monthly A in and out as in 2024; Dr 102 / Cr 503
//	10,000.00 on 15 January and on 10 July (the town's working funds);
//	Dr 102 / Cr 241 专项应付款 23,500.00 on 8 April (the special fund, a
//	liability until spent); in every even month Dr 513 /
//	Cr 102 1,260.00; 20 June Dr 513 / Cr 102 860.00, reversed in red ink on
//	the 22nd and posted again at 680.00; 12 September Dr 514 公益支出 /
//	Cr 102 1,800.00; rent Dr 102 / Cr 501 经营收入 3,500.00 in March, June,
//	September and December; 28 April Dr 151 / Cr 102 23,500.00, the
//	equipment, depreciated from May, and Dr 241 / Cr 311 公积公益金
//	23,500.00, the fund spent on its purpose; both assets depreciated
//	every month.
//	Every month and year closed: the year's income and expense go to 321
//	本年收益 and 321 to 322 收益分配.
//
// Depreciation (domain/assets.go: residual = cost × rate, monthly =
// (cost − residual) ÷ life months, each rounded half up to the fen, from
// the month after acquisition):
//
//	building:  480,000.00 × 5 % = 24,000.00 residual; 456,000.00 ÷ 240
//	           = 1,900.00 a month exactly; May 2024 on.
//	equipment: 23,500.00 × 5 % = 1,175.00 residual; 22,325.00 ÷ 36
//	           = 620.1388… → 620.14 a month; May 2025 on.
//	152 at end 2024 = 8 × 1,900.00 = 15,200.00
//	152 at end 2025 = 15,200.00 + 12 × 1,900.00 + 8 × 620.14
//	                = 15,200.00 + 22,800.00 + 4,961.12 = 42,961.12
const (
	stmtA = "2290.00" // the month's staff allowance, 5 × 458.00

	// Unchanged in every column of every year.
	stmtCapital = "26000.00" // 301 资本: the 2022 statement, never posted to again
	stmtFund23  = "4500.00"  // 311 公积公益金 in 2023: the 2022 statement

	// 2023 (2004 forms).
	stmtMoney23Open = "30500.00"  // 货币资金 1 Jan 2023 = 101 500.00 + 102 30,000.00 (2022 statement)
	stmtMoney23End  = "25780.00"  // = 30,500.00 + 12 × A in − 12 × A out − 4 × 1,180.00 utilities = 30,500.00 − 4,720.00
	stmtSub23       = "27480.00"  // 522 补助收入 = 12 × A
	stmtAdmin23     = "33000.00"  // 541 管理费用 = 12 × A 27,480.00 + 4 × 1,180.00 4,720.00 + 800.00 cleaning owed on 28 December
	stmtOp23        = "-33000.00" // 经营收益 = 0 经营收入 + 0 发包 + 0 投资 − 0 经营支出 − 33,000.00
	stmtNet23       = "-5520.00"  // 本年收益 = −33,000.00 + 27,480.00 补助收入
	stmtUndist23    = "-5520.00"  // 未分配收益 end 2023 = 0 (none in the 2022 statement) − 5,520.00
	stmtPay23       = "800.00"    // 202 应付款 end 2023: the cleaning owed, paid on 15 January 2024 from 211
	stmtEquity23End = "24980.00"  // 所有者权益合计 end 2023 = 26,000.00 + 4,500.00 − 5,520.00

	// 2024 (2023 forms); its opening is 2023's closing moved by the mapping.
	stmtMoney24End   = "20020.00"  // 货币资金 = 25,780.00 + 12 × A − 12 × A − 4 × 1,240.00 utilities 4,960.00 − 800.00 cleaning owed from 2023
	stmtBuilding     = "480000.00" // 151 固定资产 end 2024: the donated building
	stmtDep24        = "15200.00"  // 152 累计折旧 end 2024 = 8 × 1,900.00 (May–December)
	stmtFANet24      = "464800.00" // 固定资产净值 = 480,000.00 − 15,200.00; also 固定资产小计 and 非流动资产合计
	stmtAssets24     = "484820.00" // 资产总计 = 20,020.00 + 464,800.00
	stmtFund24       = "484500.00" // 311 公积公益金 = 4,500.00 + 480,000.00 the donation
	stmtUndist24     = "-25680.00" // 未分配收益 = −5,520.00 + (−20,160.00)
	stmtEquity24     = "484820.00" // 所有者权益合计 = 26,000.00 + 484,500.00 − 25,680.00 = 资产总计
	stmtSub24        = "27480.00"  // 503 补助收入 = 12 × A
	stmtAdmin24      = "47640.00"  // 513 管理费用 = 27,480.00 + 4,960.00 utilities + 15,200.00 depreciation
	stmtOp24         = "-47640.00" // 经营收益 = 0 − 47,640.00
	stmtNet24        = "-20160.00" // 收益总额 = 本年收益 = −47,640.00 + 27,480.00
	stmtDistrib24    = "-25680.00" // 可分配收益 = 年末未分配收益 = −20,160.00 + (−5,520.00)
	stmtUndistOpen24 = "-5520.00"  // 年初未分配收益 2024 = 322 moved from 2023

	// 2025 (2023 forms).
	stmtMoney25End = "43980.00"  // 货币资金 = 20,020.00 + in (12 × A 27,480.00 + 2 × 10,000.00 + 23,500.00 + 4 × 3,500.00 = 84,980.00) − out (12 × A 27,480.00 + 6 × 1,260.00 7,560.00 + 680.00 + 1,800.00 + 23,500.00 = 61,020.00); the 860.00 and its reversal cancel
	stmtFA25       = "503500.00" // 151 固定资产 = 480,000.00 + 23,500.00 equipment
	stmtDep25      = "42961.12"  // 152 累计折旧 = 15,200.00 + 22,800.00 + 4,961.12 (schedule above)
	stmtFANet25    = "460538.88" // 固定资产净值 = 503,500.00 − 42,961.12; also 固定资产小计 and 非流动资产合计
	stmtAssets25   = "504518.88" // 资产总计 = 43,980.00 + 460,538.88
	stmtFund25     = "508000.00" // 311 公积公益金 = 484,500.00 + 23,500.00 the special fund, spent on the equipment (Dr 241 专项应付款 / Cr 311)
	stmtUndist25   = "-29481.12" // 未分配收益 = −25,680.00 + (−3,801.12)
	stmtEquity25   = "504518.88" // 所有者权益合计 = 26,000.00 + 508,000.00 − 29,481.12 = 资产总计
	stmtIncome25   = "14000.00"  // 501 经营收入, the collective income = 4 quarters' rent × 3,500.00
	stmtAdmin25    = "63481.12"  // 513 管理费用 = 27,480.00 + 7,560.00 + 680.00 + depreciation 27,761.12 (12 × 1,900.00 + 8 × 620.14)
	stmtOp25       = "-49481.12" // 经营收益 = 14,000.00 − 63,481.12
	stmtSub25      = "47480.00"  // 503 补助收入 = 27,480.00 + 10,000.00 + 10,000.00 (the 23,500.00 special fund is 241 专项应付款, not income)
	stmtPublic25   = "1800.00"   // 514 公益支出: the Mid-Autumn activity
	stmtNet25      = "-3801.12"  // 收益总额 = 本年收益 = −49,481.12 + 47,480.00 − 1,800.00
	stmtDistrib25  = "-29481.12" // 可分配收益 = 年末未分配收益 = −3,801.12 + (−25,680.00)

	stmtZero = "0.00"
	stmtNone = "—" // the column is left blank for the row (no figure served)
)

// stmtRow is one printed row of a form as served: side, 行次 (0 for a
// heading), exact label, and an amount per column key.
type stmtRow struct {
	Side    string            `json:"side"`
	Row     int               `json:"row"`
	LabelZH string            `json:"label_zh"`
	Kind    string            `json:"kind"`
	Amounts map[string]string `json:"amounts"`
}

type stmtForm struct {
	Form                string `json:"form"`
	Kind                string `json:"kind"`
	Chart               string `json:"chart"`
	Year                int    `json:"year"`
	Period              string `json:"period"`
	TitleZH             string `json:"title_zh"`
	FormNo              string `json:"form_no"`
	UnitZH              string `json:"unit_zh"`
	Verified            bool   `json:"verified"`
	RowsArePlaceholders bool   `json:"rows_are_placeholders"`
	Columns             []struct {
		Key     string `json:"key"`
		LabelZH string `json:"label_zh"`
	} `json:"columns"`
	Rows     []stmtRow         `json:"rows"`
	Unplaced []json.RawMessage `json:"unplaced"`
	Checks   []struct {
		Note  string `json:"note"`
		Rows  []int  `json:"rows"`
		Holds bool   `json:"holds"`
	} `json:"checks"`
	Balanced bool `json:"balanced"`
	Notes    []struct {
		Code string `json:"code"`
		ZH   string `json:"zh"`
	} `json:"notes"`
	AsOfSeq uint64 `json:"as_of_seq"`
}

// amount returns the figure of row n in column key, or stmtNone.
func (f stmtForm) amount(n int, key string) string {
	for _, r := range f.Rows {
		if r.Row == n && r.Kind != "heading" {
			if a, ok := r.Amounts[key]; ok {
				return a
			}
			return stmtNone
		}
	}
	return stmtNone
}

// stmtWant is one expected row: side, 行次, label, then the amounts in the
// form's printed column order (none for a heading).
type stmtWant struct {
	side  string
	row   int
	label string
	amts  []string
}

// stmtH is a heading row.
func stmtH(side, label string) stmtWant { return stmtWant{side: side, label: label} }

// stmtR is a row with amounts.
func stmtR(side string, row int, label string, amts ...string) stmtWant {
	return stmtWant{side: side, row: row, label: label, amts: amts}
}

// stmtZ is a row that is zero in both columns.
func stmtZ(side string, row int, label string) stmtWant {
	return stmtR(side, row, label, stmtZero, stmtZero)
}

// stmtCase is one form of one year, as the demo must serve it.
type stmtCase struct {
	name    string
	path    string // under /api/v1/communities/wenhualu/finance/
	form    string
	chart   string
	title   string
	formNo  string
	columns [][2]string // key, label, in printed order
	rows    []stmtWant
	notes   []string // note codes the form must carry
	// verified: the form was checked against the Ministry's text (the
	// 2004 forms); the 2023 forms are a reconstruction with placeholder
	// 行次, and this test must be revised when they are verified.
	verified bool
}

// The 2004 资产负债表 (村会01表), columns 年初数 | 年末数, and the 2004
// 收益及收益分配表 (村会02表), one column 金额, for 2023.
func stmtCases2023() []stmtCase {
	L, R := "left", "right"
	bs := stmtCase{name: "2023 资产负债表", path: "forms/balance-sheet?month=2023-12", form: "balance-sheet-2004",
		chart: "cn-village-2004", title: "资产负债表", formNo: "村会01表", verified: true,
		columns: [][2]string{{"opening", "年初数"}, {"closing", "年末数"}},
		rows: []stmtWant{
			stmtH(L, "流动资产："),
			stmtR(L, 1, "货币资金", stmtMoney23Open, stmtMoney23End),
			stmtZ(L, 2, "短期投资"),
			stmtZ(L, 5, "应收款项"),
			stmtZ(L, 8, "存　货"),
			stmtR(L, 9, "流动资产合计", stmtMoney23Open, stmtMoney23End), // = row 1
			stmtH(L, "农业资产："),
			stmtZ(L, 10, "牲畜（禽）资产"),
			stmtZ(L, 11, "林木资产"),
			stmtZ(L, 15, "农业资产合计"),
			stmtH(L, "长期资产："),
			stmtZ(L, 16, "长期投资"),
			stmtH(L, "固定资产："),
			stmtZ(L, 19, "固定资产原价"), // the building comes in 2024
			stmtZ(L, 20, "减：累计折旧"),
			stmtZ(L, 21, "固定资产净值"),
			stmtZ(L, 22, "固定资产清理"),
			stmtZ(L, 23, "在建工程"),
			stmtZ(L, 26, "固定资产合计"),
			stmtR(L, 32, "资产总计", stmtMoney23Open, stmtMoney23End), // = row 9
			stmtH(R, "流动负债："),
			stmtZ(R, 35, "短期借款"),
			stmtR(R, 36, "应付款项", stmtZero, stmtPay23),
			stmtZ(R, 37, "应付工资"),
			stmtZ(R, 38, "应付福利费"),
			stmtR(R, 41, "流动负债合计", stmtZero, stmtPay23),
			stmtH(R, "长期负债："),
			stmtZ(R, 42, "长期借款及应付款"),
			stmtZ(R, 43, "一事一议资金"),
			stmtZ(R, 46, "长期负债合计"),
			stmtR(R, 49, "负债合计", stmtZero, stmtPay23),
			stmtH(R, "所有者权益："),
			stmtR(R, 50, "资本", stmtCapital, stmtCapital),
			stmtR(R, 51, "公积公益金", stmtFund23, stmtFund23),
			stmtR(R, 52, "未分配收益", stmtZero, stmtUndist23),
			stmtR(R, 53, "所有者权益合计", stmtMoney23Open, stmtEquity23End), // 26,000 + 4,500 + 0 = 30,500; 26,000 + 4,500 − 5,520 = 24,980
			stmtR(R, 56, "负债和所有者权益总计", stmtMoney23Open, stmtMoney23End),
		}}
	inc := stmtCase{name: "2023 收益及收益分配表", path: "forms/income-and-distribution?year=2023", form: "income-and-distribution-2004",
		chart: "cn-village-2004", title: "收益及收益分配表", formNo: "村会02表", verified: true,
		columns: [][2]string{{"year", "金额"}},
		rows: []stmtWant{
			stmtH(L, "本年收益"),
			stmtR(L, 1, "一、经营收入", stmtZero),
			stmtR(L, 2, "加：发包及上交收入", stmtZero),
			stmtR(L, 3, "投资收益", stmtZero),
			stmtR(L, 6, "减：经营支出", stmtZero),
			stmtR(L, 7, "管理费用", stmtAdmin23),
			stmtR(L, 10, "二、经营收益", stmtOp23),
			stmtR(L, 11, "加：农业税附加返还收入", stmtZero),
			stmtR(L, 12, "补助收入", stmtSub23),
			stmtR(L, 13, "其他收入", stmtZero),
			stmtR(L, 16, "减：其他支出", stmtZero),
			stmtR(L, 20, "三、本年收益", stmtNet23),
			stmtH(R, "收益分配"),
			stmtR(R, 21, "四、本年收益", stmtNet23),
			stmtR(R, 22, "加：年初未分配收益", stmtZero), // the 2022 statement has no 未分配收益
			stmtR(R, 23, "其他转入", stmtZero),
			stmtR(R, 26, "五、可分配收益", stmtNet23), // −5,520.00 + 0 + 0
			stmtR(R, 27, "减：1. 提取公积公益金", stmtZero),
			stmtR(R, 28, "2. 提取应付福利费", stmtZero),
			stmtR(R, 29, "3. 外来投资分利", stmtZero),
			stmtR(R, 30, "4. 农户分配", stmtZero),
			stmtR(R, 31, "5. 其他", stmtZero),
			stmtR(R, 35, "六、年末未分配收益", stmtUndist23), // nothing distributed
		}}
	return []stmtCase{bs, inc}
}

// The 2023 forms, columns 期末余额 | 年初余额 and 本年金额 | 上年金额.
// They are gongkai's reconstruction (domain/statements/*-2023.json says
// verified: false, rows_are_placeholders: true): the labels and 行次 below
// pin that reconstruction, and must change with it once it is checked
// against the Ministry's appendix.
func stmtCases2024And2025() []stmtCase {
	L, R := "left", "right"
	bs := func(year int, closeMoney, closeFA, closeDep, closeFANet, closeAssets, closeFund, closeUndist, closeEquity,
		openMoney, openFA, openDep, openFANet, openAssets, openFund, openUndist, openEquity, openPay string) stmtCase {
		return stmtCase{name: fmt.Sprintf("%d 资产负债表", year), path: fmt.Sprintf("forms/balance-sheet?month=%d-12", year),
			form: "balance-sheet-2023", chart: "cn-rural-collective-2023", title: "资产负债表", formNo: "unverified",
			columns: [][2]string{{"closing", "期末余额"}, {"opening", "年初余额"}},
			rows: []stmtWant{
				stmtH(L, "流动资产："),
				stmtR(L, 1, "货币资金", closeMoney, openMoney),
				stmtZ(L, 2, "短期投资"),
				stmtZ(L, 3, "应收款项"),
				stmtZ(L, 4, "存货"),
				stmtZ(L, 5, "消耗性生物资产"),
				stmtR(L, 6, "流动资产合计", closeMoney, openMoney), // = row 1
				stmtH(L, "非流动资产："),
				stmtZ(L, 7, "长期投资"),
				stmtZ(L, 8, "生产性生物资产原值"),
				stmtZ(L, 9, "减：生产性生物资产累计折旧"),
				stmtZ(L, 10, "生产性生物资产净值"),
				stmtR(L, 11, "固定资产原值", closeFA, openFA),
				stmtR(L, 12, "减：累计折旧", closeDep, openDep),
				stmtR(L, 13, "固定资产净值", closeFANet, openFANet),
				stmtZ(L, 14, "在建工程"),
				stmtZ(L, 15, "固定资产清理"),
				stmtR(L, 16, "固定资产小计", closeFANet, openFANet), // = row 13
				stmtZ(L, 17, "无形资产原值"),
				stmtZ(L, 18, "减：累计摊销"),
				stmtZ(L, 19, "无形资产净值"),
				stmtZ(L, 20, "公益性生物资产"),
				stmtZ(L, 21, "长期待摊费用"),
				stmtR(L, 22, "非流动资产合计", closeFANet, openFANet), // = row 16
				stmtR(L, 23, "资产总计", closeAssets, openAssets),  // = row 6 + row 22
				stmtH(R, "流动负债："),
				stmtZ(R, 24, "短期借款"),
				stmtR(R, 25, "应付款项", stmtZero, openPay),
				stmtZ(R, 26, "应付工资"),
				stmtZ(R, 27, "应付劳务费"),
				stmtZ(R, 28, "应交税费"),
				stmtR(R, 29, "流动负债合计", stmtZero, openPay),
				stmtH(R, "非流动负债："),
				stmtZ(R, 30, "长期借款及应付款"),
				stmtZ(R, 31, "一事一议资金"),
				stmtZ(R, 32, "专项应付款"),
				stmtZ(R, 33, "非流动负债合计"),
				stmtR(R, 34, "负债合计", stmtZero, openPay),
				stmtH(R, "所有者权益："),
				stmtR(R, 35, "资本", stmtCapital, stmtCapital),
				stmtR(R, 36, "公积公益金", closeFund, openFund),
				stmtR(R, 37, "未分配收益", closeUndist, openUndist),
				stmtR(R, 38, "所有者权益合计", closeEquity, openEquity),
				stmtR(R, 39, "负债和所有者权益总计", closeAssets, openAssets), // = 资产总计
			}}
	}
	// 年初 2024 = 31 December 2023 moved by the mapping: 101→101, 102→102,
	// 202 应付款→211 应付款 (the one move), 301→301, 311→311, 322→322;
	// nothing else has a balance.
	bs24 := bs(2024, stmtMoney24End, stmtBuilding, stmtDep24, stmtFANet24, stmtAssets24, stmtFund24, stmtUndist24, stmtAssets24,
		stmtMoney23End, stmtZero, stmtZero, stmtZero, stmtMoney23End, stmtFund23, stmtUndist23, stmtEquity23End, stmtPay23)
	// 年初 2025 = 期末 2024 (same chart).
	bs25 := bs(2025, stmtMoney25End, stmtFA25, stmtDep25, stmtFANet25, stmtAssets25, stmtFund25, stmtUndist25, stmtEquity25,
		stmtMoney24End, stmtBuilding, stmtDep24, stmtFANet24, stmtAssets24, stmtFund24, stmtUndist24, stmtEquity24, stmtZero)

	// One year's figures of the 2023 收益及收益分配表, in row order 1–21.
	type incYear struct {
		income, admin, op, sub, public, net, undistOpen, distrib string
	}
	y24 := incYear{stmtZero, stmtAdmin24, stmtOp24, stmtSub24, stmtZero, stmtNet24, stmtUndistOpen24, stmtDistrib24}
	y25 := incYear{stmtIncome25, stmtAdmin25, stmtOp25, stmtSub25, stmtPublic25, stmtNet25, stmtUndist24, stmtDistrib25}
	none := incYear{stmtNone, stmtNone, stmtNone, stmtNone, stmtNone, stmtNone, stmtNone, stmtNone}
	inc := func(year int, this, prior incYear, notes ...string) stmtCase {
		z := stmtZero
		zp := z
		if prior == none {
			zp = stmtNone
		}
		return stmtCase{name: fmt.Sprintf("%d 收益及收益分配表", year), path: fmt.Sprintf("forms/income-and-distribution?year=%d", year),
			form: "income-and-distribution-2023", chart: "cn-rural-collective-2023", title: "收益及收益分配表", formNo: "unverified",
			columns: [][2]string{{"year", "本年金额"}, {"prior_year", "上年金额"}}, notes: notes,
			rows: []stmtWant{
				stmtH(L, "本年收益"),
				stmtR(L, 1, "一、经营收入", this.income, prior.income),
				stmtR(L, 2, "加：投资收益", z, zp),
				stmtR(L, 3, "减：经营支出", z, zp),
				stmtR(L, 4, "税金及附加", z, zp),
				stmtR(L, 5, "管理费用", this.admin, prior.admin),
				stmtR(L, 6, "二、经营收益", this.op, prior.op), // 1 + 2 − 3 − 4 − 5
				stmtR(L, 7, "加：补助收入", this.sub, prior.sub),
				stmtR(L, 8, "其他收入", z, zp),
				stmtR(L, 9, "减：公益支出", this.public, prior.public),
				stmtR(L, 10, "其他支出", z, zp),
				stmtR(L, 11, "三、收益总额", this.net, prior.net), // 6 + 7 + 8 − 9 − 10
				stmtR(L, 12, "减：所得税费用", z, zp),
				stmtR(L, 13, "四、本年收益", this.net, prior.net), // 11 − 12
				stmtH(L, "收益分配"),
				stmtR(L, 14, "加：年初未分配收益", this.undistOpen, prior.undistOpen),
				stmtR(L, 15, "其他转入", z, zp),
				stmtR(L, 16, "五、可分配收益", this.distrib, prior.distrib), // 13 + 14 + 15
				stmtR(L, 17, "减：提取公积公益金", z, zp),
				stmtR(L, 18, "外来投资分利", z, zp),
				stmtR(L, 19, "农户分配", z, zp),
				stmtR(L, 20, "其他", z, zp),
				stmtR(L, 21, "六、年末未分配收益", this.distrib, prior.distrib), // nothing distributed
			}}
	}
	// 2024's 上年 is 2023, kept on the 2004 chart: not restated, left
	// blank with a note.
	inc24 := inc(2024, y24, none, "prior_year_other_chart")
	inc25 := inc(2025, y25, y24)
	return []stmtCase{bs24, inc24, bs25, inc25}
}

// TestDemoStatements checks every row of the demo's 资产负债表 and 收益及
// 收益分配表 for 2023 (2004 forms), 2024 and 2025 (2023 forms) against the
// figures above, then the identities between them: each sheet balances,
// 年末未分配收益 is the sheet's 未分配收益, 2024's opening is 2023's
// closing moved by the transition mapping, 2025's opening is 2024's
// closing, the staff allowance is 27,480.00 a year and the depreciation
// follows the hand schedule month by month.
func TestDemoStatements(t *testing.T) {
	start := time.Now()
	s := apptest.StartOn(t, app.Config{DataDir: t.TempDir(), Demo: true})
	base := s.URL + "/api/v1/communities/" + demo.Community + "/finance/"
	stmtWaitForDemo(t, s, base)
	t.Logf("demo loaded in %v", time.Since(start).Round(time.Millisecond))

	forms := map[string]stmtForm{}
	for _, c := range append(stmtCases2023(), stmtCases2024And2025()...) {
		t.Run(c.name, func(t *testing.T) {
			f := stmtGetForm(t, base+c.path)
			forms[c.name] = f
			stmtCheckForm(t, c, f)
		})
	}
	t.Run("identities", func(t *testing.T) {
		stmtCheckIdentities(t, forms)
	})
	t.Run("transition", func(t *testing.T) {
		stmtCheckTransition(t, base)
	})
	t.Run("staff allowance", func(t *testing.T) {
		// 发放N月社区工作人员补贴 is debited to 管理费用 (541 in 2023,
		// 513 from 2024) every month: 12 × 2,290.00 = 27,480.00 a year.
		for _, y := range []struct {
			year    int
			account string
		}{{2023, "541"}, {2024, "513"}, {2025, "513"}} {
			var total int64
			for m := 1; m <= 12; m++ {
				l := stmtGetLedger(t, base, y.account, fmt.Sprintf("%d-%02d", y.year, m))
				summary := fmt.Sprintf("发放%d月社区工作人员补贴（5人×458元）", m)
				var month int64
				for _, e := range l.Entries {
					if e.Summary == summary {
						month += stmtFen(t, e.Debit) - stmtFen(t, e.Credit)
					}
				}
				if got := stmtYuan(month); got != stmtA {
					t.Errorf("%d-%02d %s %s = %s, want %s", y.year, m, y.account, summary, got, stmtA)
				}
				total += month
			}
			if got := stmtYuan(total); got != "27480.00" {
				t.Errorf("%d staff allowance on %s = %s, want 27480.00 (5 × 458.00 × 12)", y.year, y.account, got)
			}
		}
	})
	t.Run("depreciation schedule", func(t *testing.T) {
		// 152 累计折旧 month by month: nothing January to April 2024 (the
		// building came on 15 April), credited 1,900.00 (building) from
		// May 2024, 1,900.00 + 620.14 = 2,520.14 from May 2025; its
		// balance runs to 42,961.12.
		var acc int64
		for _, p := range []struct{ from, to, amount string }{
			{"2024-01", "2024-04", stmtZero}, {"2024-05", "2024-12", "1900.00"}, {"2025-01", "2025-04", "1900.00"}, {"2025-05", "2025-12", "2520.14"},
		} {
			for month := p.from; month <= p.to; month = stmtNextMonth(month) {
				l := stmtGetLedger(t, base, "152", month)
				if l.Credit != p.amount || l.Debit != stmtZero {
					t.Errorf("%s 152 累计折旧 debit %s credit %s, want debit 0.00 credit %s", month, l.Debit, l.Credit, p.amount)
				}
				acc += stmtFen(t, p.amount)
				if want := stmtYuan(acc); l.Closing != want {
					t.Errorf("%s 152 累计折旧 closing %s, want %s", month, l.Closing, want)
				}
			}
		}
		if got := stmtYuan(acc); got != stmtDep25 {
			t.Errorf("hand schedule adds to %s, want %s", got, stmtDep25)
		}
	})
	t.Logf("TestDemoStatements took %v", time.Since(start).Round(time.Millisecond))
}

// stmtWaitForDemo waits until the demo batch is in the log and the finance
// read model has applied its last command, the close of 2025.
func stmtWaitForDemo(t *testing.T, s *apptest.Server, base string) {
	t.Helper()
	want := uint64(demo.Events())
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r := apptest.Do(t, "GET", s.URL+"/api/v1/communities/"+demo.Community+"/board", nil, nil)
		if r.Status == http.StatusOK && uint64(r.JSON(t)["as_of_seq"].(float64)) >= want {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for time.Now().Before(deadline) {
		r := apptest.Do(t, "GET", base+"trial-balance?month=2025-12", nil, nil)
		if r.Status == http.StatusOK && r.JSON(t)["closed"] == true {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the demo's books were not loaded and closed through 2025 within 60s")
}

func stmtGetForm(t *testing.T, url string) stmtForm {
	t.Helper()
	r := apptest.Do(t, "GET", url, nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", url, r.Status, r.Body)
	}
	var f stmtForm
	if err := json.Unmarshal(r.Body, &f); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, r.Body)
	}
	return f
}

// stmtCheckForm compares a served form with its case: identity, columns,
// then every row in printed order — side, 行次, label and each amount.
func stmtCheckForm(t *testing.T, c stmtCase, f stmtForm) {
	t.Helper()
	if f.Form != c.form || f.Chart != c.chart || f.TitleZH != c.title || f.FormNo != c.formNo || f.UnitZH != "单位：元" {
		t.Errorf("form %q chart %q title %q 表号 %q unit %q, want %q %q %q %q 单位：元",
			f.Form, f.Chart, f.TitleZH, f.FormNo, f.UnitZH, c.form, c.chart, c.title, c.formNo)
	}
	if f.Verified != c.verified || f.RowsArePlaceholders == c.verified {
		t.Errorf("verified %v, rows_are_placeholders %v; want %v, %v", f.Verified, f.RowsArePlaceholders, c.verified, !c.verified)
	}
	var cols [][2]string
	for _, col := range f.Columns {
		cols = append(cols, [2]string{col.Key, col.LabelZH})
	}
	if fmt.Sprint(cols) != fmt.Sprint(c.columns) {
		t.Errorf("columns = %v, want %v", cols, c.columns)
	}
	if len(f.Rows) != len(c.rows) {
		t.Errorf("%d rows, want %d", len(f.Rows), len(c.rows))
	}
	for i := 0; i < max(len(f.Rows), len(c.rows)); i++ {
		if i >= len(f.Rows) {
			t.Errorf("row %d missing: want %s %d %s", i, c.rows[i].side, c.rows[i].row, c.rows[i].label)
			continue
		}
		got := f.Rows[i]
		if i >= len(c.rows) {
			t.Errorf("extra row %d: %s %d %s %v", i, got.Side, got.Row, got.LabelZH, got.Amounts)
			continue
		}
		w := c.rows[i]
		if got.Side != w.side || got.Row != w.row || got.LabelZH != w.label {
			t.Errorf("row %d = %s %d %q, want %s %d %q", i, got.Side, got.Row, got.LabelZH, w.side, w.row, w.label)
			continue
		}
		if w.amts == nil {
			if got.Kind != "heading" || len(got.Amounts) != 0 {
				t.Errorf("%q: kind %s amounts %v, want a heading without amounts", w.label, got.Kind, got.Amounts)
			}
			continue
		}
		for j, col := range c.columns {
			a, ok := got.Amounts[col[0]]
			if !ok {
				a = stmtNone
			}
			if a != w.amts[j] {
				t.Errorf("%d %s %s = %s, want %s", w.row, w.label, col[1], a, w.amts[j])
			}
		}
	}
	if len(f.Unplaced) != 0 {
		t.Errorf("balances left off the form: %s", f.Unplaced)
	}
	if !f.Balanced {
		t.Errorf("balanced = false")
	}
	for _, chk := range f.Checks {
		if !chk.Holds {
			t.Errorf("check %v (%s) does not hold", chk.Rows, chk.Note)
		}
	}
	var notes []string
	for _, n := range f.Notes {
		notes = append(notes, n.Code)
	}
	if fmt.Sprint(notes) != fmt.Sprint(c.notes) {
		t.Errorf("notes = %v, want %v", notes, c.notes)
	}
}

// stmtCheckIdentities checks on the served figures what the hand figures
// satisfy by construction: assets = liabilities + equity in every column
// of every sheet, 年末未分配收益 = the sheet's 未分配收益 at year end, and
// each year's opening = the year before's closing.
func stmtCheckIdentities(t *testing.T, forms map[string]stmtForm) {
	if len(forms) != 6 {
		t.Fatalf("%d of the 6 forms fetched", len(forms))
	}
	// 资产总计, 负债和所有者权益总计, 负债合计, 所有者权益合计 by form.
	for _, b := range []struct {
		name                        string
		assets, total, liab, equity int
	}{{"2023 资产负债表", 32, 56, 49, 53}, {"2024 资产负债表", 23, 39, 34, 38}, {"2025 资产负债表", 23, 39, 34, 38}} {
		f := forms[b.name]
		for _, col := range []string{"opening", "closing"} {
			assets, total := f.amount(b.assets, col), f.amount(b.total, col)
			if assets == stmtNone || assets != total {
				t.Errorf("%s %s: 资产总计 %s, 负债和所有者权益总计 %s", b.name, col, assets, total)
			}
			liab, equity := f.amount(b.liab, col), f.amount(b.equity, col)
			if sum := stmtYuan(stmtFen(t, liab) + stmtFen(t, equity)); sum != assets {
				t.Errorf("%s %s: 负债合计 %s + 所有者权益合计 %s = %s, 资产总计 %s", b.name, col, liab, equity, sum, assets)
			}
		}
	}
	for _, p := range []struct {
		inc, bs    string
		row, bsRow int
	}{{"2023 收益及收益分配表", "2023 资产负债表", 35, 52}, {"2024 收益及收益分配表", "2024 资产负债表", 21, 37}, {"2025 收益及收益分配表", "2025 资产负债表", 21, 37}} {
		if a, b := forms[p.inc].amount(p.row, "year"), forms[p.bs].amount(p.bsRow, "closing"); a == stmtNone || a != b {
			t.Errorf("%s 年末未分配收益 %s, %s 未分配收益 年末 %s", p.inc, a, p.bs, b)
		}
	}
	// The collective income of 2025 is the rent, 14,000.00 (m-2025-01).
	if got := forms["2025 收益及收益分配表"].amount(1, "year"); got != "14000.00" {
		t.Errorf("2025 一、经营收入 = %s, want 14000.00", got)
	}
	// 2025's 上年 column is 2024's 本年.
	for n := 1; n <= 21; n++ {
		if a, b := forms["2025 收益及收益分配表"].amount(n, "prior_year"), forms["2024 收益及收益分配表"].amount(n, "year"); a != b {
			t.Errorf("2025 收益及收益分配表 row %d 上年 %s, 2024 本年 %s", n, a, b)
		}
	}
	for n := 1; n <= 39; n++ {
		if a, b := forms["2025 资产负债表"].amount(n, "opening"), forms["2024 资产负债表"].amount(n, "closing"); a != b {
			t.Errorf("2025 资产负债表 row %d 年初 %s, 2024 期末 %s", n, a, b)
		}
	}
	// 2024's 年初 is 2023's 年末 row for row, where the 2004 row and the
	// 2023 row hold the same accounts after the mapping (the agricultural
	// assets split, and 应付福利费 joins 应付款项, so those rows are not
	// paired).
	pairs := map[int]int{1: 1, 2: 2, 5: 3, 8: 4, 9: 6, 16: 7, 19: 11, 20: 12, 21: 13, 22: 15, 23: 14, 26: 16, 32: 23,
		35: 24, 37: 26, 42: 30, 43: 31, 49: 34, 50: 35, 51: 36, 52: 37, 53: 38, 56: 39}
	for old, nw := range pairs {
		if a, b := forms["2023 资产负债表"].amount(old, "closing"), forms["2024 资产负债表"].amount(nw, "opening"); a == stmtNone || a != b {
			t.Errorf("2023 资产负债表 row %d 年末 %s, 2024 row %d 年初 %s", old, a, nw, b)
		}
	}
}

type stmtTrialBalance struct {
	Month   string `json:"month"`
	Chart   string `json:"chart"`
	Opening string `json:"opening_voucher"`
	Rows    []struct {
		Account       string `json:"account"`
		Level         int    `json:"level"`
		OpeningDebit  string `json:"opening_debit"`
		OpeningCredit string `json:"opening_credit"`
		ClosingDebit  string `json:"closing_debit"`
		ClosingCredit string `json:"closing_credit"`
	} `json:"rows"`
}

// stmtCheckTransition checks the change of chart account by account: each
// 2004 account's balance on 31 December 2023 moved to its 2023 account by
// domain/charts/transition-2004-2023.json equals the 2024 opening
// balances, and those are the hand figures.
func stmtCheckTransition(t *testing.T, base string) {
	raw, err := os.ReadFile("../../domain/charts/transition-2004-2023.json")
	if err != nil {
		t.Fatal(err)
	}
	var mapping struct {
		Map []struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"map"`
	}
	if err := json.Unmarshal(raw, &mapping); err != nil {
		t.Fatal(err)
	}
	to := map[string]string{}
	for _, m := range mapping.Map {
		to[m.From] = m.To
	}
	var dec, jan stmtTrialBalance
	for _, q := range []struct {
		month string
		tb    *stmtTrialBalance
	}{{"2023-12", &dec}, {"2024-01", &jan}} {
		r := apptest.Do(t, "GET", base+"trial-balance?month="+q.month, nil, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("trial balance %s = %d: %s", q.month, r.Status, r.Body)
		}
		if err := json.Unmarshal(r.Body, q.tb); err != nil {
			t.Fatal(err)
		}
	}
	moved := map[string]int64{} // debit positive
	for _, r := range dec.Rows {
		if r.Level != 0 {
			continue
		}
		bal := stmtFen(t, r.ClosingDebit) - stmtFen(t, r.ClosingCredit)
		if bal == 0 {
			continue
		}
		dest, ok := to[r.Account]
		if !ok {
			t.Errorf("2023 account %s (balance %s) has no mapping", r.Account, stmtYuan(bal))
			continue
		}
		moved[dest] += bal
	}
	opened := map[string]int64{}
	for _, r := range jan.Rows {
		if r.Level != 0 {
			continue
		}
		if bal := stmtFen(t, r.OpeningDebit) - stmtFen(t, r.OpeningCredit); bal != 0 {
			opened[r.Account] = bal
		}
	}
	// By hand: 101 500.00 Dr, 102 25,280.00 Dr (30,000.00 − 4,720.00),
	// 202 应付款 800.00 Cr arriving as 211 应付款, 301 26,000.00 Cr, 311
	// 4,500.00 Cr, 322 5,520.00 Dr (2023's loss).
	hand := map[string]int64{"101": 500_00, "102": 25280_00, "211": -800_00, "301": -26000_00, "311": -4500_00, "322": 5520_00}
	if fmt.Sprint(moved) != fmt.Sprint(hand) {
		t.Errorf("2023 closing balances moved by the mapping = %v, want %v (fen, debit positive)", moved, hand)
	}
	if fmt.Sprint(opened) != fmt.Sprint(hand) {
		t.Errorf("2024 opening balances = %v, want %v (fen, debit positive)", opened, hand)
	}
	if dec.Chart != "cn-village-2004" || jan.Chart != "cn-rural-collective-2023" || jan.Opening == "" {
		t.Errorf("trial balances: 2023-12 chart %s, 2024-01 chart %s opening voucher %q; want cn-village-2004, cn-rural-collective-2023 and the transition voucher",
			dec.Chart, jan.Chart, jan.Opening)
	}
}

type stmtLedger struct {
	Entries []struct {
		Summary string `json:"summary"`
		Debit   string `json:"debit"`
		Credit  string `json:"credit"`
	} `json:"entries"`
	Debit   string `json:"debit"`
	Credit  string `json:"credit"`
	Closing string `json:"closing"`
}

func stmtGetLedger(t *testing.T, base, account, month string) stmtLedger {
	t.Helper()
	r := apptest.Do(t, "GET", base+"ledger?account="+account+"&month="+month, nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("ledger %s %s = %d: %s", account, month, r.Status, r.Body)
	}
	var l stmtLedger
	if err := json.Unmarshal(r.Body, &l); err != nil {
		t.Fatal(err)
	}
	return l
}

// stmtFen parses "-1234.56" into fen; a missing figure is a failure.
func stmtFen(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	whole, frac, ok := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	y, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if !ok || len(frac) != 2 || err1 != nil || err2 != nil {
		t.Errorf("amount %q is not yuan with two decimals", s)
		return 0
	}
	v := y*100 + f
	if neg {
		v = -v
	}
	return v
}

// stmtYuan formats fen as the API writes yuan.
func stmtYuan(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

func stmtNextMonth(m string) string {
	tm, _ := time.Parse("2006-01", m)
	return tm.AddDate(0, 1, 0).Format("2006-01")
}
