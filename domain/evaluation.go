package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Town evaluation (年度考核): the town evaluates each of its communities once
// a year by a plan published as data (考核方案): indicators, each with its
// weight in points out of 100, computed from the log or entered by an
// evaluator with evidence; a residents' or representatives' appraisal (民主
// 测评) with its options; and a rating rule (stars by score bands). The
// evaluators (access role evaluator over the town) enter scores and
// appraisal tallies, and close the evaluation, which publishes the result.
// Every step is an event, so the result is replayed and proven like
// anything else in the log.
//
// An evaluation lives in the system community SystemCommunity under the id
// EvaluationID(year, town): ledger._gongkai.evaluation.<year>-<townkey>.
// A plan may be superseded by a new version until the evaluation is
// closed, never after; nothing changes after the close.

// AggregateEvaluation is the aggregate type of a town's evaluation of a
// year; its id is EvaluationID(year, town).
const AggregateEvaluation = "evaluation"

// Command types of an evaluation.
const (
	CmdPublishEvaluationPlan = "evaluation.publish_plan"
	CmdEnterScore            = "evaluation.enter_score"
	CmdRecordAppraisal       = "evaluation.record_appraisal"
	CmdCloseEvaluation       = "evaluation.close"
)

// Event types of an evaluation. These are stored in the log: never change
// one.
const (
	EvEvaluationPlanPublished = "evaluation.plan_published"
	EvScoreEntered            = "evaluation.score_entered"
	EvAppraisalRecorded       = "evaluation.appraisal_recorded"
	EvEvaluationClosed        = "evaluation.closed"
)

// Indicator kinds.
const (
	// IndicatorComputed is computed from the log by a named rule.
	IndicatorComputed = "computed"
	// IndicatorEntered is scored by an evaluator, with evidence.
	IndicatorEntered = "entered"
	// IndicatorAppraisal is scored from the appraisal's tallies (民主测评).
	IndicatorAppraisal = "appraisal"
)

// ComputedRules lists the rules a computed indicator may name. Each
// measures one community's year as a number (a fraction for the "..._on_time"
// and "..._backed_..." rules, a growth rate for collective_income_growth, a
// count for meetings_per_quarter); the read models compute it, and
// Evaluation.Score maps it to points by the indicator's scoring.
func ComputedRules() []string {
	return []string{
		"resolutions_disclosed_on_time", "payments_backed_by_resolution", "budget_execution",
		"collective_income_growth", "meetings_per_quarter", "disclosures_on_time", "questions_answered_on_time",
	}
}

// Scoring kinds of a computed indicator.
const (
	// ScoringLinear gives nothing at or beyond ZeroAt, the full weight at
	// or beyond FullAt, and in between the share (v-ZeroAt)/(FullAt-ZeroAt)
	// of it. FullAt may be below ZeroAt (less is better).
	ScoringLinear = "linear"
	// ScoringAtLeast gives the full weight when the value is at least
	// FullAt, and nothing otherwise.
	ScoringAtLeast = "at_least"
)

// Appraisal entitlements: who may take part.
const (
	EntitledRepresentatives = "representatives" // 村（居）民代表
	EntitledMembers         = "members"         // 村（居）民 / 户代表
)

// EvaluationID returns the aggregate id of the evaluation of a town in a
// year: "<year>-<townkey>", townkey the first 12 hexadecimal digits of the
// SHA-256 of the town's name in UTF-8 (a NATS subject token cannot hold the
// name itself).
func EvaluationID(year int, town string) string {
	h := sha256.Sum256([]byte(town))
	return fmt.Sprintf("%04d-%s", year, hex.EncodeToString(h[:])[:12])
}

// EvaluationPlan is a plan (考核方案) as published.
type EvaluationPlan struct {
	Town       string      `json:"town"`
	Year       int         `json:"year"`
	Indicators []Indicator `json:"indicators"`
	// Appraisal is nil when the plan has no appraisal.
	Appraisal *AppraisalPlan `json:"appraisal,omitempty"`
	Rating    RatingRule     `json:"rating"`
}

// Indicator is one indicator of a plan. Weight is its points out of the
// plan's 100.
type Indicator struct {
	ID     string `json:"id"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en,omitempty"`
	Weight int    `json:"weight"`
	Kind   string `json:"kind"`
	// Rule and Scoring are a computed indicator's.
	Rule    string   `json:"rule,omitempty"`
	Scoring *Scoring `json:"scoring,omitempty"`
	// MaxPoints is an entered indicator's scale (the evaluator enters 0 to
	// MaxPoints); it is worth score/MaxPoints of the weight. Zero means the
	// weight.
	MaxPoints int `json:"max_points,omitempty"`
}

// Scoring maps a computed value to a share of an indicator's weight.
// FullAt and ZeroAt are decimals ("0.9"), percentages ("90%") or
// fractions ("9/10").
type Scoring struct {
	Kind   string `json:"kind"`
	FullAt string `json:"full_at"`
	ZeroAt string `json:"zero_at,omitempty"`
}

