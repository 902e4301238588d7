package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

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
	CmdCorrectMatter        = "matter.correct"
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

// stageOrder lists the stages in the order a matter reaches them; a matter
// ends withdrawn or revoked.
var stageOrder = []Stage{
	StageRegistered, StageProposed, StageConsulted, StageReviewed, StageResolved,
	StageResolutionDisclosed, StageImplementing, StageResultDisclosed, StageWithdrawn, StageRevoked,
}

// StageDates holds the effective date of each stage a matter reached: a
// packed date per stage in stageOrder, rather than a map (a county keeps a
// million matters; a map of a few dates took some 700 bytes each). It is
// a value: copying it copies the dates. In JSON it is an object from stage
// to date, as the map was.
type StageDates struct {
	d [10]uint32 // year<<9 | month<<5 | day; 0 when the stage was not reached
}

func stageIndex(s Stage) int {
	switch s {
	case StageRegistered:
		return 0
	case StageProposed:
		return 1
	case StageConsulted:
		return 2
	case StageReviewed:
		return 3
	case StageResolved:
		return 4
	case StageResolutionDisclosed:
		return 5
	case StageImplementing:
		return 6
	case StageResultDisclosed:
		return 7
	case StageWithdrawn:
		return 8
	case StageRevoked:
		return 9
	}
	return -1
}

// StageDatesOf returns the dates of m.
func StageDatesOf(m map[Stage]Date) StageDates {
	var sd StageDates
	for s, d := range m {
		sd.Set(s, d)
	}
	return sd
}

// Lookup returns the date of stage s and whether the matter reached it.
func (sd StageDates) Lookup(s Stage) (Date, bool) {
	i := stageIndex(s)
	if i < 0 || sd.d[i] == 0 {
		return Date{}, false
	}
	p := sd.d[i]
	return Date{Year: int(p >> 9), Month: time.Month(p >> 5 & 15), Day: int(p & 31)}, true
}

// Get returns the date of stage s, or the zero date.
func (sd StageDates) Get(s Stage) Date {
	d, _ := sd.Lookup(s)
	return d
}

// Set records the date of stage s (the zero date removes it).
func (sd *StageDates) Set(s Stage, d Date) {
	if i := stageIndex(s); i >= 0 {
		sd.d[i] = uint32(d.Year)<<9 | uint32(d.Month)<<5 | uint32(d.Day)
	}
}

// Delete removes the date of stage s.
func (sd *StageDates) Delete(s Stage) { sd.Set(s, Date{}) }

// Len is the number of stages with a date.
func (sd StageDates) Len() int {
	n := 0
	for _, p := range sd.d {
		if p != 0 {
			n++
		}
	}
	return n
}

