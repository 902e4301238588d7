package domain

// Command types for a matter (a decision through 四议两公开).
const (
	CmdRegisterMatter       = "matter.register"
	CmdProposeMatter        = "matter.propose"
	CmdConsultMatter        = "matter.consult"
	CmdReviewMatter         = "matter.review"
	CmdResolveMatter        = "matter.resolve"
	CmdDiscloseResolution   = "matter.disclose_resolution"
	CmdReportImplementation = "matter.report_implementation"
	CmdDiscloseResult       = "matter.disclose_result"
	CmdWithdrawMatter       = "matter.withdraw"
	CmdRevokeMatter         = "matter.revoke"
)

// Stage is where a matter stands in 四议两公开.
type Stage string

// Stages, in order. Withdrawn and revoked end a matter early.
const (
	StageRegistered          Stage = "registered"           // 已登记
	StageProposed            Stage = "proposed"             // 党组织提议
	StageConsulted           Stage = "consulted"            // 两委会商议
	StageReviewed            Stage = "reviewed"             // 党员大会审议
	StageResolved            Stage = "resolved"             // 代表会议决议
	StageResolutionDisclosed Stage = "resolution_disclosed" // 决议公开
	StageImplementing        Stage = "implementing"         // 实施中
	StageResultDisclosed     Stage = "result_disclosed"     // 实施结果公开
	StageWithdrawn           Stage = "withdrawn"            // 已撤回
	StageRevoked             Stage = "revoked"              // 已撤销
)

// Matter is the state of one matter.
type Matter struct {
	ID          string
	Title       string
	Description string
	Category    string
	Amount      Fen
	Stage       Stage
	// Dates holds the effective date of each stage reached.
	Dates map[Stage]Date
	// LastDate is the effective date of the latest event.
	LastDate        Date
	Review          *Decision
	Resolution      *Decision
	Implementations []Implementation
	Reason          string // of withdrawal or revocation
	RevokedBy       string
}

// Decision is a meeting's vote and its outcome under the rule set in force.
type Decision struct {
	Votes   Votes  `json:"votes"`
	Quorate bool   `json:"quorate"`
	Passed  bool   `json:"passed"`
	RuleSet string `json:"rule_set"`
	Text    string `json:"text,omitempty"`
}

// Implementation is one implementation report.
type Implementation struct {
	Date    Date   `json:"date"`
	Summary string `json:"summary"`
}

// Passed reports whether the representative assembly passed the matter.
func (m *Matter) Passed() bool { return m.Resolution != nil && m.Resolution.Passed }

// Apply folds one event, effective on date, into the matter.
func (m *Matter) Apply(e Event, date Date) {
	if m.Dates == nil {
		m.Dates = map[Stage]Date{}
	}
	m.LastDate = date
	stage := m.Stage
	switch e := e.(type) {
	case *MatterRegistered:
		m.Title, m.Description, m.Category, m.Amount = e.Title, e.Description, e.Category, e.Amount
		stage = StageRegistered
	case *MatterProposed:
		stage = StageProposed
	case *MatterConsulted:
		stage = StageConsulted
	case *MatterReviewed:
		m.Review = &e.Decision
		stage = StageReviewed
	case *MatterResolved:
		m.Resolution = &e.Decision
		stage = StageResolved
	case *ResolutionDisclosed:
		stage = StageResolutionDisclosed
	case *ImplementationReported:
		m.Implementations = append(m.Implementations, Implementation{Date: date, Summary: e.Summary})
		stage = StageImplementing
	case *ResultDisclosed:
		stage = StageResultDisclosed
	case *MatterWithdrawn:
		m.Reason = e.Reason
		stage = StageWithdrawn
	case *MatterRevoked:
		m.Reason, m.RevokedBy = e.Reason, e.ByMatter
		stage = StageRevoked
	}
	m.Stage = stage
	m.Dates[stage] = date
}