// AppraisalPlan is the appraisal (民主测评): its options and who may take
// part. An option's Score is the percentage of the appraisal indicator's
// weight a tally of it earns (满意 100, 基本满意 60, 不满意 0).
type AppraisalPlan struct {
	Options  []AppraisalOption `json:"options"`
	Entitled string            `json:"entitled_kind"`
}

// AppraisalOption is one option of an appraisal.
type AppraisalOption struct {
	ID      string `json:"id"`
	LabelZH string `json:"label_zh"`
	Score   int    `json:"score"`
}

// RatingRule gives stars by score bands: a total at least a band's
// MinScore earns its stars (the highest such band); below every band, 0.
type RatingRule struct {
	Bands []RatingBand `json:"bands"`
}

// RatingBand is one band of a rating rule.
type RatingBand struct {
	MinScore int `json:"min_score"`
	Stars    int `json:"stars"`
}

// EnteredScore is an evaluator's score of one entered indicator of one
// community.
type EnteredScore struct {
	Score            string `json:"score"`
	Evidence         string `json:"evidence,omitempty"`
	AttachmentSHA256 string `json:"attachment_sha256,omitempty"`
	By               string `json:"by,omitempty"`
	On               Date   `json:"on"`
}

// Appraisal is one community's appraisal tallies.
type Appraisal struct {
	Entitled int            `json:"entitled"`
	Tallies  map[string]int `json:"tallies"`
	On       Date           `json:"on"`
}

// Taking returns the number who took part (the sum of the tallies).
func (a Appraisal) Taking() int {
	n := 0
	for _, v := range a.Tallies {
		n += v
	}
	return n
}

// Evaluation is the state of one town's evaluation of a year.
type Evaluation struct {
	ID string
	// Plan is the plan in force (the latest version); Version its version,
	// 0 before any plan.
	Plan        EvaluationPlan
	Version     int
	PublishedOn Date
	// Scores maps a community's id to its entered scores by indicator.
	Scores map[string]map[string]EnteredScore
	// Appraisals maps a community's id to its latest appraisal.
	Appraisals map[string]Appraisal
	// ClosedOn is the date the evaluation was closed, zero while open;
	// Results the results the close recorded, if any.
	ClosedOn Date
	Results  map[string]EvaluationResult
	LastDate Date
}

// Town returns the evaluated town's name.
func (e *Evaluation) Town() string {
	if e == nil {
		return ""
	}
	return e.Plan.Town
}

// Closed reports whether the evaluation is closed.
func (e *Evaluation) Closed() bool { return e != nil && !e.ClosedOn.IsZero() }

// Published reports whether the evaluation's scores and result are public:
// they are once the evaluation is closed (evaluation.closed), and not
// before. A page shows unpublished scores only to whom MayReadUnpublished.
// The plan itself is public from its first version.
func (e *Evaluation) Published() bool { return e.Closed() }

// MayReadUnpublished reports whether the actor may see the scores and
// appraisals of an evaluation before it is published: the root token and
// the evaluators of its town (an administrator's grant does not count).
func (a Actor) MayReadUnpublished(e *Evaluation) bool {
	return a.Root || (e != nil && a.holds(AccessEvaluator, "", e.Town()))
}

// MayEvaluate reports whether the actor may send the commands of the
// evaluation of town: the root token and the evaluators whose own grant
// covers the town. An administrator's grant does not: the evaluation is
// the evaluators' own record, as a review is the supervisors' (separation
// of duties); an administrator grants the evaluator role instead.
func (a Actor) MayEvaluate(town string) bool {
	return a.Root || (town != "" && a.holds(AccessEvaluator, "", town))
}

// IsEvaluator reports whether the actor evaluates any town (or is root):
// the check before a command's data is read.
func (a Actor) IsEvaluator() bool {
	return a.Root || slices.ContainsFunc(a.Grants, func(g Grant) bool { return g.Role == AccessEvaluator })
}

// Clone returns a deep copy.
func (e *Evaluation) Clone() *Evaluation {
	if e == nil {
		return nil
	}
	c := *e
	c.Plan = e.Plan.clone()
	c.Scores = make(map[string]map[string]EnteredScore, len(e.Scores))
	for k, v := range e.Scores {
		m := make(map[string]EnteredScore, len(v))
		for i, s := range v {
			m[i] = s
		}
		c.Scores[k] = m
	}
	c.Appraisals = make(map[string]Appraisal, len(e.Appraisals))
	for k, v := range e.Appraisals {
		t := make(map[string]int, len(v.Tallies))
		for o, n := range v.Tallies {
			t[o] = n
		}
		v.Tallies = t
		c.Appraisals[k] = v
	}
	if e.Results != nil {
		c.Results = make(map[string]EvaluationResult, len(e.Results))
		for k, v := range e.Results {
			c.Results[k] = v.clone()
		}
	}
	return &c
}

func (r EvaluationResult) clone() EvaluationResult {
	c := r
	c.Computed = make(map[string]string, len(r.Computed))
	for k, v := range r.Computed {
		c.Computed[k] = v
	}
	c.Missing = slices.Clone(r.Missing)
	return c
}

