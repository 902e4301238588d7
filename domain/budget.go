package domain

import (
	"fmt"
	"slices"
	"strconv"
)

// Command types for a budget (aggregate id: the fiscal year, "2025").
const (
	AggregateBudget  = "budget"
	CmdAdoptBudget   = "budget.adopt"
	CmdAdjustBudget  = "budget.adjust"
	CmdRecordFunds   = "budget.record_funds"
	EvBudgetAdopted  = "budget.adopted"
	EvBudgetAdjusted = "budget.adjusted"
	EvFundsReceived  = "budget.funds_received"
)

// Fund sources (资金来源).
const (
	SourceTown       = "town"       // 镇财政
	SourceCounty     = "county"     // 县财政
	SourceSpecial    = "special"    // 上级专项
	SourceCollective = "collective" // 集体经济
	SourceOther      = "other"      // 其他
)

var sourcesZH = map[string]string{SourceTown: "镇财政", SourceCounty: "县财政", SourceSpecial: "上级专项", SourceCollective: "集体经济", SourceOther: "其他"}

// SourceZH returns the Chinese name of a fund source.
func SourceZH(s string) string { return sourcesZH[s] }

// BudgetLine is one line of a budget.
type BudgetLine struct {
	Line   string `json:"line"`
	Name   string `json:"name"`
	Source string `json:"source"`
	Amount Fen    `json:"amount"`
}

// Budget is a community's budget for one fiscal year.
type Budget struct {
	Year int
	// Lines is the latest snapshot, in the order given.
	Lines []BudgetLine
	// Resolution is the matter whose resolution approved the snapshot.
	Resolution  string
	Adjustments int
	Received    []FundsReceived
}

// Line returns a line of the latest snapshot.
func (b *Budget) Line(id string) (BudgetLine, bool) {
	for _, l := range b.Lines {
		if l.Line == id {
			return l, true
		}
	}
	return BudgetLine{}, false
}

func (b *Budget) apply(e Event) {
	switch e := e.(type) {
	case *BudgetAdopted:
		b.Lines, b.Resolution = slices.Clone(e.Lines), e.Resolution
	case *BudgetAdjusted:
		b.Lines, b.Resolution = slices.Clone(e.Lines), e.Resolution
		b.Adjustments++
	case *FundsReceived:
		b.Received = append(b.Received, *e)
	}
}

func (b *Budget) clone() *Budget {
	d := *b
	d.Lines = slices.Clone(b.Lines)
	d.Received = slices.Clone(b.Received)
	return &d
}

// Budget events.
type (
	// BudgetAdopted records the year's budget as a full snapshot.
	BudgetAdopted struct {
		Resolution string       `json:"resolution"`
		Lines      []BudgetLine `json:"lines"`
	}
	// BudgetAdjusted replaces the budget with a new full snapshot.
	BudgetAdjusted struct {
		Resolution string       `json:"resolution"`
		Reason     string       `json:"reason"`
		Lines      []BudgetLine `json:"lines"`
	}
	// FundsReceived records money arriving from a source, with its document
	// number (文号), earmarked to a line or not.
	FundsReceived struct {
		Source   string `json:"source"`
		Document string `json:"document"`
		Line     string `json:"line,omitempty"`
		Amount   Fen    `json:"amount"`
		Date     Date   `json:"date"`
	}
)

func (*BudgetAdopted) EventType() string  { return EvBudgetAdopted }
func (*BudgetAdjusted) EventType() string { return EvBudgetAdjusted }
func (*FundsReceived) EventType() string  { return EvFundsReceived }

// lineInput is a budget line as a command carries it (amount as text).
type lineInput struct {
	Line   string `json:"line"`
	Name   string `json:"name"`
	Source string `json:"source"`
	Amount Yuan   `json:"amount"`
}

