package domain_test

import (
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

const questionID = "q-2025-001"

// answerIn3 is a rule set from 2025-07-01 under which questions are
// answered within 3 days (the default is 10).
func answerIn3() domain.RuleSet {
	rs := domain.DefaultRuleSet()
	rs.ID, rs.EffectiveFrom = "dongfeng-2025h2", domain.Date{Year: 2025, Month: 7, Day: 1}
	dr := domain.DefaultDisclosureRules()
	dr.AnswerDays = 3
	rs.Disclosure = &dr
	return rs
}

// published is finance-2025-Q1 published on 2025-04-06; drafted is
// finance-2025-Q2 drafted and approved, not published.
func publishedAndDrafted(t *testing.T) map[string]*domain.Disclosure {
	t.Helper()
	pub := newDisclosureLog(t, q1Item, withCatalogue())
	pub.do(draftQ1, approveQ1, publishQ1)
	dr := newDisclosureLog(t, "finance-2025-Q2", withCatalogue())
	dr.do(cmd{"2025-07-02", clerk, domain.CmdDraftDisclosure, `{"content":` + contentJSON + `}`},
		cmd{"2025-07-03", supervisor, domain.CmdApproveDisclosure, `{"version":1}`})
	return map[string]*domain.Disclosure{q1Item: pub.disclosure(), "finance-2025-Q2": dr.disclosure()}
}

// questionEnv is the Env of a question: the community, its matters (only
// matterID, at the resolution), its disclosures and the question's state.
func questionEnv(t *testing.T, comm []domain.Event, date, actor string, q *domain.Question) domain.Env {
	t.Helper()
	m := matter(t, matterID, history(domain.StageResolved)...)
	ds := publishedAndDrafted(t)
	env := domain.Env{Today: mustDate(t, "2026-06-30"), Date: mustDate(t, date), CommunityID: communityID,
		Community: community(t, comm...), AggregateID: questionID, Actor: actor,
		LookupMatter: func(id string) *domain.Matter {
			if id == matterID {
				return m
			}
			return nil
		},
		LookupDisclosure: func(item string) *domain.Disclosure { return ds[item] }}
	return domain.EnvFor(env, q)
}

// asked returns the question as the log builds it from asking on date
// (under the default rules) and, if answeredOn is set, answering then.
func asked(t *testing.T, date, answeredOn string) *domain.Question {
	t.Helper()
	var s domain.State
	for _, c := range []cmd{{date, domain.PublicActor, domain.CmdAskQuestion, `{"about":"matter/` + matterID + `","text":"村道何时完工？"}`},
		{answeredOn, clerk, domain.CmdAnswerQuestion, `{"text":"预计五月完工。"}`}} {
		if c.date == "" {
			break
		}
		command, err := domain.DecodeCommand(c.typ, []byte(c.data))
		if err != nil {
			t.Fatalf("DecodeCommand(%s, %s): %v", c.typ, c.data, err)
		}
		q, _ := s.(*domain.Question)
		evs, err := command.Decide(questionEnv(t, []domain.Event{registered}, c.date, c.actor, q))
		if err != nil {
			t.Fatalf("Decide(%s %s) on %s: %v", c.typ, c.data, c.date, err)
		}
		for _, e := range evs {
			s = domain.ApplyTo(s, domain.AggregateQuestion, questionID, stored(t, e), mustDate(t, c.date))
		}
	}
	return s.(*domain.Question)
}

func TestQuestionDecide(t *testing.T) {
	comm := []domain.Event{registered}
	laterRules := []domain.Event{registered, &domain.RuleSetAdopted{RuleSet: answerIn3()}}
	ask := func(about string) string { return `{"about":"` + about + `","text":"费用明细能否公开？"}` }
	date := func(s string) domain.Date { return mustDate(t, s) }
	tests := []struct {
		name      string
		community []domain.Event
		question  *domain.Question
		when      cmd
		want      []domain.Event
		wantErr   string
	}{
		// Due: the date asked plus the AnswerDays in force that day.
		// Default 10: 2025-06-10 + 10 = 2025-06-20.
		{name: "about a matter", community: comm, when: cmd{"2025-06-10", domain.PublicActor, domain.CmdAskQuestion, ask("matter/" + matterID)},
			want: []domain.Event{&domain.QuestionAsked{About: "matter/" + matterID, Text: "费用明细能否公开？", Due: date("2025-06-20")}}},
		{name: "about a published disclosure, with contact details", community: comm,
			when: cmd{"2025-06-10", domain.PublicActor, domain.CmdAskQuestion, `{"about":"disclosure/finance-2025-Q1","text":"办公费为何增加？","contact_ref":"` + strings.Repeat("ab", 16) + `"}`},
			want: []domain.Event{&domain.QuestionAsked{About: "disclosure/finance-2025-Q1", Text: "办公费为何增加？", ContactRef: strings.Repeat("ab", 16), Due: date("2025-06-20")}}},
		// The rule set with answer_days 3 is in force from 2025-07-01:
		// asked the day before, 2025-06-30 + 10 = 2025-07-10; asked on
		// 2025-07-01, + 3 = 2025-07-04; asked 2025-12-30, + 3 = 2026-01-02.
		{name: "asked the day before a rule set with 3 days", community: laterRules, when: cmd{"2025-06-30", domain.PublicActor, domain.CmdAskQuestion, ask("matter/" + matterID)},
			want: []domain.Event{&domain.QuestionAsked{About: "matter/" + matterID, Text: "费用明细能否公开？", Due: date("2025-07-10")}}},
		{name: "asked the first day of a rule set with 3 days", community: laterRules, when: cmd{"2025-07-01", domain.PublicActor, domain.CmdAskQuestion, ask("matter/" + matterID)},
			want: []domain.Event{&domain.QuestionAsked{About: "matter/" + matterID, Text: "费用明细能否公开？", Due: date("2025-07-04")}}},
		{name: "due in the next year", community: laterRules, when: cmd{"2025-12-30", domain.PublicActor, domain.CmdAskQuestion, ask("matter/" + matterID)},
			want: []domain.Event{&domain.QuestionAsked{About: "matter/" + matterID, Text: "费用明细能否公开？", Due: date("2026-01-02")}}},

		{name: "about an unknown matter", community: comm, when: cmd{"2025-06-10", domain.PublicActor, domain.CmdAskQuestion, ask("matter/m-404")},
			wantErr: "not found matter m-404"},
		{name: "about a disclosure approved but not published", community: comm,
			when: cmd{"2025-07-10", domain.PublicActor, domain.CmdAskQuestion, ask("disclosure/finance-2025-Q2")}, wantErr: "rule not_published"},
		// finance-2025-Q1 was published on 2025-04-06: a question about it
		// dated the day before is refused, one dated that day accepted.
		{name: "about a disclosure, dated before it was published", community: comm,
			when: cmd{"2025-04-05", domain.PublicActor, domain.CmdAskQuestion, ask("disclosure/finance-2025-Q1")}, wantErr: "rule date_before_previous_stage"},
		{name: "about a disclosure, dated the day it was published", community: comm,
			when: cmd{"2025-04-06", domain.PublicActor, domain.CmdAskQuestion, ask("disclosure/finance-2025-Q1")},
			want: []domain.Event{&domain.QuestionAsked{About: "disclosure/finance-2025-Q1", Text: "费用明细能否公开？", Due: date("2025-04-16")}}},
		{name: "about a disclosure never drafted", community: comm,
			when: cmd{"2025-07-10", domain.PublicActor, domain.CmdAskQuestion, ask("disclosure/budget-2025")}, wantErr: "rule not_published"},
		{name: "asked twice under one id", community: comm, question: asked(t, "2025-06-10", ""),
			when: cmd{"2025-06-11", domain.PublicActor, domain.CmdAskQuestion, ask("matter/" + matterID)}, wantErr: "rule already_asked"},
		{name: "asked in the future", community: comm, when: cmd{"2026-07-01", domain.PublicActor, domain.CmdAskQuestion, ask("matter/" + matterID)},
			wantErr: "rule date_in_future"},
		{name: "asked in an unregistered community", when: cmd{"2025-06-10", domain.PublicActor, domain.CmdAskQuestion, ask("matter/" + matterID)},
			wantErr: "not found community " + communityID},

		// Answers.
		{name: "answer", community: comm, question: asked(t, "2025-06-10", ""),
			when: cmd{"2025-06-12", clerk, domain.CmdAnswerQuestion, `{"text":"明细见第二季度公开。"}`},
			want: []domain.Event{&domain.QuestionAnswered{Text: "明细见第二季度公开。", AnsweredBy: clerk}}},
		{name: "answer the day it was asked", community: comm, question: asked(t, "2025-06-10", ""),
			when: cmd{"2025-06-10", clerk, domain.CmdAnswerQuestion, `{"text":"已答复。"}`},
			want: []domain.Event{&domain.QuestionAnswered{Text: "已答复。", AnsweredBy: clerk}}},
		{name: "answer late", community: comm, question: asked(t, "2025-06-10", ""),
			when: cmd{"2025-08-01", clerk, domain.CmdAnswerQuestion, `{"text":"迟复。"}`},
			want: []domain.Event{&domain.QuestionAnswered{Text: "迟复。", AnsweredBy: clerk}}},
		{name: "answer twice", community: comm, question: asked(t, "2025-06-10", "2025-06-12"),
			when: cmd{"2025-06-13", clerk, domain.CmdAnswerQuestion, `{"text":"补充答复。"}`}, wantErr: "rule already_answered"},
		{name: "answer dated before the question", community: comm, question: asked(t, "2025-06-10", ""),
			when: cmd{"2025-06-09", clerk, domain.CmdAnswerQuestion, `{"text":"答复。"}`}, wantErr: "rule date_before_previous_stage"},
		{name: "answer a question never asked", community: comm,
			when: cmd{"2025-06-12", clerk, domain.CmdAnswerQuestion, `{"text":"答复。"}`}, wantErr: "not found question " + questionID},
		{name: "answer in the future", community: comm, question: asked(t, "2025-06-10", ""),
			when: cmd{"2026-07-01", clerk, domain.CmdAnswerQuestion, `{"text":"答复。"}`}, wantErr: "rule date_in_future"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			command, err := domain.DecodeCommand(tc.when.typ, []byte(tc.when.data))
			if err != nil {
				t.Fatalf("DecodeCommand(%s, %s): %v", tc.when.typ, tc.when.data, err)
			}
			env := questionEnv(t, tc.community, tc.when.date, tc.when.actor, tc.question)
			before := domain.CloneState(tc.question)
			got, err := command.Decide(env)
			if d := diff(tc.want, got); d != "" || errSummary(err) != tc.wantErr {
				t.Errorf("Decide(%s %s) = %s, %q; want %s, %q%s", tc.when.typ, tc.when.data, show(got), errSummary(err), show(tc.want), tc.wantErr, d)
			}
			checkErrorTexts(t, err)
			if d := diff(before, domain.State(tc.question)); d != "" {
				t.Errorf("Decide(%s) changed the question:%s", tc.when.typ, d)
			}
		})
	}
}