func (p EvaluationPlan) clone() EvaluationPlan {
	c := p
	c.Indicators = slices.Clone(p.Indicators)
	for i, ind := range c.Indicators {
		if ind.Scoring != nil {
			s := *ind.Scoring
			c.Indicators[i].Scoring = &s
		}
	}
	if p.Appraisal != nil {
		a := *p.Appraisal
		a.Options = slices.Clone(p.Appraisal.Options)
		c.Appraisal = &a
	}
	c.Rating.Bands = slices.Clone(p.Rating.Bands)
	return c
}

// Indicator returns the plan's indicator with the given id.
func (p EvaluationPlan) Indicator(id string) (Indicator, bool) {
	i := slices.IndexFunc(p.Indicators, func(ind Indicator) bool { return ind.ID == id })
	if i < 0 {
		return Indicator{}, false
	}
	return p.Indicators[i], true
}

// maxPoints is an entered indicator's scale.
func (ind Indicator) maxPoints() int {
	if ind.MaxPoints > 0 {
		return ind.MaxPoints
	}
	return ind.Weight
}

// Events of an evaluation.
type (
	// EvaluationPlanPublished records a version of the plan; a later
	// version supersedes it.
	EvaluationPlanPublished struct {
		Version int            `json:"version"`
		Plan    EvaluationPlan `json:"plan"`
	}
	// ScoreEntered records an evaluator's score of an entered indicator
	// for a community; a later one for the same replaces it.
	ScoreEntered struct {
		Community        string `json:"community"`
		Indicator        string `json:"indicator"`
		Score            string `json:"score"`
		Evidence         string `json:"evidence,omitempty"`
		AttachmentSHA256 string `json:"attachment_sha256,omitempty"`
		EnteredBy        string `json:"entered_by,omitempty"`
	}
	// AppraisalRecorded records a community's appraisal tallies; a later
	// one replaces them.
	AppraisalRecorded struct {
		Community string         `json:"community"`
		Entitled  int            `json:"entitled"`
		Tallies   map[string]int `json:"tallies"`
	}
	// EvaluationClosed closes the evaluation and publishes its result:
	// when the close was sent with the computed values, Results holds each
	// community's, worked out by Evaluation.Score, so that the rating is
	// in the log and a replay of it checks it.
	EvaluationClosed struct {
		PlanVersion int                         `json:"plan_version"`
		Results     map[string]EvaluationResult `json:"results,omitempty"`
	}
)

func (*EvaluationPlanPublished) EventType() string { return EvEvaluationPlanPublished }
func (*ScoreEntered) EventType() string            { return EvScoreEntered }
func (*AppraisalRecorded) EventType() string       { return EvAppraisalRecorded }
func (*EvaluationClosed) EventType() string        { return EvEvaluationClosed }

func (e *Evaluation) apply(ev Event, date Date) {
	e.LastDate = date
	switch ev := ev.(type) {
	case *EvaluationPlanPublished:
		e.Plan, e.Version, e.PublishedOn = ev.Plan.clone(), ev.Version, date
	case *ScoreEntered:
		if e.Scores == nil {
			e.Scores = map[string]map[string]EnteredScore{}
		}
		if e.Scores[ev.Community] == nil {
			e.Scores[ev.Community] = map[string]EnteredScore{}
		}
		e.Scores[ev.Community][ev.Indicator] = EnteredScore{Score: ev.Score, Evidence: ev.Evidence,
			AttachmentSHA256: ev.AttachmentSHA256, By: ev.EnteredBy, On: date}
	case *AppraisalRecorded:
		if e.Appraisals == nil {
			e.Appraisals = map[string]Appraisal{}
		}
		t := make(map[string]int, len(ev.Tallies))
		for k, v := range ev.Tallies {
			t[k] = v
		}
		e.Appraisals[ev.Community] = Appraisal{Entitled: ev.Entitled, Tallies: t, On: date}
	case *EvaluationClosed:
		e.ClosedOn = date
		e.Results = make(map[string]EvaluationResult, len(ev.Results))
		for k, v := range ev.Results {
			e.Results[k] = v.clone()
		}
	}
}

// Commands of an evaluation, sent to SystemCommunity with the aggregate id
// EvaluationID(year, town).
type (
	// PublishEvaluationPlan publishes a plan, or a new version superseding
	// the one in force while the evaluation is open.
	PublishEvaluationPlan EvaluationPlan
	// EnterScore enters a community's score of an entered indicator, with
	// evidence text or an attachment's SHA-256 (or both). Score is a
	// decimal with at most two places, 0 to the indicator's MaxPoints.
	EnterScore struct {
		Community        string `json:"community"`
		Indicator        string `json:"indicator"`
		Score            string `json:"score"`
		Evidence         string `json:"evidence,omitempty"`
		AttachmentSHA256 string `json:"attachment_sha256,omitempty"`
	}
	// RecordAppraisal records a community's appraisal tallies by option;
	// their sum may not exceed Entitled, the number entitled to take part.
	RecordAppraisal struct {
		Community string         `json:"community"`
		Entitled  int            `json:"entitled"`
		Tallies   map[string]int `json:"tallies"`
	}
	// CloseEvaluation closes the evaluation and publishes its result.
	// Computed, when given, holds per community the values of the plan's
	// computed indicators as the read models measured them ("0.85",
	// "85%", "17/20"); it must then name every community with an entered
	// score or an appraisal, and the close records each one's result. The
	// server fills it, as it drafts a disclosure; without it the close
	// records no results and the pages work them out with Score.
	CloseEvaluation struct {
		Computed map[string]map[string]string `json:"computed,omitempty"`
	}
)