// Events of a matter.
type (
	// MatterRegistered records a new matter.
	MatterRegistered struct {
		Title       string `json:"title"`
		Description string `json:"description,omitempty"`
		Category    string `json:"category,omitempty"`
		Amount      Fen    `json:"amount"`
	}
	// MatterProposed records the party organisation's proposal (党组织提议).
	// Joint is set when proposal and consultation were one meeting (一肩挑).
	MatterProposed struct {
		Summary string `json:"summary,omitempty"`
		Joint   bool   `json:"joint,omitempty"`
	}
	// MatterConsulted records the two committees' consultation (两委会商议).
	MatterConsulted struct {
		Summary string `json:"summary,omitempty"`
	}
	// MatterReviewed records the party members' meeting (党员大会审议).
	MatterReviewed struct {
		Decision
	}
	// MatterResolved records the representative assembly's vote (决议).
	MatterResolved struct {
		Decision
	}
	// ResolutionDisclosed records that the resolution was made public.
	ResolutionDisclosed struct {
		Channels []string `json:"channels,omitempty"`
		Summary  string   `json:"summary,omitempty"`
	}
	// ImplementationReported records progress of a passed matter.
	ImplementationReported struct {
		Summary string `json:"summary"`
	}
	// ResultDisclosed records that the result was made public.
	ResultDisclosed struct {
		Channels []string `json:"channels,omitempty"`
		Summary  string   `json:"summary,omitempty"`
	}
	// MatterWithdrawn records that a matter was dropped before its vote.
	MatterWithdrawn struct {
		Reason string `json:"reason"`
	}
	// MatterRevoked records that a later resolution revoked a passed one.
	MatterRevoked struct {
		ByMatter string `json:"by_matter"`
		Reason   string `json:"reason"`
	}
)

func (*MatterRegistered) EventType() string       { return EvMatterRegistered }
func (*MatterProposed) EventType() string         { return EvMatterProposed }
func (*MatterConsulted) EventType() string        { return EvMatterConsulted }
func (*MatterReviewed) EventType() string         { return EvMatterReviewed }
func (*MatterResolved) EventType() string         { return EvMatterResolved }
func (*ResolutionDisclosed) EventType() string    { return EvResolutionDisclosed }
func (*ImplementationReported) EventType() string { return EvImplementationReport }
func (*ResultDisclosed) EventType() string        { return EvResultDisclosed }
func (*MatterWithdrawn) EventType() string        { return EvMatterWithdrawn }
func (*MatterRevoked) EventType() string          { return EvMatterRevoked }

// Commands on a matter.
type (
	// RegisterMatter registers a new matter. Amount is the sum involved, if
	// any, in yuan as a string ("1234.56").
	RegisterMatter struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Category    string `json:"category"`
		Amount      Yuan   `json:"amount"`
		amount      Fen
	}
	// ProposeMatter records the party organisation's proposal. Joint merges
	// proposal and consultation, allowed only where one person is both
	// secretary and director (一肩挑).
	ProposeMatter struct {
		Summary string `json:"summary"`
		Joint   bool   `json:"joint"`
	}
	// ConsultMatter records the two committees' consultation.
	ConsultMatter struct {
		Summary string `json:"summary"`
	}
	// ReviewMatter records the party members' meeting and its vote.
	ReviewMatter struct {
		Votes Votes `json:"votes"`
	}
	// ResolveMatter records the representative assembly and its vote.
	ResolveMatter struct {
		Votes Votes  `json:"votes"`
		Text  string `json:"text"`
	}
	// DiscloseResolution records the public disclosure of the resolution.
	DiscloseResolution struct {
		Channels []string `json:"channels"`
		Summary  string   `json:"summary"`
	}
	// ReportImplementation records implementation progress (repeatable).
	ReportImplementation struct {
		Summary string `json:"summary"`
	}
	// DiscloseResult records the public disclosure of the result.
	DiscloseResult struct {
		Channels []string `json:"channels"`
		Summary  string   `json:"summary"`
	}
	// WithdrawMatter drops a matter before the assembly votes on it.
	WithdrawMatter struct {
		Reason string `json:"reason"`
	}
	// RevokeMatter revokes a passed matter by a later passed resolution.
	RevokeMatter struct {
		ByMatter string `json:"by_matter"`
		Reason   string `json:"reason"`
	}
)

