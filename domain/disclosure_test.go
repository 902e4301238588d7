package domain_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// Actors of the disclosure tests: the clerk drafts and publishes, a member
// of the supervision committee (村务监督委员会) reviews.
const (
	clerk      = "clerk-zhao"
	supervisor = "sup-liu"
	q1Item     = "finance-2025-Q1"
)

// catalogue is the rule set of the disclosure tests, from 2025-01-01: the
// default deadlines, but posted for at least 10 days (the default is 7),
// and one special item (专项公开) due 2025-09-30.
func catalogue() domain.RuleSet {
	rs := domain.DefaultRuleSet()
	rs.ID, rs.EffectiveFrom = "dongfeng-2025", domain.Date{Year: 2025, Month: 1, Day: 1}
	rs.Disclosure = &domain.DisclosureRules{FinancePeriod: "quarter", FinanceDays: 15, BudgetDays: 15, ExecutionDays: 31,
		ResolutionDays: 5, ResultDays: 15, PostingDays: 10, AnswerDays: 10,
		Special: []domain.SpecialDisclosure{{ID: "relief-2025", Title: "2025年救灾款物发放", Due: domain.Date{Year: 2025, Month: 9, Day: 30}}}}
	return rs
}

// withCatalogue is a registered community that adopted catalogue().
func withCatalogue() []domain.Event {
	return []domain.Event{registered, &domain.RuleSetAdopted{RuleSet: catalogue()}}
}

// The content of a draft, as the server generates it, in JSON and as the
// value the events carry.
const contentJSON = `{"title":"2025年第1季度财务收支公开","from":"2025-01-01","to":"2025-03-31",` +
	`"tables":[{"caption":"收支明细","columns":["科目","金额"],"rows":[["办公费","1260.00"],["租金收入","3500.00"]]}],` +
	`"totals":[{"label":"收入合计","amount":"3500.00"}],"note":"本季度无大额支出","as_of_seq":42}`

var content = domain.DisclosureContent{Title: "2025年第1季度财务收支公开",
	From: domain.Date{Year: 2025, Month: 1, Day: 1}, To: domain.Date{Year: 2025, Month: 3, Day: 31},
	Tables: []domain.DisclosureTable{{Caption: "收支明细", Columns: []string{"科目", "金额"},
		Rows: [][]string{{"办公费", "1260.00"}, {"租金收入", "3500.00"}}}},
	Totals: []domain.DisclosureTotal{{Label: "收入合计", Amount: 3500_00}}, Note: "本季度无大额支出", AsOfSeq: 42}

// cmd is a command sent by actor on an effective date.
type cmd struct {
	date, actor, typ, data string
}

// Steps of the happy path of finance-2025-Q1 and its correction.
var (
	draftQ1     = cmd{"2025-04-02", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}
	approveQ1   = cmd{"2025-04-05", supervisor, domain.CmdApproveDisclosure, `{"version":1,"opinion":"同意公开"}`}
	returnQ1    = cmd{"2025-04-05", supervisor, domain.CmdReturnDisclosure, `{"version":1,"opinion":"缺少凭证号"}`}
	publishQ1   = cmd{"2025-04-06", clerk, domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏","网上"]}`}
	correctQ1   = cmd{"2025-05-10", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `,"reason":"办公费金额有误"}`}
	approveQ1v2 = cmd{"2025-05-11", supervisor, domain.CmdApproveDisclosure, `{"version":2}`}
	publishQ1v2 = cmd{"2025-05-12", clerk, domain.CmdPublishDisclosure, `{"version":2,"channels":["公开栏"],"posting_days":15}`}
)

// disclosureLog runs commands against one disclosure item as the command
// service does: decode, decide, store (a JSON round trip through
// DecodeEvent) and apply with domain.ApplyTo.
type disclosureLog struct {
	t     *testing.T
	comm  *domain.Community
	item  string
	state domain.State
}

func newDisclosureLog(t *testing.T, item string, comm []domain.Event) *disclosureLog {
	t.Helper()
	return &disclosureLog{t: t, comm: community(t, comm...), item: item}
}

func (l *disclosureLog) env(c cmd) domain.Env {
	l.t.Helper()
	return domain.EnvFor(domain.Env{Today: mustDate(l.t, "2026-06-30"), Date: mustDate(l.t, c.date), CommunityID: communityID,
		Community: l.comm, AggregateID: l.item, Actor: c.actor}, l.state)
}

func (l *disclosureLog) decide(c cmd) ([]domain.Event, error) {
	l.t.Helper()
	command, err := domain.DecodeCommand(c.typ, []byte(c.data))
	if err != nil {
		l.t.Fatalf("DecodeCommand(%s, %s): %v", c.typ, c.data, err)
	}
	return command.Decide(l.env(c))
}

// do decides commands that must be accepted and applies their events.
func (l *disclosureLog) do(cs ...cmd) {
	l.t.Helper()
	for _, c := range cs {
		evs, err := l.decide(c)
		if err != nil {
			l.t.Fatalf("Decide(%s %s) on %s by %s = %v, want events", c.typ, c.data, c.date, c.actor, err)
		}
		for _, e := range evs {
			l.state = domain.ApplyTo(l.state, domain.AggregateDisclosure, l.item, stored(l.t, e), mustDate(l.t, c.date))
		}
	}
}

func (l *disclosureLog) disclosure() *domain.Disclosure {
	d, _ := l.state.(*domain.Disclosure)
	return d
}

// stored returns e as a replay reads it: marshalled and decoded again.
func stored(tb testing.TB, e domain.Event) domain.Event {
	tb.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		tb.Fatalf("json.Marshal(%T): %v", e, err)
	}
	got, err := domain.DecodeEvent(e.EventType(), domain.SchemaVersion, b)
	if err != nil {
		tb.Fatalf("DecodeEvent(%s, %s): %v", e.EventType(), b, err)
	}
	return got
}

