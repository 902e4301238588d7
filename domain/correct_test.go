package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

// mResolveNoQuorum is the vote of issue 9: 12 of 15 were present, but 9
// was typed, so the resolution was recorded as failed for lack of quorum.
var mResolveNoQuorum = at{"2025-03-20", &domain.MatterResolved{Decision: decided(votesNoQuorum, "同意修缮")}}

func TestCorrectDecide(t *testing.T) {
	comm := []domain.Event{registered, secretaryWang, directorLi}
	noQuorum := plus(history(domain.StageReviewed), mResolveNoQuorum)
	failedResolution := plus(history(domain.StageReviewed), mResolveFail)
	// zj-2025 counts the majority of all members expected, from 21 March.
	zj := majorityOfExpected()
	zj.ID, zj.EffectiveFrom = "zj-2025", mustDate(t, "2025-03-21")
	withZJ := append(comm[:len(comm):len(comm)], &domain.RuleSetAdopted{RuleSet: zj})
	// 7 for of 12 present (15 expected): passed under the national rule
	// set, failed under zj-2025.
	votes7 := domain.Votes{Expected: 15, Present: 12, For: 7, Against: 5}
	national7 := domain.Decision{Votes: votes7, Quorate: true, Passed: true, RuleSet: "cn-national-2018"}
	zj7 := domain.Decision{Votes: votes7, Quorate: true, Passed: false, RuleSet: "zj-2025"}

	date := func(s string) domain.Date { return mustDate(t, s) }
	dec := func(d domain.Decision) *domain.Decision { return &d }

	tests := []decideCase{
		// Votes: the outcome is decided again on the corrected figures.
		{name: "quorum failure corrected into a pass", community: comm, matter: noQuorum,
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"实到人数误录为9人，会议签到表为12人","votes":` + votesPassJSON + `}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageResolved, Reason: "实到人数误录为9人，会议签到表为12人",
				Original:  domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(votesNoQuorum, "同意修缮"))},
				Corrected: domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(votesPass, "同意修缮"))}}}},
		{name: "pass corrected into a failure before anything followed", community: comm, matter: history(domain.StageResolved),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"赞成票误录","votes":` + votesFailJSON + `}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageResolved, Reason: "赞成票误录",
				Original:  domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(votesPass, "同意修缮"))},
				Corrected: domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(votesFail, "同意修缮"))}}}},
		{name: "pass corrected into a failure after disclosure", community: comm, matter: history(domain.StageResolutionDisclosed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"赞成票误录","votes":` + votesFailJSON + `}`,
			wantErr: "rule outcome_change_after_later_stage"},
		{name: "pass corrected into a failure while implementing", community: comm, matter: history(domain.StageImplementing),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"实到人数误录","votes":` + votesNoQuorumJSON + `}`,
			wantErr: "rule outcome_change_after_later_stage"},
		{name: "failure corrected into a pass after the failure was disclosed", community: comm, matter: plus(noQuorum, mDisclosed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"实到人数误录","votes":` + votesPassJSON + `}`,
			wantErr: "rule outcome_change_after_later_stage"},
		{name: "failure corrected into a pass after withdrawal", community: comm, matter: plus(noQuorum, at{"2025-03-25", &domain.MatterWithdrawn{Reason: "未通过"}}),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"实到人数误录","votes":` + votesPassJSON + `}`,
			wantErr: "rule outcome_change_after_later_stage"},
		{name: "votes corrected after disclosure, the outcome unchanged", community: comm, matter: history(domain.StageResolutionDisclosed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"弃权票误录","votes":{"expected":15,"present":12,"for":10,"against":2}}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageResolved, Reason: "弃权票误录",
				Original:  domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(votesPass, "同意修缮"))},
				Corrected: domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(domain.Votes{Expected: 15, Present: 12, For: 10, Against: 2}, "同意修缮"))}}}},
		{name: "text corrected while implementing", community: comm, matter: history(domain.StageImplementing),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"错别字","text":"同意修缮村东道路"}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageResolved, Reason: "错别字",
				Original:  domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(votesPass, "同意修缮"))},
				Corrected: domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(votesPass, "同意修缮村东道路"))}}}},
		{name: "review failure corrected into a pass", community: comm, matter: plus(history(domain.StageConsulted), mReviewFailed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"reviewed","reason":"赞成票误录","votes":` + votesPassJSON + `}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageReviewed, Reason: "赞成票误录",
				Original:  domain.StageContent{Date: date("2025-03-15"), Decision: dec(decided(votesFail, ""))},
				Corrected: domain.StageContent{Date: date("2025-03-15"), Decision: dec(decided(votesPass, ""))}}}},
		{name: "review pass corrected into a failure after the resolution", community: comm, matter: history(domain.StageResolved),
			typ: domain.CmdCorrectMatter, data: `{"stage":"reviewed","reason":"赞成票误录","votes":` + votesFailJSON + `}`,
			wantErr: "rule outcome_change_after_later_stage"},
		{name: "the same votes again", community: comm, matter: history(domain.StageResolved),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"核对","votes":` + votesPassJSON + `,"text":"同意修缮"}`,
			wantErr: "rule correction_changes_nothing"},

		// Dates.
		{name: "meeting date corrected", community: comm, matter: history(domain.StageResolved),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"会议日期误录","corrected_date":"2025-03-18"}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageResolved, Reason: "会议日期误录",
				Original:  domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(votesPass, "同意修缮"))},
				Corrected: domain.StageContent{Date: date("2025-03-18"), Decision: dec(decided(votesPass, "同意修缮"))}}}},
		{name: "meeting date corrected into another rule set's time", community: withZJ,
			matter: plus(history(domain.StageReviewed), at{"2025-03-20", &domain.MatterResolved{Decision: national7}}),
			typ:    domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"会议日期误录","corrected_date":"2025-03-21"}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageResolved, Reason: "会议日期误录",
				Original:  domain.StageContent{Date: date("2025-03-20"), Decision: &national7},
				Corrected: domain.StageContent{Date: date("2025-03-21"), Decision: &zj7}}}},
		{name: "meeting date corrected to before the review", community: comm, matter: history(domain.StageResolved),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"会议日期误录","corrected_date":"2025-03-14"}`,
			wantErr: "rule corrected_date_out_of_order"},
		{name: "meeting date corrected to after the disclosure", community: comm, matter: history(domain.StageResolutionDisclosed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"会议日期误录","corrected_date":"2025-03-26"}`,
			wantErr: "rule corrected_date_out_of_order"},
		{name: "meeting date corrected to the day of the disclosure", community: comm, matter: history(domain.StageResolutionDisclosed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"会议日期误录","corrected_date":"2025-03-25"}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageResolved, Reason: "会议日期误录",
				Original:  domain.StageContent{Date: date("2025-03-20"), Decision: dec(decided(votesPass, "同意修缮"))},
				Corrected: domain.StageContent{Date: date("2025-03-25"), Decision: dec(decided(votesPass, "同意修缮"))}}}},
		{name: "meeting date corrected to after the correction", community: comm, matter: history(domain.StageResolved), date: "2025-04-01",
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"会议日期误录","corrected_date":"2025-04-02"}`,
			wantErr: "rule corrected_date_out_of_order"},
		{name: "correction dated before the latest stage", community: comm, matter: history(domain.StageResolved), date: "2025-03-19",
			typ: domain.CmdCorrectMatter, data: `{"stage":"proposed","reason":"错别字","summary":"党组织提议修缮村东道路"}`,
			wantErr: "rule date_before_previous_stage"},

		// Stages without a vote.
		{name: "proposal summary", community: comm, matter: history(domain.StageResolved),
			typ: domain.CmdCorrectMatter, data: `{"stage":"proposed","reason":"错别字","summary":"党组织提议修缮村东道路"}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageProposed, Reason: "错别字",
				Original:  domain.StageContent{Date: date("2025-03-05"), Summary: "党组织提议修缮村道"},
				Corrected: domain.StageContent{Date: date("2025-03-05"), Summary: "党组织提议修缮村东道路"}}}},
		{name: "consultation date", community: comm, matter: history(domain.StageConsulted),
			typ: domain.CmdCorrectMatter, data: `{"stage":"consulted","reason":"日期误录","corrected_date":"2025-03-09"}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageConsulted, Reason: "日期误录",
				Original:  domain.StageContent{Date: date("2025-03-10"), Summary: "两委会商议同意"},
				Corrected: domain.StageContent{Date: date("2025-03-09"), Summary: "两委会商议同意"}}}},
		{name: "disclosure channels", community: comm, matter: history(domain.StageResolutionDisclosed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolution_disclosed","reason":"漏记微信群","channels":["公开栏","微信群"]}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageResolutionDisclosed, Reason: "漏记微信群",
				Original:  domain.StageContent{Date: date("2025-03-25"), Channels: []string{"公开栏"}},
				Corrected: domain.StageContent{Date: date("2025-03-25"), Channels: []string{"公开栏", "微信群"}}}}},
		{name: "implementation report", community: comm, matter: plus(history(domain.StageImplementing), at{"2025-04-20", &domain.ImplementationReported{Summary: "过半"}}),
			typ: domain.CmdCorrectMatter, data: `{"stage":"implementing","report":1,"reason":"日期误录","corrected_date":"2025-04-03","summary":"已开工（4月3日）"}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageImplementing, Report: 1, Reason: "日期误录",
				Original:  domain.StageContent{Date: date("2025-04-01"), Summary: "已开工"},
				Corrected: domain.StageContent{Date: date("2025-04-03"), Summary: "已开工（4月3日）"}}}},
		{name: "implementation report dated after the next report", community: comm, matter: plus(history(domain.StageImplementing), at{"2025-04-20", &domain.ImplementationReported{Summary: "过半"}}),
			typ: domain.CmdCorrectMatter, data: `{"stage":"implementing","report":1,"reason":"日期误录","corrected_date":"2025-04-21"}`,
			wantErr: "rule corrected_date_out_of_order"},
		{name: "result disclosure", community: comm, matter: history(domain.StageResultDisclosed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"result_disclosed","reason":"金额误录","summary":"已完工，决算11800元"}`,
			want: []domain.Event{&domain.StageCorrected{Stage: domain.StageResultDisclosed, Reason: "金额误录",
				Original:  domain.StageContent{Date: date("2025-05-01"), Channels: []string{"公开栏"}, Summary: "已完工"},
				Corrected: domain.StageContent{Date: date("2025-05-01"), Channels: []string{"公开栏"}, Summary: "已完工，决算11800元"}}}},

		// Only a recorded stage can be corrected.
		{name: "resolution never recorded", community: comm, matter: history(domain.StageReviewed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolved","reason":"实到人数误录","votes":` + votesPassJSON + `}`,
			wantErr: "rule stage_not_recorded"},
		{name: "disclosure never recorded", community: comm, matter: history(domain.StageResolved),
			typ: domain.CmdCorrectMatter, data: `{"stage":"resolution_disclosed","reason":"漏记","channels":["公开栏"]}`,
			wantErr: "rule stage_not_recorded"},
		{name: "implementation report never recorded", community: comm, matter: history(domain.StageImplementing),
			typ: domain.CmdCorrectMatter, data: `{"stage":"implementing","report":2,"reason":"错别字","summary":"完工"}`,
			wantErr: "rule stage_not_recorded"},
		{name: "no implementation at all", community: comm, matter: history(domain.StageResolutionDisclosed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"implementing","report":1,"reason":"错别字","summary":"完工"}`,
			wantErr: "rule stage_not_recorded"},
		{name: "matter that does not exist", community: comm,
			typ: domain.CmdCorrectMatter, data: `{"stage":"proposed","reason":"错别字","summary":"提议"}`,
			wantErr: "not found matter " + matterID},
		{name: "unregistered community", matter: history(domain.StageProposed),
			typ: domain.CmdCorrectMatter, data: `{"stage":"proposed","reason":"错别字","summary":"提议"}`,
			wantErr: "not found community " + communityID},
		{name: "the disclosure of an earlier, failed vote", community: comm,
			matter: plus(failedResolution, mDisclosed, at{"2025-04-10", mResolved.event}),
			typ:    domain.CmdCorrectMatter, data: `{"stage":"resolution_disclosed","reason":"漏记","channels":["公开栏","微信群"]}`,
			wantErr: "rule stage_not_recorded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runDecide(t, tc) })
	}
}

// decide decodes a command, decides it on m (dated date) and folds its
// events into m, failing the test on any error.
func decide(t *testing.T, comm *domain.Community, m *domain.Matter, typ, data, date string) *domain.Matter {
	t.Helper()
	cmd, err := domain.DecodeCommand(typ, []byte(data))
	if err != nil {
		t.Fatalf("DecodeCommand(%s, %s): %v", typ, data, err)
	}
	d := mustDate(t, date)
	evs, err := cmd.Decide(domain.Env{Today: mustDate(t, today), Date: d, CommunityID: communityID,
		Community: comm, AggregateID: matterID, Matter: m})
	if err != nil {
		t.Fatalf("Decide(%s %s) on %s: %v", typ, data, date, err)
	}
	m = m.Clone()
	for _, e := range evs {
		m.Apply(e, d)
	}
	return m
}

// TestCorrectQuorum is issue 9: a resolution recorded as failed for lack
// of quorum (9 of 15 typed for 12 of 15) is corrected, passes, and goes on
// to disclosure and implementation.
func TestCorrectQuorum(t *testing.T) {
	comm := community(t, registered, secretaryWang, directorLi)
	m := matter(t, matterID, plus(history(domain.StageReviewed), mResolveNoQuorum)...)
	if m.Passed() {
		t.Fatalf("before the correction: Passed() = true, want false")
	}
	reason := "实到人数误录为9人，会议签到表为12人"
	m = decide(t, comm, m, domain.CmdCorrectMatter, `{"stage":"resolved","reason":"`+reason+`","votes":`+votesPassJSON+`}`, "2025-03-22")

	if !m.Passed() || m.Stage != domain.StageResolved {
		t.Errorf("after the correction: Passed() = %v, Stage = %q; want true, resolved", m.Passed(), m.Stage)
	}
	if d := diff(decided(votesPass, "同意修缮"), *m.Resolution); d != "" {
		t.Errorf("after the correction: Resolution:%s", d)
	}
	want := []domain.Correction{{Date: mustDate(t, "2025-03-22"), Stage: domain.StageResolved, Reason: reason,
		Original:  domain.StageContent{Date: mustDate(t, "2025-03-20"), Decision: &domain.Decision{Votes: votesNoQuorum, RuleSet: "cn-national-2018", Text: "同意修缮"}},
		Corrected: domain.StageContent{Date: mustDate(t, "2025-03-20"), Decision: &domain.Decision{Votes: votesPass, Quorate: true, Passed: true, RuleSet: "cn-national-2018", Text: "同意修缮"}}}}
	if d := diff(want, m.Corrections); d != "" {
		t.Errorf("Corrections:%s", d)
	}
	if got, want := m.Dates.Get(domain.StageResolved), mustDate(t, "2025-03-20"); got != want {
		t.Errorf("Dates[resolved] = %v, want %v (the meeting's date, not the correction's)", got, want)
	}
	if m.LastDate != mustDate(t, "2025-03-22") {
		t.Errorf("LastDate = %v, want the correction's date 2025-03-22", m.LastDate)
	}

	m = decide(t, comm, m, domain.CmdDiscloseResolution, `{"channels":["公开栏"]}`, "2025-03-25")
	m = decide(t, comm, m, domain.CmdReportImplementation, `{"summary":"已开工"}`, "2025-04-01")
	if m.Stage != domain.StageImplementing {
		t.Errorf("after disclosure and a report: Stage = %q, want implementing", m.Stage)
	}
}

// TestCorrectRefusedChangesNothing: a correction without a reason is
// refused when it is decoded, and a refused correction records nothing.
func TestCorrectRefusedChangesNothing(t *testing.T) {
	_, err := domain.DecodeCommand(domain.CmdCorrectMatter, []byte(`{"stage":"resolved","votes":`+votesPassJSON+`}`))
	if got := errSummary(err); got != "invalid data.reason" {
		t.Errorf("DecodeCommand(correct without reason) error = %q, want %q", got, "invalid data.reason")
	}
	checkErrorTexts(t, err)

	comm := community(t, registered, secretaryWang, directorLi)
	events := history(domain.StageResolutionDisclosed)
	m := matter(t, matterID, events...)
	cmd, err := domain.DecodeCommand(domain.CmdCorrectMatter, []byte(`{"stage":"resolved","reason":"误录","votes":`+votesFailJSON+`}`))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := cmd.Decide(domain.Env{Today: mustDate(t, today), Date: mustDate(t, "2025-04-01"), CommunityID: communityID,
		Community: comm, AggregateID: matterID, Matter: m})
	if errSummary(err) != "rule outcome_change_after_later_stage" || evs != nil {
		t.Fatalf("Decide(pass into failure after disclosure) = %s, %v; want no events, outcome_change_after_later_stage", show(evs), err)
	}
	if d := diff(matter(t, matterID, events...), m); d != "" {
		t.Errorf("a refused correction changed the matter:%s", d)
	}
}

// TestNewVote: a failed resolution goes to a new meeting; the failed vote
// is kept and the outcome follows the latest.
func TestNewVote(t *testing.T) {
	comm := community(t, registered, secretaryWang, directorLi)
	m := matter(t, matterID, plus(history(domain.StageReviewed), mResolveFail, mDisclosed)...)
	m = decide(t, comm, m, domain.CmdResolveMatter, `{"votes":`+votesPassJSON+`,"text":"第二次会议同意"}`, "2025-04-10")

	if !m.Passed() || m.Stage != domain.StageResolved {
		t.Errorf("after the new vote: Passed() = %v, Stage = %q; want true, resolved", m.Passed(), m.Stage)
	}
	wantPast := []domain.PastResolution{{Date: mustDate(t, "2025-03-20"), Decision: decided(votesFail, "")}}
	if d := diff(wantPast, m.PastResolutions); d != "" {
		t.Errorf("PastResolutions:%s", d)
	}
	if m.ResolutionDisclosure != nil {
		t.Errorf("ResolutionDisclosure = %+v, want nil: the disclosure was of the failed vote", m.ResolutionDisclosure)
	}
	if d, ok := m.Dates.Lookup(domain.StageResolutionDisclosed); ok {
		t.Errorf("Dates[resolution_disclosed] = %v, want none before the new vote is disclosed", d)
	}
	if got := m.Dates.Get(domain.StageResolved); got != mustDate(t, "2025-04-10") {
		t.Errorf("Dates[resolved] = %v, want the new vote's date", got)
	}

	m = decide(t, comm, m, domain.CmdDiscloseResolution, `{"channels":["公开栏"]}`, "2025-04-12")
	m = decide(t, comm, m, domain.CmdReportImplementation, `{"summary":"已开工"}`, "2025-04-15")
	if m.Stage != domain.StageImplementing || len(m.PastResolutions) != 1 {
		t.Errorf("Stage = %q with %d past resolutions, want implementing with 1", m.Stage, len(m.PastResolutions))
	}
}

func TestCorrectMatterApply(t *testing.T) {
	base := plus(history(domain.StageImplementing), at{"2025-04-20", &domain.ImplementationReported{Summary: "过半"}})
	tests := []struct {
		name string
		e    *domain.StageCorrected
		want func(m *domain.Matter)
	}{
		{"proposal", &domain.StageCorrected{Stage: domain.StageProposed, Reason: "错别字",
			Corrected: domain.StageContent{Date: mustDate(t, "2025-03-04"), Summary: "改"}},
			func(m *domain.Matter) {
				m.Proposal = &domain.Record{Summary: "改"}
				m.Dates.Set(domain.StageProposed, mustDate(t, "2025-03-04"))
			}},
		{"review", &domain.StageCorrected{Stage: domain.StageReviewed, Reason: "误录",
			Corrected: domain.StageContent{Date: mustDate(t, "2025-03-15"), Decision: &domain.Decision{Votes: votesFail, Quorate: true, RuleSet: "x"}}},
			func(m *domain.Matter) { m.Review = &domain.Decision{Votes: votesFail, Quorate: true, RuleSet: "x"} }},
		{"resolution disclosure", &domain.StageCorrected{Stage: domain.StageResolutionDisclosed, Reason: "漏记",
			Corrected: domain.StageContent{Date: mustDate(t, "2025-03-25"), Channels: []string{"公开栏", "微信群"}, Summary: "公示7天"}},
			func(m *domain.Matter) {
				m.ResolutionDisclosure = &domain.Record{Channels: []string{"公开栏", "微信群"}, Summary: "公示7天"}
			}},
		{"last implementation report", &domain.StageCorrected{Stage: domain.StageImplementing, Report: 2, Reason: "日期误录",
			Corrected: domain.StageContent{Date: mustDate(t, "2025-04-19"), Summary: "过半"}},
			func(m *domain.Matter) {
				m.Implementations[1].Date = mustDate(t, "2025-04-19")
				m.Dates.Set(domain.StageImplementing, mustDate(t, "2025-04-19"))
			}},
		{"first implementation report", &domain.StageCorrected{Stage: domain.StageImplementing, Report: 1, Reason: "错别字",
			Corrected: domain.StageContent{Date: mustDate(t, "2025-04-01"), Summary: "已经开工"}},
			func(m *domain.Matter) { m.Implementations[0].Summary = "已经开工" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := matter(t, matterID, base...)
			m.Apply(tc.e, mustDate(t, "2025-05-02"))
			want := matter(t, matterID, base...)
			tc.want(want)
			want.LastDate = mustDate(t, "2025-05-02")
			want.Corrections = []domain.Correction{{Date: mustDate(t, "2025-05-02"), Stage: tc.e.Stage, Report: tc.e.Report,
				Reason: tc.e.Reason, Original: tc.e.Original, Corrected: tc.e.Corrected}}
			if d := diff(want, m); d != "" {
				t.Errorf("Apply(%s):%s", show(tc.e), d)
			}
		})
	}
}

func TestCorrectMatterDecodeErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"unknown field", `{"stage":"resolved","reason":"误录","votes":` + votesPassJSON + `,"meeting_date":"2025-03-20"}`, "invalid data.meeting_date"},
		{"joint is not corrected", `{"stage":"proposed","reason":"误录","joint":true}`, "invalid data.joint"},
		{"no reason", `{"stage":"proposed","summary":"提议"}`, "invalid data.reason"},
		{"reason too long", `{"stage":"proposed","summary":"提议","reason":"` + strings.Repeat("字", 501) + `"}`, "invalid data.reason"},
		{"no stage", `{"reason":"误录","summary":"提议"}`, "invalid data.stage"},
		{"registration is not a correctable stage", `{"stage":"registered","reason":"误录","summary":"提议"}`, "invalid data.stage"},
		{"withdrawal is not a correctable stage", `{"stage":"withdrawn","reason":"误录","summary":"提议"}`, "invalid data.stage"},
		{"votes of a proposal", `{"stage":"proposed","reason":"误录","votes":` + votesPassJSON + `}`, "invalid data.votes"},
		{"text of a review", `{"stage":"reviewed","reason":"误录","text":"决议"}`, "invalid data.text"},
		{"report of a resolution", `{"stage":"resolved","reason":"误录","report":1,"text":"决议"}`, "invalid data.report"},
		{"implementation without report", `{"stage":"implementing","reason":"误录","summary":"已开工"}`, "invalid data.report"},
		{"implementation with an empty summary", `{"stage":"implementing","report":1,"reason":"误录","summary":""}`, "invalid data.summary"},
		{"nothing to correct", `{"stage":"resolved","reason":"误录"}`, "invalid data"},
		{"present above expected", `{"stage":"resolved","reason":"误录","votes":{"expected":15,"present":16,"for":9}}`, "invalid data.votes.present"},
		{"too many channels", `{"stage":"result_disclosed","reason":"误录","channels":["1","2","3","4","5","6","7","8","9","10","11"]}`, "invalid data.channels"},
		{"bad corrected date", `{"stage":"resolved","reason":"误录","corrected_date":"2025-02-30"}`, "invalid data.corrected_date"},
		{"votes as a list", `{"stage":"resolved","reason":"误录","votes":[15,12]}`, "invalid data.votes"},
	}
	for _, tc := range tests {
		cmd, err := domain.DecodeCommand(domain.CmdCorrectMatter, []byte(tc.data))
		if got := errSummary(err); got != tc.want || cmd != nil {
			t.Errorf("%s: DecodeCommand(matter.correct, %s) = %v, %q; want nil, %q", tc.name, tc.data, cmd, got, tc.want)
		}
		checkErrorTexts(t, err)
	}
}

func TestStageCorrectedEvent(t *testing.T) {
	e := &domain.StageCorrected{Stage: domain.StageResolved, Reason: "实到人数误录",
		Original:  domain.StageContent{Date: mustDate(t, "2025-03-20"), Decision: &domain.Decision{Votes: domain.Votes{Expected: 15, Present: 9, For: 9}, RuleSet: "cn-national-2018"}},
		Corrected: domain.StageContent{Date: mustDate(t, "2025-03-20"), Decision: &domain.Decision{Votes: domain.Votes{Expected: 15, Present: 12, For: 9}, Quorate: true, Passed: true, RuleSet: "cn-national-2018"}}}
	if e.EventType() != "matter.stage_corrected" || domain.EvStageCorrected != "matter.stage_corrected" {
		t.Errorf("EventType() = %q, EvStageCorrected = %q; want matter.stage_corrected", e.EventType(), domain.EvStageCorrected)
	}
	b, err := json.Marshal(e)
	want := `{"stage":"resolved","reason":"实到人数误录",` +
		`"original":{"date":"2025-03-20","decision":{"votes":{"expected":15,"present":9,"for":9,"against":0,"abstain":0},"quorate":false,"passed":false,"rule_set":"cn-national-2018"}},` +
		`"corrected":{"date":"2025-03-20","decision":{"votes":{"expected":15,"present":12,"for":9,"against":0,"abstain":0},"quorate":true,"passed":true,"rule_set":"cn-national-2018"}}}`
	if string(b) != want || err != nil {
		t.Errorf("json.Marshal(StageCorrected) = %s, %v; want %s", b, err, want)
	}
	for _, e := range []*domain.StageCorrected{e, {Stage: domain.StageImplementing, Report: 2, Reason: "日期",
		Original:  domain.StageContent{Date: mustDate(t, "2025-04-01"), Summary: "开工"},
		Corrected: domain.StageContent{Date: mustDate(t, "2025-04-02"), Summary: "开工", Channels: []string{"公开栏"}}}} {
		b, _ := json.Marshal(e)
		got, err := domain.DecodeEvent(domain.EvStageCorrected, domain.SchemaVersion, b)
		if d := diff(e, got); d != "" || err != nil {
			t.Errorf("DecodeEvent(%s) = %s, %v; want %s", b, show(got), err, show(e))
		}
	}
}

func TestMatterCloneCorrections(t *testing.T) {
	passed := decided(votesPass, "同意修缮")
	events := plus(history(domain.StageReviewed), mResolveFail, mDisclosed, at{"2025-04-10", mResolved.event},
		at{"2025-04-11", &domain.StageCorrected{Stage: domain.StageResolved, Reason: "错别字",
			Original:  domain.StageContent{Date: mustDate(t, "2025-04-10"), Decision: &passed},
			Corrected: domain.StageContent{Date: mustDate(t, "2025-04-10"), Decision: &domain.Decision{Votes: votesPass, Quorate: true, Passed: true, RuleSet: "cn-national-2018", Text: "同意修缮村东道路"}}}},
		at{"2025-04-12", &domain.ResolutionDisclosed{Channels: []string{"公开栏"}}},
		at{"2025-04-13", &domain.StageCorrected{Stage: domain.StageResolutionDisclosed, Reason: "漏记",
			Original:  domain.StageContent{Date: mustDate(t, "2025-04-12"), Channels: []string{"公开栏"}},
			Corrected: domain.StageContent{Date: mustDate(t, "2025-04-12"), Channels: []string{"公开栏", "微信群"}}}},
		at{"2025-04-13", &domain.ImplementationReported{Summary: "已开工"}},
		at{"2025-04-14", &domain.ResultDisclosed{Channels: []string{"公开栏"}}})
	orig := matter(t, matterID, events...)
	c := orig.Clone()
	if d := diff(orig, c); d != "" {
		t.Fatalf("Clone() differs from the original:%s", d)
	}
	c.Proposal.Summary = "改"
	c.Consultation.Summary = "改"
	c.ResolutionDisclosure.Channels[0] = "改"
	c.ResultDisclosure.Channels[0] = "改"
	c.PastResolutions[0].Votes.For = 99
	c.Corrections[0].Reason = "改"
	c.Corrections[0].Original.Decision.Text = "改"
	c.Corrections[0].Corrected.Decision.Votes.For = 99
	c.Corrections[1].Original.Channels[0] = "改"
	c.Corrections = append(c.Corrections, domain.Correction{Reason: "新"})
	if d := diff(matter(t, matterID, events...), orig); d != "" {
		t.Errorf("changing the clone changed the original:%s", d)
	}
}
