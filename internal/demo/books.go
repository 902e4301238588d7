package demo

import (
	"fmt"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// booksYear is the demo's year of books: 2025.
const booksYear = 2025

// demoBooks returns the 2025 budget and books of 文化路社区: the office
// building received as a fixed asset, the county-paid staff allowance of 458
// yuan per person per month for 5 staff, the town's working funds, a special
// fund for office equipment, rent from the shop fronts bringing collective
// income to 14,000 yuan, one voucher reversed with its reason, a bank
// balance checked against the statement, and the year closed.
func demoBooks() []cmd {
	const staff, allowance = 5, 458_00
	var out []cmd
	numbers := map[string]int{}
	bank := domain.Fen(0)
	add := func(c cmd) { out = append(out, c) }
	voucher := func(date, summary string, lines [][3]string, extra map[string]any) {
		month := date[:7]
		numbers[month]++
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
					bank += d
				} else {
					bank -= d
				}
			}
		}
		data := map[string]any{"number": numbers[month], "summary": summary, "lines": ls, "preparer": "赵敏", "reviewer": "李娜", "approver": "张丽"}
		for k, v := range extra {
			data[k] = v
		}
		add(cmd{"books.post_voucher", domain.BooksID, date, data})
	}
	yuan := func(f domain.Fen) string { return f.String() }

	add(cmd{"budget.adopt", "2025", "2025-01-10", map[string]any{"resolution": "m-2025-00", "lines": []map[string]string{
		{"line": "staff", "name": "社区工作人员补贴", "source": "county", "amount": yuan(staff * allowance * 12)},
		{"line": "office", "name": "社区办公经费", "source": "town", "amount": "20000.00"},
		{"line": "equipment", "name": "便民服务设备购置", "source": "special", "amount": "23500.00"},
		{"line": "activities", "name": "社区文化活动", "source": "collective", "amount": "5000.00"},
	}}})
	voucher("2025-01-06", "接收镇划拨原水管所办公楼（320平方米）", [][3]string{{"151", "480000.00", ""}, {"301", "", "480000.00"}},
		map[string]any{"matter": "m-2024-01"})
	add(cmd{"budget.record_funds", "2025", "2025-01-15", map[string]string{"source": "town", "document": "示镇财〔2025〕3号", "line": "office", "amount": "10000.00"}})
	voucher("2025-01-15", "收到镇财政拨付上半年工作经费", [][3]string{{"102", "10000.00", ""}, {"522", "", "10000.00"}}, nil)
	add(cmd{"budget.record_funds", "2025", "2025-07-10", map[string]string{"source": "town", "document": "示镇财〔2025〕41号", "line": "office", "amount": "10000.00"}})

	for m := 1; m <= 12; m++ {
		// In date order, so that voucher numbers follow the dates.
		date := fmt.Sprintf("2025-%02d-05", m)
		pay := fmt.Sprintf("2025-%02d-10", m)
		total := domain.Fen(staff * allowance)
		add(cmd{"budget.record_funds", "2025", date, map[string]string{"source": "county", "document": fmt.Sprintf("示县财社〔2025〕%d号", 10+m), "line": "staff", "amount": yuan(total)}})
		voucher(date, fmt.Sprintf("收到县财政拨付%d月社区工作人员补贴（5人×458元）", m), [][3]string{{"102", yuan(total), ""}, {"522", "", yuan(total)}}, nil)
		if m == 4 {
			add(cmd{"budget.record_funds", "2025", "2025-04-08", map[string]string{"source": "special", "document": "示县民〔2025〕17号", "line": "equipment", "amount": "23500.00"}})
			voucher("2025-04-08", "收到上级专项经费（便民服务设备）", [][3]string{{"102", "23500.00", ""}, {"522", "", "23500.00"}}, nil)
		}
		voucher(pay, fmt.Sprintf("发放%d月社区工作人员补贴（5人×458元）", m), [][3]string{{"541", yuan(total), ""}, {"102", "", yuan(total)}},
			map[string]any{"budget_line": "staff"})
		if m == 7 {
			voucher("2025-07-10", "收到镇财政拨付下半年工作经费", [][3]string{{"102", "10000.00", ""}, {"522", "", "10000.00"}}, nil)
		}
		if m == 9 {
			voucher("2025-09-12", "举办中秋社区文化活动", [][3]string{{"502", "1800.00", ""}, {"102", "", "1800.00"}}, map[string]any{"budget_line": "activities"})
		}
		if m%2 == 0 { // office costs paid from the town's working funds
			voucher(fmt.Sprintf("2025-%02d-18", m), "支付办公水电及网络费用", [][3]string{{"541", "1260.00", ""}, {"102", "", "1260.00"}},
				map[string]any{"budget_line": "office"})
		}
		if m == 6 {
			voucher("2025-06-20", "购买办公用品", [][3]string{{"541", "860.00", ""}, {"102", "", "860.00"}}, map[string]any{"budget_line": "office"})
			numbers["2025-06"]++
			bank += 860_00 // the reversal below gives it back
			add(cmd{"books.reverse_voucher", domain.BooksID, "2025-06-22", map[string]any{"voucher": fmt.Sprintf("2025-06-%03d", numbers["2025-06"]-1),
				"number": numbers["2025-06"], "reason": "金额记错：发票金额为680.00元，误记为860.00元", "preparer": "赵敏", "reviewer": "李娜", "approver": "张丽"}})
			voucher("2025-06-22", "购买办公用品（更正后重记）", [][3]string{{"541", "680.00", ""}, {"102", "", "680.00"}}, map[string]any{"budget_line": "office"})
		}
		if m%3 == 0 { // rent for the quarter, from the shop fronts leased under m-2025-01
			voucher(fmt.Sprintf("2025-%02d-25", m), fmt.Sprintf("收到临街门面第%d季度租金", m/3), [][3]string{{"102", "3500.00", ""}, {"501", "", "3500.00"}},
				map[string]any{"matter": "m-2025-01"})
		}
		if m == 4 {
			voucher("2025-04-28", "购置便民服务设备（电脑2台、打印机1台、档案柜4组）", [][3]string{{"151", "23500.00", ""}, {"102", "", "23500.00"}},
				map[string]any{"budget_line": "equipment", "matter": "m-2025-06"})
		}
		last := time.Date(booksYear, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		if m == 6 {
			add(cmd{"books.assert_balance", domain.BooksID, last, map[string]any{"account": "102", "balance": yuan(bank),
				"evidence": map[string]string{"kind": "bank_statement", "reference": "农村信用社2025年6月对账单"}}})
		}
		add(cmd{"books.close_month", domain.BooksID, last, map[string]string{"month": fmt.Sprintf("2025-%02d", m)}})
	}
	add(cmd{"books.assert_balance", domain.BooksID, "2025-12-31", map[string]any{"account": "102", "balance": yuan(bank),
		"evidence": map[string]string{"kind": "bank_statement", "reference": "农村信用社2025年12月对账单"}}})
	add(cmd{"books.close_year", domain.BooksID, "2025-12-31", map[string]int{"year": booksYear}})
	return out
}