func TestDisclosureDecide(t *testing.T) {
	comm := withCatalogue()
	tests := []struct {
		name      string
		community []domain.Event // withCatalogue() unless set; "none" is nocomm
		nocomm    bool
		item      string // q1Item unless set
		given     []cmd
		when      cmd
		want      []domain.Event
		wantErr   string
	}{
		// The happy path.
		{name: "draft", when: draftQ1,
			want: []domain.Event{&domain.DisclosureDrafted{Version: 1, Content: content, DraftedBy: clerk}}},
		{name: "approve", given: []cmd{draftQ1}, when: approveQ1,
			want: []domain.Event{&domain.DisclosureApproved{Version: 1, Opinion: "同意公开", ReviewedBy: supervisor}}},
		{name: "approve on the day of the draft", given: []cmd{draftQ1}, when: cmd{"2025-04-02", supervisor, domain.CmdApproveDisclosure, `{"version":1}`},
			want: []domain.Event{&domain.DisclosureApproved{Version: 1, ReviewedBy: supervisor}}},
		{name: "return", given: []cmd{draftQ1}, when: returnQ1,
			want: []domain.Event{&domain.DisclosureReturned{Version: 1, Opinion: "缺少凭证号", ReviewedBy: supervisor}}},
		// The rule set's posting period is 10 days.
		{name: "publish, posting period of the rule set", given: []cmd{draftQ1, approveQ1}, when: publishQ1,
			want: []domain.Event{&domain.DisclosurePublished{Version: 1, Channels: []string{"公开栏", "网上"}, PostingDays: 10}}},
		{name: "publish, posting period exactly the rule set's", given: []cmd{draftQ1, approveQ1},
			when: cmd{"2025-04-06", clerk, domain.CmdPublishDisclosure, `{"version":1,"channels":["会议"],"posting_days":10}`},
			want: []domain.Event{&domain.DisclosurePublished{Version: 1, Channels: []string{"会议"}, PostingDays: 10}}},
		{name: "publish, a longer posting period", given: []cmd{draftQ1, approveQ1},
			when: cmd{"2025-04-06", clerk, domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏"],"posting_days":30}`},
			want: []domain.Event{&domain.DisclosurePublished{Version: 1, Channels: []string{"公开栏"}, PostingDays: 30}}},
		{name: "publish on the day of the approval", given: []cmd{draftQ1, approveQ1},
			when: cmd{"2025-04-05", clerk, domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏"]}`},
			want: []domain.Event{&domain.DisclosurePublished{Version: 1, Channels: []string{"公开栏"}, PostingDays: 10}}},
		// Without a rule set of its own the community posts for the
		// default 7 days.
		{name: "publish under the default rules", community: []domain.Event{registered}, given: []cmd{draftQ1, approveQ1}, when: publishQ1,
			want: []domain.Event{&domain.DisclosurePublished{Version: 1, Channels: []string{"公开栏", "网上"}, PostingDays: 7}}},

		// Review.
		{name: "publish before review", given: []cmd{draftQ1}, when: publishQ1, wantErr: "rule not_reviewed"},
		{name: "publish a returned draft", given: []cmd{draftQ1, returnQ1}, when: publishQ1, wantErr: "rule returned"},
		{name: "publish twice", given: []cmd{draftQ1, approveQ1, publishQ1}, when: publishQ1, wantErr: "rule already_published"},
		{name: "approve a stale version", given: []cmd{draftQ1, {"2025-04-03", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}},
			when: approveQ1, wantErr: "rule stale_version"},
		{name: "return a stale version", given: []cmd{draftQ1, {"2025-04-03", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}},
			when: returnQ1, wantErr: "rule stale_version"},
		{name: "approve a version not yet drafted", given: []cmd{draftQ1},
			when: cmd{"2025-04-05", supervisor, domain.CmdApproveDisclosure, `{"version":2}`}, wantErr: "rule stale_version"},
		{name: "publish a stale version", given: []cmd{draftQ1, approveQ1, publishQ1, correctQ1, approveQ1v2},
			when: cmd{"2025-05-12", clerk, domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏"]}`}, wantErr: "rule stale_version"},
		{name: "the drafter approves", given: []cmd{draftQ1},
			when: cmd{"2025-04-05", clerk, domain.CmdApproveDisclosure, `{"version":1}`}, wantErr: "rule self_review"},
		{name: "the drafter returns", given: []cmd{draftQ1},
			when: cmd{"2025-04-05", clerk, domain.CmdReturnDisclosure, `{"version":1,"opinion":"重做"}`}, wantErr: "rule self_review"},
		{name: "approve twice", given: []cmd{draftQ1, approveQ1}, when: approveQ1, wantErr: "rule not_awaiting_review"},
		{name: "return twice", given: []cmd{draftQ1, returnQ1}, when: returnQ1, wantErr: "rule not_awaiting_review"},
		{name: "return after approval", given: []cmd{draftQ1, approveQ1}, when: returnQ1, wantErr: "rule not_awaiting_review"},
		{name: "approve after return", given: []cmd{draftQ1, returnQ1}, when: approveQ1, wantErr: "rule not_awaiting_review"},
		{name: "approve a published version", given: []cmd{draftQ1, approveQ1, publishQ1}, when: approveQ1, wantErr: "rule not_awaiting_review"},
		{name: "review dated before the draft", given: []cmd{draftQ1},
			when: cmd{"2025-04-01", supervisor, domain.CmdApproveDisclosure, `{"version":1}`}, wantErr: "rule date_before_previous_stage"},
		{name: "return dated before the draft", given: []cmd{draftQ1},
			when: cmd{"2025-04-01", supervisor, domain.CmdReturnDisclosure, `{"version":1,"opinion":"重做"}`}, wantErr: "rule date_before_previous_stage"},
		{name: "publication dated before the approval", given: []cmd{draftQ1, approveQ1},
			when: cmd{"2025-04-04", clerk, domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏"]}`}, wantErr: "rule date_before_previous_stage"},
		{name: "approve what was never drafted", when: approveQ1, wantErr: "not found disclosure " + q1Item},
		{name: "publish what was never drafted", when: publishQ1, wantErr: "not found disclosure " + q1Item},

		// Posting period (公示期): at least the rule set's 10 days.
		{name: "posting period shorter than the rule set's", given: []cmd{draftQ1, approveQ1},
			when: cmd{"2025-04-06", clerk, domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏"],"posting_days":9}`}, wantErr: "rule posting_too_short"},
		{name: "posting period of the default rules is 7 days", community: []domain.Event{registered}, given: []cmd{draftQ1, approveQ1},
			when: cmd{"2025-04-06", clerk, domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏"],"posting_days":6}`}, wantErr: "rule posting_too_short"},

		// Corrections (更正).
		{name: "a published item drafted again without a reason", given: []cmd{draftQ1, approveQ1, publishQ1},
			when: cmd{"2025-05-10", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}, wantErr: "rule already_published"},
		{name: "a published item corrected", given: []cmd{draftQ1, approveQ1, publishQ1}, when: correctQ1,
			want: []domain.Event{&domain.DisclosureDrafted{Version: 2, Content: content, Reason: "办公费金额有误", DraftedBy: clerk}}},
		// A new version is dated on or after the last step of the one
		// before: a correction before the publication it corrects would
		// be posted before it and yet supersede it.
		{name: "a correction dated before the publication", given: []cmd{draftQ1, approveQ1, publishQ1},
			when: cmd{"2025-04-05", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `,"reason":"办公费金额有误"}`}, wantErr: "rule date_before_previous_stage"},
		{name: "a correction on the day of the publication", given: []cmd{draftQ1, approveQ1, publishQ1},
			when: cmd{"2025-04-06", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `,"reason":"办公费金额有误"}`},
			want: []domain.Event{&domain.DisclosureDrafted{Version: 2, Content: content, Reason: "办公费金额有误", DraftedBy: clerk}}},
		{name: "a new draft dated before the return", given: []cmd{draftQ1, returnQ1},
			when: cmd{"2025-04-04", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}, wantErr: "rule date_before_previous_stage"},
		{name: "a new draft dated before the draft it replaces", given: []cmd{draftQ1},
			when: cmd{"2025-04-01", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}, wantErr: "rule date_before_previous_stage"},
		{name: "a reason on a draft never published", given: []cmd{draftQ1}, when: correctQ1, wantErr: "rule nothing_to_correct"},
		{name: "a reason on a first draft", when: correctQ1, wantErr: "rule nothing_to_correct"},
		{name: "a returned draft drafted again", given: []cmd{draftQ1, returnQ1},
			when: cmd{"2025-04-07", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`},
			want: []domain.Event{&domain.DisclosureDrafted{Version: 2, Content: content, DraftedBy: clerk}}},

		// What may be drafted, and when.
		{name: "special item not in the catalogue", item: "special-land-2025",
			when: cmd{"2025-06-01", clerk, domain.CmdDraftDisclosure, `{"content":{"title":"土地承包","tables":[],"as_of_seq":1}}`}, wantErr: "rule not_in_catalogue"},
		{name: "special item in the catalogue", item: "special-relief-2025",
			when: cmd{"2025-06-01", clerk, domain.CmdDraftDisclosure, `{"content":{"title":"救灾款物","tables":[],"as_of_seq":1}}`},
			want: []domain.Event{&domain.DisclosureDrafted{Version: 1, Content: domain.DisclosureContent{Title: "救灾款物", Tables: []domain.DisclosureTable{}, AsOfSeq: 1}, DraftedBy: clerk}}},
		// The catalogue is the one in force on the draft's date: before
		// 2025-01-01 the default, which has no special items.
		{name: "special item drafted before its catalogue was in force", item: "special-relief-2025",
			when: cmd{"2024-12-31", clerk, domain.CmdDraftDisclosure, `{"content":{"title":"救灾款物","tables":[],"as_of_seq":1}}`}, wantErr: "rule not_in_catalogue"},
		// Q3 runs from 2025-07-01 to 2025-09-30: it is drafted once it is
		// over, from 2025-10-01, so that nothing published early counts as
		// disclosed on time.
		{name: "period not begun", item: "finance-2025-Q3",
			when: cmd{"2025-06-30", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}, wantErr: "rule period_not_ended"},
		{name: "period begun that day", item: "finance-2025-Q3",
			when: cmd{"2025-07-01", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}, wantErr: "rule period_not_ended"},
		{name: "period's last day", item: "finance-2025-Q3",
			when: cmd{"2025-09-30", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}, wantErr: "rule period_not_ended"},
		{name: "the day after the period", item: "finance-2025-Q3",
			when: cmd{"2025-10-01", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`},
			want: []domain.Event{&domain.DisclosureDrafted{Version: 1, Content: content, DraftedBy: clerk}}},
		{name: "month not over", item: "finance-2025-08",
			when: cmd{"2025-08-31", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}, wantErr: "rule period_not_ended"},
		// A budget is adopted before its year and due 15 days after its
		// adoption (see TestObligations: the 2026 budget adopted
		// 2025-12-20 is due 2026-01-04): it is disclosed before its year.
		{name: "budget drafted before its year", item: "budget-2026",
			when: cmd{"2025-12-21", clerk, domain.CmdDraftDisclosure, `{"content":{"title":"2026年度预算公开","tables":[],"as_of_seq":1}}`},
			want: []domain.Event{&domain.DisclosureDrafted{Version: 1, Content: domain.DisclosureContent{Title: "2026年度预算公开", Tables: []domain.DisclosureTable{}, AsOfSeq: 1}, DraftedBy: clerk}}},
		{name: "budget execution year not begun", item: "budget_execution-2026",
			when: cmd{"2025-12-31", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}, wantErr: "rule period_not_ended"},
		{name: "draft dated in the future", when: cmd{"2026-07-01", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`},
			wantErr: "rule date_in_future"},
		{name: "not an item", item: "finance-2025-Q5", when: draftQ1, wantErr: "invalid aggregate_id"},
		{name: "unregistered community", nocomm: true, when: draftQ1, wantErr: "not found community " + communityID},
		{name: "approve in an unregistered community", nocomm: true, when: approveQ1, wantErr: "not found community " + communityID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events := comm
			if tc.community != nil {
				events = tc.community
			}
			item := tc.item
			if item == "" {
				item = q1Item
			}
			l := newDisclosureLog(t, item, events)
			l.do(tc.given...)
			if tc.nocomm {
				l.comm = nil
			}
			before := domain.CloneState(l.state)
			got, err := l.decide(tc.when)
			if d := diff(tc.want, got); d != "" || errSummary(err) != tc.wantErr {
				t.Errorf("Decide(%s %s) = %s, %q; want %s, %q%s", tc.when.typ, tc.when.data, show(got), errSummary(err), show(tc.want), tc.wantErr, d)
			}
			if err != nil && got != nil {
				t.Errorf("Decide(%s) returned events %s with error %v", tc.when.typ, show(got), err)
			}
			checkErrorTexts(t, err)
			if d := diff(before, l.state); d != "" {
				t.Errorf("Decide(%s) changed the disclosure:%s", tc.when.typ, d)
			}
		})
	}
}

// TestDisclosureCorrection follows an item through publication and a
// correction: both versions stay readable, the first superseded by the
// second.
func TestDisclosureCorrection(t *testing.T) {
	l := newDisclosureLog(t, q1Item, withCatalogue())
	l.do(draftQ1, approveQ1, publishQ1)
	d := l.disclosure()
	if p := d.Published(); p == nil || p.Version != 1 {
		t.Fatalf("after publishing version 1: Published() = %+v, want version 1", p)
	}
	l.do(correctQ1)
	// While the correction awaits review, version 1 stays in force.
	d = l.disclosure()
	if p := d.Published(); p == nil || p.Version != 1 || p.SupersededBy != 0 {
		t.Errorf("while version 2 is a draft: Published() = %+v, want version 1, not superseded", p)
	}
	if v := d.Latest(); v == nil || v.Version != 2 || v.Status != domain.StatusDrafted {
		t.Errorf("while version 2 is a draft: Latest() = %+v, want version 2 drafted", v)
	}
	l.do(approveQ1v2, publishQ1v2)

	date := func(s string) domain.Date { return mustDate(t, s) }
	want := &domain.Disclosure{Item: q1Item, Versions: []domain.DisclosureVersion{
		{Version: 1, Content: content, DraftedBy: clerk, DraftedOn: date("2025-04-02"), Status: domain.StatusPublished,
			ReviewedBy: supervisor, ReviewedOn: date("2025-04-05"), Opinion: "同意公开",
			Channels: []string{"公开栏", "网上"}, PostedOn: date("2025-04-06"), PostingDays: 10, SupersededBy: 2},
		{Version: 2, Content: content, Reason: "办公费金额有误", DraftedBy: clerk, DraftedOn: date("2025-05-10"), Status: domain.StatusPublished,
			ReviewedBy: supervisor, ReviewedOn: date("2025-05-11"),
			Channels: []string{"公开栏"}, PostedOn: date("2025-05-12"), PostingDays: 15},
	}}
	d = l.disclosure()
	if df := diff(want, d); df != "" {
		t.Errorf("after the correction:%s", df)
	}
	if p := d.Published(); p == nil || p.Version != 2 {
		t.Errorf("Published() = %+v, want version 2", p)
	}
	if got := d.FirstPublished(); got != date("2025-04-06") {
		t.Errorf("FirstPublished() = %v, want 2025-04-06", got)
	}
	// A third version supersedes the second; the first keeps pointing at
	// the second.
	l.do(cmd{"2025-06-01", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `,"reason":"补充说明"}`},
		cmd{"2025-06-02", supervisor, domain.CmdApproveDisclosure, `{"version":3}`},
		cmd{"2025-06-03", clerk, domain.CmdPublishDisclosure, `{"version":3,"channels":["网上"]}`})
	d = l.disclosure()
	if got := []int{d.Versions[0].SupersededBy, d.Versions[1].SupersededBy, d.Versions[2].SupersededBy}; !reflect.DeepEqual(got, []int{2, 3, 0}) {
		t.Errorf("SupersededBy of versions 1..3 = %v, want [2 3 0]", got)
	}
}

// TestDisclosureReplaced: a draft awaiting review or publication is
// replaced by a new draft; a returned one stays returned.
func TestDisclosureReplaced(t *testing.T) {
	redraft := func(date string) cmd {
		return cmd{date, clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`}
	}
	l := newDisclosureLog(t, q1Item, withCatalogue())
	l.do(draftQ1, redraft("2025-04-03"), // 1 replaced while awaiting review
		cmd{"2025-04-04", supervisor, domain.CmdApproveDisclosure, `{"version":2}`}, redraft("2025-04-05"), // 2 replaced once approved
		cmd{"2025-04-06", supervisor, domain.CmdReturnDisclosure, `{"version":3,"opinion":"缺少凭证号"}`}, redraft("2025-04-07")) // 3 stays returned
	d := l.disclosure()
	var got []domain.DisclosureStatus
	for _, v := range d.Versions {
		got = append(got, v.Status)
	}
	want := []domain.DisclosureStatus{domain.StatusReplaced, domain.StatusReplaced, domain.StatusReturned, domain.StatusDrafted}
	if df := diff(want, got); df != "" {
		t.Errorf("statuses of versions 1..4:%s", df)
	}
	// The replaced approval stays readable with its review.
	if v := d.Versions[1]; v.ReviewedBy != supervisor || v.ReviewedOn != mustDate(t, "2025-04-04") {
		t.Errorf("version 2 = %+v, want its review by %s on 2025-04-04 kept", v, supervisor)
	}
	if d.Published() != nil || !d.FirstPublished().IsZero() {
		t.Errorf("Published() = %+v, FirstPublished() = %v; want nothing published", d.Published(), d.FirstPublished())
	}
	for _, s := range want {
		if !hasHan(domain.DisclosureStatusZH(s)) {
			t.Errorf("DisclosureStatusZH(%q) = %q, want a Chinese text", s, domain.DisclosureStatusZH(s))
		}
	}
}

func TestParseDisclosureItem(t *testing.T) {
	d := func(y, m, day int) domain.Date { return domain.Date{Year: y, Month: time.Month(m), Day: day} }
	tests := []struct {
		id       string
		want     domain.DisclosureItem
		from, to domain.Date
		months   []string
		title    string
	}{
		{"finance-2025-Q1", domain.DisclosureItem{ID: "finance-2025-Q1", Kind: domain.DisclosureFinance, Year: 2025, Quarter: 1},
			d(2025, 1, 1), d(2025, 3, 31), []string{"2025-01", "2025-02", "2025-03"}, "2025年第1季度财务收支公开"},
		{"finance-2025-Q2", domain.DisclosureItem{ID: "finance-2025-Q2", Kind: domain.DisclosureFinance, Year: 2025, Quarter: 2},
			d(2025, 4, 1), d(2025, 6, 30), []string{"2025-04", "2025-05", "2025-06"}, "2025年第2季度财务收支公开"},
		{"finance-2025-Q4", domain.DisclosureItem{ID: "finance-2025-Q4", Kind: domain.DisclosureFinance, Year: 2025, Quarter: 4},
			d(2025, 10, 1), d(2025, 12, 31), []string{"2025-10", "2025-11", "2025-12"}, "2025年第4季度财务收支公开"},
		// 2024 is a leap year, 2025 is not.
		{"finance-2024-02", domain.DisclosureItem{ID: "finance-2024-02", Kind: domain.DisclosureFinance, Year: 2024, Month: 2},
			d(2024, 2, 1), d(2024, 2, 29), []string{"2024-02"}, "2024年2月财务收支公开"},
		{"finance-2025-02", domain.DisclosureItem{ID: "finance-2025-02", Kind: domain.DisclosureFinance, Year: 2025, Month: 2},
			d(2025, 2, 1), d(2025, 2, 28), []string{"2025-02"}, "2025年2月财务收支公开"},
		{"finance-2025-12", domain.DisclosureItem{ID: "finance-2025-12", Kind: domain.DisclosureFinance, Year: 2025, Month: 12},
			d(2025, 12, 1), d(2025, 12, 31), []string{"2025-12"}, "2025年12月财务收支公开"},
		{"budget-2025", domain.DisclosureItem{ID: "budget-2025", Kind: domain.DisclosureBudget, Year: 2025},
			d(2025, 1, 1), d(2025, 12, 31), nil, "2025年度预算公开"},
		{"budget_execution-2025", domain.DisclosureItem{ID: "budget_execution-2025", Kind: domain.DisclosureExecution, Year: 2025},
			d(2025, 1, 1), d(2025, 12, 31), nil, "2025年度预算执行情况公开"},
		{"special-relief_2025", domain.DisclosureItem{ID: "special-relief_2025", Kind: domain.DisclosureSpecial, Special: "relief_2025"},
			domain.Date{}, domain.Date{}, nil, "专项公开：relief_2025"},
		{"special-" + strings.Repeat("a", 50), domain.DisclosureItem{ID: "special-" + strings.Repeat("a", 50), Kind: domain.DisclosureSpecial, Special: strings.Repeat("a", 50)},
			domain.Date{}, domain.Date{}, nil, "专项公开：" + strings.Repeat("a", 50)},
		{"budget-1949", domain.DisclosureItem{ID: "budget-1949", Kind: domain.DisclosureBudget, Year: 1949},
			d(1949, 1, 1), d(1949, 12, 31), nil, "1949年度预算公开"},
	}
	for _, tc := range tests {
		got, err := domain.ParseDisclosureItem(tc.id)
		if err != nil || got != tc.want {
			t.Errorf("ParseDisclosureItem(%q) = %+v, %v; want %+v, nil", tc.id, got, err, tc.want)
			continue
		}
		if from, to := got.Period(); from != tc.from || to != tc.to {
			t.Errorf("%s.Period() = %v, %v; want %v, %v", tc.id, from, to, tc.from, tc.to)
		}
		if m := got.Months(); !reflect.DeepEqual(m, tc.months) {
			t.Errorf("%s.Months() = %q, want %q", tc.id, m, tc.months)
		}
		if title := got.TitleZH(); title != tc.title {
			t.Errorf("%s.TitleZH() = %q, want %q", tc.id, title, tc.title)
		}
	}

	for _, id := range []string{
		"", "finance", "finance-2025", "finance-2025-Q0", "finance-2025-Q5", "finance-2025-q1", "Finance-2025-Q1",
		"finance-2025-00", "finance-2025-13", "finance-2025-1", "finance-25-Q1", "finance-2025-Q1-x", " finance-2025-Q1",
		"budget-25", "budget-2025-01", "budgets-2025", "budget_execution-2025-Q1", "execution-2025",
		"special-", "special-a.b", "special-救灾", "special-" + strings.Repeat("a", 51), "other-2025",
		// Years out of range.
		"budget-1948", "finance-1900-Q1", "budget-0000", "finance-0000-01", "budget_execution-0000",
	} {
		got, err := domain.ParseDisclosureItem(id)
		if errSummary(err) != "invalid aggregate_id" {
			t.Errorf("ParseDisclosureItem(%q) = %+v, %q; want an error on aggregate_id", id, got, errSummary(err))
		}
		checkErrorTexts(t, err)
	}
}

func TestFinanceItemID(t *testing.T) {
	tests := []struct {
		year, quarter, month int
		want                 string
	}{
		{2025, 1, 0, "finance-2025-Q1"},
		{2025, 4, 0, "finance-2025-Q4"},
		{2025, 0, 1, "finance-2025-01"},
		{2025, 0, 12, "finance-2025-12"},
		{2025, 3, 7, "finance-2025-07"}, // a month wins over the quarter
	}
	for _, tc := range tests {
		if got := domain.FinanceItemID(tc.year, tc.quarter, tc.month); got != tc.want {
			t.Errorf("FinanceItemID(%d, %d, %d) = %q, want %q", tc.year, tc.quarter, tc.month, got, tc.want)
		}
	}
}

func TestDisclosureCommandValidation(t *testing.T) {
	table := func(cols, rows string) string {
		return `{"content":{"title":"公开","tables":[{"caption":"表","columns":` + cols + `,"rows":` + rows + `}],"as_of_seq":1}}`
	}
	// 5001 one-cell rows, one over MaxDisclosureRows, and exactly 5000.
	manyRows := func(n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat(`["1"],`, n), ",") + "]"
	}
	tests := []struct {
		name, typ, data, wantErr string
	}{
		{"draft", domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`, ""},
		{"draft, no tables", domain.CmdDraftDisclosure, `{"content":{"title":"公开","tables":[],"as_of_seq":0}}`, ""},
		{"draft, empty cells", domain.CmdDraftDisclosure, table(`["a","b"]`, `[["",""]]`), ""},
		{"draft, 5000 rows", domain.CmdDraftDisclosure, table(`["a"]`, manyRows(5000)), ""},
		// The note is multi-line text: it may quote "<", and is escaped
		// wherever it is shown.
		{"draft, markup quoted in the note", domain.CmdDraftDisclosure, `{"content":{"title":"公开","tables":[],"note":"第一行\n<script>引用</script>","as_of_seq":0}}`, ""},

		{"title missing", domain.CmdDraftDisclosure, `{"content":{"tables":[],"as_of_seq":0}}`, "invalid data.content.title"},
		{"title too long", domain.CmdDraftDisclosure, `{"content":{"title":"` + strings.Repeat("公", 101) + `","tables":[]}}`, "invalid data.content.title"},
		{"script in the title", domain.CmdDraftDisclosure, `{"content":{"title":"<script>alert(1)</script>","tables":[]}}`, "invalid data.content.title"},
		{"new line in the title", domain.CmdDraftDisclosure, `{"content":{"title":"第一行\n第二行","tables":[]}}`, "invalid data.content.title"},
		{"script in a caption", domain.CmdDraftDisclosure, `{"content":{"title":"公开","tables":[{"caption":"<b>表</b>","columns":[],"rows":[]}]}}`, "invalid data.content.tables[0].caption"},
		{"script in a column", domain.CmdDraftDisclosure, table(`["a","<script>"]`, `[]`), "invalid data.content.tables[0].columns"},
		{"empty column", domain.CmdDraftDisclosure, table(`[""]`, `[]`), "invalid data.content.tables[0].columns"},
		{"script in a cell", domain.CmdDraftDisclosure, table(`["a"]`, `[["<img src=x onerror=alert(1)>"]]`), "invalid data.content.tables[0].rows"},
		{"cell too long", domain.CmdDraftDisclosure, table(`["a"]`, `[["`+strings.Repeat("x", 201)+`"]]`), "invalid data.content.tables[0].rows"},
		{"script in a total's label", domain.CmdDraftDisclosure, `{"content":{"title":"公开","tables":[],"totals":[{"label":"<i>合计</i>","amount":"1.00"}]}}`, "invalid data.content.totals.label"},
		{"control character in the note", domain.CmdDraftDisclosure, `{"content":{"title":"公开","tables":[],"note":"a\u0007b"}}`, "invalid data.content.note"},
		{"row with too few cells", domain.CmdDraftDisclosure, table(`["a","b"]`, `[["1","2"],["1"]]`), "invalid data.content.tables[0].rows"},
		{"row with too many cells", domain.CmdDraftDisclosure, table(`["a","b"]`, `[["1","2","3"]]`), "invalid data.content.tables[0].rows"},
		{"rows of the second table", domain.CmdDraftDisclosure,
			`{"content":{"title":"公开","tables":[{"caption":"","columns":["a"],"rows":[["1"]]},{"caption":"","columns":["a"],"rows":[[]]}]}}`, "invalid data.content.tables[1].rows"},
		{"5001 rows", domain.CmdDraftDisclosure, table(`["a"]`, manyRows(5001)), "invalid data.content.tables"},
		{"5001 rows over two tables", domain.CmdDraftDisclosure,
			`{"content":{"title":"公开","tables":[{"caption":"","columns":["a"],"rows":` + manyRows(2501) + `},{"caption":"","columns":["a"],"rows":` + manyRows(2500) + `}]}}`, "invalid data.content.tables"},
		{"reason too long", domain.CmdDraftDisclosure, `{"content":{"title":"公开","tables":[]},"reason":"` + strings.Repeat("因", 501) + `"}`, "invalid data.reason"},
		{"unknown field", domain.CmdDraftDisclosure, `{"content":{"title":"公开","tables":[]},"status":"published"}`, "invalid data.status"},

		{"approve", domain.CmdApproveDisclosure, `{"version":1}`, ""},
		{"approve version 0", domain.CmdApproveDisclosure, `{"version":0}`, "invalid data.version"},
		{"approve without a version", domain.CmdApproveDisclosure, `{}`, "invalid data.version"},
		{"return", domain.CmdReturnDisclosure, `{"version":1,"opinion":"重做"}`, ""},
		{"return without an opinion", domain.CmdReturnDisclosure, `{"version":1}`, "invalid data.opinion"},
		{"return with a negative version and no opinion", domain.CmdReturnDisclosure, `{"version":-1,"opinion":""}`, "invalid data.version data.opinion"},

		{"publish", domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏","网上","会议"]}`, ""},
		{"publish, 366 days", domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏"],"posting_days":366}`, ""},
		{"publish, no channels", domain.CmdPublishDisclosure, `{"version":1,"channels":[]}`, "invalid data.channels"},
		{"publish, channels missing", domain.CmdPublishDisclosure, `{"version":1}`, "invalid data.channels"},
		{"publish, an empty channel", domain.CmdPublishDisclosure, `{"version":1,"channels":[""]}`, "invalid data.channels"},
		{"publish, script in a channel", domain.CmdPublishDisclosure, `{"version":1,"channels":["<script>"]}`, "invalid data.channels"},
		{"publish, channel too long", domain.CmdPublishDisclosure, `{"version":1,"channels":["` + strings.Repeat("栏", 51) + `"]}`, "invalid data.channels"},
		{"publish, negative posting days", domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏"],"posting_days":-1}`, "invalid data.posting_days"},
		{"publish, 367 days", domain.CmdPublishDisclosure, `{"version":1,"channels":["公开栏"],"posting_days":367}`, "invalid data.posting_days"},
		{"publish, version 0", domain.CmdPublishDisclosure, `{"version":0,"channels":["公开栏"]}`, "invalid data.version"},
	}
	for _, tc := range tests {
		_, err := domain.DecodeCommand(tc.typ, []byte(tc.data))
		if got := errSummary(err); got != tc.wantErr {
			data := tc.data
			if len(data) > 200 {
				data = data[:200] + "…"
			}
			t.Errorf("%s: DecodeCommand(%q, %s) error = %q, want %q", tc.name, tc.typ, data, got, tc.wantErr)
		}
		checkErrorTexts(t, err)
	}
}

// TestDisclosureEventsRoundTrip stores every event of disclosures and
// questions, every field set, and reads it back, through DecodeEvent and
// through the strict decoder (no field written that a reader does not
// know).
func TestDisclosureEventsRoundTrip(t *testing.T) {
	events := []domain.Event{
		&domain.DisclosureDrafted{Version: 2, Content: content, Reason: "更正", DraftedBy: clerk},
		&domain.DisclosureApproved{Version: 2, Opinion: "同意", ReviewedBy: supervisor},
		&domain.DisclosureReturned{Version: 2, Opinion: "退回", ReviewedBy: supervisor},
		&domain.DisclosurePublished{Version: 2, Channels: []string{"公开栏", "网上"}, PostingDays: 10},
		&domain.QuestionAsked{About: "disclosure/finance-2025-Q1", Text: "办公费为何增加？\n请说明。", ContactRef: strings.Repeat("0a", 16), Due: mustDate(t, "2025-06-20")},
		&domain.QuestionAnswered{Text: "因购置打印机。", AnsweredBy: clerk},
	}
	types := []string{"disclosure.drafted", "disclosure.approved", "disclosure.returned", "disclosure.published", "question.asked", "question.answered"}
	for i, e := range events {
		if e.EventType() != types[i] {
			t.Errorf("%T.EventType() = %q, want %q", e, e.EventType(), types[i])
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("json.Marshal(%T): %v", e, err)
		}
		got, err := domain.DecodeEvent(e.EventType(), domain.SchemaVersion, b)
		if err != nil || diff(e, got) != "" {
			t.Errorf("DecodeEvent(%s, %s) = %s, %v; want %s", e.EventType(), b, show(got), err, show(e))
		}
		strict := reflect.New(reflect.TypeOf(e).Elem()).Interface()
		if err := domain.DecodeJSON(b, strict); err != nil || diff(e, strict) != "" {
			t.Errorf("DecodeJSON(%s) into %T = %s, %v; want %s", b, e, show(strict), err, show(e))
		}
	}
	// The stored shapes: a change here breaks every stored log.
	wire := []struct {
		e    domain.Event
		want string
	}{
		{events[3], `{"version":2,"channels":["公开栏","网上"],"posting_days":10}`},
		{&domain.DisclosureDrafted{Version: 1, Content: domain.DisclosureContent{Title: "公开", Tables: []domain.DisclosureTable{}}},
			`{"version":1,"content":{"title":"公开","tables":[],"as_of_seq":0}}`},
		{&domain.DisclosureApproved{Version: 1}, `{"version":1}`},
		{&domain.QuestionAsked{About: "matter/m1", Text: "问", Due: mustDate(t, "2025-06-20")}, `{"about":"matter/m1","text":"问","due":"2025-06-20"}`},
		{&domain.QuestionAnswered{Text: "答"}, `{"text":"答"}`},
	}
	for _, tc := range wire {
		b, err := json.Marshal(tc.e)
		if string(b) != tc.want || err != nil {
			t.Errorf("json.Marshal(%T) = %s, %v; want %s, nil", tc.e, b, err, tc.want)
		}
	}
	for _, bad := range []struct{ typ, data string }{
		{domain.EvDisclosurePublished, `{"version":"1","channels":[]}`},
		{domain.EvDisclosureDrafted, `{"version":1,"content":{"totals":[{"label":"x","amount":1.5}]}}`},
		{domain.EvQuestionAsked, `{"about":"matter/m1","text":"问","due":"2025-02-30"}`},
	} {
		if got, err := domain.DecodeEvent(bad.typ, domain.SchemaVersion, []byte(bad.data)); err == nil || got != nil {
			t.Errorf("DecodeEvent(%s, %s) = %s, %v; want nil and an error", bad.typ, bad.data, show(got), err)
		}
	}
}

// TestDisclosureClone: Clone is a deep copy, down to the cells of the
// content's tables and its totals, so that a copy handed to a reader
// cannot change the state it was taken from.
func TestDisclosureClone(t *testing.T) {
	l := newDisclosureLog(t, q1Item, withCatalogue())
	l.do(draftQ1, approveQ1, publishQ1)
	orig := l.disclosure()
	c := orig.Clone()
	c.Versions[0].Content.Tables[0].Rows[0][0] = "改"
	c.Versions[0].Content.Tables[0].Columns[0] = "改"
	c.Versions[0].Content.Tables[0].Rows = append(c.Versions[0].Content.Tables[0].Rows[:1], []string{"多"})
	c.Versions[0].Content.Totals[0].Amount = 1
	c.Versions[0].Channels[0] = "改"
	c.Versions[0].Status = domain.StatusReplaced
	if got := orig.Versions[0].Content.Tables[0].Rows; !reflect.DeepEqual(got, [][]string{{"办公费", "1260.00"}, {"租金收入", "3500.00"}}) {
		t.Errorf("changing a clone's rows changed the original's to %q", got)
	}
	if got := orig.Versions[0].Content.Tables[0].Columns[0]; got != "科目" {
		t.Errorf("changing a clone's column changed the original's to %q", got)
	}
	if got := orig.Versions[0].Content.Totals[0].Amount; got != 3500_00 {
		t.Errorf("changing a clone's total changed the original's to %v", got)
	}
	if got := orig.Versions[0].Channels[0]; got != "公开栏" {
		t.Errorf("changing a clone's channel changed the original's to %q", got)
	}
	if orig.Versions[0].Status != domain.StatusPublished {
		t.Errorf("changing a clone's status changed the original's to %q", orig.Versions[0].Status)
	}
	var none *domain.Disclosure
	if none.Clone() != nil {
		t.Errorf("(*Disclosure)(nil).Clone() != nil")
	}
}
