package domain_test

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

// The evaluation tests evaluate 城关镇 in 2025. Its communities are
// communityID (东风社区, registered) and "xiangyang"; "xishan" is in
// another town.
const (
	evalTown  = "城关镇"
	evaluator = "eval-sun"
)

var evalID = domain.EvaluationID(2025, evalTown)

// planJSON is the plan of the tests, its indicators adding up to 100:
//
//	disclosure  40  computed, disclosures on time, linear from 50% (0) to 100% (40)
//	meetings    10  computed, meetings a quarter, at least 1
//	work        30  entered, scored out of 10
//	appraisal   20  the appraisal: 满意 100%, 基本满意 60%, 不满意 0
//
// and the rating 60: ★, 70: ★★, 80: ★★★, 90: ★★★★.
const planJSON = `{"town":"城关镇","year":2025,"indicators":[` +
	`{"id":"disclosure","name_zh":"按时公开","weight":40,"kind":"computed","rule":"disclosures_on_time","scoring":{"kind":"linear","full_at":"100%","zero_at":"50%"}},` +
	`{"id":"meetings","name_zh":"会议次数","weight":10,"kind":"computed","rule":"meetings_per_quarter","scoring":{"kind":"at_least","full_at":"1"}},` +
	`{"id":"work","name_zh":"重点工作","weight":30,"kind":"entered","max_points":10},` +
	`{"id":"appraisal","name_zh":"民主测评","weight":20,"kind":"appraisal"}],` +
	`"appraisal":{"options":[{"id":"satisfied","label_zh":"满意","score":100},{"id":"basic","label_zh":"基本满意","score":60},{"id":"no","label_zh":"不满意","score":0}],"entitled_kind":"representatives"},` +
	`"rating":{"bands":[{"min_score":60,"stars":1},{"min_score":70,"stars":2},{"min_score":80,"stars":3},{"min_score":90,"stars":4}]}}`

// plan is planJSON as decoded.
func plan() domain.EvaluationPlan {
	return domain.EvaluationPlan{Town: evalTown, Year: 2025,
		Indicators: []domain.Indicator{
			{ID: "disclosure", NameZH: "按时公开", Weight: 40, Kind: domain.IndicatorComputed, Rule: "disclosures_on_time",
				Scoring: &domain.Scoring{Kind: domain.ScoringLinear, FullAt: "100%", ZeroAt: "50%"}},
			{ID: "meetings", NameZH: "会议次数", Weight: 10, Kind: domain.IndicatorComputed, Rule: "meetings_per_quarter",
				Scoring: &domain.Scoring{Kind: domain.ScoringAtLeast, FullAt: "1"}},
			{ID: "work", NameZH: "重点工作", Weight: 30, Kind: domain.IndicatorEntered, MaxPoints: 10},
			{ID: "appraisal", NameZH: "民主测评", Weight: 20, Kind: domain.IndicatorAppraisal},
		},
		Appraisal: &domain.AppraisalPlan{Entitled: domain.EntitledRepresentatives, Options: []domain.AppraisalOption{
			{ID: "satisfied", LabelZH: "满意", Score: 100}, {ID: "basic", LabelZH: "基本满意", Score: 60}, {ID: "no", LabelZH: "不满意", Score: 0}}},
		Rating: domain.RatingRule{Bands: []domain.RatingBand{{60, 1}, {70, 2}, {80, 3}, {90, 4}}},
	}
}

// planWith is planJSON with old replaced by new.
func planWith(old, new string) string {
	if !strings.Contains(planJSON, old) {
		panic("planWith: " + old + " not in the plan")
	}
	return strings.Replace(planJSON, old, new, 1)
}