func (*RegisterMatter) CommandType() string       { return CmdRegisterMatter }
func (*ProposeMatter) CommandType() string        { return CmdProposeMatter }
func (*ConsultMatter) CommandType() string        { return CmdConsultMatter }
func (*ReviewMatter) CommandType() string         { return CmdReviewMatter }
func (*ResolveMatter) CommandType() string        { return CmdResolveMatter }
func (*DiscloseResolution) CommandType() string   { return CmdDiscloseResolution }
func (*ReportImplementation) CommandType() string { return CmdReportImplementation }
func (*DiscloseResult) CommandType() string       { return CmdDiscloseResult }
func (*WithdrawMatter) CommandType() string       { return CmdWithdrawMatter }
func (*RevokeMatter) CommandType() string         { return CmdRevokeMatter }

func (c *RegisterMatter) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.title", c.Title, 1, 200, false)
	checkText(&fe, "data.description", c.Description, 0, 5000, true)
	checkText(&fe, "data.category", c.Category, 0, 50, false)
	if c.Amount != "" {
		var err error
		if c.amount, err = ParseYuan(string(c.Amount)); err != nil {
			fe.add("data.amount", err.Error(), "金额格式错误：须为不超过一万亿元的非负数，最多两位小数，使用半角数字，如 \"1234.56\"")
		}
	}
	return fe.err()
}

func (c *ProposeMatter) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.summary", c.Summary, 0, 2000, true)
	return fe.err()
}

func (c *ConsultMatter) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.summary", c.Summary, 0, 2000, true)
	return fe.err()
}

func (c *ReviewMatter) Validate() error {
	var fe fieldErrors
	c.Votes.validate(&fe, "data.votes")
	return fe.err()
}

func (c *ResolveMatter) Validate() error {
	var fe fieldErrors
	c.Votes.validate(&fe, "data.votes")
	checkText(&fe, "data.text", c.Text, 0, 5000, true)
	return fe.err()
}

func validateDisclosure(channels []string, summary string) error {
	var fe fieldErrors
	if len(channels) > 10 {
		fe.add("data.channels", "at most 10 channels", "最多10个公开渠道")
	}
	for _, ch := range channels {
		checkText(&fe, "data.channels", ch, 1, 50, false)
	}
	checkText(&fe, "data.summary", summary, 0, 2000, true)
	return fe.err()
}

func (c *DiscloseResolution) Validate() error { return validateDisclosure(c.Channels, c.Summary) }
func (c *DiscloseResult) Validate() error     { return validateDisclosure(c.Channels, c.Summary) }

func (c *ReportImplementation) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.summary", c.Summary, 1, 2000, true)
	return fe.err()
}

func (c *WithdrawMatter) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.reason", c.Reason, 1, 500, true)
	return fe.err()
}

func (c *RevokeMatter) Validate() error {
	var fe fieldErrors
	if !ValidAggregateID(c.ByMatter) {
		fe.add("data.by_matter", "required: the id of the revoking matter", "必填：作出撤销决议的事项编号")
	}
	checkText(&fe, "data.reason", c.Reason, 1, 500, true)
	return fe.err()
}

var stageZH = map[Stage]string{
	StageRegistered: "已登记", StageProposed: "党组织提议", StageConsulted: "两委会商议",
	StageReviewed: "党员大会审议", StageResolved: "代表会议决议", StageResolutionDisclosed: "决议公开",
	StageImplementing: "实施中", StageResultDisclosed: "实施结果公开", StageWithdrawn: "已撤回", StageRevoked: "已撤销",
}

// StageZH returns the Chinese name of a stage.
func StageZH(s Stage) string { return stageZH[s] }

