package demo

import (
	"fmt"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// The demo's books: 2023 on the 2004 chart (财会〔2004〕12号), opened from
// the 2022 statement; the change to the 2023 chart (财会〔2023〕14号) at 1
// January 2024; 2024 and 2025 on the 2023 chart: the office building
// received as a donated fixed asset, the county-paid staff allowance of 458
// yuan per person per month for 5 staff, the town's working funds, a
// special fund for office equipment, rent from the shop fronts bringing
// collective income to 14,000 yuan in 2025, one voucher reversed with its
// reason, a bank balance checked against the statement, and every month
// and year closed in order.

const (
	staff, allowance = 5, 458_00
	firstYear        = 2023
	booksYear        = 2025 // the year with a budget, the equipment and the rent
)

// books builds the demo's book-keeping commands, tracking the bank balance
// and each month's voucher numbers.
type books struct {
	out     []cmd
	numbers map[string]int
	bank    domain.Fen
}

func (b *books) add(c cmd) { b.out = append(b.out, c) }

// voucher posts a voucher; lines are {account, debit, credit}.
func (b *books) voucher(date, summary string, lines [][3]string, extra map[string]any) {
	month := date[:7]
	b.numbers[month]++
	ls := make([]map[string]string, len(lines))
	for i, l := range lines {
		ls[i] = map[string]string{"account": l[0]}
		if l[1] != "" {
			ls[i]["debit"] = l[1]
		} else {
			ls[i]["credit"] = l[2]
		}
		if l[0] == domain.AccountBank {
			d, _ := domain.ParseYuan(l[1] + l[2])
			if l[1] != "" {
				b.bank += d
			} else {
				b.bank -= d
			}
		}
	}
	data := map[string]any{"number": b.numbers[month], "summary": summary, "lines": ls, "preparer": "赵敏", "reviewer": "李娜", "approver": "张丽"}
	for k, v := range extra {
		data[k] = v
	}
	b.add(cmd{"books.post_voucher", domain.BooksID, date, data})
}

func (b *books) closeMonth(year, m int) {
	last := time.Date(year, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	b.add(cmd{"books.close_month", domain.BooksID, last, map[string]string{"month": fmt.Sprintf("%d-%02d", year, m)}})
}

// depreciate posts the month's depreciation (计提折旧) on its last day.
func (b *books) depreciate(year, m int) {
	month := fmt.Sprintf("%d-%02d", year, m)
	b.numbers[month]++
	last := time.Date(year, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	b.add(cmd{"books.post_depreciation", domain.BooksID, last, map[string]string{"month": month, "preparer": "赵敏", "reviewer": "李娜"}})
}

func (b *books) closeYear(year int) {
	b.add(cmd{"books.close_year", domain.BooksID, fmt.Sprintf("%d-12-31", year), map[string]int{"year": year}})
}

func yuan(f domain.Fen) string { return f.String() }

// allowanceMonth records the county's staff allowance for a month, received
// and paid out, on the accounts of the year's chart.
func (b *books) allowanceMonth(year, m int, subsidy, admin string, extra map[string]any) {
	total := domain.Fen(staff * allowance)
	b.voucher(fmt.Sprintf("%d-%02d-05", year, m), fmt.Sprintf("收到县财政拨付%d月社区工作人员补贴（5人×458元）", m),
		[][3]string{{"102", yuan(total), ""}, {subsidy, "", yuan(total)}}, nil)
	b.voucher(fmt.Sprintf("%d-%02d-10", year, m), fmt.Sprintf("发放%d月社区工作人员补贴（5人×458元）", m),
		[][3]string{{admin, yuan(total), ""}, {"102", "", yuan(total)}}, extra)
}

// demoBooks returns the book-keeping commands of 2023 to 2025.
func demoBooks() []cmd {
	b := &books{numbers: map[string]int{}}

	// 2023, the last year of the 2004 chart: the books begin in gongkai
	// with the balances of the 2022 statement (522 补助收入, 541 管理费用).
	b.add(cmd{"books.adopt_chart", domain.BooksID, "2023-01-05", map[string]any{"chart": "cn-village-2004", "year": firstYear}})
	b.add(cmd{"books.open_balances", domain.BooksID, "2023-01-05", map[string]any{"year": firstYear, "source": "2022年度资产负债表（示例镇农经站审定）",
		"preparer": "赵敏", "lines": []map[string]string{
			{"account": "101", "debit": "500.00"}, {"account": "102", "debit": "30000.00"},
			{"account": "301", "credit": "26000.00"}, {"account": "311", "credit": "4500.00"}}}})
	b.bank = 30000_00
	for m := 1; m <= 12; m++ {
		b.allowanceMonth(firstYear, m, "522", "541", nil)
		if m%3 == 0 {
			b.voucher(fmt.Sprintf("2023-%02d-20", m), "支付办公水电及网络费用", [][3]string{{"541", "1180.00", ""}, {"102", "", "1180.00"}}, nil)
		}
		if m == 12 {
			// Owed at the year's end on 202 应付款, which the change of
			// chart moves to the 2023 chart's 211 应付款.
			b.voucher("2023-12-28", "应付12月社区保洁服务费（次年1月支付）", [][3]string{{"541", "800.00", ""}, {"202", "", "800.00"}}, nil)
		}
		b.closeMonth(firstYear, m)
	}
	b.closeYear(firstYear)

	// 1 January 2024: the change to the 2023 chart (新旧衔接).
	b.add(cmd{"books.transition", domain.BooksID, "2024-01-02", map[string]any{"year": 2024, "preparer": "赵敏"}})

	// 2024 on the 2023 chart (503 补助收入, 513 管理费用): the building the
	// town handed over under m-2024-01, received as a donated asset
	// (公积公益金) and depreciated from May.
	for m := 1; m <= 12; m++ {
		b.allowanceMonth(2024, m, "503", "513", nil)
		if m == 1 {
			b.voucher("2024-01-15", "支付2023年12月社区保洁服务费", [][3]string{{"211", "800.00", ""}, {"102", "", "800.00"}}, nil)
		}
		if m == 4 {
			// Received free of charge: the card posts Dr 151 固定资产 /
			// Cr 311 公积公益金 itself, and the building depreciates over
			// 20 years from May, 5 % residual, charged to 513 管理费用.
			b.numbers["2024-04"]++
			b.add(cmd{"books.register_asset", domain.BooksID, "2024-04-15", map[string]any{"asset": "fa-office-building", "name": "原水管所二层办公楼（320平方米）",
				"category": "房屋及建筑物", "acquisition": "donated", "donor": "示例镇人民政府（划拨）", "cost": "480000.00", "method": "straight_line",
				"useful_life_months": 240, "residual_rate": "5%", "accounts": map[string]string{"asset": "151", "depreciation": "152", "expense": "513"},
				"matter": "m-2024-01", "preparer": "赵敏", "reviewer": "李娜", "approver": "张丽"}})
		}

		if m%3 == 0 {
			b.voucher(fmt.Sprintf("2024-%02d-20", m), "支付办公水电及网络费用", [][3]string{{"513", "1240.00", ""}, {"102", "", "1240.00"}}, nil)
		}
		if m >= 5 {
			b.depreciate(2024, m)
		}
		b.closeMonth(2024, m)
	}
	b.closeYear(2024)

	// 2025: the budget, its funds and spending, the rent.
	b.add(cmd{"books.adopt_chart", domain.BooksID, "2025-01-02", map[string]any{"chart": "cn-rural-collective-2023", "year": booksYear}})
	b.add(cmd{"budget.adopt", "2025", "2025-01-10", map[string]any{"resolution": "m-2025-00", "lines": []map[string]string{
		{"line": "staff", "name": "社区工作人员补贴", "source": "county", "amount": yuan(staff * allowance * 12)},
		{"line": "office", "name": "社区办公经费", "source": "town", "amount": "20000.00"},
		{"line": "equipment", "name": "便民服务设备购置", "source": "special", "amount": "23500.00"},
		{"line": "activities", "name": "社区文化活动", "source": "collective", "amount": "5000.00"},
	}}})
	b.add(cmd{"budget.record_funds", "2025", "2025-01-15", map[string]string{"source": "town", "document": "示镇财〔2025〕3号", "line": "office", "amount": "10000.00"}})
	b.add(cmd{"budget.record_funds", "2025", "2025-07-10", map[string]string{"source": "town", "document": "示镇财〔2025〕41号", "line": "office", "amount": "10000.00"}})

	for m := 1; m <= 12; m++ {
		date := fmt.Sprintf("2025-%02d-05", m)
		total := domain.Fen(staff * allowance)
		b.add(cmd{"budget.record_funds", "2025", date, map[string]string{"source": "county", "document": fmt.Sprintf("示县财社〔2025〕%d号", 10+m), "line": "staff", "amount": yuan(total)}})
		if m == 4 {
			b.add(cmd{"budget.record_funds", "2025", "2025-04-08", map[string]string{"source": "special", "document": "示县民〔2025〕17号", "line": "equipment", "amount": "23500.00"}})
		}
		// In date order, so that voucher numbers follow the dates.
		b.voucher(date, fmt.Sprintf("收到县财政拨付%d月社区工作人员补贴（5人×458元）", m), [][3]string{{"102", yuan(total), ""}, {"503", "", yuan(total)}}, nil)
		if m == 4 {
			// A special fund is a liability until it is spent on its
			// purpose (241 专项应付款, new in the 2023 chart).
			b.voucher("2025-04-08", "收到上级专项经费（便民服务设备）", [][3]string{{"102", "23500.00", ""}, {"241", "", "23500.00"}}, nil)
		}
		b.voucher(fmt.Sprintf("2025-%02d-10", m), fmt.Sprintf("发放%d月社区工作人员补贴（5人×458元）", m), [][3]string{{"513", yuan(total), ""}, {"102", "", yuan(total)}},
			map[string]any{"budget_line": "staff"})
		if m == 1 {
			b.voucher("2025-01-15", "收到镇财政拨付上半年工作经费", [][3]string{{"102", "10000.00", ""}, {"503", "", "10000.00"}}, nil)
		}
		if m == 7 {
			b.voucher("2025-07-10", "收到镇财政拨付下半年工作经费", [][3]string{{"102", "10000.00", ""}, {"503", "", "10000.00"}}, nil)
		}
		if m == 9 {
			b.voucher("2025-09-12", "举办中秋社区文化活动", [][3]string{{"514", "1800.00", ""}, {"102", "", "1800.00"}}, map[string]any{"budget_line": "activities"})
		}
		if m%2 == 0 { // office costs paid from the town's working funds
			b.voucher(fmt.Sprintf("2025-%02d-18", m), "支付办公水电及网络费用", [][3]string{{"513", "1260.00", ""}, {"102", "", "1260.00"}},
				map[string]any{"budget_line": "office"})
		}
		if m == 6 {
			b.voucher("2025-06-20", "购买办公用品", [][3]string{{"513", "860.00", ""}, {"102", "", "860.00"}}, map[string]any{"budget_line": "office"})
			b.numbers["2025-06"]++
			b.bank += 860_00 // the reversal below gives it back
			b.add(cmd{"books.reverse_voucher", domain.BooksID, "2025-06-22", map[string]any{"voucher": fmt.Sprintf("2025-06-%03d", b.numbers["2025-06"]-1),
				"number": b.numbers["2025-06"], "reason": "金额记错：发票金额为680.00元，误记为860.00元", "preparer": "赵敏", "reviewer": "李娜", "approver": "张丽"}})
			b.voucher("2025-06-22", "购买办公用品（更正后重记）", [][3]string{{"513", "680.00", ""}, {"102", "", "680.00"}}, map[string]any{"budget_line": "office"})
		}
		if m%3 == 0 { // rent for the quarter, from the shop fronts leased under m-2025-01
			b.voucher(fmt.Sprintf("2025-%02d-25", m), fmt.Sprintf("收到临街门面第%d季度租金", m/3), [][3]string{{"102", "3500.00", ""}, {"501", "", "3500.00"}},
				map[string]any{"matter": "m-2025-01"})
		}
		if m == 4 {
			b.voucher("2025-04-28", "购置便民服务设备（电脑2台、打印机1台、档案柜4组）", [][3]string{{"151", "23500.00", ""}, {"102", "", "23500.00"}},
				map[string]any{"budget_line": "equipment", "matter": "m-2025-06"})
			purchase := fmt.Sprintf("2025-04-%03d", b.numbers["2025-04"])
			// The project done, the fund it used becomes the collective's.
			b.voucher("2025-04-28", "专项经费项目完成，形成资产转入公积公益金", [][3]string{{"241", "23500.00", ""}, {"311", "", "23500.00"}},
				map[string]any{"matter": "m-2025-06"})
			b.add(cmd{"books.register_asset", domain.BooksID, "2025-04-28", map[string]any{"asset": "fa-service-equipment", "name": "便民服务设备（电脑2台、打印机1台、档案柜4组）",
				"category": "办公设备", "acquisition": "posted", "voucher": purchase, "cost": "23500.00",
				"method": "straight_line", "useful_life_months": 36, "residual_rate": "5%",
				"accounts": map[string]string{"asset": "151", "depreciation": "152", "expense": "513"}, "matter": "m-2025-06"}})
		}
		b.depreciate(booksYear, m)
		last := time.Date(booksYear, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		if m == 6 {
			b.add(cmd{"books.assert_balance", domain.BooksID, last, map[string]any{"account": "102", "balance": yuan(b.bank),
				"evidence": map[string]string{"kind": "bank_statement", "reference": "农村信用社2025年6月对账单"}}})
		}
		b.closeMonth(booksYear, m)
	}
	b.add(cmd{"books.assert_balance", domain.BooksID, "2025-12-31", map[string]any{"account": "102", "balance": yuan(b.bank),
		"evidence": map[string]string{"kind": "bank_statement", "reference": "农村信用社2025年12月对账单"}}})
	b.closeYear(booksYear)
	return b.out
}
