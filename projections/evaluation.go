package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// Indicator ids, in the order IndicatorSet.Values lists them.
const (
	IndicatorResolutionsOnTime = "resolutions_disclosed_on_time"
	IndicatorPaymentsBacked    = "payments_backed_by_resolution"
	IndicatorBudgetExecution   = "budget_execution"
	IndicatorIncomeGrowth      = "collective_income_growth"
	IndicatorMeetings          = "meetings_per_quarter"
	IndicatorDisclosuresOnTime = "disclosures_on_time"
	IndicatorQuestionsOnTime   = "questions_answered_on_time"
)

// IndicatorSet is a community's indicators (考核指标) for one calendar year,
// as of a civil date ("today") that decides what was due.
type IndicatorSet struct {
	Community string `json:"community"`
	Name      string `json:"name"`
	Town      string `json:"town"`
	Year      int    `json:"year"`
	// Today is the date the set was computed for.
	Today domain.Date `json:"today"`
	// Values are in the order of the Indicator constants; budget
	// execution has one value for the whole budget (Line empty) followed
	// by one per budget line, in the budget's order.
	Values []IndicatorValue `json:"values"`
}

// IndicatorValue is one indicator as an exact ratio Num/Den, with the
// stream sequences of exactly the events it was computed from (ascending).
//
//   - resolutions_disclosed_on_time: the assembly's resolutions (a matter's
//     latest vote, as corrected) dated in the year whose disclosure was due
//     by today or has been made, against those disclosed no later than the
//     vote's date plus ResolutionDays of the rule set in force on the vote.
//     Evidence: each vote and its corrections, each disclosure and its
//     corrections, and the rule sets that set the deadlines.
//   - payments_backed_by_resolution: the payments (domain.Chart.Payment) of
//     the year above the SpendingThreshold in force on their date, neither
//     reversed nor reversals, against those citing a matter the assembly
//     passed on or before the payment's date. Evidence: the vouchers, the
//     passing votes they rely on, and the rule sets that set the threshold.
//   - budget_execution: the year's payments booked to budget lines (net of
//     reversals: a reversed voucher and its reversal are left out) against
//     the budget in force today (its adoption or latest adjustment), in
//     fen; per line, or in all. Evidence: that adoption or adjustment and
//     the vouchers counted. NA without a budget (or a line with no amount).
//   - collective_income_growth: the year's income, the credits less the
//     debits of vouchers to income accounts (domain.ClassIncome, sub-accounts
//     included, year-end closes left out, reversed pairs left out), against
//     the previous year's, in fen. NA when the previous year's is not
//     positive.
//   - meetings_per_quarter: meetings of the representative assembly (the
//     distinct dates of its votes, matter.resolved, as corrected) held in
//     the year up to today, against the quarters of the year begun by today;
//     the display also gives each quarter's count ("各季度：2、0、1、2").
//   - disclosures_on_time: the catalogue's disclosure items (domain.Obligations:
//     finance periods, budget, budget execution, special items; not the
//     matters' stages, which the first indicator counts) due in the year and
//     due by today or published, against those first published by their due
//     date. Evidence: the first publications, the budget adoptions that set
//     a budget's deadline, and the rule sets that set the deadlines.
//   - questions_answered_on_time: the residents' questions asked in the year
//     whose answer was due by today or has been given, against those
//     answered by their due date. Evidence: the questions and answers.
//
// Only facts dated on or before today count. NA means there is no basis
// (no denominator); Num, Den and Seqs may still say what was found.
type IndicatorValue struct {
	ID     string `json:"id"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	// Line is the budget line of a budget_execution value, empty for the
	// whole budget and for the other indicators.
	Line    string   `json:"line,omitempty"`
	Num     int64    `json:"num"`
	Den     int64    `json:"den"`
	Display string   `json:"display"`
	NA      bool     `json:"na,omitempty"`
	Seqs    []uint64 `json:"stream_seqs"`
}

// Evaluations is the read model of the indicators of issue 13.
type Evaluations interface {
	ReadModel
	// Indicators returns a community's indicators for a year as of today,
	// or ErrNotFound for a community it does not know.
	Indicators(ctx context.Context, community string, year int, today domain.Date) (IndicatorSet, error)
}

// EvaluationModel is the evaluation read model. It reads the community's
// registration and rule sets, the assembly's votes and their disclosure,
// vouchers and charts, budgets, disclosure publications and questions.
var EvaluationModel = Model{
	Name:    "evaluation",
	Version: 1,
	Wants: func(e Event) bool {
		switch e.Type {
		case domain.EvCommunityRegistered, domain.EvRuleSetAdopted,
			domain.EvMatterResolved, domain.EvResolutionDisclosed, domain.EvStageCorrected,
			domain.EvChartAdopted, domain.EvChartTransitioned, domain.EvVoucherPosted, domain.EvVoucherReversed, domain.EvCorrectionPosted,
			domain.EvBudgetAdopted, domain.EvBudgetAdjusted,
			domain.EvDisclosurePublished, domain.EvQuestionAsked, domain.EvQuestionAnswered:
			return true
		}
		return false
	},
	New: func(community string) State {
		return &evalState{Community: community, YearCharts: map[int]string{}, matters: map[string]*evalMatter{},
			years: map[int]*evalYear{}, items: map[string]*evalItem{}, questions: map[string]*evalQuestion{}}
	},
}

// EvaluationOn serves Evaluations queries from a backend of EvaluationModel.
type EvaluationOn struct{ Backend }

var _ Evaluations = EvaluationOn{}

// MemoryEvaluations is the in-memory Evaluations.
type MemoryEvaluations struct{ EvaluationOn }

// NewMemoryEvaluations returns an empty in-memory evaluation read model.
func NewMemoryEvaluations() *MemoryEvaluations {
	return &MemoryEvaluations{EvaluationOn{NewMemory(EvaluationModel)}}
}

// evalState is one community's facts for the indicators. Documents:
// ("community", "") for the registration, rule sets and charts;
// ("matter", id) for a matter's votes and disclosure; ("year", "2025")
// for a year's payments, income and budget; ("item", id) for a
// disclosure item's first publication; ("question", id).
type evalState struct {
	Community string        `json:"-"`
	Name      string        `json:"name"`
	Town      string        `json:"town"`
	RuleSets  []evalRuleSet `json:"rule_sets,omitempty"`
	Chart     string        `json:"chart,omitempty"`
	// YearCharts is the chart of each fiscal year as the books fix it
	// (domain.Books.YearCharts).
	YearCharts map[int]string `json:"year_charts"`
	// FirstDay is the first day of the books' first month with a voucher.
	FirstDay  domain.Date `json:"first_day,omitzero"`
	matters   map[string]*evalMatter
	years     map[int]*evalYear
	items     map[string]*evalItem
	questions map[string]*evalQuestion
}

type evalRuleSet struct {
	RuleSet domain.RuleSet `json:"rule_set"`
	Seq     uint64         `json:"seq"`
}

// evalMatter is what the indicators need of a matter: the assembly's
// votes, whether the latest passed, and its disclosure.
type evalMatter struct {
	Votes         []evalVote  `json:"votes"`
	Passed        bool        `json:"passed"`
	Disclosed     domain.Date `json:"disclosed,omitzero"`
	DisclosedSeqs []uint64    `json:"disclosed_seqs,omitempty"`
}

// evalVote is one vote of the assembly: its date (as corrected) and the
// sequences of the vote and of its corrections.
type evalVote struct {
	Date domain.Date `json:"date"`
	Seqs []uint64    `json:"seqs"`
}

// evalYear is one fiscal year's vouchers that pay out or touch income,
// and its budget.
type evalYear struct {
	Vouchers []evalVoucher `json:"vouchers,omitempty"`
	// Budgets are the budget's snapshots: its adoption, then each
	// adjustment, in stream order.
	Budgets []evalBudget `json:"budgets,omitempty"`
}

// evalBudget is one snapshot of a year's budget, effective on Date.
type evalBudget struct {
	Date  domain.Date         `json:"date"`
	Seq   uint64              `json:"seq"`
	Lines []domain.BudgetLine `json:"lines"`
}

// budgetAt returns the snapshot in force on d, if any.
func (ys *evalYear) budgetAt(d domain.Date) (evalBudget, bool) {
	var out evalBudget
	found := false
	for _, b := range ys.Budgets {
		if !b.Date.After(d) {
			out, found = b, true
		}
	}
	return out, found
}

// evalVoucher is a voucher with a payment or income; a reversal is not
// kept, only marked on the voucher it reverses.
type evalVoucher struct {
	ID      string      `json:"id"`
	Seq     uint64      `json:"seq"`
	Date    domain.Date `json:"date"`
	Payment domain.Fen  `json:"payment,omitempty"`
	Income  domain.Fen  `json:"income,omitempty"`
	Line    string      `json:"line,omitempty"`
	Matter  string      `json:"matter,omitempty"`
	// ReversedOn is the date of the red-ink voucher that reversed it.
	ReversedOn domain.Date `json:"reversed_on,omitzero"`
}

// live reports whether the voucher is dated on or before today and not
// reversed by then.
func (v evalVoucher) live(today domain.Date) bool {
	return onOrBefore(v.Date, today) && (v.ReversedOn.IsZero() || v.ReversedOn.After(today))
}

type evalItem struct {
	Published domain.Date `json:"published"`
	Seq       uint64      `json:"seq"`
}

type evalQuestion struct {
	Asked       domain.Date `json:"asked"`
	Due         domain.Date `json:"due"`
	AskedSeq    uint64      `json:"asked_seq"`
	Answered    domain.Date `json:"answered,omitzero"`
	AnsweredSeq uint64      `json:"answered_seq,omitempty"`
}

const (
	docEvalYear = "year"
	docEvalItem = "item"
)

func (s *evalState) year(y int) *evalYear {
	ys := s.years[y]
	if ys == nil {
		ys = &evalYear{}
		s.years[y] = ys
	}
	return ys
}

func (s *evalState) Apply(e Event, ev domain.Event) ([]DocKey, error) {
	date, _ := domain.ParseDate(e.EffectiveDate)
	switch ev := ev.(type) {
	case *domain.CommunityRegistered:
		s.Name, s.Town = ev.Name, ev.Town
		return []DocKey{{docCommunity, ""}}, nil
	case *domain.RuleSetAdopted:
		s.RuleSets = append(s.RuleSets, evalRuleSet{RuleSet: ev.RuleSet, Seq: e.Seq})
		return []DocKey{{docCommunity, ""}}, nil

	case *domain.MatterResolved:
		m := s.matter(e.AggregateID)
		// A new vote after a failed one: the earlier vote's disclosure
		// belongs to the past (domain.Matter.Apply).
		m.Votes = append(m.Votes, evalVote{Date: date, Seqs: []uint64{e.Seq}})
		m.Passed, m.Disclosed, m.DisclosedSeqs = ev.Passed, domain.Date{}, nil
		return []DocKey{{docMatter, e.AggregateID}}, nil
	case *domain.ResolutionDisclosed:
		m := s.matter(e.AggregateID)
		m.Disclosed, m.DisclosedSeqs = date, []uint64{e.Seq}
		return []DocKey{{docMatter, e.AggregateID}}, nil
	case *domain.StageCorrected:
		m := s.matters[e.AggregateID]
		if m == nil {
			return nil, nil
		}
		to := ev.Corrected
		switch ev.Stage {
		case domain.StageResolved:
			if len(m.Votes) == 0 {
				return nil, nil
			}
			v := &m.Votes[len(m.Votes)-1]
			if to.Decision != nil {
				m.Passed = to.Decision.Passed
			}
			if !to.Date.IsZero() {
				v.Date = to.Date
			}
			v.Seqs = append(v.Seqs, e.Seq)
		case domain.StageResolutionDisclosed:
			if m.Disclosed.IsZero() {
				return nil, nil
			}
			if !to.Date.IsZero() {
				m.Disclosed = to.Date
			}
			m.DisclosedSeqs = append(m.DisclosedSeqs, e.Seq)
		default:
			return nil, nil
		}
		return []DocKey{{docMatter, e.AggregateID}}, nil

	case *domain.ChartAdopted:
		if domain.Charts()[ev.Chart] == nil {
			return nil, nil
		}
		if ev.Year == 0 {
			s.Chart = ev.Chart
		} else {
			s.YearCharts[ev.Year] = ev.Chart
		}
		return []DocKey{{docCommunity, ""}}, nil
	case *domain.ChartTransitioned:
		if domain.Charts()[ev.To] != nil {
			s.YearCharts[ev.Year] = ev.To
		}
		s.books(domain.Date{Year: ev.Year, Month: time.January, Day: 1})
		return []DocKey{{docCommunity, ""}}, nil
	case *domain.VoucherPosted:
		return s.voucher(e, date, &ev.VoucherData), nil
	case *domain.CorrectionPosted:
		return s.voucher(e, date, &ev.VoucherData), nil
	case *domain.VoucherReversed:
		keys := []DocKey{{docCommunity, ""}}
		s.books(date)
		y, err := strconv.Atoi(ev.Reverses[:min(4, len(ev.Reverses))])
		if ys := s.years[y]; err == nil && ys != nil {
			for i := range ys.Vouchers {
				if ys.Vouchers[i].ID == ev.Reverses {
					ys.Vouchers[i].ReversedOn = date
					keys = append(keys, DocKey{docEvalYear, strconv.Itoa(y)})
				}
			}
		}
		return keys, nil

	case *domain.BudgetAdopted:
		return s.budget(e, date, ev.Lines), nil
	case *domain.BudgetAdjusted:
		return s.budget(e, date, ev.Lines), nil

	case *domain.DisclosurePublished:
		if s.items[e.AggregateID] != nil {
			return nil, nil // only the first publication counts
		}
		s.items[e.AggregateID] = &evalItem{Published: date, Seq: e.Seq}
		return []DocKey{{docEvalItem, e.AggregateID}}, nil
	case *domain.QuestionAsked:
		s.questions[e.AggregateID] = &evalQuestion{Asked: date, Due: ev.Due, AskedSeq: e.Seq}
		return []DocKey{{docQuestion, e.AggregateID}}, nil
	case *domain.QuestionAnswered:
		q := s.questions[e.AggregateID]
		if q == nil || q.AnsweredSeq != 0 {
			return nil, nil
		}
		q.Answered, q.AnsweredSeq = date, e.Seq
		return []DocKey{{docQuestion, e.AggregateID}}, nil
	}
	return nil, nil
}

// budget keeps a snapshot of the budget of the year its aggregate names.
func (s *evalState) budget(e Event, date domain.Date, lines []domain.BudgetLine) []DocKey {
	y, err := strconv.Atoi(e.AggregateID)
	if err != nil {
		return nil
	}
	ys := s.year(y)
	ys.Budgets = append(ys.Budgets, evalBudget{Date: date, Seq: e.Seq, Lines: slices.Clone(lines)})
	return []DocKey{{docEvalYear, e.AggregateID}}
}

func (s *evalState) matter(id string) *evalMatter {
	m := s.matters[id]
	if m == nil {
		m = &evalMatter{}
		s.matters[id] = m
	}
	return m
}

// books notes a voucher of date d: the books' first month and the chart
// of its year, fixed at its first voucher as domain.Books does.
func (s *evalState) books(d domain.Date) {
	if first := (domain.Date{Year: d.Year, Month: d.Month, Day: 1}); s.FirstDay.IsZero() || first.Before(s.FirstDay) {
		s.FirstDay = first
	}
	if s.YearCharts[d.Year] == "" {
		c := s.Chart
		if c == "" {
			c = domain.DefaultChartID
		}
		s.YearCharts[d.Year] = c
	}
}

// voucher keeps a posted voucher (or correction) that pays out or
// touches income accounts.
func (s *evalState) voucher(e Event, date domain.Date, v *domain.VoucherData) []DocKey {
	keys := []DocKey{{docCommunity, ""}}
	s.books(date)
	c := domain.Charts()[s.YearCharts[date.Year]]
	var income domain.Fen
	for _, l := range v.Lines {
		if classOf(c, l.Account) == domain.ClassIncome {
			income += l.Credit - l.Debit
		}
	}
	pay := c.Payment(v.Lines)
	if pay == 0 && income == 0 {
		return keys
	}
	ys := s.year(date.Year)
	ys.Vouchers = append(ys.Vouchers, evalVoucher{ID: domain.VoucherID(date, v.Number), Seq: e.Seq, Date: date,
		Payment: pay, Income: income, Line: v.BudgetLine, Matter: v.Matter})
	return append(keys, DocKey{docEvalYear, strconv.Itoa(date.Year)})
}

// classOf returns the class of an account of chart c, or of the chart
// account a sub-account's code begins with.
func classOf(c *domain.Chart, code string) string {
	for n := len(code); n > 0; n-- {
		if a, ok := c.Account(code[:n]); ok {
			return a.Class
		}
	}
	return ""
}

func (s *evalState) Doc(k DocKey) ([]byte, error) {
	switch k.Kind {
	case docCommunity:
		return json.Marshal(s)
	case docMatter:
		return json.Marshal(s.matters[k.Key])
	case docEvalYear:
		y, err := strconv.Atoi(k.Key)
		if err != nil || s.years[y] == nil {
			return nil, fmt.Errorf("evaluation: no year %q", k.Key)
		}
		return json.Marshal(s.years[y])
	case docEvalItem:
		return json.Marshal(s.items[k.Key])
	case docQuestion:
		return json.Marshal(s.questions[k.Key])
	}
	return nil, fmt.Errorf("evaluation: unknown document %v", k)
}

func (s *evalState) Load(k DocKey, body []byte) error {
	switch k.Kind {
	case docCommunity:
		var c evalState
		if err := json.Unmarshal(body, &c); err != nil {
			return err
		}
		if c.YearCharts == nil {
			c.YearCharts = map[int]string{}
		}
		s.Name, s.Town, s.RuleSets, s.Chart, s.YearCharts, s.FirstDay = c.Name, c.Town, c.RuleSets, c.Chart, c.YearCharts, c.FirstDay
		return nil
	case docMatter:
		return loadInto(body, s.matters, k.Key)
	case docEvalYear:
		y, err := strconv.Atoi(k.Key)
		if err != nil {
			return fmt.Errorf("evaluation: year %q: %w", k.Key, err)
		}
		return loadInto(body, s.years, y)
	case docEvalItem:
		return loadInto(body, s.items, k.Key)
	case docQuestion:
		return loadInto(body, s.questions, k.Key)
	}
	return fmt.Errorf("evaluation: unknown document %v", k)
}

// loadInto decodes body into a new value and, only if it is well formed,
// stores it in m under k.
func loadInto[K comparable, V any](body []byte, m map[K]*V, k K) error {
	v := new(V)
	if err := json.Unmarshal(body, v); err != nil {
		return err
	}
	m[k] = v
	return nil
}

// ruleSetAt returns the rule set in force on d, as
// domain.Community.RuleSetAt, and the sequence of its adoption (0 for the
// default rule set).
func (s *evalState) ruleSetAt(d domain.Date) (domain.RuleSet, uint64) {
	best := -1
	for i, r := range s.RuleSets {
		if r.RuleSet.EffectiveFrom.After(d) {
			continue
		}
		if best < 0 || !r.RuleSet.EffectiveFrom.Before(s.RuleSets[best].RuleSet.EffectiveFrom) {
			best = i
		}
	}
	if best < 0 {
		return domain.DefaultRuleSet(), 0
	}
	return s.RuleSets[best].RuleSet, s.RuleSets[best].Seq
}

// Indicators computes a community's indicators for year as of today.
func (b EvaluationOn) Indicators(ctx context.Context, community string, year int, today domain.Date) (IndicatorSet, error) {
	var out IndicatorSet
	err := b.View(ctx, community, func(st State, _ Position) error {
		s, _ := st.(*evalState)
		if s == nil || s.Name == "" {
			return fmt.Errorf("community %s: %w", community, ErrNotFound)
		}
		out = IndicatorSet{Community: community, Name: s.Name, Town: s.Town, Year: year, Today: today}
		out.Values = append(out.Values, s.resolutionsOnTime(year, today), s.paymentsBacked(year, today))
		out.Values = append(out.Values, s.budgetExecution(year, today)...)
		out.Values = append(out.Values, s.incomeGrowth(year, today), s.meetings(year, today),
			s.disclosuresOnTime(year, today), s.questionsOnTime(year, today))
		return nil
	})
	return out, err
}

// evidence collects sequences, without zeros, sorted and unique.
type evidence []uint64

func (ev *evidence) add(seqs ...uint64) {
	for _, q := range seqs {
		if q != 0 {
			*ev = append(*ev, q)
		}
	}
}

func (ev evidence) seqs() []uint64 {
	out := slices.Clone(ev)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []uint64{}
	}
	return out
}

// onOrBefore reports whether d is not after today.
func onOrBefore(d, today domain.Date) bool { return !d.After(today) }

func (s *evalState) resolutionsOnTime(year int, today domain.Date) IndicatorValue {
	var num, den int64
	var ev evidence
	for _, m := range s.matters {
		if len(m.Votes) == 0 {
			continue
		}
		v := m.Votes[len(m.Votes)-1]
		if v.Date.Year != year || !onOrBefore(v.Date, today) {
			continue
		}
		rs, rsSeq := s.ruleSetAt(v.Date)
		due := v.Date.AddDays(rs.DisclosureRules().ResolutionDays)
		done := !m.Disclosed.IsZero() && onOrBefore(m.Disclosed, today)
		if !done && !today.After(due) {
			continue // not yet due
		}
		den++
		ev.add(v.Seqs...)
		ev.add(rsSeq)
		if done {
			ev.add(m.DisclosedSeqs...)
			if !m.Disclosed.After(due) {
				num++
			}
		}
	}
	return share(IndicatorResolutionsOnTime, "决议按时公开率", "Resolutions disclosed on time", num, den, ev)
}

func (s *evalState) paymentsBacked(year int, today domain.Date) IndicatorValue {
	var num, den int64
	var ev evidence
	if ys := s.years[year]; ys != nil {
		for _, v := range ys.Vouchers {
			if v.Payment <= 0 || !v.live(today) {
				continue
			}
			rs, rsSeq := s.ruleSetAt(v.Date)
			if v.Payment <= rs.SpendingThreshold {
				continue
			}
			den++
			ev.add(v.Seq, rsSeq)
			if m := s.matters[v.Matter]; v.Matter != "" && m != nil && m.Passed && len(m.Votes) > 0 {
				if vote := m.Votes[len(m.Votes)-1]; !vote.Date.After(v.Date) {
					num++
					ev.add(vote.Seqs...)
				}
			}
		}
	}
	return share(IndicatorPaymentsBacked, "大额支付事前决议率", "Payments above the threshold backed by a prior resolution", num, den, ev)
}

func (s *evalState) budgetExecution(year int, today domain.Date) []IndicatorValue {
	ys := s.years[year]
	if ys == nil {
		ys = &evalYear{}
	}
	budget, ok := ys.budgetAt(today)
	if !ok {
		return []IndicatorValue{ratioFen(IndicatorBudgetExecution, "预算执行率", "Budget execution", 0, 0, nil)}
	}
	spent := map[string]domain.Fen{}
	seqs := map[string][]uint64{}
	for _, v := range ys.Vouchers {
		if v.Line == "" || v.Payment == 0 || !v.live(today) {
			continue
		}
		spent[v.Line] += v.Payment
		seqs[v.Line] = append(seqs[v.Line], v.Seq)
	}
	var all evidence
	all.add(budget.Seq)
	var totalSpent, totalBudget domain.Fen
	var lines []IndicatorValue
	for _, l := range budget.Lines {
		var ev evidence
		ev.add(budget.Seq)
		ev.add(seqs[l.Line]...)
		all.add(seqs[l.Line]...)
		totalSpent += spent[l.Line]
		totalBudget += l.Amount
		v := ratioFen(IndicatorBudgetExecution, "预算执行率："+l.Name, "Budget execution: "+l.Line, spent[l.Line], l.Amount, ev)
		v.Line = l.Line
		lines = append(lines, v)
	}
	return append([]IndicatorValue{ratioFen(IndicatorBudgetExecution, "预算执行率", "Budget execution", totalSpent, totalBudget, all)}, lines...)
}

func (s *evalState) incomeGrowth(year int, today domain.Date) IndicatorValue {
	income := func(y int, ev *evidence) domain.Fen {
		var sum domain.Fen
		if ys := s.years[y]; ys != nil {
			for _, v := range ys.Vouchers {
				if v.Income == 0 || !v.live(today) {
					continue
				}
				sum += v.Income
				ev.add(v.Seq)
			}
		}
		return sum
	}
	var ev evidence
	this, last := income(year, &ev), income(year-1, &ev)
	return ratioFen(IndicatorIncomeGrowth, "集体收入同比", "Collective income against the previous year", this, last, ev)
}

func (s *evalState) meetings(year int, today domain.Date) IndicatorValue {
	var quarters int64
	switch {
	case today.Year > year:
		quarters = 4
	case today.Year == year:
		quarters = int64(today.Month-1)/3 + 1
	}
	dates := map[domain.Date]bool{}
	var perQuarter [4]int
	var ev evidence
	for _, m := range s.matters {
		for _, v := range m.Votes {
			if v.Date.Year == year && onOrBefore(v.Date, today) {
				if !dates[v.Date] {
					perQuarter[(v.Date.Month-1)/3]++
				}
				dates[v.Date] = true
				ev.add(v.Seqs...)
			}
		}
	}
	n := int64(len(dates))
	v := IndicatorValue{ID: IndicatorMeetings, NameZH: "代表会议季均召开次数", NameEN: "Representative meetings per quarter",
		Num: n, Den: quarters, NA: quarters == 0, Seqs: ev.seqs()}
	if v.NA {
		v.Display = "—"
	} else {
		counts := make([]string, quarters)
		for i := range counts {
			counts[i] = strconv.Itoa(perQuarter[i])
		}
		v.Display = fmt.Sprintf("%d次/%d季度（%s次/季度；各季度：%s）", n, quarters, decimal(n*100, quarters), strings.Join(counts, "、"))
	}
	return v
}

func (s *evalState) disclosuresOnTime(year int, today domain.Date) IndicatorValue {
	budgets := map[int]domain.Date{}
	adoptedSeq := map[int]uint64{}
	for y, ys := range s.years {
		if len(ys.Budgets) > 0 && onOrBefore(ys.Budgets[0].Date, today) {
			budgets[y], adoptedSeq[y] = ys.Budgets[0].Date, ys.Budgets[0].Seq
		}
	}
	published := func(item string) domain.Date {
		if it := s.items[item]; it != nil && onOrBefore(it.Published, today) {
			return it.Published
		}
		return domain.Date{}
	}
	from := s.FirstDay
	if from.After(today) {
		from = domain.Date{}
	}
	obs := domain.Obligations(domain.ObligationInput{Today: today, FinanceFrom: from, Budgets: budgets, Published: published,
		RulesAt: func(d domain.Date) domain.DisclosureRules { rs, _ := s.ruleSetAt(d); return rs.DisclosureRules() }})
	var num, den int64
	var ev evidence
	for _, o := range obs {
		if o.Due.Year != year || (o.Done.IsZero() && !today.After(o.Due)) {
			continue
		}
		den++
		if !o.Done.IsZero() {
			ev.add(s.items[o.Item].Seq)
			if !o.Done.After(o.Due) {
				num++
			}
		}
		// The trigger whose rules set the deadline (domain.Obligations).
		it, _ := domain.ParseDisclosureItem(o.Item)
		var trigger domain.Date
		switch it.Kind {
		case domain.DisclosureFinance:
			trigger, _ = it.Period()
		case domain.DisclosureBudget:
			trigger = budgets[it.Year]
			ev.add(adoptedSeq[it.Year])
		case domain.DisclosureExecution:
			trigger = domain.Date{Year: it.Year, Month: time.December, Day: 31}
		default:
			trigger = today
		}
		_, rsSeq := s.ruleSetAt(trigger)
		ev.add(rsSeq)
	}
	return share(IndicatorDisclosuresOnTime, "公开事项按时公开率", "Disclosures published on time", num, den, ev)
}

func (s *evalState) questionsOnTime(year int, today domain.Date) IndicatorValue {
	var num, den int64
	var ev evidence
	for _, q := range s.questions {
		if q.Asked.Year != year || !onOrBefore(q.Asked, today) {
			continue
		}
		done := q.AnsweredSeq != 0 && onOrBefore(q.Answered, today)
		if !done && !today.After(q.Due) {
			continue
		}
		den++
		ev.add(q.AskedSeq)
		if done {
			ev.add(q.AnsweredSeq)
			if !q.Answered.After(q.Due) {
				num++
			}
		}
	}
	return share(IndicatorQuestionsOnTime, "居民询问按时答复率", "Questions answered on time", num, den, ev)
}

// share is a value counted num of den: "8/10（80.00%）".
func share(id, zh, en string, num, den int64, ev evidence) IndicatorValue {
	v := IndicatorValue{ID: id, NameZH: zh, NameEN: en, Num: num, Den: den, NA: den == 0, Seqs: ev.seqs()}
	if v.NA {
		v.Display = "—"
	} else {
		v.Display = fmt.Sprintf("%d/%d（%s%%）", num, den, decimal(num*10000, den))
	}
	return v
}

// ratioFen is a value of two sums in fen: "¥126.00 / ¥2000.00（6.30%）";
// without a positive denominator it has no basis.
func ratioFen(id, zh, en string, num, den domain.Fen, ev evidence) IndicatorValue {
	v := IndicatorValue{ID: id, NameZH: zh, NameEN: en, Num: int64(num), Den: int64(den), NA: den <= 0, Seqs: ev.seqs()}
	if v.NA {
		v.Display = "—"
	} else {
		v.Display = fmt.Sprintf("¥%s / ¥%s（%s%%）", num, den, decimal(int64(num)*10000, int64(den)))
	}
	return v
}

// decimal formats n/d/100 to two decimals, rounding half away from zero:
// decimal(12345, 100) = "1.23".
func decimal(n, d int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	q := (2*n + d) / (2 * d) // hundredths, rounded
	return fmt.Sprintf("%s%d.%02d", sign, q/100, q%100)
}