var (
	publishPlan = cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planJSON}
	scoreWork   = cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"dongfeng","indicator":"work","score":"7.5","evidence":"重点工作完成三项，一项未完成"}`}
	appraise    = cmd{"2025-12-21", evaluator, domain.CmdRecordAppraisal, `{"community":"dongfeng","entitled":20,"tallies":{"satisfied":10,"basic":4,"no":1}}`}
	closeEval   = cmd{"2025-12-31", evaluator, domain.CmdCloseEvaluation, `{}`}
)

// evalEnv is the Env of a command to the evaluation in state e.
func evalEnv(t *testing.T, id string, c cmd, e *domain.Evaluation) domain.Env {
	t.Helper()
	comms := map[string]*domain.Community{
		communityID: community(t, registered),
		"xiangyang": {ID: "xiangyang", Name: "向阳村", Town: evalTown},
		"xishan":    {ID: "xishan", Name: "西山村", Town: "河口镇"},
	}
	env := domain.Env{Today: mustDate(t, "2026-06-30"), Date: mustDate(t, c.date), CommunityID: domain.SystemCommunity,
		AggregateID: id, Actor: c.actor,
		LookupCommunity: func(id string) *domain.Community { return comms[id] }}
	return domain.EnvFor(env, e)
}

// runEval decodes and decides c on e, returning the events or the error.
func runEval(t *testing.T, id string, e *domain.Evaluation, c cmd) ([]domain.Event, error) {
	t.Helper()
	command, err := domain.DecodeCommand(c.typ, []byte(c.data))
	if err != nil {
		return nil, err
	}
	return command.Decide(evalEnv(t, id, c, e))
}

// evaluation folds the given commands into the evaluation evalID, as the
// command service does, through the stored form of each event.
func evaluation(t *testing.T, given ...cmd) *domain.Evaluation {
	t.Helper()
	var s domain.State
	for _, c := range given {
		e, _ := s.(*domain.Evaluation)
		evs, err := runEval(t, evalID, e, c)
		if err != nil {
			t.Fatalf("Decide(%s %s) on %s: %v", c.typ, c.data, c.date, err)
		}
		for _, ev := range evs {
			s = domain.ApplyTo(s, domain.AggregateEvaluation, evalID, stored(t, ev), mustDate(t, c.date))
		}
	}
	e, _ := s.(*domain.Evaluation)
	return e
}

func TestEvaluationID(t *testing.T) {
	// The id is stored in the log's subjects: it never changes. The first
	// 12 hex digits of SHA-256("城关镇") (UTF-8) are 828a05a927d2
	// (printf '城关镇' | sha256sum).
	if id, want := domain.EvaluationID(2025, evalTown), "2025-828a05a927d2"; id != want || !domain.ValidAggregateID(id) {
		t.Errorf("EvaluationID(2025, %s) = %q, want %q", evalTown, id, want)
	}
	for _, other := range []string{domain.EvaluationID(2025, "河口镇"), domain.EvaluationID(2026, evalTown)} {
		if other == evalID {
			t.Errorf("EvaluationID(...) = %q for another town or year", other)
		}
	}
}

func TestEvaluationDecide(t *testing.T) {
	v2 := planWith(`"weight":30,"kind":"entered","max_points":10`, `"weight":30,"kind":"entered","max_points":8`)
	tests := []struct {
		name    string
		id      string // evalID unless set
		given   []cmd
		when    cmd
		want    []domain.Event
		wantErr string
	}{
		// The plan, and a later version superseding it while open.
		{name: "publish a plan", when: publishPlan,
			want: []domain.Event{&domain.EvaluationPlanPublished{Version: 1, Plan: plan()}}},
		{name: "a later version supersedes it before the close", given: []cmd{publishPlan, scoreWork},
			when: cmd{"2025-12-22", evaluator, domain.CmdPublishEvaluationPlan, v2},
			want: []domain.Event{&domain.EvaluationPlanPublished{Version: 2, Plan: func() domain.EvaluationPlan {
				p := plan()
				p.Indicators[2].MaxPoints = 8
				return p
			}()}}},
		{name: "a plan changed after the evaluation closed is refused", given: []cmd{publishPlan, closeEval},
			when: cmd{"2026-01-05", evaluator, domain.CmdPublishEvaluationPlan, v2}, wantErr: "rule evaluation_closed"},
		{name: "a new version may not drop an entered score", given: []cmd{publishPlan, scoreWork},
			when: cmd{"2025-12-22", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"id":"work"`, `"id":"work2"`)}, wantErr: "rule plan_drops_scores"},
		{name: "a new version may not put a scale below an entered score", given: []cmd{publishPlan, scoreWork},
			when: cmd{"2025-12-22", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"max_points":10`, `"max_points":7`)}, wantErr: "rule plan_drops_scores"},
		{name: "a new version may not drop a tallied option", given: []cmd{publishPlan, appraise},
			when: cmd{"2025-12-22", evaluator, domain.CmdPublishEvaluationPlan, planWith(`{"id":"basic","label_zh":"基本满意","score":60},`, ``)}, wantErr: "rule plan_drops_tallies"},
		{name: "the id is not the town's and year's", id: domain.EvaluationID(2025, "河口镇"), when: publishPlan, wantErr: "invalid aggregate_id"},
		{name: "the plan of another year under this id", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"year":2025`, `"year":2024`)}, wantErr: "invalid aggregate_id"},
		{name: "weights not summing to 100", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"weight":40`, `"weight":45`)}, wantErr: "invalid data.indicators"},
		{name: "an indicator twice", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"id":"meetings"`, `"id":"disclosure"`)}, wantErr: "invalid data.indicators[1].id"},
		{name: "an unknown computed rule", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"rule":"meetings_per_quarter"`, `"rule":"good_mood"`)}, wantErr: "invalid data.indicators[1].rule"},
		{name: "a computed indicator without scoring", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`,"scoring":{"kind":"at_least","full_at":"1"}`, ``)}, wantErr: "invalid data.indicators[1].scoring"},
		{name: "linear scoring with full_at equal to zero_at", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"full_at":"100%","zero_at":"50%"`, `"full_at":"1/2","zero_at":"50%"`)}, wantErr: "invalid data.indicators[0].scoring.zero_at"},
		{name: "a threshold that is not a number", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"full_at":"1"`, `"full_at":"1e3"`)}, wantErr: "invalid data.indicators[1].scoring.full_at"},
		{name: "an unknown kind", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"kind":"entered"`, `"kind":"guessed"`)}, wantErr: "invalid data.indicators[2].kind"},
		{name: "appraisal options without an appraisal indicator", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"weight":20,"kind":"appraisal"`, `"weight":20,"kind":"entered"`)}, wantErr: "invalid data.indicators"},
		{name: "an appraisal indicator without options", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan,
			strings.Replace(planJSON, `"appraisal":{"options":[{"id":"satisfied","label_zh":"满意","score":100},{"id":"basic","label_zh":"基本满意","score":60},{"id":"no","label_zh":"不满意","score":0}],"entitled_kind":"representatives"},`, ``, 1)}, wantErr: "invalid data.appraisal"},
		{name: "an unknown entitlement", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`"entitled_kind":"representatives"`, `"entitled_kind":"everyone"`)}, wantErr: "invalid data.appraisal.entitled_kind"},
		{name: "rating bands out of order", when: cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, planWith(`{"min_score":70,"stars":2}`, `{"min_score":50,"stars":2}`)}, wantErr: "invalid data.rating.bands[1]"},
		{name: "a plan dated in the future", when: cmd{"2026-07-01", evaluator, domain.CmdPublishEvaluationPlan, planJSON}, wantErr: "rule date_in_future"},

		// Entered scores.
		{name: "enter a score", given: []cmd{publishPlan}, when: scoreWork,
			want: []domain.Event{&domain.ScoreEntered{Community: communityID, Indicator: "work", Score: "7.5", Evidence: "重点工作完成三项，一项未完成", EnteredBy: evaluator}}},
		{name: "enter a score with an attachment only", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"xiangyang","indicator":"work","score":"10","attachment_sha256":"` + strings.Repeat("ab", 32) + `"}`},
			want: []domain.Event{&domain.ScoreEntered{Community: "xiangyang", Indicator: "work", Score: "10", AttachmentSHA256: strings.Repeat("ab", 32), EnteredBy: evaluator}}},
		{name: "a score above the indicator's max", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"dongfeng","indicator":"work","score":"10.01","evidence":"优"}`}, wantErr: "rule score_above_max"},
		{name: "a score for a computed indicator", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"dongfeng","indicator":"meetings","score":"5","evidence":"开会五次"}`}, wantErr: "rule indicator_not_entered"},
		{name: "a score for the appraisal indicator", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"dongfeng","indicator":"appraisal","score":"5","evidence":"好"}`}, wantErr: "rule indicator_not_entered"},
		{name: "a score for an unknown indicator", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"dongfeng","indicator":"mood","score":"5","evidence":"好"}`}, wantErr: "not found indicator mood"},
		{name: "a score for an unknown community", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"nowhere","indicator":"work","score":"5","evidence":"好"}`}, wantErr: "not found community nowhere"},
		{name: "a score for a community of another town", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"xishan","indicator":"work","score":"5","evidence":"好"}`}, wantErr: "rule community_not_in_town"},
		{name: "a score without evidence", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"dongfeng","indicator":"work","score":"5"}`}, wantErr: "invalid data.evidence"},
		{name: "a score with three decimals", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"dongfeng","indicator":"work","score":"5.125","evidence":"好"}`}, wantErr: "invalid data.score"},
		{name: "a negative score", given: []cmd{publishPlan},
			when: cmd{"2025-12-20", evaluator, domain.CmdEnterScore, `{"community":"dongfeng","indicator":"work","score":"-1","evidence":"差"}`}, wantErr: "invalid data.score"},
		{name: "a score before any plan", when: scoreWork, wantErr: "not found evaluation " + evalID},
		{name: "a score after the close", given: []cmd{publishPlan, closeEval}, when: cmd{"2026-01-05", evaluator, domain.CmdEnterScore, scoreWork.data}, wantErr: "rule evaluation_closed"},
		{name: "a score dated before the plan", given: []cmd{publishPlan}, when: cmd{"2025-01-09", evaluator, domain.CmdEnterScore, scoreWork.data}, wantErr: "rule date_before_previous_stage"},

		// The appraisal.
		{name: "record an appraisal", given: []cmd{publishPlan}, when: appraise,
			want: []domain.Event{&domain.AppraisalRecorded{Community: communityID, Entitled: 20, Tallies: map[string]int{"satisfied": 10, "basic": 4, "no": 1}}}},
		{name: "a tally equal to the number entitled", given: []cmd{publishPlan},
			when: cmd{"2025-12-21", evaluator, domain.CmdRecordAppraisal, `{"community":"dongfeng","entitled":15,"tallies":{"satisfied":10,"basic":4,"no":1}}`},
			want: []domain.Event{&domain.AppraisalRecorded{Community: communityID, Entitled: 15, Tallies: map[string]int{"satisfied": 10, "basic": 4, "no": 1}}}},
		{name: "an appraisal tally larger than the number entitled is refused", given: []cmd{publishPlan},
			when: cmd{"2025-12-21", evaluator, domain.CmdRecordAppraisal, `{"community":"dongfeng","entitled":14,"tallies":{"satisfied":10,"basic":4,"no":1}}`}, wantErr: "invalid data.tallies"},
		{name: "a negative count", given: []cmd{publishPlan},
			when: cmd{"2025-12-21", evaluator, domain.CmdRecordAppraisal, `{"community":"dongfeng","entitled":20,"tallies":{"satisfied":10,"no":-1}}`}, wantErr: "invalid data.tallies.no"},
		{name: "nobody entitled", given: []cmd{publishPlan},
			when: cmd{"2025-12-21", evaluator, domain.CmdRecordAppraisal, `{"community":"dongfeng","entitled":0,"tallies":{"satisfied":0}}`}, wantErr: "invalid data.entitled"},
		{name: "an unknown option", given: []cmd{publishPlan},
			when: cmd{"2025-12-21", evaluator, domain.CmdRecordAppraisal, `{"community":"dongfeng","entitled":20,"tallies":{"great":10}}`}, wantErr: "not found appraisal option great"},
		{name: "an appraisal of an unknown community", given: []cmd{publishPlan},
			when: cmd{"2025-12-21", evaluator, domain.CmdRecordAppraisal, `{"community":"nowhere","entitled":20,"tallies":{"satisfied":10}}`}, wantErr: "not found community nowhere"},
		{name: "an appraisal under a plan without one", given: []cmd{{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan,
			strings.Replace(strings.Replace(planJSON, `"appraisal":{"options":[{"id":"satisfied","label_zh":"满意","score":100},{"id":"basic","label_zh":"基本满意","score":60},{"id":"no","label_zh":"不满意","score":0}],"entitled_kind":"representatives"},`, ``, 1),
				`"weight":20,"kind":"appraisal"`, `"weight":20,"kind":"entered"`, 1)}},
			when: appraise, wantErr: "rule no_appraisal"},
		{name: "an appraisal after the close", given: []cmd{publishPlan, closeEval}, when: cmd{"2026-01-05", evaluator, domain.CmdRecordAppraisal, appraise.data}, wantErr: "rule evaluation_closed"},

		// The close.
		{name: "close", given: []cmd{publishPlan, scoreWork, appraise}, when: closeEval,
			want: []domain.Event{&domain.EvaluationClosed{PlanVersion: 1}}},
		{name: "close after a second version", given: []cmd{publishPlan, {"2025-06-01", evaluator, domain.CmdPublishEvaluationPlan, v2}}, when: closeEval,
			want: []domain.Event{&domain.EvaluationClosed{PlanVersion: 2}}},
		// The close records each community's result when given the
		// computed values: dongfeng's is worked out in TestEvaluationScore.
		{name: "close with the results", given: []cmd{publishPlan, scoreWork, appraise},
			when: cmd{"2025-12-31", evaluator, domain.CmdCloseEvaluation, `{"computed":{"dongfeng":{"disclosure":"4/5","meetings":"1"},"xiangyang":{"disclosure":"120%","meetings":"0.9"}}}`},
			want: []domain.Event{&domain.EvaluationClosed{PlanVersion: 1, Results: map[string]domain.EvaluationResult{
				communityID: {Computed: map[string]string{"disclosure": "4/5", "meetings": "1"}, Total: "2191/30", Stars: 2},
				"xiangyang": {Computed: map[string]string{"disclosure": "120%", "meetings": "0.9"}, Total: "40", Stars: 0, Missing: []string{"work", "appraisal"}},
			}}}},
		{name: "close with results leaving out a community with scores", given: []cmd{publishPlan, scoreWork},
			when: cmd{"2025-12-31", evaluator, domain.CmdCloseEvaluation, `{"computed":{"xiangyang":{"disclosure":"1","meetings":"1"}}}`}, wantErr: "rule result_missing"},
		{name: "close with results lacking a computed value", given: []cmd{publishPlan},
			when: cmd{"2025-12-31", evaluator, domain.CmdCloseEvaluation, `{"computed":{"dongfeng":{"disclosure":"1"}}}`}, wantErr: "rule result_missing"},
		{name: "close with a value for an entered indicator", given: []cmd{publishPlan},
			when: cmd{"2025-12-31", evaluator, domain.CmdCloseEvaluation, `{"computed":{"dongfeng":{"disclosure":"1","meetings":"1","work":"10"}}}`}, wantErr: "rule indicator_not_computed"},
		{name: "close with results of another town's community", given: []cmd{publishPlan},
			when: cmd{"2025-12-31", evaluator, domain.CmdCloseEvaluation, `{"computed":{"xishan":{"disclosure":"1","meetings":"1"}}}`}, wantErr: "rule community_not_in_town"},
		{name: "close with a value that is not a number", given: []cmd{publishPlan},
			when: cmd{"2025-12-31", evaluator, domain.CmdCloseEvaluation, `{"computed":{"dongfeng":{"disclosure":"most","meetings":"1"}}}`}, wantErr: "invalid data.computed.dongfeng"},
		{name: "close twice", given: []cmd{publishPlan, closeEval}, when: closeEval, wantErr: "rule evaluation_closed"},
		{name: "close without a plan", when: closeEval, wantErr: "not found evaluation " + evalID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := evalID
			if tc.id != "" {
				id = tc.id
			}
			e := evaluation(t, tc.given...)
			got, err := runEval(t, id, e, tc.when)
			if s := errSummary(err); s != tc.wantErr {
				t.Fatalf("Decide(%s) error = %v, want %q", tc.when.typ, err, tc.wantErr)
			}
			checkErrorTexts(t, err)
			if d := diff(tc.want, got); d != "" {
				t.Errorf("Decide(%s) = %s", tc.when.typ, d)
			}
			for _, ev := range got {
				if d := diff(ev, stored(t, ev)); d != "" {
					t.Errorf("event %s does not survive the log: %s", ev.EventType(), d)
				}
			}
		})
	}
}

