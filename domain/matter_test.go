package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

// TestMatterHappyPath takes one matter through every stage of 四议两公开,
// folding each step's events into the state the next step sees.
func TestMatterHappyPath(t *testing.T) {
	comm := community(t, registered, secretaryWang, directorLi)
	steps := []struct {
		typ, data, date string
		want            []domain.Event
		stage           domain.Stage
	}{
		{domain.CmdRegisterMatter, `{"title":"修缮村道","description":"村东道路\n破损严重","category":"基础设施","amount":"12000.5"}`, "2025-03-01",
			[]domain.Event{&domain.MatterRegistered{Title: "修缮村道", Description: "村东道路\n破损严重", Category: "基础设施", Amount: 12000_50}},
			domain.StageRegistered},
		{domain.CmdProposeMatter, `{"summary":"党组织提议"}`, "2025-03-05",
			[]domain.Event{&domain.MatterProposed{Summary: "党组织提议"}},
			domain.StageProposed},
		{domain.CmdConsultMatter, `{"summary":"两委会商议同意"}`, "2025-03-05", // same day as the proposal
			[]domain.Event{&domain.MatterConsulted{Summary: "两委会商议同意"}},
			domain.StageConsulted},
		{domain.CmdReviewMatter, `{"votes":` + votesPassJSON + `}`, "2025-03-15",
			[]domain.Event{&domain.MatterReviewed{Decision: domain.Decision{Votes: votesPass, Quorate: true, Passed: true, RuleSet: "cn-national-2018"}}},
			domain.StageReviewed},
		{domain.CmdResolveMatter, `{"votes":` + votesPassJSON + `,"text":"同意修缮村道"}`, "2025-03-20",
			[]domain.Event{&domain.MatterResolved{Decision: domain.Decision{Votes: votesPass, Quorate: true, Passed: true, RuleSet: "cn-national-2018", Text: "同意修缮村道"}}},
			domain.StageResolved},
		{domain.CmdDiscloseResolution, `{"channels":["公开栏","微信群"],"summary":"决议公开"}`, "2025-03-25",
			[]domain.Event{&domain.ResolutionDisclosed{Channels: []string{"公开栏", "微信群"}, Summary: "决议公开"}},
			domain.StageResolutionDisclosed},
		{domain.CmdReportImplementation, `{"summary":"已开工"}`, "2025-04-01",
			[]domain.Event{&domain.ImplementationReported{Summary: "已开工"}},
			domain.StageImplementing},
		{domain.CmdReportImplementation, `{"summary":"完成过半"}`, "2025-04-20",
			[]domain.Event{&domain.ImplementationReported{Summary: "完成过半"}},
			domain.StageImplementing},
		{domain.CmdDiscloseResult, `{"channels":["公开栏"],"summary":"已完工，决算12000.50元"}`, "2025-05-01",
			[]domain.Event{&domain.ResultDisclosed{Channels: []string{"公开栏"}, Summary: "已完工，决算12000.50元"}},
			domain.StageResultDisclosed},
	}
	var m *domain.Matter
	for _, s := range steps {
		cmd, err := domain.DecodeCommand(s.typ, []byte(s.data))
		if err != nil {
			t.Fatalf("DecodeCommand(%q, %s): %v", s.typ, s.data, err)
		}
		date := mustDate(t, s.date)
		env := domain.Env{Today: mustDate(t, today), Date: date, CommunityID: communityID,
			Community: comm, AggregateID: matterID, Matter: m}
		got, err := cmd.Decide(env)
		if err != nil {
			t.Fatalf("Decide(%s %s) error %v; want %s", s.typ, s.data, err, show(s.want))
		}
		if d := diff(s.want, got); d != "" {
			t.Fatalf("Decide(%s %s) = %s, want %s", s.typ, s.data, show(got), show(s.want))
		}
		if m == nil {
			m = &domain.Matter{ID: matterID}
		}
		for _, e := range got {
			m.Apply(e, date)
		}
		if m.Stage != s.stage {
			t.Fatalf("after %s: Stage = %q, want %q", s.typ, m.Stage, s.stage)
		}
	}

	want := &domain.Matter{
		ID: matterID, Title: "修缮村道", Description: "村东道路\n破损严重", Category: "基础设施", Amount: 12000_50,
		Stage: domain.StageResultDisclosed,
		Dates: domain.StageDatesOf(map[domain.Stage]domain.Date{
			domain.StageRegistered:          mustDate(t, "2025-03-01"),
			domain.StageProposed:            mustDate(t, "2025-03-05"),
			domain.StageConsulted:           mustDate(t, "2025-03-05"),
			domain.StageReviewed:            mustDate(t, "2025-03-15"),
			domain.StageResolved:            mustDate(t, "2025-03-20"),
			domain.StageResolutionDisclosed: mustDate(t, "2025-03-25"),
			domain.StageImplementing:        mustDate(t, "2025-04-20"),
			domain.StageResultDisclosed:     mustDate(t, "2025-05-01"),
		}),
		LastDate:             mustDate(t, "2025-05-01"),
		Proposal:             &domain.Record{Summary: "党组织提议"},
		Consultation:         &domain.Record{Summary: "两委会商议同意"},
		ResolutionDisclosure: &domain.Record{Channels: []string{"公开栏", "微信群"}, Summary: "决议公开"},
		ResultDisclosure:     &domain.Record{Channels: []string{"公开栏"}, Summary: "已完工，决算12000.50元"},
		Review:               &domain.Decision{Votes: votesPass, Quorate: true, Passed: true, RuleSet: "cn-national-2018"},
		Resolution:           &domain.Decision{Votes: votesPass, Quorate: true, Passed: true, RuleSet: "cn-national-2018", Text: "同意修缮村道"},
		Implementations: []domain.Implementation{
			{Date: mustDate(t, "2025-04-01"), Summary: "已开工"},
			{Date: mustDate(t, "2025-04-20"), Summary: "完成过半"},
		},
	}
	if d := diff(want, m); d != "" {
		t.Errorf("final matter:%s", d)
	}
	if !m.Passed() {
		t.Errorf("final matter: Passed() = false, want true")
	}
}