// MarshalJSON writes {"stage": "YYYY-MM-DD", ...}, stages in the order of
// their names, as a map of them was written.
func (sd StageDates) MarshalJSON() ([]byte, error) {
	m := make(map[Stage]Date, sd.Len())
	for _, s := range stageOrder {
		if d, ok := sd.Lookup(s); ok {
			m[s] = d
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes; an unknown stage is an error.
func (sd *StageDates) UnmarshalJSON(b []byte) error {
	var m map[Stage]Date
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*sd = StageDates{}
	for s, d := range m {
		if stageIndex(s) < 0 {
			return fmt.Errorf("unknown stage %q", s)
		}
		sd.Set(s, d)
	}
	return nil
}

// Matter is the state of one matter.
type Matter struct {
	ID          string
	Title       string
	Description string
	Category    string
	Amount      Fen
	Stage       Stage
	// Dates holds the effective date of each stage reached (as corrected).
	Dates StageDates
	// LastDate is the effective date of the latest event.
	LastDate Date
	// Proposal, Consultation, ResolutionDisclosure and ResultDisclosure
	// are what those stages recorded, nil until they are reached.
	Proposal             *Record
	Consultation         *Record
	ResolutionDisclosure *Record
	ResultDisclosure     *Record
	// Review is the latest party members' meeting; Resolution the latest
	// vote of the representative assembly.
	Review     *Decision
	Resolution *Decision
	// PastResolutions are the assembly's earlier votes, each failed and
	// followed by a new vote (重新表决), oldest first.
	PastResolutions []PastResolution
	Implementations []Implementation
	Reason          string // of withdrawal or revocation
	RevokedBy       string
	// Corrections are the corrections (更正) of recorded stages, in the
	// order they were recorded.
	Corrections []Correction
}

// Record is what a stage without a vote recorded: a summary and, for a
// disclosure, the channels it was made public on.
type Record struct {
	Summary  string   `json:"summary,omitempty"`
	Channels []string `json:"channels,omitempty"`
}

// PastResolution is an earlier vote of the representative assembly on a
// matter: it failed, and the matter was put to a new vote.
type PastResolution struct {
	Date Date `json:"date"`
	Decision
}

// StageContent is the content of one recorded stage, as a correction
// finds it and leaves it: the stage's date and, depending on the stage,
// its summary, channels or decision.
type StageContent struct {
	Date     Date      `json:"date"`
	Summary  string    `json:"summary,omitempty"`
	Channels []string  `json:"channels,omitempty"`
	Decision *Decision `json:"decision,omitempty"`
}

// Correction is one correction (更正) of a recorded stage: on Date, the
// content of Stage (of implementation report number Report, from 1, when
// Stage is implementing) was changed from Original to Corrected, for
// Reason.
type Correction struct {
	Date      Date         `json:"date"`
	Stage     Stage        `json:"stage"`
	Report    int          `json:"report,omitempty"`
	Reason    string       `json:"reason"`
	Original  StageContent `json:"original"`
	Corrected StageContent `json:"corrected"`
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

// failed reports whether the assembly's latest vote on m failed.
func (m *Matter) failed() bool { return m != nil && m.Resolution != nil && !m.Resolution.Passed }

// Apply folds one event, effective on date, into the matter.
func (m *Matter) Apply(e Event, date Date) {
	m.LastDate = date
	stage := m.Stage
	switch e := e.(type) {
	case *MatterRegistered:
		m.Title, m.Description, m.Category, m.Amount = e.Title, e.Description, e.Category, e.Amount
		stage = StageRegistered
	case *MatterProposed:
		m.Proposal = &Record{Summary: e.Summary}
		stage = StageProposed
	case *MatterConsulted:
		m.Consultation = &Record{Summary: e.Summary}
		stage = StageConsulted
	case *MatterReviewed:
		m.Review = &e.Decision
		stage = StageReviewed
	case *MatterResolved:
		if m.Resolution != nil {
			// A new vote after a failed one: the failed vote, and its
			// disclosure, belong to the past.
			m.PastResolutions = append(m.PastResolutions, PastResolution{Date: m.Dates.Get(StageResolved), Decision: *m.Resolution})
			m.ResolutionDisclosure = nil
			m.Dates.Delete(StageResolutionDisclosed)
		}
		m.Resolution = &e.Decision
		stage = StageResolved
	case *ResolutionDisclosed:
		m.ResolutionDisclosure = &Record{Summary: e.Summary, Channels: slices.Clone(e.Channels)}
		stage = StageResolutionDisclosed
	case *ImplementationReported:
		m.Implementations = append(m.Implementations, Implementation{Date: date, Summary: e.Summary})
		stage = StageImplementing
	case *ResultDisclosed:
		m.ResultDisclosure = &Record{Summary: e.Summary, Channels: slices.Clone(e.Channels)}
		stage = StageResultDisclosed
	case *MatterWithdrawn:
		m.Reason = e.Reason
		stage = StageWithdrawn
	case *MatterRevoked:
		m.Reason, m.RevokedBy = e.Reason, e.ByMatter
		stage = StageRevoked
	case *StageCorrected:
		// A correction changes a stage's content, not where the matter
		// stands.
		m.correct(e, date)
		return
	}
	m.Stage = stage
	m.Dates.Set(stage, date)
}

// correct replaces the content of the stage e corrects and keeps the
// correction.
func (m *Matter) correct(e *StageCorrected, date Date) {
	to := e.Corrected
	switch e.Stage {
	case StageProposed:
		m.Proposal = &Record{Summary: to.Summary}
	case StageConsulted:
		m.Consultation = &Record{Summary: to.Summary}
	case StageReviewed:
		if to.Decision != nil {
			d := *to.Decision
			m.Review = &d
		}
	case StageResolved:
		if to.Decision != nil {
			d := *to.Decision
			m.Resolution = &d
		}
	case StageResolutionDisclosed:
		m.ResolutionDisclosure = &Record{Summary: to.Summary, Channels: slices.Clone(to.Channels)}
	case StageResultDisclosed:
		m.ResultDisclosure = &Record{Summary: to.Summary, Channels: slices.Clone(to.Channels)}
	case StageImplementing:
		if n := len(m.Implementations); e.Report >= 1 && e.Report <= n {
			m.Implementations[e.Report-1] = Implementation{Date: to.Date, Summary: to.Summary}
			if e.Report == n && !to.Date.IsZero() {
				m.Dates.Set(StageImplementing, to.Date)
			}
		}
	}
	if e.Stage != StageImplementing && !to.Date.IsZero() {
		m.Dates.Set(e.Stage, to.Date)
	}
	m.Corrections = append(m.Corrections, Correction{Date: date, Stage: e.Stage, Report: e.Report, Reason: e.Reason,
		Original: e.Original.clone(), Corrected: e.Corrected.clone()})
}

// content returns what stage s recorded (implementation report number
// report, from 1, when s is implementing), as a copy; false if the matter
// has no such record.
func (m *Matter) content(s Stage, report int) (StageContent, bool) {
	c := StageContent{Date: m.Dates.Get(s)}
	var r *Record
	switch s {
	case StageProposed:
		r = m.Proposal
	case StageConsulted:
		r = m.Consultation
	case StageResolutionDisclosed:
		r = m.ResolutionDisclosure
	case StageResultDisclosed:
		r = m.ResultDisclosure
	case StageReviewed, StageResolved:
		d := m.Review
		if s == StageResolved {
			d = m.Resolution
		}
		if d == nil {
			return c, false
		}
		dc := *d
		c.Decision = &dc
		return c, true
	case StageImplementing:
		if report < 1 || report > len(m.Implementations) {
			return c, false
		}
		im := m.Implementations[report-1]
		c.Date, c.Summary = im.Date, im.Summary
		return c, true
	}
	if r == nil {
		return c, false
	}
	c.Summary, c.Channels = r.Summary, slices.Clone(r.Channels)
	return c, true
}

// dateBounds returns the dates between which stage s (implementation
// report number report when s is implementing) may be dated: not before lo
// and, unless hi is zero, not after hi, so that the stages stay in order.
func (m *Matter) dateBounds(s Stage, report int) (lo, hi Date) {
	at := slices.Index(stageOrder, s)
	for i, t := range stageOrder {
		var first, last Date
		switch d, ok := m.Dates.Lookup(t); {
		case t == StageImplementing:
			if len(m.Implementations) == 0 {
				continue
			}
			first, last = m.Implementations[0].Date, m.Implementations[len(m.Implementations)-1].Date
		case ok:
			first, last = d, d
		default:
			continue
		}
		if i < at && lo.Before(last) {
			lo = last
		}
		if i > at && (hi.IsZero() || first.Before(hi)) {
			hi = first
		}
	}
	if s == StageImplementing {
		if report > 1 && lo.Before(m.Implementations[report-2].Date) {
			lo = m.Implementations[report-2].Date
		}
		if report < len(m.Implementations) && (hi.IsZero() || m.Implementations[report].Date.Before(hi)) {
			hi = m.Implementations[report].Date
		}
	}
	return lo, hi
}

func (c StageContent) clone() StageContent {
	c.Channels = slices.Clone(c.Channels)
	if c.Decision != nil {
		d := *c.Decision
		c.Decision = &d
	}
	return c
}

func (c StageContent) equal(d StageContent) bool {
	return c.Date == d.Date && c.Summary == d.Summary && slices.Equal(c.Channels, d.Channels) &&
		(c.Decision == nil) == (d.Decision == nil) && (c.Decision == nil || *c.Decision == *d.Decision)
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
	// StageCorrected records the correction (更正) of a clerical error in
	// a recorded stage: the stage (and implementation report number, from
	// 1, when it is implementing), why, and its content before and after.
	// A corrected decision holds the outcome decided again on the
	// corrected figures. The matter's stage does not change.
	StageCorrected struct {
		Stage     Stage        `json:"stage"`
		Report    int          `json:"report,omitempty"`
		Reason    string       `json:"reason"`
		Original  StageContent `json:"original"`
		Corrected StageContent `json:"corrected"`
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
func (*StageCorrected) EventType() string         { return EvStageCorrected }

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
	// WithdrawMatter drops a matter before the assembly votes on it, or
	// after the assembly's vote failed.
	WithdrawMatter struct {
		Reason string `json:"reason"`
	}
	// RevokeMatter revokes a passed matter by a later passed resolution.
	RevokeMatter struct {
		ByMatter string `json:"by_matter"`
		Reason   string `json:"reason"`
	}
	// CorrectMatter corrects a clerical error in a recorded stage (更正).
	// Stage names the stage; the other fields are those of the stage's
	// own command, and only those given are corrected:
	//
	//	proposed, consulted                       summary
	//	reviewed                                  votes
	//	resolved                                  votes, text
	//	resolution_disclosed, result_disclosed    channels, summary
	//	implementing                              report (required), summary
	//
	// CorrectedDate, if given, corrects the stage's date (for implementing,
	// the report's date).
	CorrectMatter struct {
		Stage         Stage     `json:"stage"`
		Reason        string    `json:"reason"`
		CorrectedDate Date      `json:"corrected_date"`
		Report        int       `json:"report"`
		Summary       *string   `json:"summary"`
		Channels      *[]string `json:"channels"`
		Votes         *Votes    `json:"votes"`
		Text          *string   `json:"text"`
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
func (*CorrectMatter) CommandType() string        { return CmdCorrectMatter }

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
	checkChannels(&fe, channels)
	checkText(&fe, "data.summary", summary, 0, 2000, true)
	return fe.err()
}

func checkChannels(fe *fieldErrors, channels []string) {
	if len(channels) > 10 {
		fe.add("data.channels", "at most 10 channels", "最多10个公开渠道")
	}
	for _, ch := range channels {
		checkText(fe, "data.channels", ch, 1, 50, false)
	}
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

// correctable lists the stages a correction may address, each with the
// fields of CorrectMatter it takes.
var correctable = map[Stage][]string{
	StageProposed:            {"summary"},
	StageConsulted:           {"summary"},
	StageReviewed:            {"votes"},
	StageResolved:            {"votes", "text"},
	StageResolutionDisclosed: {"channels", "summary"},
	StageImplementing:        {"report", "summary"},
	StageResultDisclosed:     {"channels", "summary"},
}

func (c *CorrectMatter) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.reason", c.Reason, 1, 500, true)
	fields, ok := correctable[c.Stage]
	if !ok {
		fe.add("data.stage",
			"must be a stage that records content: proposed, consulted, reviewed, resolved, resolution_disclosed, implementing or result_disclosed",
			"须为记录了内容的程序之一：proposed（党组织提议）、consulted（两委会商议）、reviewed（党员大会审议）、resolved（代表会议决议）、resolution_disclosed（决议公开）、implementing（实施情况）、result_disclosed（实施结果公开）")
		return fe.err()
	}
	given := map[string]bool{"report": c.Report != 0, "summary": c.Summary != nil, "channels": c.Channels != nil,
		"votes": c.Votes != nil, "text": c.Text != nil}
	for _, f := range []string{"report", "summary", "channels", "votes", "text"} {
		if given[f] && !slices.Contains(fields, f) {
			fe.add("data."+f, "not a field of the "+string(c.Stage)+" stage", "“"+stageZH[c.Stage]+"”程序没有此项内容，不能更正")
		}
	}
	if c.Stage == StageImplementing && c.Report < 1 {
		fe.add("data.report", "required: the number of the implementation report, 1 for the first", "必填：第几次实施情况报告，第一次为1")
	}
	if c.Summary == nil && c.Channels == nil && c.Votes == nil && c.Text == nil && c.CorrectedDate.IsZero() {
		fe.add("data", "nothing to correct: give the corrected content or corrected_date", "没有更正内容：请填写更正后的内容或更正后的日期（corrected_date）")
	}
	if c.Summary != nil && slices.Contains(fields, "summary") {
		min := 0
		if c.Stage == StageImplementing {
			min = 1
		}
		checkText(&fe, "data.summary", *c.Summary, min, 2000, true)
	}
	if c.Channels != nil && slices.Contains(fields, "channels") {
		checkChannels(&fe, *c.Channels)
	}
	if c.Votes != nil && slices.Contains(fields, "votes") {
		c.Votes.validate(&fe, "data.votes")
	}
	if c.Text != nil && slices.Contains(fields, "text") {
		checkText(&fe, "data.text", *c.Text, 0, 5000, true)
	}
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

// decision decides a vote of body held on env's effective date.
func decision(env Env, body Body, v Votes, text string) Decision {
	return decideOn(env.Community, env.Date, body, v, text)
}

// decideOn decides a vote of body held on date, under the rule set of c in
// force on that date.
func decideOn(c *Community, date Date, body Body, v Votes, text string) Decision {
	rs := c.RuleSetAt(date)
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
	// A failed resolution, disclosed or not, may be put to a new vote
	// (重新表决).
	from := []Stage{StageReviewed}
	if env.Matter.failed() {
		from = append(from, StageResolved, StageResolutionDisclosed)
	}
	if err := existing(env, from...); err != nil {
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
	// Before the assembly's vote, or after it failed; a passed resolution
	// can only be revoked.
	from := []Stage{StageRegistered, StageProposed, StageConsulted, StageReviewed}
	if env.Matter.failed() {
		from = append(from, StageResolved, StageResolutionDisclosed)
	}
	if err := existing(env, from...); err != nil {
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
	if env.Date.Before(by.Dates.Get(StageResolved)) {
		return nil, &RuleError{Code: "date_before_previous_stage", Field: "effective_date",
			Reason: "the revocation is dated before the revoking resolution", ReasonZH: "撤销日期早于撤销决议的日期"}
	}
	return []Event{&MatterRevoked{ByMatter: c.ByMatter, Reason: c.Reason}}, nil
}

// votingBody is the body whose vote a stage records.
var votingBody = map[Stage]Body{StageReviewed: BodyPartyMembers, StageResolved: BodyRepresentatives}

func (c *CorrectMatter) Decide(env Env) ([]Event, error) {
	if err := existing(env, stageOrder...); err != nil {
		return nil, err
	}
	m := env.Matter
	orig, ok := m.content(c.Stage, c.Report)
	if !ok {
		return nil, notRecorded(m, c.Stage, c.Report)
	}
	next := orig.clone()
	if !c.CorrectedDate.IsZero() {
		if err := checkCorrectedDate(env, c.Stage, c.Report, c.CorrectedDate); err != nil {
			return nil, err
		}
		next.Date = c.CorrectedDate
	}
	if c.Summary != nil {
		next.Summary = *c.Summary
	}
	if c.Channels != nil {
		next.Channels = slices.Clone(*c.Channels)
	}
	if body, ok := votingBody[c.Stage]; ok {
		d := *orig.Decision
		if c.Text != nil {
			d.Text = *c.Text
		}
		// New figures or a new meeting date: decided again, under the
		// rule set in force on the meeting's date.
		if c.Votes != nil || next.Date != orig.Date {
			v := d.Votes
			if c.Votes != nil {
				v = *c.Votes
			}
			d = decideOn(env.Community, next.Date, body, v, d.Text)
		}
		next.Decision = &d
		if d.Passed != orig.Decision.Passed && m.Stage != c.Stage {
			field := "data.votes"
			if c.Votes == nil {
				field = "data.corrected_date"
			}
			return nil, outcomeLocked(m, c.Stage, field, d.Passed)
		}
	}
	if next.equal(orig) {
		return nil, &RuleError{Code: "correction_changes_nothing", Field: "data",
			Reason:   "the corrected content is the same as the recorded content",
			ReasonZH: "更正后的内容与原记录相同"}
	}
	return []Event{&StageCorrected{Stage: c.Stage, Report: c.Report, Reason: c.Reason, Original: orig, Corrected: next}}, nil
}

// notRecorded is the refusal of a correction of a stage m never recorded.
func notRecorded(m *Matter, s Stage, report int) error {
	if s == StageImplementing && len(m.Implementations) > 0 {
		n := strconv.Itoa(len(m.Implementations))
		return &RuleError{Code: "stage_not_recorded", Field: "data.report",
			Reason:   "the matter has " + n + " implementation report(s); there is no report " + strconv.Itoa(report),
			ReasonZH: "该事项只有" + n + "次实施情况报告，没有第" + strconv.Itoa(report) + "次"}
	}
	return &RuleError{Code: "stage_not_recorded", Field: "data.stage",
		Reason:   "the matter has no recorded " + string(s) + " stage to correct",
		ReasonZH: "该事项没有“" + stageZH[s] + "”的记录，无从更正"}
}

// checkCorrectedDate checks that date, as the corrected date of stage s,
// keeps the matter's stages in order and is not after the correction.
func checkCorrectedDate(env Env, s Stage, report int, date Date) error {
	lo, hi := env.Matter.dateBounds(s, report)
	switch {
	case date.Before(lo):
		return &RuleError{Code: "corrected_date_out_of_order", Field: "data.corrected_date",
			Reason:   "the corrected date is before an earlier stage (" + lo.String() + ")",
			ReasonZH: "更正后的日期早于前一程序的日期（" + lo.String() + "）"}
	case !hi.IsZero() && date.After(hi):
		return &RuleError{Code: "corrected_date_out_of_order", Field: "data.corrected_date",
			Reason:   "the corrected date is after a later stage (" + hi.String() + ")",
			ReasonZH: "更正后的日期晚于后一程序的日期（" + hi.String() + "）"}
	case date.After(env.Date):
		return &RuleError{Code: "corrected_date_out_of_order", Field: "data.corrected_date",
			Reason:   "the corrected date is after the correction's effective date",
			ReasonZH: "更正后的日期不能晚于本次更正的业务日期"}
	}
	return nil
}

// outcomeLocked is the refusal of a correction that would change whether
// the vote of stage s passed, after later stages were recorded on it.
func outcomeLocked(m *Matter, s Stage, field string, passed bool) error {
	now, nowZH := string(m.Stage), stageZH[m.Stage]
	if passed {
		return &RuleError{Code: "outcome_change_after_later_stage", Field: field,
			Reason: "the correction would turn the failed " + string(s) + " vote into a pass, but the matter has gone on to " + now +
				"; hold a new vote instead",
			ReasonZH: "更正将使未通过的“" + stageZH[s] + "”变为通过，但事项已进入“" + nowZH + "”，不能更正；请重新表决"}
	}
	remedy, remedyZH := "withdraw the matter (matter.withdraw)", "请撤回事项（matter.withdraw）"
	if s == StageResolved {
		remedy, remedyZH = "revoke it by a new resolution (matter.revoke)", "请以新的决议撤销（matter.revoke）"
	}
	return &RuleError{Code: "outcome_change_after_later_stage", Field: field,
		Reason: "the correction would turn the passed " + string(s) + " vote into a failure, but the matter has gone on to " + now +
			"; " + remedy + " instead",
		ReasonZH: "更正将使已通过的“" + stageZH[s] + "”变为未通过，但事项已进入“" + nowZH + "”，不能更正；" + remedyZH}
}

// Clone returns a deep copy of m.
func (m *Matter) Clone() *Matter {
	if m == nil {
		return nil
	}
	d := *m
	if m.Review != nil {
		r := *m.Review
		d.Review = &r
	}
	if m.Resolution != nil {
		r := *m.Resolution
		d.Resolution = &r
	}
	d.Implementations = append([]Implementation(nil), m.Implementations...)
	for _, r := range []**Record{&d.Proposal, &d.Consultation, &d.ResolutionDisclosure, &d.ResultDisclosure} {
		if *r != nil {
			c := **r
			c.Channels = slices.Clone(c.Channels)
			*r = &c
		}
	}
	d.PastResolutions = slices.Clone(m.PastResolutions)
	d.Corrections = nil
	for _, c := range m.Corrections {
		c.Original, c.Corrected = c.Original.clone(), c.Corrected.clone()
		d.Corrections = append(d.Corrections, c)
	}
	return &d
}