func TestEvaluationState(t *testing.T) {
	e := evaluation(t, publishPlan, scoreWork, appraise,
		cmd{"2025-12-22", evaluator, domain.CmdEnterScore, `{"community":"dongfeng","indicator":"work","score":"8","evidence":"复核后改为8分"}`})
	if e.Published() || e.Closed() {
		t.Errorf("open evaluation: Published() = %v, Closed() = %v, want false", e.Published(), e.Closed())
	}
	if got := e.Scores[communityID]["work"]; got.Score != "8" || got.By != evaluator || got.On != mustDate(t, "2025-12-22") {
		t.Errorf("a later score replaces the earlier: got %+v", got)
	}
	// A clone shares nothing with the state.
	c := domain.CloneState(e).(*domain.Evaluation)
	c.Scores[communityID]["work"] = domain.EnteredScore{Score: "1"}
	c.Appraisals[communityID].Tallies["no"] = 99
	c.Plan.Indicators[0].Scoring.FullAt = "1"
	c.Plan.Appraisal.Options[0].Score = 1
	if e.Scores[communityID]["work"].Score != "8" || e.Appraisals[communityID].Tallies["no"] != 1 ||
		e.Plan.Indicators[0].Scoring.FullAt != "100%" || e.Plan.Appraisal.Options[0].Score != 100 {
		t.Errorf("CloneState shares state with the original")
	}
	closed := evaluation(t, publishPlan, closeEval)
	if !closed.Published() || closed.ClosedOn != mustDate(t, "2025-12-31") {
		t.Errorf("closed evaluation: Published() = %v, ClosedOn = %v; want true, 2025-12-31", closed.Published(), closed.ClosedOn)
	}
	withResults := evaluation(t, publishPlan, scoreWork, appraise,
		cmd{"2025-12-31", evaluator, domain.CmdCloseEvaluation, `{"computed":{"dongfeng":{"disclosure":"4/5","meetings":"1"}}}`})
	if r := withResults.Results[communityID]; r.Total != "2191/30" || r.Stars != 2 {
		t.Errorf("Results[dongfeng] = %+v, want total 2191/30, 2 stars", r)
	}
	rc := domain.CloneState(withResults).(*domain.Evaluation)
	rc.Results[communityID].Computed["meetings"] = "0"
	if withResults.Results[communityID].Computed["meetings"] != "1" {
		t.Errorf("CloneState shares the results with the original")
	}
}

