package workbench

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
)

func votes(e, p, f, a, ab int) map[string]int {
	return map[string]int{"expected": e, "present": p, "for": f, "against": a, "abstain": ab}
}

// matterUpTo returns the commands that take matter m-2026-01 through the
// given number of stages (1: registered ... 8: result disclosed).
func matterUpTo(n int) []command.Command {
	all := []command.Command{
		cmd(domain.CmdRegisterMatter, "m-2026-01", "2026-10-12", map[string]string{"title": "老年活动室供暖改造", "amount": "36800.00"}),
		cmd(domain.CmdProposeMatter, "m-2026-01", "2026-10-14", map[string]string{"summary": "党支部提议"}),
		cmd(domain.CmdConsultMatter, "m-2026-01", "2026-10-16", map[string]string{}),
		cmd(domain.CmdReviewMatter, "m-2026-01", "2026-10-20", map[string]any{"votes": votes(6, 6, 6, 0, 0)}),
		cmd(domain.CmdResolveMatter, "m-2026-01", "2026-10-25", map[string]any{"votes": votes(15, 12, 11, 0, 1), "text": "同意"}),
		cmd(domain.CmdDiscloseResolution, "m-2026-01", "2026-10-26", map[string]any{"channels": []string{"社区公开栏"}}),
		cmd(domain.CmdReportImplementation, "m-2026-01", "2026-11-10", map[string]string{"summary": "已开工"}),
		cmd(domain.CmdDiscloseResult, "m-2026-01", "2026-11-20", map[string]any{"channels": []string{"社区公开栏"}}),
	}
	return all[:n]
}

func budget2026() []command.Command {
	return append(matterUpTo(5), cmd(domain.CmdAdoptBudget, "2026", "2026-10-26", map[string]any{"resolution": "m-2026-01", "lines": []map[string]string{
		{"line": "office", "name": "办公经费", "source": "town", "amount": "20000.00"}}}))
}

// vouchers are the books of the tests, on the 2023 chart: 2,000.00 of
// rent received in cash in October (cash cannot be paid out beyond what
// is held) and voucher 2026-11-001, 5,000.00 of subsidy into the bank.
func vouchers() []command.Command {
	return []command.Command{
		cmd(domain.CmdPostVoucher, domain.BooksID, "2026-10-28", map[string]any{"number": 1, "summary": "收到门面租金", "preparer": "赵敏",
			"lines": []map[string]string{{"account": "101", "debit": "2000.00"}, {"account": "501", "credit": "2000.00"}}}),
		cmd(domain.CmdPostVoucher, domain.BooksID, "2026-11-03", map[string]any{"number": 1, "summary": "收到镇拨款", "preparer": "赵敏",
			"lines": []map[string]string{{"account": "102", "debit": "5000.00"}, {"account": "503", "credit": "5000.00"}}}),
	}
}