// TestQuestionState checks the question the log builds, and Overdue: a
// question asked 2025-06-10 is due 2025-06-20 (10 days).
func TestQuestionState(t *testing.T) {
	date := func(s string) domain.Date { return mustDate(t, s) }
	q := asked(t, "2025-06-10", "")
	want := &domain.Question{ID: questionID, About: "matter/" + matterID, Text: "村道何时完工？", AskedOn: date("2025-06-10"), Due: date("2025-06-20")}
	if d := diff(want, q); d != "" {
		t.Errorf("asked:%s", d)
	}
	tests := []struct {
		name           string
		q              *domain.Question
		today          string
		answered, late bool
	}{
		{"unanswered, the day asked", q, "2025-06-10", false, false},
		{"unanswered, the due date", q, "2025-06-20", false, false},
		{"unanswered, the day after the due date", q, "2025-06-21", false, true},
		{"unanswered, a year later", q, "2026-06-10", false, true},
		{"answered on the due date, checked later", asked(t, "2025-06-10", "2025-06-20"), "2026-01-01", true, false},
		{"answered early", asked(t, "2025-06-10", "2025-06-11"), "2025-06-30", true, false},
		// Answered a day late: overdue for ever, even on a day before
		// the due date.
		{"answered the day after the due date", asked(t, "2025-06-10", "2025-06-21"), "2025-06-21", true, true},
		{"answered late, checked before the due date", asked(t, "2025-06-10", "2025-06-21"), "2025-06-15", true, true},
	}
	for _, tc := range tests {
		if got := tc.q.Answered(); got != tc.answered {
			t.Errorf("%s: Answered() = %v, want %v", tc.name, got, tc.answered)
		}
		if got := tc.q.Overdue(date(tc.today)); got != tc.late {
			t.Errorf("%s: Overdue(%s) = %v, want %v", tc.name, tc.today, got, tc.late)
		}
	}
	a := asked(t, "2025-06-10", "2025-06-12")
	if a.Answer != "预计五月完工。" || a.AnsweredOn != date("2025-06-12") || a.AnsweredBy != clerk || a.HasContact {
		t.Errorf("answered = %+v, want the answer of %s on 2025-06-12, no contact", a, clerk)
	}
	var none *domain.Question
	if none.Answered() {
		t.Errorf("(*Question)(nil).Answered() = true, want false")
	}
}