func TestEvaluationReaders(t *testing.T) {
	e := evaluation(t, publishPlan)
	tests := []struct {
		name                    string
		actor                   domain.Actor
		evaluate, readUnpublish bool
	}{
		{"root", domain.Actor{ID: "admin", Root: true}, true, true},
		{"evaluator of the town", domain.Actor{ID: "a", Grants: []domain.Grant{{Role: domain.AccessEvaluator, Scope: domain.TownScope(evalTown)}}}, true, true},
		{"evaluator of another town", domain.Actor{ID: "b", Grants: []domain.Grant{{Role: domain.AccessEvaluator, Scope: domain.TownScope("河口镇")}}}, false, false},
		{"evaluator of a community of the town", domain.Actor{ID: "c", Grants: []domain.Grant{{Role: domain.AccessEvaluator, Scope: domain.CommunityScope(communityID)}}}, false, false},
		{"administrator of everything", domain.Actor{ID: "d", Grants: []domain.Grant{{Role: domain.AccessAdministrator, Scope: domain.ScopeAll}}}, false, false},
		{"administrator of the town", domain.Actor{ID: "e", Grants: []domain.Grant{{Role: domain.AccessAdministrator, Scope: domain.TownScope(evalTown)}}}, false, false},
		{"clerk", domain.Actor{ID: "f", Grants: []domain.Grant{{Role: domain.AccessClerk, Scope: domain.CommunityScope(communityID)}}}, false, false},
	}
	for _, tc := range tests {
		if got := tc.actor.MayEvaluate(evalTown); got != tc.evaluate {
			t.Errorf("%s: MayEvaluate(%s) = %v, want %v", tc.name, evalTown, got, tc.evaluate)
		}
		if got := tc.actor.MayReadUnpublished(e); got != tc.readUnpublish {
			t.Errorf("%s: MayReadUnpublished = %v, want %v", tc.name, got, tc.readUnpublish)
		}
		for _, typ := range []string{domain.CmdPublishEvaluationPlan, domain.CmdEnterScore, domain.CmdRecordAppraisal, domain.CmdCloseEvaluation} {
			if got := tc.actor.MayRecord(typ, "", evalTown); got != tc.evaluate {
				t.Errorf("%s: MayRecord(%s, \"\", %s) = %v, want %v", tc.name, typ, evalTown, got, tc.evaluate)
			}
		}
	}
	if (domain.Actor{Grants: []domain.Grant{{Role: domain.AccessEvaluator, Scope: domain.TownScope(evalTown)}}}).MayEvaluate("") {
		t.Errorf("MayEvaluate(\"\") = true, want false: no town, no evaluation")
	}
}