// existing checks that the target matter exists, that the effective date is
// neither in the future nor before its last stage, and that its stage is
// one of from.
func existing(env Env, from ...Stage) error {
	if env.Community == nil {
		return &NotFoundError{What: "community", ID: env.CommunityID}
	}
	m := env.Matter
	if m == nil {
		return &NotFoundError{What: "matter", ID: env.AggregateID}
	}
	if err := checkDate(env, m.LastDate); err != nil {
		return err
	}
	for _, s := range from {
		if m.Stage == s {
			return nil
		}
	}
	names, namesZH := "", ""
	for i, s := range from {
		if i > 0 {
			names += " or "
			namesZH += "或"
		}
		names += string(s)
		namesZH += stageZH[s]
	}
	return &RuleError{Code: "stage_out_of_order", Field: "type",
		Reason:   "stage out of order: the matter is " + string(m.Stage) + ", this step needs " + names,
		ReasonZH: "程序顺序错误：事项当前为“" + stageZH[m.Stage] + "”，此步骤只能在事项处于“" + namesZH + "”时进行"}
}

func checkDate(env Env, last Date) error {
	if !env.Today.IsZero() && env.Date.After(env.Today) {
		return &RuleError{Code: "date_in_future", Field: "effective_date",
			Reason: "the effective date is in the future", ReasonZH: "业务日期不能晚于今天"}
	}
	if env.Date.Before(last) {
		return &RuleError{Code: "date_before_previous_stage", Field: "effective_date",
			Reason:   "the effective date is before the previous stage (" + last.String() + ")",
			ReasonZH: "业务日期早于上一程序的日期（" + last.String() + "）"}
	}
	return nil
}

func (c *RegisterMatter) Decide(env Env) ([]Event, error) {
	if env.Community == nil {
		return nil, &NotFoundError{What: "community", ID: env.CommunityID}
	}
	if env.Matter != nil {
		return nil, &RuleError{Code: "already_registered", Field: "aggregate_id",
			Reason: "a matter with this id is already registered", ReasonZH: "该编号的事项已登记"}
	}
	if err := checkDate(env, Date{}); err != nil {
		return nil, err
	}
	return []Event{&MatterRegistered{Title: c.Title, Description: c.Description, Category: c.Category, Amount: c.amount}}, nil
}

func (c *ProposeMatter) Decide(env Env) ([]Event, error) {
	if err := existing(env, StageRegistered); err != nil {
		return nil, err
	}
	if !c.Joint {
		return []Event{&MatterProposed{Summary: c.Summary}}, nil
	}
	if !env.Community.Holds(RoleSecretary, RoleDirector) {
		return nil, &RuleError{Code: "joint_not_allowed", Field: "data.joint",
			Reason:   "proposal and consultation may be merged only where one person is both secretary and director",
			ReasonZH: "仅在书记、主任“一肩挑”时，党组织提议与两委会商议可合并进行"}
	}
	return []Event{&MatterProposed{Summary: c.Summary, Joint: true}, &MatterConsulted{Summary: c.Summary}}, nil
}

func (c *ConsultMatter) Decide(env Env) ([]Event, error) {
	if err := existing(env, StageProposed); err != nil {
		return nil, err
	}
	return []Event{&MatterConsulted{Summary: c.Summary}}, nil
}

func decision(env Env, body Body, v Votes, text string) Decision {
	rs := env.Community.RuleSetAt(env.Date)
	q, p := rs.Votes[body].Outcome(v)
	return Decision{Votes: v, Quorate: q, Passed: p, RuleSet: rs.ID, Text: text}
}

func (c *ReviewMatter) Decide(env Env) ([]Event, error) {
	// A failed review may be held again.
	if err := existing(env, StageConsulted, StageReviewed); err != nil {
		return nil, err
	}
	if env.Matter.Stage == StageReviewed && env.Matter.Review.Passed {
		return nil, &RuleError{Code: "already_reviewed", Field: "type",
			Reason: "the party members' meeting has already approved this matter", ReasonZH: "党员大会已审议通过该事项"}
	}
	return []Event{&MatterReviewed{decision(env, BodyPartyMembers, c.Votes, "")}}, nil
}