func TestMatterDecide(t *testing.T) {
	comm := []domain.Event{registered, secretaryWang, directorLi}
	joint := []domain.Event{registered, secretaryWang, directorWang}
	reviewed := history(domain.StageReviewed)
	resolved := history(domain.StageResolved)
	failedResolution := plus(history(domain.StageReviewed), mResolveFail)
	passedOther := plus(history(domain.StageReviewed), at{"2025-05-10", mResolved.event})

	tests := []decideCase{
		// Registration.
		{name: "register", community: comm,
			typ: domain.CmdRegisterMatter, data: `{"title":"修缮村道","amount":"12.3"}`,
			want: []domain.Event{&domain.MatterRegistered{Title: "修缮村道", Amount: 1230}}},
		{name: "register without amount", community: comm,
			typ: domain.CmdRegisterMatter, data: `{"title":"评选低保户"}`,
			want: []domain.Event{&domain.MatterRegistered{Title: "评选低保户"}}},
		{name: "register twice", community: comm, matter: history(domain.StageRegistered),
			typ: domain.CmdRegisterMatter, data: `{"title":"修缮村道"}`,
			wantErr: "rule already_registered"},
		{name: "register in unregistered community",
			typ: domain.CmdRegisterMatter, data: `{"title":"修缮村道"}`,
			wantErr: "not found community " + communityID},
		{name: "register dated tomorrow", community: comm, date: "2025-07-01",
			typ: domain.CmdRegisterMatter, data: `{"title":"修缮村道"}`,
			wantErr: "rule date_in_future"},
		{name: "register dated today", community: comm, date: today,
			typ: domain.CmdRegisterMatter, data: `{"title":"修缮村道"}`,
			want: []domain.Event{&domain.MatterRegistered{Title: "修缮村道"}}},

		// Proposal, alone or joint (一肩挑).
		{name: "propose", community: comm, matter: history(domain.StageRegistered),
			typ: domain.CmdProposeMatter, data: `{"summary":"提议"}`,
			want: []domain.Event{&domain.MatterProposed{Summary: "提议"}}},
		{name: "propose with empty data", community: comm, matter: history(domain.StageRegistered),
			typ: domain.CmdProposeMatter, data: ``,
			want: []domain.Event{&domain.MatterProposed{}}},
		{name: "joint propose where one person is secretary and director", community: joint, matter: history(domain.StageRegistered),
			typ: domain.CmdProposeMatter, data: `{"summary":"提议并商议","joint":true}`,
			want: []domain.Event{&domain.MatterProposed{Summary: "提议并商议", Joint: true}, &domain.MatterConsulted{Summary: "提议并商议"}}},
		{name: "joint propose with secretary and director two people", community: comm, matter: history(domain.StageRegistered),
			typ: domain.CmdProposeMatter, data: `{"joint":true}`,
			wantErr: "rule joint_not_allowed"},
		{name: "joint propose with no officers", community: []domain.Event{registered}, matter: history(domain.StageRegistered),
			typ: domain.CmdProposeMatter, data: `{"joint":true}`,
			wantErr: "rule joint_not_allowed"},
		{name: "joint propose after the director post was removed",
			community: append(joint[:len(joint):len(joint)], &domain.OfficerRemoved{PersonID: "p-wang", Role: domain.RoleDirector}),
			matter:    history(domain.StageRegistered),
			typ:       domain.CmdProposeMatter, data: `{"joint":true}`,
			wantErr: "rule joint_not_allowed"},
		{name: "consult after a joint proposal", community: joint,
			matter: plus(history(domain.StageRegistered), at{"2025-03-05", &domain.MatterProposed{Joint: true}}, at{"2025-03-05", &domain.MatterConsulted{}}),
			typ:    domain.CmdConsultMatter, data: `{}`,
			wantErr: "rule stage_out_of_order"},
		{name: "review after a joint proposal", community: joint,
			matter: plus(history(domain.StageRegistered), at{"2025-03-05", &domain.MatterProposed{Joint: true}}, at{"2025-03-05", &domain.MatterConsulted{}}),
			typ:    domain.CmdReviewMatter, data: `{"votes":` + votesPassJSON + `}`,
			want: []domain.Event{&domain.MatterReviewed{Decision: decided(votesPass, "")}}},
		{name: "propose twice", community: comm, matter: history(domain.StageProposed),
			typ: domain.CmdProposeMatter, data: `{}`,
			wantErr: "rule stage_out_of_order"},

		// Matter and community must exist.
		{name: "propose a matter that does not exist", community: comm,
			typ: domain.CmdProposeMatter, data: `{}`,
			wantErr: "not found matter " + matterID},
		{name: "propose in an unregistered community", matter: history(domain.StageRegistered),
			typ: domain.CmdProposeMatter, data: `{}`,
			wantErr: "not found community " + communityID},
		{name: "resolve in an unregistered community", matter: reviewed,
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "not found community " + communityID},
		{name: "withdraw in an unregistered community", matter: reviewed,
			typ: domain.CmdWithdrawMatter, data: `{"reason":"取消"}`,
			wantErr: "not found community " + communityID},
		{name: "revoke in an unregistered community", matter: resolved, others: map[string][]at{"m2": passedOther},
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议"}`,
			wantErr: "not found community " + communityID},

		// Stages out of order.
		{name: "consult a registered matter", community: comm, matter: history(domain.StageRegistered),
			typ: domain.CmdConsultMatter, data: `{}`,
			wantErr: "rule stage_out_of_order"},
		{name: "review a proposed matter", community: comm, matter: history(domain.StageProposed),
			typ: domain.CmdReviewMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule stage_out_of_order"},
		{name: "resolve a registered matter", community: comm, matter: history(domain.StageRegistered),
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule stage_out_of_order"},
		{name: "resolve a consulted matter", community: comm, matter: history(domain.StageConsulted),
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule stage_out_of_order"},
		{name: "resolve twice", community: comm, matter: resolved,
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule stage_out_of_order"},
		{name: "disclose resolution before resolving", community: comm, matter: reviewed,
			typ: domain.CmdDiscloseResolution, data: `{}`,
			wantErr: "rule stage_out_of_order"},
		{name: "report implementation before disclosing the resolution", community: comm, matter: resolved,
			typ: domain.CmdReportImplementation, data: `{"summary":"已开工"}`,
			wantErr: "rule stage_out_of_order"},
		{name: "disclose result with no implementation", community: comm, matter: history(domain.StageResolutionDisclosed),
			typ: domain.CmdDiscloseResult, data: `{}`,
			wantErr: "rule stage_out_of_order"},
		{name: "disclose result twice", community: comm, matter: history(domain.StageResultDisclosed),
			typ: domain.CmdDiscloseResult, data: `{}`,
			wantErr: "rule stage_out_of_order"},
		{name: "report implementation after the result", community: comm, matter: history(domain.StageResultDisclosed),
			typ: domain.CmdReportImplementation, data: `{"summary":"追加"}`,
			wantErr: "rule stage_out_of_order"},
		{name: "propose a withdrawn matter", community: comm, matter: plus(history(domain.StageRegistered), mWithdrawn),
			typ: domain.CmdProposeMatter, data: `{}`,
			wantErr: "rule stage_out_of_order"},

		// Review and resolution.
		{name: "review passes", community: comm, matter: history(domain.StageConsulted),
			typ: domain.CmdReviewMatter, data: `{"votes":` + votesPassJSON + `}`,
			want: []domain.Event{&domain.MatterReviewed{Decision: decided(votesPass, "")}}},
		{name: "review fails", community: comm, matter: history(domain.StageConsulted),
			typ: domain.CmdReviewMatter, data: `{"votes":` + votesFailJSON + `}`,
			want: []domain.Event{&domain.MatterReviewed{Decision: domain.Decision{Votes: votesFail, Quorate: true, Passed: false, RuleSet: "cn-national-2018"}}}},
		{name: "review without quorum", community: comm, matter: history(domain.StageConsulted),
			typ: domain.CmdReviewMatter, data: `{"votes":` + votesNoQuorumJSON + `}`,
			want: []domain.Event{&domain.MatterReviewed{Decision: domain.Decision{Votes: votesNoQuorum, Quorate: false, Passed: false, RuleSet: "cn-national-2018"}}}},
		{name: "review again after a failed review", community: comm, matter: plus(history(domain.StageConsulted), mReviewFailed),
			typ: domain.CmdReviewMatter, data: `{"votes":` + votesPassJSON + `}`,
			want: []domain.Event{&domain.MatterReviewed{Decision: decided(votesPass, "")}}},
		{name: "review again after a passed review", community: comm, matter: reviewed,
			typ: domain.CmdReviewMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule already_reviewed"},
		{name: "resolve passes", community: comm, matter: reviewed,
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `,"text":"同意"}`,
			want: []domain.Event{&domain.MatterResolved{Decision: decided(votesPass, "同意")}}},
		{name: "resolve fails", community: comm, matter: reviewed,
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesFailJSON + `}`,
			want: []domain.Event{&domain.MatterResolved{Decision: domain.Decision{Votes: votesFail, Quorate: true, RuleSet: "cn-national-2018"}}}},
		{name: "resolve again after a failed resolution", community: comm, matter: failedResolution,
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `,"text":"重新表决通过"}`,
			want: []domain.Event{&domain.MatterResolved{Decision: decided(votesPass, "重新表决通过")}}},
		{name: "resolve again after a failed resolution was disclosed", community: comm, matter: plus(failedResolution, mDisclosed),
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesFailJSON + `}`,
			want: []domain.Event{&domain.MatterResolved{Decision: decided(votesFail, "")}}},
		{name: "resolve again after a passed resolution was disclosed", community: comm, matter: history(domain.StageResolutionDisclosed),
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule stage_out_of_order"},
		{name: "resolve again dated before the failed vote", community: comm, matter: failedResolution, date: "2025-03-19",
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule date_before_previous_stage"},
		{name: "resolve after a failed review", community: comm, matter: plus(history(domain.StageConsulted), mReviewFailed),
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule review_not_passed"},
		{name: "resolve under an adopted rule set counting a majority of those expected",
			community: append(comm[:len(comm):len(comm)], &domain.RuleSetAdopted{RuleSet: majorityOfExpected()}),
			matter:    reviewed,
			typ:       domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			// 10 for of 15 expected passes; 7 for of 15 would not.
			want: []domain.Event{&domain.MatterResolved{Decision: domain.Decision{Votes: votesPass, Quorate: true, Passed: true, RuleSet: "zj-2024"}}}},
		{name: "resolve under an adopted rule set, 7 of 15 expected",
			community: append(comm[:len(comm):len(comm)], &domain.RuleSetAdopted{RuleSet: majorityOfExpected()}),
			matter:    reviewed,
			typ:       domain.CmdResolveMatter, data: `{"votes":{"expected":15,"present":12,"for":7}}`,
			want: []domain.Event{&domain.MatterResolved{Decision: domain.Decision{Votes: domain.Votes{Expected: 15, Present: 12, For: 7}, Quorate: true, Passed: false, RuleSet: "zj-2024"}}}},

		// Disclosure and implementation.
		{name: "disclose a failed resolution", community: comm, matter: failedResolution,
			typ: domain.CmdDiscloseResolution, data: `{"channels":["公开栏"]}`,
			want: []domain.Event{&domain.ResolutionDisclosed{Channels: []string{"公开栏"}}}},
		{name: "report implementation after a failed resolution", community: comm, matter: plus(failedResolution, mDisclosed),
			typ: domain.CmdReportImplementation, data: `{"summary":"已开工"}`,
			wantErr: "rule not_passed"},
		{name: "report implementation again", community: comm, matter: history(domain.StageImplementing),
			typ: domain.CmdReportImplementation, data: `{"summary":"完成过半"}`,
			want: []domain.Event{&domain.ImplementationReported{Summary: "完成过半"}}},

		// Effective dates.
		{name: "date before the previous stage", community: comm, matter: history(domain.StageRegistered), date: "2025-02-28",
			typ: domain.CmdProposeMatter, data: `{}`,
			wantErr: "rule date_before_previous_stage"},
		{name: "date on the day of the previous stage", community: comm, matter: history(domain.StageRegistered), date: "2025-03-01",
			typ: domain.CmdProposeMatter, data: `{}`,
			want: []domain.Event{&domain.MatterProposed{}}},
		{name: "resolution dated before the review", community: comm, matter: reviewed, date: "2025-03-14",
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule date_before_previous_stage"},
		{name: "implementation dated before the last report", community: comm, matter: plus(history(domain.StageImplementing), at{"2025-04-20", &domain.ImplementationReported{Summary: "过半"}}),
			date: "2025-04-10",
			typ:  domain.CmdReportImplementation, data: `{"summary":"补报"}`,
			wantErr: "rule date_before_previous_stage"},
		{name: "date after today", community: comm, matter: history(domain.StageRegistered), date: "2025-07-01",
			typ: domain.CmdProposeMatter, data: `{}`,
			wantErr: "rule date_in_future"},
		{name: "date after today, a year on", community: comm, matter: reviewed, date: "2026-01-01",
			typ: domain.CmdResolveMatter, data: `{"votes":` + votesPassJSON + `}`,
			wantErr: "rule date_in_future"},
		{name: "no clock: a late date is not refused", community: comm, matter: history(domain.StageRegistered), date: "2030-01-01", today: "none",
			typ: domain.CmdProposeMatter, data: `{}`,
			want: []domain.Event{&domain.MatterProposed{}}},

		// Withdrawal: allowed before the assembly's vote or after it failed,
		// refused after it passed.
		{name: "withdraw registered", community: comm, matter: history(domain.StageRegistered),
			typ: domain.CmdWithdrawMatter, data: `{"reason":"资金另有安排"}`,
			want: []domain.Event{&domain.MatterWithdrawn{Reason: "资金另有安排"}}},
		{name: "withdraw proposed", community: comm, matter: history(domain.StageProposed),
			typ: domain.CmdWithdrawMatter, data: `{"reason":"取消"}`,
			want: []domain.Event{&domain.MatterWithdrawn{Reason: "取消"}}},
		{name: "withdraw consulted", community: comm, matter: history(domain.StageConsulted),
			typ: domain.CmdWithdrawMatter, data: `{"reason":"取消"}`,
			want: []domain.Event{&domain.MatterWithdrawn{Reason: "取消"}}},
		{name: "withdraw reviewed", community: comm, matter: reviewed,
			typ: domain.CmdWithdrawMatter, data: `{"reason":"取消"}`,
			want: []domain.Event{&domain.MatterWithdrawn{Reason: "取消"}}},
		{name: "withdraw after a failed review", community: comm, matter: plus(history(domain.StageConsulted), mReviewFailed),
			typ: domain.CmdWithdrawMatter, data: `{"reason":"党员大会未通过"}`,
			want: []domain.Event{&domain.MatterWithdrawn{Reason: "党员大会未通过"}}},
		{name: "withdraw resolved", community: comm, matter: resolved,
			typ: domain.CmdWithdrawMatter, data: `{"reason":"取消"}`,
			wantErr: "rule stage_out_of_order"},
		{name: "withdraw after a failed resolution", community: comm, matter: failedResolution,
			typ: domain.CmdWithdrawMatter, data: `{"reason":"代表会议未通过"}`,
			want: []domain.Event{&domain.MatterWithdrawn{Reason: "代表会议未通过"}}},
		{name: "withdraw after a failed resolution was disclosed", community: comm, matter: plus(failedResolution, mDisclosed),
			typ: domain.CmdWithdrawMatter, data: `{"reason":"代表会议未通过"}`,
			want: []domain.Event{&domain.MatterWithdrawn{Reason: "代表会议未通过"}}},
		{name: "withdraw a disclosed passed resolution", community: comm, matter: history(domain.StageResolutionDisclosed),
			typ: domain.CmdWithdrawMatter, data: `{"reason":"取消"}`,
			wantErr: "rule stage_out_of_order"},
		{name: "withdraw implementing", community: comm, matter: history(domain.StageImplementing),
			typ: domain.CmdWithdrawMatter, data: `{"reason":"取消"}`,
			wantErr: "rule stage_out_of_order"},
		{name: "withdraw twice", community: comm, matter: plus(history(domain.StageRegistered), mWithdrawn),
			typ: domain.CmdWithdrawMatter, data: `{"reason":"取消"}`,
			wantErr: "rule stage_out_of_order"},
		{name: "withdraw dated before registration", community: comm, matter: history(domain.StageRegistered), date: "2025-02-01",
			typ: domain.CmdWithdrawMatter, data: `{"reason":"取消"}`,
			wantErr: "rule date_before_previous_stage"},

		// Revocation by another passed matter.
		{name: "revoke by another passed matter", community: comm, matter: resolved, others: map[string][]at{"m2": passedOther},
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			want: []domain.Event{&domain.MatterRevoked{ByMatter: "m2", Reason: "新决议取代"}}},
		{name: "revoke while implementing", community: comm, matter: history(domain.StageImplementing), others: map[string][]at{"m2": passedOther},
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			want: []domain.Event{&domain.MatterRevoked{ByMatter: "m2", Reason: "新决议取代"}}},
		{name: "revoke after the result", community: comm, matter: history(domain.StageResultDisclosed), others: map[string][]at{"m2": passedOther},
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			want: []domain.Event{&domain.MatterRevoked{ByMatter: "m2", Reason: "新决议取代"}}},
		{name: "revoke on the day of the revoking resolution", community: comm, matter: resolved, others: map[string][]at{"m2": passedOther}, date: "2025-05-10",
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			want: []domain.Event{&domain.MatterRevoked{ByMatter: "m2", Reason: "新决议取代"}}},
		{name: "revoke dated before the revoking resolution", community: comm, matter: resolved, others: map[string][]at{"m2": passedOther}, date: "2025-05-09",
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			wantErr: "rule date_before_previous_stage"},
		{name: "revoke by a matter that does not exist", community: comm, matter: resolved,
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m9","reason":"新决议取代"}`,
			wantErr: "rule revoking_resolution_not_passed"},
		{name: "revoke with no lookup", community: comm, matter: resolved, others: map[string][]at{"m2": passedOther}, noLookup: true,
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			wantErr: "rule revoking_resolution_not_passed"},
		{name: "revoke by itself", community: comm, matter: resolved,
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"` + matterID + `","reason":"自我撤销"}`,
			wantErr: "rule revoking_resolution_not_passed"},
		{name: "revoke by a matter only reviewed", community: comm, matter: resolved, others: map[string][]at{"m2": history(domain.StageReviewed)},
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			wantErr: "rule revoking_resolution_not_passed"},
		{name: "revoke by a matter whose resolution failed", community: comm, matter: resolved, others: map[string][]at{"m2": failedResolution},
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			wantErr: "rule revoking_resolution_not_passed"},
		{name: "revoke by a matter itself revoked", community: comm, matter: resolved,
			others: map[string][]at{"m2": plus(passedOther, at{"2025-05-20", &domain.MatterRevoked{ByMatter: "m3", Reason: "再撤销"}})},
			typ:    domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			wantErr: "rule revoking_resolution_not_passed"},
		{name: "revoke a failed resolution", community: comm, matter: failedResolution, others: map[string][]at{"m2": passedOther},
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			wantErr: "rule not_passed"},
		{name: "revoke a matter not yet resolved", community: comm, matter: reviewed, others: map[string][]at{"m2": passedOther},
			typ: domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			wantErr: "rule stage_out_of_order"},
		{name: "revoke twice", community: comm, matter: plus(resolved, at{"2025-05-15", &domain.MatterRevoked{ByMatter: "m2", Reason: "新决议取代"}}),
			others: map[string][]at{"m2": passedOther},
			typ:    domain.CmdRevokeMatter, data: `{"by_matter":"m2","reason":"新决议取代"}`,
			wantErr: "rule stage_out_of_order"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runDecide(t, tc) })
	}
}

// majorityOfExpected is a provincial rule set that counts the majority of
// all members expected, not of those present.
func majorityOfExpected() domain.RuleSet {
	rs := domain.DefaultRuleSet()
	rs.ID = "zj-2024"
	rs.Jurisdiction = "CN-ZJ"
	rs.EffectiveFrom = domain.Date{Year: 2024, Month: 1, Day: 1}
	r := domain.VoteRule{Quorum: domain.Fraction{Num: 2, Den: 3}, Majority: domain.Fraction{Num: 1, Den: 2}, MajorityOf: "expected"}
	rs.Votes = map[domain.Body]domain.VoteRule{domain.BodyPartyMembers: r, domain.BodyRepresentatives: r}
	return rs
}

// TestStageOutOfOrderReason checks the texts of a stage error: the current
// stage and the one needed, in English and in Chinese.
func TestStageOutOfOrderReason(t *testing.T) {
	cmd, err := domain.DecodeCommand(domain.CmdResolveMatter, []byte(`{"votes":`+votesPassJSON+`}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cmd.Decide(decideCase{community: []domain.Event{registered}, matter: history(domain.StageRegistered), typ: domain.CmdResolveMatter}.env(t))
	re, ok := err.(*domain.RuleError)
	if !ok {
		t.Fatalf("Decide(resolve on a registered matter) error = %v (%T), want *RuleError", err, err)
	}
	for _, s := range []string{"registered", "reviewed"} {
		if !strings.Contains(re.Reason, s) {
			t.Errorf("Reason = %q, want it to name stage %q", re.Reason, s)
		}
	}
	for _, s := range []string{"已登记", "党员大会审议"} {
		if !strings.Contains(re.ReasonZH, s) {
			t.Errorf("ReasonZH = %q, want it to name stage %q", re.ReasonZH, s)
		}
	}
	if re.Error() == "" || !strings.Contains(re.Error(), "stage_out_of_order") {
		t.Errorf("Error() = %q, want it to contain the code", re.Error())
	}
}

func TestStageZH(t *testing.T) {
	stages := []domain.Stage{
		domain.StageRegistered, domain.StageProposed, domain.StageConsulted, domain.StageReviewed,
		domain.StageResolved, domain.StageResolutionDisclosed, domain.StageImplementing,
		domain.StageResultDisclosed, domain.StageWithdrawn, domain.StageRevoked,
	}
	seen := map[string]domain.Stage{}
	for _, s := range stages {
		zh := domain.StageZH(s)
		if !hasHan(zh) {
			t.Errorf("StageZH(%q) = %q, want a Chinese name", s, zh)
		}
		if prev, ok := seen[zh]; ok {
			t.Errorf("StageZH(%q) = StageZH(%q) = %q", s, prev, zh)
		}
		seen[zh] = s
	}
	if got := domain.StageZH("unknown"); got != "" {
		t.Errorf(`StageZH("unknown") = %q, want ""`, got)
	}
}

func TestMatterApply(t *testing.T) {
	tests := []struct {
		name   string
		events []at
		want   func(t *testing.T) *domain.Matter
	}{
		{"withdrawn", plus(history(domain.StageRegistered), mWithdrawn), func(t *testing.T) *domain.Matter {
			return &domain.Matter{ID: matterID, Title: "修缮村道", Category: "基础设施", Amount: 12_000_00,
				Stage: domain.StageWithdrawn, Reason: "资金另有安排", LastDate: mustDate(t, "2025-03-12"),
				Dates: domain.StageDatesOf(map[domain.Stage]domain.Date{
					domain.StageRegistered: mustDate(t, "2025-03-01"),
					domain.StageWithdrawn:  mustDate(t, "2025-03-12"),
				})}
		}},
		{"revoked", plus(history(domain.StageResolved), at{"2025-05-15", &domain.MatterRevoked{ByMatter: "m2", Reason: "新决议取代"}}),
			func(t *testing.T) *domain.Matter {
				m := matter(t, matterID, history(domain.StageResolved)...)
				m.Stage, m.Reason, m.RevokedBy = domain.StageRevoked, "新决议取代", "m2"
				m.LastDate = mustDate(t, "2025-05-15")
				m.Dates.Set(domain.StageRevoked, m.LastDate)
				return m
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := matter(t, matterID, tc.events...)
			if d := diff(tc.want(t), got); d != "" {
				t.Errorf("Apply(%d events):%s", len(tc.events), d)
			}
		})
	}

	t.Run("passed", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			events []at
			want   bool
		}{
			{"registered", history(domain.StageRegistered), false},
			{"reviewed", history(domain.StageReviewed), false},
			{"resolved", history(domain.StageResolved), true},
			{"resolution failed", plus(history(domain.StageReviewed), mResolveFail), false},
		} {
			if got := matter(t, matterID, tc.events...).Passed(); got != tc.want {
				t.Errorf("%s: Passed() = %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}

func TestMatterClone(t *testing.T) {
	events := plus(history(domain.StageImplementing), at{"2025-04-20", &domain.ImplementationReported{Summary: "过半"}})
	orig := matter(t, matterID, events...)
	c := orig.Clone()
	if d := diff(orig, c); d != "" {
		t.Fatalf("Clone() differs from the original:%s", d)
	}

	c.Title = "改"
	c.Dates.Set(domain.StageRevoked, mustDate(t, "2025-06-01"))
	c.Dates.Set(domain.StageRegistered, mustDate(t, "2025-01-01"))
	c.Review.Passed = false
	c.Review.Votes.For = 0
	c.Resolution.Text = "改"
	c.Resolution.Votes.Present = 1
	c.Implementations[0].Summary = "改"
	c.Implementations = append(c.Implementations, domain.Implementation{Summary: "新"})

	if d := diff(matter(t, matterID, events...), orig); d != "" {
		t.Errorf("changing the clone changed the original:%s", d)
	}
	if got := (*domain.Matter)(nil).Clone(); got != nil {
		t.Errorf("(*Matter)(nil).Clone() = %v, want nil", got)
	}
}

// StageDates keeps a date per stage in a few bytes and writes the JSON a
// map of them wrote, so that stored read model documents read back the same.
func TestStageDates(t *testing.T) {
	m := map[domain.Stage]domain.Date{
		domain.StageRegistered: mustDate(t, "2016-01-05"),
		domain.StageResolved:   mustDate(t, "2025-12-31"),
		domain.StageRevoked:    mustDate(t, "2099-02-28"),
	}
	sd := domain.StageDatesOf(m)
	for s, d := range m {
		if got, ok := sd.Lookup(s); !ok || got != d {
			t.Errorf("Lookup(%s) = %v, %v; want %v", s, got, ok, d)
		}
	}
	if _, ok := sd.Lookup(domain.StageProposed); ok || sd.Len() != 3 {
		t.Errorf("a stage never reached has a date, or Len = %d", sd.Len())
	}
	got, err := json.Marshal(sd)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(m)
	if string(got) != string(want) {
		t.Errorf("JSON %s, the map wrote %s", got, want)
	}
	var back domain.StageDates
	if err := json.Unmarshal(got, &back); err != nil || back != sd {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	sd.Delete(domain.StageResolved)
	if _, ok := sd.Lookup(domain.StageResolved); ok || sd.Len() != 2 {
		t.Errorf("after Delete: Len %d", sd.Len())
	}
	if err := json.Unmarshal([]byte(`{"voted":"2025-01-01"}`), &back); err == nil {
		t.Errorf("an unknown stage was accepted")
	}
	if err := json.Unmarshal([]byte(`{}`), &back); err != nil || back.Len() != 0 {
		t.Errorf("empty object: %+v, %v", back, err)
	}
}