func TestEvaluationScore(t *testing.T) {
	e := evaluation(t, publishPlan, scoreWork, appraise,
		cmd{"2025-12-21", evaluator, domain.CmdEnterScore, `{"community":"xiangyang","indicator":"work","score":"10","evidence":"全部完成"}`})
	rat := func(s string) *big.Rat {
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("bad rational %q", s)
		}
		return r
	}
	tests := []struct {
		name        string
		community   string
		computed    map[string]*big.Rat
		points      map[string]string
		total       string // exact, as a fraction
		totalString string
		stars       int
		missing     []string
	}{
		// dongfeng: disclosure 80% on time: (0.8-0.5)/(1-0.5) = 0.6 of 40 = 24;
		// 1 meeting a quarter: at least 1, so 10; work 7.5 of 10 = 0.75
		// of 30 = 22.5; appraisal (10×100 + 4×60 + 1×0)/(100×15) =
		// 1240/1500 of 20 = 248/15. Total 24 + 10 + 45/2 + 248/15 =
		// 2191/30 = 73.0333…: ★★ (70 ≤ total < 80), shown 73.03.
		{name: "worked out by hand", community: communityID,
			computed: map[string]*big.Rat{"disclosure": rat("4/5"), "meetings": rat("1")},
			points:   map[string]string{"disclosure": "24/1", "meetings": "10/1", "work": "45/2", "appraisal": "248/15"},
			total:    "2191/30", totalString: "73.03", stars: 2},
		// xiangyang: 120% is clamped to the full 40; 0.9 meetings a
		// quarter is below 1, so 0; work 10 of 10 = 30; no appraisal
		// recorded: 0, and missing. Total exactly 70: ★★, the band's
		// edge, decided on the exact total.
		{name: "clamped, below the bar, missing appraisal; exactly on a band", community: "xiangyang",
			computed: map[string]*big.Rat{"disclosure": rat("6/5"), "meetings": rat("9/10")},
			points:   map[string]string{"disclosure": "40/1", "meetings": "0/1", "work": "30/1", "appraisal": "0/1"},
			total:    "70/1", totalString: "70.00", stars: 2, missing: []string{"appraisal"}},
		// Below the zero line and nothing entered: 0 points, no stars.
		{name: "nothing earned", community: "other",
			computed: map[string]*big.Rat{"disclosure": rat("0.3"), "meetings": rat("0")},
			points:   map[string]string{"disclosure": "0/1", "meetings": "0/1", "work": "0/1", "appraisal": "0/1"},
			total:    "0/1", totalString: "0.00", stars: 0, missing: []string{"work", "appraisal"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.Score(tc.community, tc.computed)
			if err != nil {
				t.Fatalf("Score(%s) error = %v", tc.community, err)
			}
			pts := map[string]string{}
			for k, v := range got.Points {
				pts[k] = v.String()
			}
			if d := diff(tc.points, pts); d != "" {
				t.Errorf("Score(%s).Points = %s", tc.community, d)
			}
			if got.Total.String() != tc.total || got.TotalString() != tc.totalString || got.Stars != tc.stars {
				t.Errorf("Score(%s) = total %s (%s), %d stars; want %s (%s), %d stars", tc.community,
					got.Total, got.TotalString(), got.Stars, tc.total, tc.totalString, tc.stars)
			}
			if d := diff(tc.missing, got.Missing); d != "" {
				t.Errorf("Score(%s).Missing = %s", tc.community, d)
			}
		})
	}
	if _, err := e.Score(communityID, map[string]*big.Rat{"disclosure": rat("1")}); err == nil {
		t.Errorf("Score without the meetings value: error = nil, want one")
	}
	if _, err := (*domain.Evaluation)(nil).Score(communityID, nil); err == nil {
		t.Errorf("Score of no evaluation: error = nil, want one")
	}
}

