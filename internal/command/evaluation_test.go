package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/command"
)

// Towns of the test: dongfeng is in 示例镇, xishan in 河口镇.
const (
	townA = "示例镇"
	townB = "河口镇"
)

// evalPlan is a plan for town in 2025: one entered indicator of 100 points.
func evalPlan(town string) string {
	return `{"town":"` + town + `","year":2025,"indicators":[{"id":"work","name_zh":"重点工作","weight":100,"kind":"entered"}],` +
		`"rating":{"bands":[{"min_score":60,"stars":1},{"min_score":90,"stars":2}]}}`
}

// startService runs a real server (embedded JetStream) with the two
// communities registered, and a command service of the test's own fed
// from its log, ready.
func startService(t *testing.T) *command.Service {
	t.Helper()
	srv := apptest.Start(t, app.Config{})
	for _, c := range []struct{ id, name, town string }{{"dongfeng", "东风社区", townA}, {"xishan", "西山村", townB}} {
		body := fmt.Sprintf(`{"type":"community.register","aggregate_id":%q,"effective_date":"2025-01-02","data":{"name":%q,"kind":"社区","town":%q,"county":"青山县"}}`,
			c.id, c.name, c.town)
		if r := srv.Command(t, c.id, "register-"+c.id, body); r.Status != http.StatusCreated {
			t.Fatalf("register %s: %d %s", c.id, r.Status, r.Body)
		}
	}
	return feedService(t, srv, 0)
}

// evaluatorOf is an account holding the evaluator role over a town.
func evaluatorOf(login, town string) domain.Actor {
	return domain.Actor{ID: login, Name: login, Grants: []domain.Grant{{Role: domain.AccessEvaluator, Scope: domain.TownScope(town)}}}
}

// TestEvaluationAccess: an evaluator of town A publishes A's plan and
// enters scores in it; an evaluator of town B can do neither to A's
// evaluation, nor enter a score for A's community in B's; an administrator
// of everything, not an evaluator, is refused too (separation of duties).
func TestEvaluationAccess(t *testing.T) {
	svc := startService(t)
	evalA, evalB := domain.EvaluationID(2025, townA), domain.EvaluationID(2025, townB)
	a, b := evaluatorOf("eval-a", townA), evaluatorOf("eval-b", townB)
	admin := domain.Actor{ID: "adm", Grants: []domain.Grant{{Role: domain.AccessAdministrator, Scope: domain.ScopeAll}}}
	root := domain.Actor{ID: "admin", Root: true}
	score := func(community string) string {
		return `{"community":"` + community + `","indicator":"work","score":"92","evidence":"完成全部重点工作"}`
	}
	n := 0
	send := func(actor domain.Actor, community, typ, id, data string) error {
		n++
		_, err := svc.Execute(context.Background(), command.Request{Community: community, IdempotencyKey: fmt.Sprint("k", n), Actor: actor,
			Commands: []command.Command{{Type: typ, AggregateID: id, EffectiveDate: "2025-12-20", Data: json.RawMessage(data)}}})
		return err
	}
	steps := []struct {
		name      string
		actor     domain.Actor
		community string // the system community unless set
		typ, id   string
		data      string
		want      error // nil, command.ErrForbidden, or a domain error kind
		wantRule  string
	}{
		{name: "an evaluator of B publishes A's plan", actor: b, typ: domain.CmdPublishEvaluationPlan, id: evalA, data: evalPlan(townA), want: command.ErrForbidden},
		{name: "an administrator publishes A's plan", actor: admin, typ: domain.CmdPublishEvaluationPlan, id: evalA, data: evalPlan(townA), want: command.ErrForbidden},
		{name: "an evaluator of A publishes A's plan", actor: a, typ: domain.CmdPublishEvaluationPlan, id: evalA, data: evalPlan(townA)},
		{name: "an evaluator of B publishes B's plan", actor: b, typ: domain.CmdPublishEvaluationPlan, id: evalB, data: evalPlan(townB)},
		{name: "an evaluator of A to a community, not the system", actor: a, community: "dongfeng", typ: domain.CmdPublishEvaluationPlan, id: evalA, data: evalPlan(townA), want: command.ErrForbidden},
		{name: "an evaluator of B enters a score in A's evaluation", actor: b, typ: domain.CmdEnterScore, id: evalA, data: score("dongfeng"), want: command.ErrForbidden},
		{name: "an evaluator of B supersedes A's plan", actor: b, typ: domain.CmdPublishEvaluationPlan, id: evalA, data: evalPlan(townA), want: command.ErrForbidden},
		{name: "an evaluator of B enters a score for A's community in B's evaluation", actor: b, typ: domain.CmdEnterScore, id: evalB, data: score("dongfeng"), wantRule: "community_not_in_town"},
		{name: "an administrator enters a score", actor: admin, typ: domain.CmdEnterScore, id: evalA, data: score("dongfeng"), want: command.ErrForbidden},
		{name: "an evaluator of A enters a score", actor: a, typ: domain.CmdEnterScore, id: evalA, data: score("dongfeng")},
		{name: "an evaluator of B closes A's evaluation", actor: b, typ: domain.CmdCloseEvaluation, id: evalA, data: `{}`, want: command.ErrForbidden},
		{name: "the root token closes A's evaluation", actor: root, typ: domain.CmdCloseEvaluation, id: evalA, data: `{}`},
		{name: "a plan changed after the close is refused", actor: a, typ: domain.CmdPublishEvaluationPlan, id: evalA, data: evalPlan(townA), wantRule: "evaluation_closed"},
		{name: "a score after the close is refused", actor: a, typ: domain.CmdEnterScore, id: evalA, data: score("dongfeng"), wantRule: "evaluation_closed"},
	}
	for _, st := range steps {
		community := domain.SystemCommunity
		if st.community != "" {
			community = st.community
		}
		err := send(st.actor, community, st.typ, st.id, st.data)
		var re *domain.RuleError
		switch {
		case st.wantRule != "":
			if !errors.As(err, &re) || re.Code != st.wantRule {
				t.Errorf("%s: Execute = %v, want rule %s", st.name, err, st.wantRule)
			}
		case st.want != nil:
			if !errors.Is(err, st.want) {
				t.Errorf("%s: Execute = %v, want %v", st.name, err, st.want)
			}
		case err != nil:
			t.Errorf("%s: Execute = %v, want success", st.name, err)
		}
	}
	st, _ := svc.State(domain.SystemCommunity, domain.AggregateEvaluation, evalA)
	e, _ := st.(*domain.Evaluation)
	if !e.Published() || e.Scores["dongfeng"]["work"].By != "eval-a" {
		t.Fatalf("A's evaluation: Published() = %v, scores %+v; want published, scored by eval-a", e.Published(), e.Scores)
	}
	got, err := e.Score("dongfeng", nil)
	if err != nil || got.TotalString() != "92.00" || got.Stars != 2 {
		t.Errorf("Score(dongfeng) = %s, %d stars, %v; want 92.00, 2 stars", got.Total, got.Stars, err)
	}
}