func (c *ResolveMatter) Decide(env Env) ([]Event, error) {
	if err := existing(env, StageReviewed); err != nil {
		return nil, err
	}
	if !env.Matter.Review.Passed {
		return nil, &RuleError{Code: "review_not_passed", Field: "type",
			Reason: "the party members' meeting has not approved this matter", ReasonZH: "党员大会未审议通过该事项，不能提交代表会议表决"}
	}
	return []Event{&MatterResolved{decision(env, BodyRepresentatives, c.Votes, c.Text)}}, nil
}

func (c *DiscloseResolution) Decide(env Env) ([]Event, error) {
	if err := existing(env, StageResolved); err != nil {
		return nil, err
	}
	return []Event{&ResolutionDisclosed{Channels: c.Channels, Summary: c.Summary}}, nil
}

func (c *ReportImplementation) Decide(env Env) ([]Event, error) {
	if err := existing(env, StageResolutionDisclosed, StageImplementing); err != nil {
		return nil, err
	}
	if !env.Matter.Passed() {
		return nil, &RuleError{Code: "not_passed", Field: "type",
			Reason: "only a passed resolution can be implemented", ReasonZH: "决议未通过，不能实施"}
	}
	return []Event{&ImplementationReported{Summary: c.Summary}}, nil
}

func (c *DiscloseResult) Decide(env Env) ([]Event, error) {
	if err := existing(env, StageImplementing); err != nil {
		return nil, err
	}
	return []Event{&ResultDisclosed{Channels: c.Channels, Summary: c.Summary}}, nil
}

func (c *WithdrawMatter) Decide(env Env) ([]Event, error) {
	if err := existing(env, StageRegistered, StageProposed, StageConsulted, StageReviewed); err != nil {
		return nil, err
	}
	return []Event{&MatterWithdrawn{Reason: c.Reason}}, nil
}

func (c *RevokeMatter) Decide(env Env) ([]Event, error) {
	if err := existing(env, StageResolved, StageResolutionDisclosed, StageImplementing, StageResultDisclosed); err != nil {
		return nil, err
	}
	if !env.Matter.Passed() {
		return nil, &RuleError{Code: "not_passed", Field: "type",
			Reason: "only a passed resolution can be revoked", ReasonZH: "只有已通过的决议才能撤销"}
	}
	var by *Matter
	if env.LookupMatter != nil && c.ByMatter != env.AggregateID {
		by = env.LookupMatter(c.ByMatter)
	}
	if by == nil || !by.Passed() || by.Stage == StageRevoked {
		return nil, &RuleError{Code: "revoking_resolution_not_passed", Field: "data.by_matter",
			Reason:   "by_matter must be another matter whose resolution passed",
			ReasonZH: "by_matter 必须是另一项已表决通过的事项"}
	}
	if env.Date.Before(by.Dates[StageResolved]) {
		return nil, &RuleError{Code: "date_before_previous_stage", Field: "effective_date",
			Reason: "the revocation is dated before the revoking resolution", ReasonZH: "撤销日期早于撤销决议的日期"}
	}
	return []Event{&MatterRevoked{ByMatter: c.ByMatter, Reason: c.Reason}}, nil
}

// Clone returns a deep copy of m.
func (m *Matter) Clone() *Matter {
	if m == nil {
		return nil
	}
	d := *m
	d.Dates = make(map[Stage]Date, len(m.Dates))
	for k, v := range m.Dates {
		d.Dates[k] = v
	}
	if m.Review != nil {
		r := *m.Review
		d.Review = &r
	}
	if m.Resolution != nil {
		r := *m.Resolution
		d.Resolution = &r
	}
	d.Implementations = append([]Implementation(nil), m.Implementations...)
	return &d
}