func parseLines(fe *fieldErrors, in []lineInput) []BudgetLine {
	if len(in) == 0 || len(in) > 200 {
		fe.add("data.lines", "one to 200 lines", "预算须有1至200行")
	}
	seen := map[string]bool{}
	out := make([]BudgetLine, 0, len(in))
	for i, l := range in {
		p := fmt.Sprintf("data.lines[%d]", i)
		if !ValidAggregateID(l.Line) {
			fe.add(p+".line", "required: letters, digits, - and _", "必填：字母、数字、- 或 _")
		} else if seen[l.Line] {
			fe.add(p+".line", "repeated line id", "预算行编号重复")
		}
		seen[l.Line] = true
		checkText(fe, p+".name", l.Name, 1, 100, false)
		if sourcesZH[l.Source] == "" {
			fe.add(p+".source", "must be town, county, special, collective or other", "资金来源须为 town（镇财政）、county（县财政）、special（上级专项）、collective（集体经济）或 other（其他）")
		}
		amt := parseAmount(fe, p+".amount", l.Amount, true)
		out = append(out, BudgetLine{Line: l.Line, Name: l.Name, Source: l.Source, Amount: amt})
	}
	return out
}

// parseAmount parses a required amount field in yuan.
func parseAmount(fe *fieldErrors, field string, s Yuan, allowZero bool) Fen {
	v, err := ParseYuan(string(s))
	switch {
	case err != nil:
		fe.add(field, err.Error(), "金额格式错误：须为不超过一万亿元的非负数，最多两位小数，使用半角数字，如 \"1234.56\"")
	case v == 0 && !allowZero:
		fe.add(field, "must be more than zero", "金额须大于零")
	}
	return v
}

// Budget commands.
type (
	// AdoptBudget adopts the fiscal year's budget, approved by a resolution.
	AdoptBudget struct {
		Resolution string      `json:"resolution"`
		Lines      []lineInput `json:"lines"`
		lines      []BudgetLine
	}
	// AdjustBudget replaces the budget with a new snapshot.
	AdjustBudget struct {
		Resolution string      `json:"resolution"`
		Reason     string      `json:"reason"`
		Lines      []lineInput `json:"lines"`
		lines      []BudgetLine
	}
	// RecordFunds records funds received.
	RecordFunds struct {
		Source   string `json:"source"`
		Document string `json:"document"`
		Line     string `json:"line"`
		Amount   Yuan   `json:"amount"`
		amount   Fen
	}
)

func (*AdoptBudget) CommandType() string  { return CmdAdoptBudget }
func (*AdjustBudget) CommandType() string { return CmdAdjustBudget }
func (*RecordFunds) CommandType() string  { return CmdRecordFunds }

func (c *AdoptBudget) Validate() error {
	var fe fieldErrors
	checkRef(&fe, "data.resolution", c.Resolution)
	c.lines = parseLines(&fe, c.Lines)
	return fe.err()
}

func (c *AdjustBudget) Validate() error {
	var fe fieldErrors
	checkRef(&fe, "data.resolution", c.Resolution)
	checkText(&fe, "data.reason", c.Reason, 1, 500, true)
	c.lines = parseLines(&fe, c.Lines)
	return fe.err()
}

func (c *RecordFunds) Validate() error {
	var fe fieldErrors
	if sourcesZH[c.Source] == "" {
		fe.add("data.source", "must be town, county, special, collective or other", "资金来源须为 town、county、special、collective 或 other")
	}
	checkText(&fe, "data.document", c.Document, 1, 100, false)
	if c.Line != "" && !ValidAggregateID(c.Line) {
		fe.add("data.line", "letters, digits, - and _ only", "仅限字母、数字、- 或 _")
	}
	c.amount = parseAmount(&fe, "data.amount", c.Amount, false)
	return fe.err()
}

func checkRef(fe *fieldErrors, field, id string) {
	if !ValidAggregateID(id) {
		fe.add(field, "required: the id of a matter", "必填：事项编号")
	}
}