// TestLinearScoringDescending checks a scoring where less is better: full
// at 0, nothing at 10%.
func TestLinearScoringDescending(t *testing.T) {
	e := evaluation(t, cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan,
		planWith(`"rule":"disclosures_on_time","scoring":{"kind":"linear","full_at":"100%","zero_at":"50%"}`,
			`"rule":"budget_execution","scoring":{"kind":"linear","full_at":"0","zero_at":"10%"}`)})
	for _, tc := range []struct{ v, want string }{{"0", "40/1"}, {"1/20", "20/1"}, {"1/10", "0/1"}, {"1/5", "0/1"}, {"-1", "40/1"}} {
		v, _ := new(big.Rat).SetString(tc.v)
		got, err := e.Score(communityID, map[string]*big.Rat{"disclosure": v, "meetings": new(big.Rat)})
		if err != nil {
			t.Fatal(err)
		}
		if got.Points["disclosure"].String() != tc.want {
			t.Errorf("value %s: %s points, want %s", tc.v, got.Points["disclosure"], tc.want)
		}
	}
}

// TestEvaluationWireFormat pins the stored type strings and JSON of the
// evaluation's events: a change here breaks every stored log.
func TestEvaluationWireFormat(t *testing.T) {
	tests := []struct {
		e         domain.Event
		typ, want string
	}{
		{&domain.EvaluationPlanPublished{Version: 2, Plan: domain.EvaluationPlan{Town: "城关镇", Year: 2025,
			Indicators: []domain.Indicator{{ID: "work", NameZH: "重点工作", Weight: 100, Kind: domain.IndicatorEntered}},
			Rating:     domain.RatingRule{Bands: []domain.RatingBand{{MinScore: 60, Stars: 1}}}}},
			"evaluation.plan_published",
			`{"version":2,"plan":{"town":"城关镇","year":2025,"indicators":[{"id":"work","name_zh":"重点工作","weight":100,"kind":"entered"}],"rating":{"bands":[{"min_score":60,"stars":1}]}}}`},
		{&domain.ScoreEntered{Community: "dongfeng", Indicator: "work", Score: "8.5", Evidence: "完成", EnteredBy: "eval-sun"},
			"evaluation.score_entered", `{"community":"dongfeng","indicator":"work","score":"8.5","evidence":"完成","entered_by":"eval-sun"}`},
		{&domain.AppraisalRecorded{Community: "dongfeng", Entitled: 20, Tallies: map[string]int{"no": 1, "satisfied": 10}},
			"evaluation.appraisal_recorded", `{"community":"dongfeng","entitled":20,"tallies":{"no":1,"satisfied":10}}`},
		{&domain.EvaluationClosed{PlanVersion: 2}, "evaluation.closed", `{"plan_version":2}`},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.e)
		if string(b) != tc.want || err != nil || tc.e.EventType() != tc.typ {
			t.Errorf("json.Marshal(%T) = %s %s, %v; want %s %s, nil", tc.e, tc.e.EventType(), b, err, tc.typ, tc.want)
		}
		if d := diff(tc.e, stored(t, tc.e)); d != "" {
			t.Errorf("DecodeEvent(%s): %s", tc.typ, d)
		}
	}
}

