package workbench

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

// A draft of 2026 Q3's finance, as the server generates it.
func draftQ3() []byte {
	b, _ := json.Marshal(map[string]any{"content": domain.DisclosureContent{Title: "2026年第3季度财务收支公开",
		From: domain.Date{Year: 2026, Month: 7, Day: 1}, To: domain.Date{Year: 2026, Month: 9, Day: 30},
		Tables: []domain.DisclosureTable{{Caption: "收支明细", Columns: []string{"日期", "摘要"}, Rows: [][]string{{"2026-07-03", "收到镇拨款"}}}},
		Totals: []domain.DisclosureTotal{{Label: "本期收入合计", Amount: 680000}}, AsOfSeq: 9}})
	return b
}

// TestDisclosurePagesByRole: the desk offers each account what its roles
// allow — the clerk drafts and publishes, the supervision committee
// approves or returns — and the review forms send what was filled in.
func TestDisclosurePagesByRole(t *testing.T) {
	b := newBench(t)
	c := cmd(domain.CmdDraftDisclosure, "finance-2026-Q3", "2026-11-02", nil)
	c.Data = draftQ3()
	b.fake.seed(t, "wenhualu", c)
	// A clerk alone (an administrator holds every role, the supervisor's
	// too).
	clerk := domain.Actor{ID: "lina", Name: "李娜", Grants: []domain.Grant{{Role: domain.AccessClerk, Scope: domain.CommunityScope("wenhualu")}}}
	b.actor = clerk

	home := b.get("/c/wenhualu/desk").Body.String()
	if !strings.Contains(home, "2026年第3季度财务收支公开") || !strings.Contains(home, "待监督委员会审核") ||
		!strings.Contains(home, "disclosure-draft?item=finance-2026-Q3") || strings.Contains(home, "disclosure-approve") {
		t.Errorf("the clerk's desk: want the draft's status and a new draft, no review")
	}
	if rr := b.get("/c/wenhualu/desk/disclosure-approve?item=finance-2026-Q3"); rr.Code != http.StatusForbidden {
		t.Errorf("the clerk's approve form = %d, want 403", rr.Code)
	}

	b.actor = domain.Actor{ID: "zhao", Name: "赵敏", Grants: []domain.Grant{{Role: domain.AccessSupervisor, Scope: domain.CommunityScope("wenhualu")}}}
	home = b.get("/c/wenhualu/desk").Body.String()
	if !strings.Contains(home, "disclosure-approve?item=finance-2026-Q3") || !strings.Contains(home, "disclosure-return?item=finance-2026-Q3") ||
		strings.Contains(home, "disclosure-draft") || strings.Contains(home, "disclosure-publish") {
		t.Errorf("the supervisor's desk: want approve and return only")
	}
	form := b.get("/c/wenhualu/desk/disclosure-approve?item=finance-2026-Q3").Body.String()
	if !strings.Contains(form, "收到镇拨款") || !strings.Contains(form, "陆仟捌佰元整") || !strings.Contains(form, "第1版") {
		t.Errorf("the approve form does not show the version's content:\n%s", form)
	}
	rr := b.submit("/c/wenhualu/desk/disclosure-return?item=finance-2026-Q3", map[string]string{"opinion": " "}, "check")
	if got := fieldErrors(rr.Body.String())["opinion"]; rr.Code != http.StatusUnprocessableEntity || len(got) == 0 || got[0] != "必填" {
		t.Errorf("return without an opinion = %d, errors %v", rr.Code, fieldErrors(rr.Body.String()))
	}
	rr = b.record("/c/wenhualu/desk/disclosure-approve?item=finance-2026-Q3", map[string]string{"opinion": "同意公开"})
	if rr.Code != http.StatusSeeOther {
		t.Fatalf("approve = %d\n%s", rr.Code, errorsOf(rr.Body.String()))
	}
	got := b.fake.Requests[len(b.fake.Requests)-1].Commands[0]
	var data, want any
	_ = json.Unmarshal(got.Data, &data)
	_ = json.Unmarshal([]byte(`{"version":1,"opinion":"同意公开"}`), &want)
	if got.Type != domain.CmdApproveDisclosure || got.AggregateID != "finance-2026-Q3" || got.EffectiveDate != "2026-11-30" || !reflect.DeepEqual(data, want) {
		t.Errorf("approve sent %s %s %s %s", got.Type, got.AggregateID, got.EffectiveDate, got.Data)
	}
	receipt := b.get(rr.Header().Get("Location")).Body.String()
	if !strings.Contains(receipt, "已审核，待公开") || !strings.Contains(receipt, "同意公开") {
		t.Errorf("the receipt does not show the approval")
	}

	// Without the finance read model the clerk is told that nothing can be
	// published (the books cannot be checked), and nothing is sent.
	b.actor = clerk
	n := len(b.fake.Requests)
	rr = b.submit("/c/wenhualu/desk/disclosure-publish?item=finance-2026-Q3", map[string]string{"ch_board": "1"}, "check")
	if rr.Code != http.StatusUnprocessableEntity || !strings.Contains(rr.Body.String(), "不能生成或核对公开内容") || len(b.fake.Requests) != n {
		t.Errorf("publish without books = %d %v", rr.Code, errorsOf(rr.Body.String()))
	}
}