func (*PublishEvaluationPlan) CommandType() string { return CmdPublishEvaluationPlan }
func (*EnterScore) CommandType() string            { return CmdEnterScore }
func (*RecordAppraisal) CommandType() string       { return CmdRecordAppraisal }
func (*CloseEvaluation) CommandType() string       { return CmdCloseEvaluation }

var (
	pointsRE    = regexp.MustCompile(`^(0|[1-9][0-9]{0,5})(\.[0-9]{1,2})?$`)
	thresholdRE = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,8})((\.[0-9]{1,6})?%?|/[1-9][0-9]{0,8})$`)
)

// parseThreshold parses a checked threshold ("0.9", "90%", "9/10").
func parseThreshold(s string) *big.Rat {
	pct := strings.HasSuffix(s, "%")
	r, ok := new(big.Rat).SetString(strings.TrimSuffix(s, "%"))
	if !ok {
		return nil
	}
	if pct {
		r.Quo(r, big.NewRat(100, 1))
	}
	return r
}

// parsePoints parses a checked score ("8.5").
func parsePoints(s string) *big.Rat {
	r, _ := new(big.Rat).SetString(s)
	return r
}

func (c *PublishEvaluationPlan) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.town", c.Town, 1, 100, false)
	if c.Year < 1949 || c.Year > 9999 {
		fe.add("data.year", "a year from 1949 to 9999", "年份须在1949至9999之间")
	}
	if len(c.Indicators) == 0 || len(c.Indicators) > 50 {
		fe.add("data.indicators", "1 to 50 indicators", "须有1至50项指标")
	}
	sum, appraisals := 0, 0
	seen := map[string]bool{}
	for i, ind := range c.Indicators {
		f := fmt.Sprintf("data.indicators[%d]", i)
		if !ValidAggregateID(ind.ID) {
			fe.add(f+".id", "letters, digits, - and _, at most 64", "仅限字母、数字、- 和 _，最多64个字符")
		} else if seen[ind.ID] {
			fe.add(f+".id", "listed twice", "指标编号重复")
		}
		seen[ind.ID] = true
		checkText(&fe, f+".name_zh", ind.NameZH, 1, 100, false)
		if ind.NameEN != "" {
			checkText(&fe, f+".name_en", ind.NameEN, 1, 200, false)
		}
		if ind.Weight < 1 || ind.Weight > 100 {
			fe.add(f+".weight", "whole points from 1 to 100", "权重须为1至100的整数分")
		}
		sum += ind.Weight
		switch ind.Kind {
		case IndicatorComputed:
			if !slices.Contains(ComputedRules(), ind.Rule) {
				fe.add(f+".rule", "one of "+strings.Join(ComputedRules(), ", "), "须为系统可计算的规则之一："+strings.Join(ComputedRules(), "、"))
			}
			checkScoring(&fe, f+".scoring", ind.Scoring)
			if ind.MaxPoints != 0 {
				fe.add(f+".max_points", "only an entered indicator has a scale", "只有评分录入的指标才有满分")
			}
		case IndicatorEntered, IndicatorAppraisal:
			if ind.Rule != "" || ind.Scoring != nil {
				fe.add(f+".rule", "only a computed indicator has a rule and a scoring", "只有系统计算的指标才有计算规则和计分方法")
			}
			if ind.MaxPoints < 0 || ind.MaxPoints > 1000 || (ind.Kind == IndicatorAppraisal && ind.MaxPoints != 0) {
				fe.add(f+".max_points", "an entered indicator's scale, 1 to 1000 (0: its weight)", "评分录入指标的满分，1至1000（0表示等于权重）")
			}
			if ind.Kind == IndicatorAppraisal {
				appraisals++
			}
		default:
			fe.add(f+".kind", `"computed", "entered" or "appraisal"`, `须为 "computed"（系统计算）、"entered"（评分录入）或 "appraisal"（民主测评）`)
		}
	}
	if len(c.Indicators) > 0 && sum != 100 {
		fe.add("data.indicators", fmt.Sprintf("the weights must add up to 100 (they add up to %d)", sum),
			fmt.Sprintf("各项指标权重之和须为100分（现为%d分）", sum))
	}
	switch {
	case c.Appraisal == nil && appraisals > 0:
		fe.add("data.appraisal", "an appraisal indicator needs the appraisal's options", "有民主测评指标时须列明测评选项")
	case c.Appraisal != nil && appraisals != 1:
		fe.add("data.indicators", "an appraisal needs exactly one indicator of kind appraisal", "有民主测评时须有且仅有一项民主测评指标")
	}
	if a := c.Appraisal; a != nil {
		if len(a.Options) < 2 || len(a.Options) > 10 {
			fe.add("data.appraisal.options", "2 to 10 options", "须有2至10个选项")
		}
		opts := map[string]bool{}
		for i, o := range a.Options {
			f := fmt.Sprintf("data.appraisal.options[%d]", i)
			if !ValidAggregateID(o.ID) {
				fe.add(f+".id", "letters, digits, - and _, at most 64", "仅限字母、数字、- 和 _，最多64个字符")
			} else if opts[o.ID] {
				fe.add(f+".id", "listed twice", "选项编号重复")
			}
			opts[o.ID] = true
			checkText(&fe, f+".label_zh", o.LabelZH, 1, 50, false)
			if o.Score < 0 || o.Score > 100 {
				fe.add(f+".score", "a percentage from 0 to 100", "须为0至100的百分数")
			}
		}
		if a.Entitled != EntitledRepresentatives && a.Entitled != EntitledMembers {
			fe.add("data.appraisal.entitled_kind", `"representatives" or "members"`, `须为 "representatives"（居民代表）或 "members"（居民）`)
		}
	}
	if len(c.Rating.Bands) == 0 || len(c.Rating.Bands) > 10 {
		fe.add("data.rating.bands", "1 to 10 bands", "须有1至10个评级档次")
	}
	for i, b := range c.Rating.Bands {
		f := fmt.Sprintf("data.rating.bands[%d]", i)
		if b.MinScore < 0 || b.MinScore > 100 {
			fe.add(f+".min_score", "0 to 100", "须为0至100分")
		}
		if b.Stars < 1 || b.Stars > 5 {
			fe.add(f+".stars", "1 to 5 stars", "须为1至5星")
		}
		if i > 0 && (b.MinScore <= c.Rating.Bands[i-1].MinScore || b.Stars <= c.Rating.Bands[i-1].Stars) {
			fe.add(f, "bands go up: each a higher score and more stars than the one before", "评级档次须由低到高：分数线和星级都高于上一档")
		}
	}
	return fe.err()
}

func checkScoring(fe *fieldErrors, f string, s *Scoring) {
	if s == nil {
		fe.add(f, "required for a computed indicator", "系统计算的指标须有计分方法")
		return
	}
	if !thresholdRE.MatchString(s.FullAt) {
		fe.add(f+".full_at", `a number: "0.9", "90%" or "9/10"`, `须为数值，如 "0.9"、"90%" 或 "9/10"`)
	}
	switch s.Kind {
	case ScoringLinear:
		if !thresholdRE.MatchString(s.ZeroAt) {
			fe.add(f+".zero_at", `a number: "0.5", "50%" or "1/2"`, `须为数值，如 "0.5"、"50%" 或 "1/2"`)
		} else if thresholdRE.MatchString(s.FullAt) && parseThreshold(s.FullAt).Cmp(parseThreshold(s.ZeroAt)) == 0 {
			fe.add(f+".zero_at", "must differ from full_at", "不能等于满分线")
		}
	case ScoringAtLeast:
		if s.ZeroAt != "" {
			fe.add(f+".zero_at", "not used by at_least", "at_least 不使用此项")
		}
	default:
		fe.add(f+".kind", `"linear" or "at_least"`, `须为 "linear"（线性）或 "at_least"（达标）`)
	}
}

func (c *EnterScore) Validate() error {
	var fe fieldErrors
	if !ValidCommunityID(c.Community) {
		fe.add("data.community", "invalid community id", "社区编号无效")
	}
	if !ValidAggregateID(c.Indicator) {
		fe.add("data.indicator", "invalid indicator id", "指标编号无效")
	}
	if !pointsRE.MatchString(c.Score) {
		fe.add("data.score", `points: a decimal with at most two places, such as "8.5"`, `分数：最多两位小数，如 "8.5"`)
	}
	if c.Evidence == "" && c.AttachmentSHA256 == "" {
		fe.add("data.evidence", "evidence text or an attachment's SHA-256 is required", "须填写评分依据或附件的 SHA-256")
	}
	if c.Evidence != "" {
		checkText(&fe, "data.evidence", c.Evidence, 1, 2000, true)
	}
	if c.AttachmentSHA256 != "" && !sha256RE.MatchString(c.AttachmentSHA256) {
		fe.add("data.attachment_sha256", "the attachment's SHA-256 in lower-case hex", "须为附件的 SHA-256（小写十六进制）")
	}
	return fe.err()
}

func (c *RecordAppraisal) Validate() error {
	var fe fieldErrors
	if !ValidCommunityID(c.Community) {
		fe.add("data.community", "invalid community id", "社区编号无效")
	}
	if c.Entitled < 1 || c.Entitled > 1_000_000 {
		fe.add("data.entitled", "the number entitled to take part, 1 to 1000000", "有权参加测评的人数，1至1000000")
	}
	if len(c.Tallies) == 0 || len(c.Tallies) > 10 {
		fe.add("data.tallies", "a count for each of 1 to 10 options", "须为1至10个选项各填人数")
	}
	sum := 0
	for _, k := range sortedKeys(c.Tallies) {
		n := c.Tallies[k]
		if n < 0 {
			fe.add("data.tallies."+k, "a count cannot be negative", "票数不能为负数")
			continue
		}
		sum += min(n, 1_000_001)
	}
	if c.Entitled >= 1 && sum > c.Entitled {
		fe.add("data.tallies", fmt.Sprintf("%d took part, more than the %d entitled", sum, c.Entitled),
			fmt.Sprintf("参加测评%d人，超过有权参加的%d人", sum, c.Entitled))
	}
	return fe.err()
}

func (c *CloseEvaluation) Validate() error {
	var fe fieldErrors
	for _, comm := range sortedKeys(c.Computed) {
		if !ValidCommunityID(comm) {
			fe.add("data.computed", "invalid community id "+strconv.Quote(comm), "社区编号无效："+strconv.Quote(comm))
			continue
		}
		for _, ind := range sortedKeys(c.Computed[comm]) {
			if !thresholdRE.MatchString(c.Computed[comm][ind]) {
				fe.add("data.computed."+comm, fmt.Sprintf("indicator %q: a number such as \"0.85\", \"85%%\" or \"17/20\"", ind),
					fmt.Sprintf("指标 %q：须为数值，如 \"0.85\"、\"85%%\" 或 \"17/20\"", ind))
			}
		}
	}
	return fe.err()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// errEvaluationClosed is the refusal of any change after the close.
func errEvaluationClosed(e *Evaluation) error {
	return &RuleError{Code: "evaluation_closed", Field: "aggregate_id",
		Reason:   fmt.Sprintf("the %d evaluation of %s was closed on %s and its result published; nothing in it can change", e.Plan.Year, e.Plan.Town, e.ClosedOn),
		ReasonZH: fmt.Sprintf("%s%d年度考核已于%s结束并公布结果，不能再作任何更改", e.Plan.Town, e.Plan.Year, e.ClosedOn)}
}

// openEvaluation returns the evaluation of env, refusing a missing or
// closed one.
func openEvaluation(env Env) (*Evaluation, error) {
	e := env.Evaluation
	if e == nil || e.Version == 0 {
		return nil, &NotFoundError{What: "evaluation", ID: env.AggregateID}
	}
	if e.Closed() {
		return nil, errEvaluationClosed(e)
	}
	if err := checkDate(env, e.LastDate); err != nil {
		return nil, err
	}
	return e, nil
}

// evaluatedCommunity checks that a community exists and is in the town.
func evaluatedCommunity(env Env, e *Evaluation, id string) error {
	var c *Community
	if env.LookupCommunity != nil {
		c = env.LookupCommunity(id)
	}
	if c == nil {
		return &NotFoundError{What: "community", ID: id}
	}
	if c.Town != e.Plan.Town {
		return &RuleError{Code: "community_not_in_town", Field: "data.community",
			Reason:   fmt.Sprintf("%s is in %s, not in %s", id, c.Town, e.Plan.Town),
			ReasonZH: fmt.Sprintf("%s 属于%s，不属于%s", id, c.Town, e.Plan.Town)}
	}
	return nil
}

func (c *PublishEvaluationPlan) Decide(env Env) ([]Event, error) {
	if id := EvaluationID(c.Year, c.Town); env.AggregateID != id {
		return nil, &ValidationError{Fields: []FieldError{{"aggregate_id",
			"the evaluation of " + c.Town + " in " + strconv.Itoa(c.Year) + " has the id " + id,
			c.Town + strconv.Itoa(c.Year) + "年度考核的编号须为 " + id}}}
	}
	e := env.Evaluation
	if e.Closed() {
		return nil, errEvaluationClosed(e)
	}
	last := Date{}
	if e != nil {
		last = e.LastDate
	}
	if err := checkDate(env, last); err != nil {
		return nil, err
	}
	plan := EvaluationPlan(*c).clone()
	if e != nil && e.Version > 0 {
		if err := keepsRecorded(e, plan); err != nil {
			return nil, err
		}
	}
	version := 1
	if e != nil {
		version = e.Version + 1
	}
	return []Event{&EvaluationPlanPublished{Version: version, Plan: plan}}, nil
}

// keepsRecorded refuses a new version of the plan that would leave a
// recorded score or tally without its indicator or option, or a score
// above its indicator's new scale.
func keepsRecorded(e *Evaluation, plan EvaluationPlan) error {
	for _, comm := range sortedKeys(e.Scores) {
		for _, id := range sortedKeys(e.Scores[comm]) {
			ind, ok := plan.Indicator(id)
			if !ok || ind.Kind != IndicatorEntered {
				return &RuleError{Code: "plan_drops_scores", Field: "data.indicators",
					Reason:   fmt.Sprintf("scores of indicator %s are entered (%s); the new version must keep it as an entered indicator", id, comm),
					ReasonZH: fmt.Sprintf("指标 %s 已录入评分（%s），新版方案须保留该评分录入指标", id, comm)}
			}
			if parsePoints(e.Scores[comm][id].Score).Cmp(big.NewRat(int64(ind.maxPoints()), 1)) > 0 {
				return &RuleError{Code: "plan_drops_scores", Field: "data.indicators",
					Reason:   fmt.Sprintf("%s was scored %s on indicator %s, above the new scale %d", comm, e.Scores[comm][id].Score, id, ind.maxPoints()),
					ReasonZH: fmt.Sprintf("%s 的指标 %s 已录入%s分，高于新版满分%d分", comm, id, e.Scores[comm][id].Score, ind.maxPoints())}
			}
		}
	}
	for _, comm := range sortedKeys(e.Appraisals) {
		for opt, n := range e.Appraisals[comm].Tallies {
			if n > 0 && (plan.Appraisal == nil || !slices.ContainsFunc(plan.Appraisal.Options, func(o AppraisalOption) bool { return o.ID == opt })) {
				return &RuleError{Code: "plan_drops_tallies", Field: "data.appraisal",
					Reason:   fmt.Sprintf("the appraisal of %s is recorded with option %s; the new version must keep it", comm, opt),
					ReasonZH: fmt.Sprintf("%s 的民主测评已按选项 %s 记录，新版方案须保留该选项", comm, opt)}
			}
		}
	}
	return nil
}

func (c *EnterScore) Decide(env Env) ([]Event, error) {
	e, err := openEvaluation(env)
	if err != nil {
		return nil, err
	}
	if err := evaluatedCommunity(env, e, c.Community); err != nil {
		return nil, err
	}
	ind, ok := e.Plan.Indicator(c.Indicator)
	if !ok {
		return nil, &NotFoundError{What: "indicator", ID: c.Indicator}
	}
	if ind.Kind != IndicatorEntered {
		return nil, &RuleError{Code: "indicator_not_entered", Field: "data.indicator",
			Reason:   fmt.Sprintf("indicator %s is %s, not entered by an evaluator", c.Indicator, ind.Kind),
			ReasonZH: fmt.Sprintf("指标 %s 不由考核人员录入评分（%s）", c.Indicator, indicatorKindZH(ind.Kind))}
	}
	if parsePoints(c.Score).Cmp(big.NewRat(int64(ind.maxPoints()), 1)) > 0 {
		return nil, &RuleError{Code: "score_above_max", Field: "data.score",
			Reason:   fmt.Sprintf("%s is above the indicator's %d points", c.Score, ind.maxPoints()),
			ReasonZH: fmt.Sprintf("%s分超过该指标满分%d分", c.Score, ind.maxPoints())}
	}
	return []Event{&ScoreEntered{Community: c.Community, Indicator: c.Indicator, Score: c.Score,
		Evidence: c.Evidence, AttachmentSHA256: c.AttachmentSHA256, EnteredBy: env.Actor}}, nil
}

func indicatorKindZH(kind string) string {
	switch kind {
	case IndicatorComputed:
		return "由系统根据记录计算"
	case IndicatorAppraisal:
		return "由民主测评得出"
	}
	return kind
}

func (c *RecordAppraisal) Decide(env Env) ([]Event, error) {
	e, err := openEvaluation(env)
	if err != nil {
		return nil, err
	}
	if err := evaluatedCommunity(env, e, c.Community); err != nil {
		return nil, err
	}
	if e.Plan.Appraisal == nil {
		return nil, &RuleError{Code: "no_appraisal", Field: "data.tallies",
			Reason: "the plan has no appraisal", ReasonZH: "考核方案中没有民主测评"}
	}
	tallies := map[string]int{}
	for _, opt := range sortedKeys(c.Tallies) {
		if !slices.ContainsFunc(e.Plan.Appraisal.Options, func(o AppraisalOption) bool { return o.ID == opt }) {
			return nil, &NotFoundError{What: "appraisal option", ID: opt}
		}
		tallies[opt] = c.Tallies[opt]
	}
	return []Event{&AppraisalRecorded{Community: c.Community, Entitled: c.Entitled, Tallies: tallies}}, nil
}

func (c *CloseEvaluation) Decide(env Env) ([]Event, error) {
	e, err := openEvaluation(env)
	if err != nil {
		return nil, err
	}
	if len(c.Computed) == 0 {
		return []Event{&EvaluationClosed{PlanVersion: e.Version}}, nil
	}
	for _, comm := range append(sortedKeys(e.Scores), sortedKeys(e.Appraisals)...) {
		if _, ok := c.Computed[comm]; !ok {
			return nil, &RuleError{Code: "result_missing", Field: "data.computed",
				Reason:   comm + " has entered scores or an appraisal: the computed values must include it",
				ReasonZH: comm + " 已有录入评分或民主测评，须一并给出其系统计算的指标值"}
		}
	}
	results := map[string]EvaluationResult{}
	for _, comm := range sortedKeys(c.Computed) {
		if err := evaluatedCommunity(env, e, comm); err != nil {
			return nil, err
		}
		values := map[string]*big.Rat{}
		for _, id := range sortedKeys(c.Computed[comm]) {
			v := c.Computed[comm][id]
			ind, ok := e.Plan.Indicator(id)
			if !ok || ind.Kind != IndicatorComputed {
				return nil, &RuleError{Code: "indicator_not_computed", Field: "data.computed." + comm,
					Reason: "indicator " + id + " is not a computed indicator of the plan", ReasonZH: "指标 " + id + " 不是方案中由系统计算的指标"}
			}
			values[id] = parseThreshold(v)
		}
		sc, err := e.Score(comm, values)
		if err != nil {
			return nil, &RuleError{Code: "result_missing", Field: "data.computed." + comm,
				Reason: err.Error(), ReasonZH: comm + " 缺少系统计算的指标值"}
		}
		r := EvaluationResult{Computed: map[string]string{}, Total: sc.Total.RatString(), Stars: sc.Stars, Missing: sc.Missing}
		for id, v := range c.Computed[comm] {
			r.Computed[id] = v
		}
		results[comm] = r
	}
	return []Event{&EvaluationClosed{PlanVersion: e.Version, Results: results}}, nil
}

// EvaluationResult is a community's result as the close records it:
// the computed values it was given, the exact total as a fraction
// ("2191/30", big.Rat's RatString), the stars and the indicators that
// earned nothing for want of a score or tallies.
type EvaluationResult struct {
	Computed map[string]string `json:"computed"`
	Total    string            `json:"total"`
	Stars    int               `json:"stars"`
	Missing  []string          `json:"missing,omitempty"`
}

// EvaluationScore is a community's result under a plan. Every figure is
// exact; Total is rounded only when shown (TotalString).
type EvaluationScore struct {
	// Points maps an indicator's id to the points it earned, 0 to its
	// weight.
	Points map[string]*big.Rat
	Total  *big.Rat
	// Stars is the rating: the stars of the highest band whose MinScore
	// the exact Total reaches, 0 below every band.
	Stars int
	// Missing lists, in plan order, the entered indicators with no score
	// and the appraisal indicator with no tallies: they earn nothing.
	Missing []string
}

// TotalString returns the total rounded half up to two decimal places
// ("87.35"). The rating is decided on the exact total, never on this.
func (s EvaluationScore) TotalString() string {
	return s.Total.FloatString(2) // big.Rat rounds half away from zero; totals are never negative
}

// Score works out a community's result under the plan in force: for each
// indicator, its share of the weight —
//
//   - computed: by its Scoring of computed[indicator id], the value the
//     read models measured for the community's year (linear: clamped
//     (v-ZeroAt)/(FullAt-ZeroAt); at_least: 1 if v ≥ FullAt else 0);
//   - entered: the entered score / MaxPoints (no score: 0, and Missing);
//   - appraisal: Σ tally×option score / (100 × Σ tally), over those who
//     took part (no tallies or none took part: 0, and Missing) —
//
// times the weight; the total is their sum, and the stars follow the
// plan's bands. All arithmetic is in exact rationals. It returns an error
// if there is no plan or a computed indicator has no value in computed.
func (e *Evaluation) Score(community string, computed map[string]*big.Rat) (EvaluationScore, error) {
	if e == nil || e.Version == 0 {
		return EvaluationScore{}, fmt.Errorf("evaluation has no plan")
	}
	out := EvaluationScore{Points: map[string]*big.Rat{}, Total: new(big.Rat)}
	for _, ind := range e.Plan.Indicators {
		share := new(big.Rat)
		switch ind.Kind {
		case IndicatorComputed:
			v, ok := computed[ind.ID]
			if !ok || v == nil {
				return EvaluationScore{}, fmt.Errorf("no computed value for indicator %s (%s)", ind.ID, ind.Rule)
			}
			share = ind.Scoring.share(v)
		case IndicatorEntered:
			s, ok := e.Scores[community][ind.ID]
			if !ok {
				out.Missing = append(out.Missing, ind.ID)
				break
			}
			share.Quo(parsePoints(s.Score), big.NewRat(int64(ind.maxPoints()), 1))
		case IndicatorAppraisal:
			a, ok := e.Appraisals[community]
			if !ok || a.Taking() == 0 {
				out.Missing = append(out.Missing, ind.ID)
				break
			}
			sum := int64(0)
			for _, o := range e.Plan.Appraisal.Options {
				sum += int64(a.Tallies[o.ID]) * int64(o.Score)
			}
			share.SetFrac64(sum, 100*int64(a.Taking()))
		}
		pts := share.Mul(share, big.NewRat(int64(ind.Weight), 1))
		out.Points[ind.ID] = pts
		out.Total.Add(out.Total, pts)
	}
	for _, b := range e.Plan.Rating.Bands {
		if out.Total.Cmp(big.NewRat(int64(b.MinScore), 1)) >= 0 {
			out.Stars = max(out.Stars, b.Stars)
		}
	}
	return out, nil
}

// share returns the share, 0 to 1, of the weight a value earns.
func (s *Scoring) share(v *big.Rat) *big.Rat {
	full := parseThreshold(s.FullAt)
	one, zero := big.NewRat(1, 1), new(big.Rat)
	if s.Kind == ScoringAtLeast {
		if v.Cmp(full) >= 0 {
			return one
		}
		return zero
	}
	z := parseThreshold(s.ZeroAt)
	r := new(big.Rat).Sub(v, z)
	r.Quo(r, new(big.Rat).Sub(full, z))
	switch {
	case r.Sign() < 0:
		return zero
	case r.Cmp(one) > 0:
		return one
	}
	return r
}