// TestFormToCommand checks what the command service receives for what a
// clerk types into each form.
func TestFormToCommand(t *testing.T) {
	tests := []struct {
		name string
		seed []command.Command
		path string
		vals map[string]string
		want command.Command
	}{
		{"register matter", nil, "/c/wenhualu/desk/matter-register",
			map[string]string{"id": "m-2026-09", "title": "更换路灯", "category": "基础设施", "amount": "￥6,800", "effective_date": "2026年11月12日"},
			cmd(domain.CmdRegisterMatter, "m-2026-09", "2026-11-12", map[string]string{"title": "更换路灯", "category": "基础设施", "amount": "6800.00"})},
		{"register matter without amount", nil, "/c/wenhualu/desk/matter-register",
			map[string]string{"id": "m-2026-09", "title": "增设便民服务点", "effective_date": "2026/11/2"},
			cmd(domain.CmdRegisterMatter, "m-2026-09", "2026-11-02", map[string]string{"title": "增设便民服务点"})},
		{"propose", matterUpTo(1), "/c/wenhualu/desk/matter-propose?id=m-2026-01",
			map[string]string{"summary": "党支部提议实施", "effective_date": "2026-10-13"},
			cmd(domain.CmdProposeMatter, "m-2026-01", "2026-10-13", map[string]string{"summary": "党支部提议实施"})},
		{"consult without summary", matterUpTo(2), "/c/wenhualu/desk/matter-consult?id=m-2026-01",
			map[string]string{"effective_date": "2026-10-15"},
			cmd(domain.CmdConsultMatter, "m-2026-01", "2026-10-15", map[string]string{})},
		{"review, counts with 人", matterUpTo(3), "/c/wenhualu/desk/matter-review?id=m-2026-01",
			map[string]string{"votes.expected": "6人", "votes.present": "５人", "votes.for": "5", "effective_date": "2026-10-20"},
			cmd(domain.CmdReviewMatter, "m-2026-01", "2026-10-20", map[string]any{"votes": votes(6, 5, 5, 0, 0)})},
		{"resolve", matterUpTo(4), "/c/wenhualu/desk/matter-resolve?id=m-2026-01",
			map[string]string{"votes.expected": "15", "votes.present": "12人", "votes.for": "11人", "votes.against": "0", "votes.abstain": "1人",
				"text": "同意改造。", "effective_date": "2026-10-25"},
			cmd(domain.CmdResolveMatter, "m-2026-01", "2026-10-25", map[string]any{"votes": votes(15, 12, 11, 0, 1), "text": "同意改造。"})},
		{"disclose resolution", matterUpTo(5), "/c/wenhualu/desk/matter-disclose-resolution?id=m-2026-01",
			map[string]string{"channels": "社区公开栏、微信群", "effective_date": "2026-10-26"},
			cmd(domain.CmdDiscloseResolution, "m-2026-01", "2026-10-26", map[string]any{"channels": []string{"社区公开栏", "微信群"}})},
		{"report implementation", matterUpTo(6), "/c/wenhualu/desk/matter-report-implementation?id=m-2026-01",
			map[string]string{"summary": "已完工", "effective_date": "2026-11-10"},
			cmd(domain.CmdReportImplementation, "m-2026-01", "2026-11-10", map[string]string{"summary": "已完工"})},
		{"disclose result", matterUpTo(7), "/c/wenhualu/desk/matter-disclose-result?id=m-2026-01",
			map[string]string{"channels": "社区公开栏,微信群", "summary": "已投入使用", "effective_date": "2026-11-20"},
			cmd(domain.CmdDiscloseResult, "m-2026-01", "2026-11-20", map[string]any{"channels": []string{"社区公开栏", "微信群"}, "summary": "已投入使用"})},
		{"withdraw", matterUpTo(2), "/c/wenhualu/desk/matter-withdraw?id=m-2026-01",
			map[string]string{"reason": "已由镇统一安排", "effective_date": "2026-10-20"},
			cmd(domain.CmdWithdrawMatter, "m-2026-01", "2026-10-20", map[string]string{"reason": "已由镇统一安排"})},
		{"correct the resolution's votes", matterUpTo(6), "/c/wenhualu/desk/matter-correct?id=m-2026-01&stage=resolved",
			map[string]string{"votes.present": "13人", "votes.for": "12", "reason": "会议记录实到13人", "effective_date": "2026-11-30"},
			cmd(domain.CmdCorrectMatter, "m-2026-01", "2026-11-30", map[string]any{"stage": "resolved", "reason": "会议记录实到13人",
				"votes": votes(15, 13, 12, 0, 1)})},
		{"correct an implementation report's date", matterUpTo(7), "/c/wenhualu/desk/matter-correct?id=m-2026-01&stage=implementing&report=1",
			map[string]string{"corrected_date": "2026年11月9日", "reason": "日期记错", "effective_date": "2026-11-30"},
			cmd(domain.CmdCorrectMatter, "m-2026-01", "2026-11-30", map[string]any{"stage": "implementing", "report": 1, "reason": "日期记错",
				"corrected_date": "2026-11-09"})},
		{"adopt a budget, line ids made", matterUpTo(5), "/c/wenhualu/desk/budget-adopt?year=2027",
			map[string]string{"resolution": "m-2026-01", "effective_date": "2026-11-30",
				"lines.0.name": "办公经费", "lines.0.source": "town", "lines.0.amount": "20,000",
				"lines.1.line": "staff", "lines.1.name": "人员补贴", "lines.1.source": "county", "lines.1.amount": "27,480.00元"},
			cmd(domain.CmdAdoptBudget, "2027", "2026-11-30", map[string]any{"resolution": "m-2026-01", "lines": []map[string]string{
				{"line": "L1", "name": "办公经费", "source": "town", "amount": "20000.00"},
				{"line": "staff", "name": "人员补贴", "source": "county", "amount": "27480.00"}}})},
		{"funds received", budget2026(), "/c/wenhualu/desk/budget-funds?year=2026",
			map[string]string{"source": "town", "document": "示镇财〔2026〕3号", "line": "office", "amount": "6800元", "effective_date": "2026-11-05"},
			cmd(domain.CmdRecordFunds, "2026", "2026-11-05", map[string]string{"source": "town", "document": "示镇财〔2026〕3号", "line": "office", "amount": "6800.00"})},
		{"voucher with three lines, numbered for you", vouchers(), "/c/wenhualu/desk/books-voucher",
			map[string]string{"summary": "支付办公用品", "effective_date": "2026-11-12", "reviewer": "张丽",
				"lines.0.account": "513", "lines.0.debit": "1,234.50",
				"lines.1.account": "101", "lines.1.credit": "234.50",
				"lines.2.account": "102", "lines.2.credit": "1,000"},
			cmd(domain.CmdPostVoucher, "books", "2026-11-12", map[string]any{"number": 2, "summary": "支付办公用品", "preparer": "李娜", "reviewer": "张丽",
				"lines": []map[string]string{{"account": "513", "debit": "1234.50"}, {"account": "101", "credit": "234.50"}, {"account": "102", "credit": "1000.00"}}})},
		{"reverse a voucher", vouchers(), "/c/wenhualu/desk/books-reverse?voucher=2026-11-001",
			map[string]string{"reason": "金额记错", "effective_date": "2026-11-13"},
			cmd(domain.CmdReverseVoucher, "books", "2026-11-13", map[string]any{"voucher": "2026-11-001", "number": 2, "reason": "金额记错", "preparer": "李娜"})},
		{"check a negative balance", vouchers(), "/c/wenhualu/desk/books-balance",
			map[string]string{"account": "102", "balance": "5,000.00", "evidence.kind": "bank_statement", "evidence.reference": "11月对账单", "effective_date": "2026-11-30"},
			cmd(domain.CmdAssertBalance, "books", "2026-11-30", map[string]any{"account": "102", "balance": "5000.00",
				"evidence": map[string]string{"kind": "bank_statement", "reference": "11月对账单"}})},
		{"close a month", vouchers(), "/c/wenhualu/desk/books-close-month",
			map[string]string{"month": "2026-10", "effective_date": "2026-11-30"},
			cmd(domain.CmdCloseMonth, "books", "2026-11-30", map[string]string{"month": "2026-10"})},
		{"close a year", nil, "/c/wenhualu/desk/books-close-year",
			map[string]string{"year": "2025", "effective_date": "2026-01-05"},
			cmd(domain.CmdCloseYear, "books", "2026-01-05", map[string]int{"year": 2025})},
		{"appoint an officer", nil, "/c/wenhualu/desk/officer-appoint",
			map[string]string{"name": "张丽", "role": "director", "person_id": "p-zhang", "effective_date": "2026-11-30"},
			cmd(domain.CmdAppointOfficer, "wenhualu", "2026-11-30", map[string]string{"person_id": "p-zhang", "name": "张丽", "role": "director"})},
		{"remove an officer", nil, "/c/wenhualu/desk/officer-remove?post=p-wang%7Csecretary",
			map[string]string{"reason": "换届", "effective_date": "2026-11-30"},
			cmd(domain.CmdRemoveOfficer, "wenhualu", "2026-11-30", map[string]string{"person_id": "p-wang", "role": "secretary", "reason": "换届"})},
		{"adopt a rule set", nil, "/c/wenhualu/desk/rule-set",
			map[string]string{"rule_set.id": "xj-2026", "rule_set.jurisdiction": "阿勒泰地区", "rule_set.effective_from": "2026-12-01",
				"rule_set.votes.party_members_meeting.quorum.num": "4", "rule_set.votes.party_members_meeting.quorum.den": "5",
				"rule_set.spending_threshold": "5,000", "effective_date": "2026-11-30"},
			cmd(domain.CmdAdoptRuleSet, "wenhualu", "2026-11-30", map[string]any{"rule_set": map[string]any{
				"id": "xj-2026", "jurisdiction": "阿勒泰地区", "effective_from": "2026-12-01", "spending_threshold": "5000.00",
				"votes": map[string]any{
					"party_members_meeting":   map[string]any{"quorum": map[string]int{"num": 4, "den": 5}, "majority": map[string]int{"num": 1, "den": 2}, "majority_of": "present"},
					"representative_assembly": map[string]any{"quorum": map[string]int{"num": 2, "den": 3}, "majority": map[string]int{"num": 1, "den": 2}, "majority_of": "present"},
				}}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBench(t)
			b.fake.seed(t, "wenhualu", tt.seed...)
			rr := b.record(tt.path, tt.vals)
			if rr.Code != http.StatusSeeOther {
				t.Fatalf("confirm = %d, want 303\n%s", rr.Code, errorsOf(rr.Body.String()))
			}
			if n := len(b.fake.Requests); n != 1 {
				t.Fatalf("%d requests, want 1", n)
			}
			req := b.fake.Requests[0]
			if req.Community != "wenhualu" || req.Actor.ID != "lina" || !strings.HasPrefix(req.IdempotencyKey, "wb-") || req.IfMatch == nil {
				t.Errorf("request = community %q, actor %q, key %q, if-match %v", req.Community, req.Actor.ID, req.IdempotencyKey, req.IfMatch)
			}
			got := req.Commands[0]
			if got.Type != tt.want.Type || got.AggregateID != tt.want.AggregateID || got.EffectiveDate != tt.want.EffectiveDate {
				t.Errorf("command = %s %s %s, want %s %s %s", got.Type, got.AggregateID, got.EffectiveDate, tt.want.Type, tt.want.AggregateID, tt.want.EffectiveDate)
			}
			var g, w any
			_ = json.Unmarshal(got.Data, &g)
			_ = json.Unmarshal(tt.want.Data, &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("data = %s\nwant   %s", got.Data, tt.want.Data)
			}
		})
	}
}

func TestNewCommunity(t *testing.T) {
	b := newBench(t)
	b.actor = domain.Actor{ID: "admin", Name: "管理员", Root: true}
	rr := b.record("/desk/new-community", map[string]string{"community": "hongqi", "name": "红旗村", "kind": "村", "town": "示例镇", "county": "示例县", "effective_date": "2026-11-30"})
	if rr.Code != http.StatusSeeOther {
		t.Fatalf("confirm = %d\n%s", rr.Code, errorsOf(rr.Body.String()))
	}
	req := b.fake.Requests[0]
	if req.Community != "hongqi" || req.Commands[0].AggregateID != "hongqi" || req.Commands[0].Type != domain.CmdRegisterCommunity || *req.IfMatch != 0 {
		t.Errorf("request = %+v", req)
	}
	loc := rr.Header().Get("Location")
	if !strings.HasPrefix(loc, "/c/hongqi/desk/receipt?") {
		t.Errorf("Location = %q", loc)
	}
}