func budgetYearOf(id string) (int, error) {
	y, err := strconv.Atoi(id)
	if err != nil || y < 1949 || y > 9999 || len(id) != 4 {
		return 0, fmt.Errorf("not a fiscal year: %q", id)
	}
	return y, nil
}

// budgetYear checks the aggregate id is a fiscal year and returns it.
func budgetYear(env Env) (int, error) {
	y, err := budgetYearOf(env.AggregateID)
	if err != nil {
		return 0, &RuleError{Code: "bad_fiscal_year", Field: "aggregate_id",
			Reason: "a budget's aggregate_id is its fiscal year, such as 2025", ReasonZH: "预算的 aggregate_id 须为年度，如 2025"}
	}
	return y, nil
}

// passedResolution checks that id names a passed, unrevoked matter.
func passedResolution(env Env, field, id string) error {
	_, err := resolution(env, field, id)
	return err
}

// resolution returns the passed, unrevoked matter id names.
func resolution(env Env, field, id string) (*Matter, error) {
	var m *Matter
	if env.LookupMatter != nil {
		m = env.LookupMatter(id)
	}
	if m == nil || !m.Passed() || m.Stage == StageRevoked {
		return nil, &RuleError{Code: "resolution_not_passed", Field: field,
			Reason:   "matter " + id + " is not a resolution that the representative assembly passed",
			ReasonZH: "事项 " + id + " 不是代表会议表决通过的决议"}
	}
	return m, nil
}

func (c *AdoptBudget) Decide(env Env) ([]Event, error) {
	if _, err := budgetYear(env); err != nil {
		return nil, err
	}
	if err := inCommunity(env); err != nil {
		return nil, err
	}
	if env.Budget != nil {
		return nil, &RuleError{Code: "already_adopted", Field: "type",
			Reason: "the budget is adopted; change it with budget.adjust", ReasonZH: "该年度预算已通过，调整请用 budget.adjust"}
	}
	if err := passedResolution(env, "data.resolution", c.Resolution); err != nil {
		return nil, err
	}
	return []Event{&BudgetAdopted{Resolution: c.Resolution, Lines: c.lines}}, nil
}

func (c *AdjustBudget) Decide(env Env) ([]Event, error) {
	if _, err := budgetYear(env); err != nil {
		return nil, err
	}
	if err := inCommunity(env); err != nil {
		return nil, err
	}
	if env.Budget == nil {
		return nil, &NotFoundError{What: "budget", ID: env.AggregateID}
	}
	if err := passedResolution(env, "data.resolution", c.Resolution); err != nil {
		return nil, err
	}
	return []Event{&BudgetAdjusted{Resolution: c.Resolution, Reason: c.Reason, Lines: c.lines}}, nil
}

func (c *RecordFunds) Decide(env Env) ([]Event, error) {
	y, err := budgetYear(env)
	if err != nil {
		return nil, err
	}
	if err := inCommunity(env); err != nil {
		return nil, err
	}
	if env.Budget == nil {
		return nil, &NotFoundError{What: "budget", ID: env.AggregateID}
	}
	if env.Date.Year != y {
		return nil, &RuleError{Code: "wrong_fiscal_year", Field: "effective_date",
			Reason: "funds are recorded in the budget of the year they arrive", ReasonZH: "到账资金须记入到账年度的预算"}
	}
	if c.Line != "" {
		if _, ok := env.Budget.Line(c.Line); !ok {
			return nil, &RuleError{Code: "unknown_budget_line", Field: "data.line",
				Reason: "the budget has no line " + c.Line, ReasonZH: "预算中没有此行：" + c.Line}
		}
	}
	return []Event{&FundsReceived{Source: c.Source, Document: c.Document, Line: c.Line, Amount: c.amount, Date: env.Date}}, nil
}

// inCommunity checks that the community exists and the date is sane,
// for commands on aggregates other than the community itself.
func inCommunity(env Env) error {
	if env.Community == nil {
		return &NotFoundError{What: "community", ID: env.CommunityID}
	}
	return checkDate(env, Date{})
}