// FuzzPublishEvaluationPlan: a plan that decodes and is decided publishes
// an event that survives the log unchanged, and whose plan, sent again as
// a command, decodes to the same plan (the published plan is itself a
// valid plan).
func FuzzPublishEvaluationPlan(f *testing.F) {
	f.Add(planJSON)
	f.Add(planWith(`"weight":40`, `"weight":45`))
	f.Add(planWith(`"full_at":"100%","zero_at":"50%"`, `"full_at":"0","zero_at":"-1/3"`))
	f.Add(`{"town":"河口镇","year":2026,"indicators":[{"id":"w","name_zh":"工作","weight":100,"kind":"entered","max_points":7}],"rating":{"bands":[{"min_score":0,"stars":1}]}}`)
	f.Fuzz(func(t *testing.T, data string) {
		c, err := domain.DecodeCommand(domain.CmdPublishEvaluationPlan, []byte(data))
		if err != nil {
			return
		}
		p := c.(*domain.PublishEvaluationPlan)
		id := domain.EvaluationID(p.Year, p.Town)
		evs, err := c.Decide(evalEnv(t, id, cmd{"2025-01-10", evaluator, domain.CmdPublishEvaluationPlan, data}, nil))
		if err != nil {
			t.Fatalf("Decide(%s) = %v for a plan that validates", data, err)
		}
		ev := evs[0].(*domain.EvaluationPlanPublished)
		if d := diff(domain.Event(ev), stored(t, ev)); d != "" {
			t.Fatalf("plan_published does not survive the log: %s", d)
		}
		b, err := json.Marshal(ev.Plan)
		if err != nil {
			t.Fatal(err)
		}
		again, err := domain.DecodeCommand(domain.CmdPublishEvaluationPlan, b)
		if err != nil {
			t.Fatalf("the published plan %s does not decode as a plan: %v", b, err)
		}
		if d := diff(ev.Plan, domain.EvaluationPlan(*again.(*domain.PublishEvaluationPlan))); d != "" {
			t.Fatalf("the published plan decodes differently: %s", d)
		}
	})
}