func TestQuestionValidation(t *testing.T) {
	tests := []struct {
		name, typ, data, wantErr string
	}{
		{"ask about a matter", domain.CmdAskQuestion, `{"about":"matter/m-1","text":"问"}`, ""},
		{"ask about a disclosure", domain.CmdAskQuestion, `{"about":"disclosure/finance-2025-Q1","text":"问"}`, ""},
		{"several lines", domain.CmdAskQuestion, `{"about":"matter/m-1","text":"第一行\n第二行"}`, ""},
		{"longest text", domain.CmdAskQuestion, `{"about":"matter/m-1","text":"` + strings.Repeat("问", domain.MaxQuestionRunes) + `"}`, ""},
		{"contact reference", domain.CmdAskQuestion, `{"about":"matter/m-1","text":"问","contact_ref":"` + strings.Repeat("0f", 16) + `"}`, ""},

		{"about a budget", domain.CmdAskQuestion, `{"about":"budget/2025","text":"问"}`, "invalid data.about"},
		{"about nothing", domain.CmdAskQuestion, `{"text":"问"}`, "invalid data.about"},
		{"about a matter without id", domain.CmdAskQuestion, `{"about":"matter/","text":"问"}`, "invalid data.about"},
		{"about a path", domain.CmdAskQuestion, `{"about":"matter/../m-1","text":"问"}`, "invalid data.about"},
		{"no text", domain.CmdAskQuestion, `{"about":"matter/m-1"}`, "invalid data.text"},
		{"blank text", domain.CmdAskQuestion, `{"about":"matter/m-1","text":" \n\t"}`, "invalid data.text"},
		{"text too long", domain.CmdAskQuestion, `{"about":"matter/m-1","text":"` + strings.Repeat("问", domain.MaxQuestionRunes+1) + `"}`, "invalid data.text"},
		{"contact reference in capitals", domain.CmdAskQuestion, `{"about":"matter/m-1","text":"问","contact_ref":"` + strings.Repeat("0F", 16) + `"}`, "invalid data.contact_ref"},
		{"contact details in the log", domain.CmdAskQuestion, `{"about":"matter/m-1","text":"问","contact_ref":"13800138000"}`, "invalid data.contact_ref"},
		{"a due date of the client's", domain.CmdAskQuestion, `{"about":"matter/m-1","text":"问","due":"2030-01-01"}`, "invalid data.due"},

		{"answer", domain.CmdAnswerQuestion, `{"text":"答"}`, ""},
		{"blank answer", domain.CmdAnswerQuestion, `{"text":"  "}`, "invalid data.text"},
		{"answer too long", domain.CmdAnswerQuestion, `{"text":"` + strings.Repeat("答", 4001) + `"}`, "invalid data.text"},
	}
	for _, tc := range tests {
		_, err := domain.DecodeCommand(tc.typ, []byte(tc.data))
		if got := errSummary(err); got != tc.wantErr {
			t.Errorf("%s: DecodeCommand(%q, %.120s) error = %q, want %q", tc.name, tc.typ, tc.data, got, tc.wantErr)
		}
		checkErrorTexts(t, err)
	}
}
