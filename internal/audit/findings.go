// Package audit finds where a community's history breaks the rules of
// compliance (合规检查): each finding is a rule applied to the recorded
// events, with the thresholds and deadlines of the rule set in force on the
// date concerned, and names the events it rests on so that a reader can
// follow it back into the log.
//
// The rules, their codes and what each flags:
//
//	spending_without_resolution  a payment above the rule set's SpendingThreshold
//	                             whose voucher cites no matter passed by the
//	                             representative assembly
//	spending_before_resolution   a payment citing a matter whose passing vote is
//	                             dated after the payment (any amount)
//	split_payments               two or more payments, each at or under the
//	                             threshold and none citing a passed matter, on the
//	                             same budget line, to the same payee (the same
//	                             sub-account debited) or with the same summary
//	                             (normalised), the last at most SplitWindowDays
//	                             after the first, together above the threshold
//	spending_without_budget      payments in a fiscal year for which no budget
//	                             was adopted
//	over_budget_line             a budget line whose payments, net of reversals,
//	                             exceed its amount in the year's latest budget
//	                             (after adjustments); a line the budget lacks
//	                             has an amount of nothing
//	resolution_not_disclosed     a vote of the assembly (passed or failed) not
//	                             disclosed within the rule set's ResolutionDays,
//	                             or disclosed after them
//	no_implementation_report     a passed matter with no implementation report
//	                             NoReportAfterDays after its vote
//	paid_without_report          a passed matter that payments cite, with no
//	                             implementation report
//	result_not_disclosed         a result never disclosed ResultDays after the
//	                             first implementation report
//	meeting_without_quorum       a vote recorded as passed at a meeting that was
//	                             not quorate under the rule set of its date
//	                             (high); a meeting held without quorum whose vote
//	                             was recorded as failed (low: for information, the
//	                             meeting decided nothing)
//	vote_not_carried             a vote recorded as passed, quorate, but without
//	                             the majority the rule set of its date requires
//	negative_balance             cash, or a bank account without an overdraft
//	                             allowed by the rule set, below zero at a day's end
//	cash_above_limit             cash on hand (库存现金) above CashLimit at a day's end
//	late_entry                   a voucher, a matter's stage or a budget recorded
//	                             more than LateEntryDays after its effective date
//	reversal_of_reversal         a red-ink voucher reversing a red-ink voucher
//	month_closed_out_of_order    a month closed while an earlier month with
//	                             postings was open, in recording order
//	closed_year_corrected        a blue-ink correction of a voucher of a year
//	                             already closed (low: the proper way, but the
//	                             closed year's statements no longer tell the whole
//	                             story), or a red-ink reversal recorded after its
//	                             year was closed (high); the finding's Year is the
//	                             corrected year, OtherYears the year it was posted in
//	question_overdue             a resident's question unanswered after its due
//	                             date, or answered after it
//
// The rule set in force on a date is the community's own (its
// community.rule_set_adopted events, as recorded up to asOf), found with
// domain.Community.RuleSetAt. A payment is what domain.Chart.Payment says
// a voucher pays out of cash and bank; a reversed voucher (冲销) is taken
// as never paid by the spending rules, and a year's opening balances and
// change of chart pay nothing. Balances are checked for 101 and 102 (the
// chart's cash accounts) and for each of their sub-accounts. A payment
// citing a matter with no report yet is flagged at once: the report is
// owed when the money goes out. Records imported long after the fact show
// as late entries (low): they were recorded late. Findings depend on
// nothing but their arguments: the clock is asOf.
package audit

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// Event is one stored event of a community's history, decoded.
type Event struct {
	Seq           uint64
	Type          string
	AggregateType string
	AggregateID   string
	EffectiveDate domain.Date
	RecordedAt    time.Time
	Actor         string
	Data          domain.Event
}

// Decode decodes a stored event as a read model sees it. It returns an
// error for a rejected message, an unknown type or malformed data or date.
func Decode(e projections.Event) (Event, error) {
	if e.Rejected != "" {
		return Event{}, fmt.Errorf("event %d: rejected: %s", e.Seq, e.Rejected)
	}
	d, err := domain.ParseDate(e.EffectiveDate)
	if err != nil {
		return Event{}, fmt.Errorf("event %d: %w", e.Seq, err)
	}
	data, err := domain.DecodeEvent(e.Type, e.Schema, e.Data)
	if err != nil {
		return Event{}, fmt.Errorf("event %d: %w", e.Seq, err)
	}
	return Event{Seq: e.Seq, Type: e.Type, AggregateType: e.AggregateType, AggregateID: e.AggregateID,
		EffectiveDate: d, RecordedAt: e.RecordedAt, Actor: e.Actor, Data: data}, nil
}

// Finding is one breach of a compliance rule.
type Finding struct {
	// Rule is the rule's stable code, such as "spending_without_resolution".
	Rule string `json:"rule"`
	// Year is the fiscal (effective) year the finding concerns;
	// OtherYears are further years whose pages show it too.
	Year       int   `json:"year"`
	OtherYears []int `json:"other_years,omitempty"`
	// Seqs are the stream sequences of the events it rests on, ascending.
	Seqs     []uint64 `json:"seqs"`
	Title    string   `json:"title"`
	TitleZH  string   `json:"title_zh"`
	Detail   string   `json:"detail"`
	DetailZH string   `json:"detail_zh"`
	// Severity is "high", "medium" or "low".
	Severity string `json:"severity"`
}

// Rule codes.
const (
	RuleSpendingWithoutResolution = "spending_without_resolution"
	RuleSpendingBeforeResolution  = "spending_before_resolution"
	RuleSplitPayments             = "split_payments"
	RuleSpendingWithoutBudget     = "spending_without_budget"
	RuleOverBudgetLine            = "over_budget_line"
	RuleResolutionNotDisclosed    = "resolution_not_disclosed"
	RuleNoImplementationReport    = "no_implementation_report"
	RulePaidWithoutReport         = "paid_without_report"
	RuleResultNotDisclosed        = "result_not_disclosed"
	RuleMeetingWithoutQuorum      = "meeting_without_quorum"
	RuleVoteNotCarried            = "vote_not_carried"
	RuleNegativeBalance           = "negative_balance"
	RuleCashAboveLimit            = "cash_above_limit"
	RuleLateEntry                 = "late_entry"
	RuleReversalOfReversal        = "reversal_of_reversal"
	RuleMonthClosedOutOfOrder     = "month_closed_out_of_order"
	RuleClosedYearCorrected       = "closed_year_corrected"
	RuleQuestionOverdue           = "question_overdue"
)

// RuleInfo names a rule for a page that lists them.
type RuleInfo struct {
	Code    string `json:"code"`
	Title   string `json:"title"`
	TitleZH string `json:"title_zh"`
}

// Rules lists every rule Findings applies, in the order of the package
// documentation.
func Rules() []RuleInfo {
	return []RuleInfo{
		{RuleSpendingWithoutResolution, "Spending above the threshold without a resolution", "超过限额的支出未经决议"},
		{RuleSpendingBeforeResolution, "Paid before the resolution", "先支付后决议"},
		{RuleSplitPayments, "Payments split under the threshold", "化整为零、拆分支付"},
		{RuleSpendingWithoutBudget, "Spending without a budget", "无预算支出"},
		{RuleOverBudgetLine, "Spending over the budget line", "超预算支出"},
		{RuleResolutionNotDisclosed, "Resolution not disclosed in time", "决议未按期公开"},
		{RuleNoImplementationReport, "No implementation report", "决议通过后无实施情况报告"},
		{RulePaidWithoutReport, "Paid without an implementation report", "已支付但无实施情况报告"},
		{RuleResultNotDisclosed, "Result not disclosed", "实施结果未公开"},
		{RuleMeetingWithoutQuorum, "Meeting without quorum", "会议不足法定人数"},
		{RuleVoteNotCarried, "Passed without the majority", "赞成票未过半却记为通过"},
		{RuleNegativeBalance, "Negative cash or bank balance", "现金或银行存款余额为负"},
		{RuleCashAboveLimit, "Cash above its limit", "库存现金超过限额"},
		{RuleLateEntry, "Late entry", "补录迟延"},
		{RuleReversalOfReversal, "Reversal of a reversal", "冲销红字凭证"},
		{RuleMonthClosedOutOfOrder, "Month closed out of order", "月份未按顺序结账"},
		{RuleClosedYearCorrected, "Closed year corrected", "更正已结账年度"},
		{RuleQuestionOverdue, "Question not answered in time", "居民询问逾期未答复"},
	}
}

// Severities.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// Thresholds are the audit's own parameters, which no rule set holds. A
// zero field takes its default (DefaultThresholds).
type Thresholds struct {
	// SplitWindowDays: payments split to stay under the threshold are at
	// most this many days apart, first to last.
	SplitWindowDays int `json:"split_window_days"`
	// NoReportAfterDays: a passed matter has an implementation report
	// within this many days of its vote.
	NoReportAfterDays int `json:"no_report_after_days"`
	// LateEntryDays: an entry recorded more than this many days after its
	// effective date (in Asia/Shanghai) is late.
	LateEntryDays int `json:"late_entry_days"`
	// CashLimit is the limit of cash on hand (库存现金限额); a negative
	// limit turns the rule off.
	CashLimit domain.Fen `json:"cash_limit"`
}

// DefaultThresholds: a 30-day window for split payments, an implementation
// report within 90 days, entries late after 30 days, cash on hand up to
// 5,000.00 yuan.
func DefaultThresholds() Thresholds {
	return Thresholds{SplitWindowDays: 30, NoReportAfterDays: 90, LateEntryDays: 30, CashLimit: 5_000 * 100}
}

// withDefaults fills th's zero fields from DefaultThresholds.
func (th Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds()
	for _, f := range []struct{ v, def *int }{
		{&th.SplitWindowDays, &d.SplitWindowDays}, {&th.NoReportAfterDays, &d.NoReportAfterDays}, {&th.LateEntryDays, &d.LateEntryDays},
	} {
		if *f.v == 0 {
			*f.v = *f.def
		}
	}
	if th.CashLimit == 0 {
		th.CashLimit = d.CashLimit
	}
	return th
}

// Findings applies every rule to a community's history as recorded up to
// asOf (events recorded later are left out; a zero asOf keeps them all, and
// the deadlines then run to the latest recorded event). It returns the
// findings by year, then by their first event.
func Findings(history []Event, asOf time.Time, th Thresholds) []Finding {
	// As in History.AsOf: everything before the first event (in stream
	// order) recorded after asOf, even where recorded_at runs backwards.
	cut := uint64(math.MaxUint64)
	for _, e := range history {
		if !asOf.IsZero() && e.RecordedAt.After(asOf) {
			cut = min(cut, e.Seq)
		}
	}
	evs := make([]Event, 0, len(history))
	latest := time.Time{}
	for _, e := range history {
		if e.Data == nil || e.Seq >= cut {
			continue
		}
		evs = append(evs, e)
		if e.RecordedAt.After(latest) {
			latest = e.RecordedAt
		}
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return cmpU(a.Seq, b.Seq) })
	if asOf.IsZero() {
		asOf = latest
	}
	a := &auditor{th: th.withDefaults(), today: domain.DateOf(asOf), comm: &domain.Community{Officers: map[string]*domain.Officer{}},
		matters: map[string]*matterTrack{}, budgets: map[int]*budgetTrack{}, books: domain.NewBooks(),
		vouchers: map[string]*voucher{}, questions: map[string]*questionTrack{}, monthFirst: map[string]uint64{}}
	// The rule sets as recorded up to asOf decide every date's rules.
	for _, e := range evs {
		if e.AggregateType == domain.AggregateCommunity {
			a.comm.Apply(e.Data)
		}
	}
	for i := range evs {
		a.fold(&evs[i])
	}
	a.checkDecisions()
	a.checkSpending()
	a.checkSplits()
	a.checkBudgets()
	a.checkMatters()
	a.checkBalances()
	a.checkQuestions()
	for i := range a.out {
		slices.Sort(a.out[i].Seqs)
		a.out[i].Seqs = slices.Compact(a.out[i].Seqs)
	}
	if a.out == nil {
		a.out = []Finding{} // a clean history: an empty list, not null
	}
	sort.SliceStable(a.out, func(i, j int) bool {
		x, y := a.out[i], a.out[j]
		if x.Year != y.Year {
			return x.Year < y.Year
		}
		if fx, fy := first(x.Seqs), first(y.Seqs); fx != fy {
			return fx < fy
		}
		return x.Rule < y.Rule
	})
	return a.out
}

func first(s []uint64) uint64 {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type auditor struct {
	th    Thresholds
	today domain.Date
	comm  *domain.Community
	out   []Finding

	matters      map[string]*matterTrack
	matterOrder  []*matterTrack
	budgets      map[int]*budgetTrack
	books        *domain.Books
	vouchers     map[string]*voucher // by voucher id
	voucherOrder []*voucher
	// monthFirst is the seq of the first posting recorded in each month.
	monthFirst     map[string]uint64
	questions      map[string]*questionTrack
	questionsOrder []*questionTrack
}

type matterTrack struct {
	m *domain.Matter
	// seq is the event that last recorded each stage.
	seq            map[domain.Stage]uint64
	firstReportSeq uint64
	review, vote   *meeting
	meetings       []*meeting
}

// meeting is one vote of a body, as last recorded or corrected.
type meeting struct {
	body domain.Body
	d    domain.Decision
	date domain.Date
	seqs []uint64
}

type budgetTrack struct {
	year    int
	budget  *domain.Budget
	adopted domain.Date
	seqs    []uint64
}

// voucher is a voucher of the books, with the event that recorded it.
type voucher struct {
	*domain.Voucher
	seq        uint64
	correction bool
	// opening marks number 0 of a year: its opening balances or its
	// change of chart, which move balances and pay nothing.
	opening bool
}

type questionTrack struct {
	q                    *domain.Question
	askedSeq, answerSeq  uint64
	answeredAt, recorded domain.Date
}

func (a *auditor) add(f Finding) { a.out = append(a.out, f) }

// lateTypes are the events whose effective date is the date of what they
// record (a voucher, a meeting, a budget): one recorded long after it is a
// late entry. Opening balances, a change of chart, closing and assets'
// runs are dated by rule, not by when they happened.
var lateTypes = map[string]bool{
	domain.EvVoucherPosted: true, domain.EvVoucherReversed: true, domain.EvCorrectionPosted: true,
	domain.EvMatterRegistered: true, domain.EvMatterProposed: true, domain.EvMatterConsulted: true,
	domain.EvMatterReviewed: true, domain.EvMatterResolved: true, domain.EvResolutionDisclosed: true,
	domain.EvImplementationReport: true, domain.EvResultDisclosed: true, domain.EvMatterWithdrawn: true,
	domain.EvMatterRevoked: true, domain.EvBudgetAdopted: true, domain.EvBudgetAdjusted: true,
	domain.EvFundsReceived: true,
}

func (a *auditor) fold(e *Event) {
	if lateTypes[e.Type] {
		a.checkLate(e)
	}
	switch e.AggregateType {
	case domain.AggregateMatter:
		a.foldMatter(e)
	case domain.AggregateBudget:
		b := a.budgets[budgetYear(e)]
		if b == nil {
			b = &budgetTrack{year: budgetYear(e)}
			a.budgets[b.year] = b
		}
		b.budget, _ = domain.ApplyTo(b.budget, domain.AggregateBudget, e.AggregateID, e.Data, e.EffectiveDate).(*domain.Budget)
		switch e.Data.(type) {
		case *domain.BudgetAdopted:
			if b.adopted.IsZero() {
				b.adopted = e.EffectiveDate
			}
			b.seqs = append(b.seqs, e.Seq)
		case *domain.BudgetAdjusted:
			b.seqs = append(b.seqs, e.Seq)
		}
	case domain.AggregateBooks:
		a.foldBooks(e)
	case domain.AggregateQuestion:
		q := a.questions[e.AggregateID]
		if q == nil {
			q = &questionTrack{}
			a.questions[e.AggregateID] = q
			a.questionsOrder = append(a.questionsOrder, q)
		}
		q.q, _ = domain.ApplyTo(q.q, domain.AggregateQuestion, e.AggregateID, e.Data, e.EffectiveDate).(*domain.Question)
		switch e.Data.(type) {
		case *domain.QuestionAsked:
			q.askedSeq = e.Seq
		case *domain.QuestionAnswered:
			q.answerSeq = e.Seq
		}
	}
}

func budgetYear(e *Event) int {
	if y, err := strconv.Atoi(e.AggregateID); err == nil {
		return y
	}
	return e.EffectiveDate.Year
}

func (a *auditor) checkLate(e *Event) {
	if e.RecordedAt.IsZero() {
		return
	}
	rec := domain.DateOf(e.RecordedAt)
	days := rec.DaysSince(e.EffectiveDate)
	if days <= a.th.LateEntryDays {
		return
	}
	what, whatZH := describe(e)
	a.add(Finding{Rule: RuleLateEntry, Year: e.EffectiveDate.Year, Seqs: []uint64{e.Seq}, Severity: Low,
		Title: "Late entry", TitleZH: "补录迟延",
		Detail: fmt.Sprintf("%s dated %s was recorded on %s, %d days later (more than %d)",
			what, e.EffectiveDate, rec, days, a.th.LateEntryDays),
		DetailZH: fmt.Sprintf("%s（业务日期 %s）于 %s 才录入，相隔 %d 天，超过 %d 天",
			whatZH, e.EffectiveDate, rec, days, a.th.LateEntryDays)})
}

// describe names what an event records, in English and Chinese.
func describe(e *Event) (string, string) {
	switch d := e.Data.(type) {
	case *domain.VoucherPosted:
		id := domain.VoucherID(e.EffectiveDate, d.Number)
		return "voucher " + id, "凭证 " + id
	case *domain.VoucherReversed:
		id := domain.VoucherID(e.EffectiveDate, d.Number)
		return "red-ink voucher " + id, "红字凭证 " + id
	case *domain.CorrectionPosted:
		id := domain.VoucherID(e.EffectiveDate, d.Number)
		return "correction voucher " + id, "更正凭证 " + id
	}
	switch e.AggregateType {
	case domain.AggregateMatter:
		return fmt.Sprintf("%s of matter %s", e.Type, e.AggregateID), fmt.Sprintf("事项 %s 的“%s”", e.AggregateID, typeZH[e.Type])
	case domain.AggregateBudget:
		return fmt.Sprintf("%s of budget %s", e.Type, e.AggregateID), fmt.Sprintf("%s 年度预算的“%s”", e.AggregateID, typeZH[e.Type])
	}
	return e.Type, e.Type
}

var typeZH = map[string]string{
	domain.EvMatterRegistered: "登记", domain.EvMatterProposed: "党组织提议", domain.EvMatterConsulted: "两委会商议",
	domain.EvMatterReviewed: "党员大会审议", domain.EvMatterResolved: "代表会议决议", domain.EvResolutionDisclosed: "决议公开",
	domain.EvImplementationReport: "实施情况报告", domain.EvResultDisclosed: "实施结果公开", domain.EvMatterWithdrawn: "撤回",
	domain.EvMatterRevoked: "撤销", domain.EvBudgetAdopted: "预算通过", domain.EvBudgetAdjusted: "预算调整",
	domain.EvFundsReceived: "资金到账",
}

func (a *auditor) foldMatter(e *Event) {
	t := a.matters[e.AggregateID]
	if t == nil {
		t = &matterTrack{seq: map[domain.Stage]uint64{}}
		a.matters[e.AggregateID] = t
		a.matterOrder = append(a.matterOrder, t)
	}
	t.m, _ = domain.ApplyTo(t.m, domain.AggregateMatter, e.AggregateID, e.Data, e.EffectiveDate).(*domain.Matter)
	switch d := e.Data.(type) {
	case *domain.MatterReviewed:
		t.review = &meeting{body: domain.BodyPartyMembers, d: d.Decision, date: e.EffectiveDate, seqs: []uint64{e.Seq}}
		t.meetings = append(t.meetings, t.review)
	case *domain.MatterResolved:
		t.vote = &meeting{body: domain.BodyRepresentatives, d: d.Decision, date: e.EffectiveDate, seqs: []uint64{e.Seq}}
		t.meetings = append(t.meetings, t.vote)
	case *domain.ImplementationReported:
		if t.firstReportSeq == 0 {
			t.firstReportSeq = e.Seq
		}
	case *domain.StageCorrected:
		// A corrected vote replaces the vote it corrects.
		var mt *meeting
		switch d.Stage {
		case domain.StageReviewed:
			mt = t.review
		case domain.StageResolved:
			mt = t.vote
		}
		if mt != nil && d.Corrected.Decision != nil {
			mt.d = *d.Corrected.Decision
			if !d.Corrected.Date.IsZero() {
				mt.date = d.Corrected.Date
			}
			mt.seqs = append(mt.seqs, e.Seq)
		}
		return
	}
	if s := t.m.Stage; s != "" {
		t.seq[s] = e.Seq
	}
}

// voucherData returns the voucher an event of the books records, if any,
// and its date.
func voucherData(e *Event) (*domain.VoucherData, domain.Date) {
	jan1 := func(y int) domain.Date { return domain.Date{Year: y, Month: time.January, Day: 1} }
	switch d := e.Data.(type) {
	case *domain.VoucherPosted:
		return &d.VoucherData, e.EffectiveDate
	case *domain.VoucherReversed:
		return &d.VoucherData, e.EffectiveDate
	case *domain.CorrectionPosted:
		return &d.VoucherData, e.EffectiveDate
	case *domain.BalancesOpened:
		return &domain.VoucherData{Number: 0, Lines: d.Lines}, jan1(d.Year)
	case *domain.ChartTransitioned:
		return &domain.VoucherData{Number: 0, Lines: d.Lines}, jan1(d.Year)
	case *domain.AssetRegistered:
		return d.Posted, e.EffectiveDate
	case *domain.DepreciationPosted:
		return &d.VoucherData, e.EffectiveDate
	case *domain.AssetDisposed:
		return &d.VoucherData, e.EffectiveDate
	}
	return nil, domain.Date{}
}

func (a *auditor) foldBooks(e *Event) {
	b := a.books
	// Checks against the books as recorded before this event.
	switch d := e.Data.(type) {
	case *domain.MonthClosed:
		a.checkMonthOrder(e, d)
	case *domain.VoucherReversed:
		orig := a.vouchers[d.Reverses]
		id := domain.VoucherID(e.EffectiveDate, d.Number)
		if orig != nil && orig.Reverses != "" {
			a.add(Finding{Rule: RuleReversalOfReversal, Year: e.EffectiveDate.Year, Seqs: []uint64{orig.seq, e.Seq}, Severity: High,
				Title: "Reversal of a reversal", TitleZH: "冲销红字凭证",
				Detail: fmt.Sprintf("red-ink voucher %s (%s) reverses %s, itself a red-ink voucher reversing %s: a reversal is corrected by a new voucher",
					id, e.EffectiveDate, orig.ID, orig.Reverses),
				DetailZH: fmt.Sprintf("红字凭证 %s（%s）冲销的 %s 本身是冲销 %s 的红字凭证；红字凭证不应再冲销，应另编凭证更正",
					id, e.EffectiveDate, orig.ID, orig.Reverses)})
		}
		if orig != nil && b.ClosedYears[orig.Date.Year] {
			y := orig.Date.Year
			a.add(Finding{Rule: RuleClosedYearCorrected, Year: y, OtherYears: otherYear(e.EffectiveDate.Year, y),
				Seqs: []uint64{orig.seq, e.Seq}, Severity: High,
				Title: "Voucher of a closed year reversed", TitleZH: "已结账年度的凭证被冲销",
				Detail: fmt.Sprintf("red-ink voucher %s (%s) reverses %s of %d after %d was closed: the closed year's statements changed",
					id, e.EffectiveDate, orig.ID, y, y),
				DetailZH: fmt.Sprintf("红字凭证 %s（%s）在 %d 年度结账后冲销了该年度的凭证 %s，已结账年度的报表因此改变",
					id, e.EffectiveDate, y, orig.ID)})
		}
	case *domain.CorrectionPosted:
		orig := a.vouchers[d.Corrects]
		if orig != nil && b.ClosedYears[orig.Date.Year] {
			y := orig.Date.Year
			id := domain.VoucherID(e.EffectiveDate, d.Number)
			a.add(Finding{Rule: RuleClosedYearCorrected, Year: y, OtherYears: otherYear(e.EffectiveDate.Year, y),
				Seqs: []uint64{orig.seq, e.Seq}, Severity: Low,
				Title: "Closed year corrected", TitleZH: "更正已结账年度",
				Detail: fmt.Sprintf("correction voucher %s (%s) corrects %s of the closed year %d: %s; read %d's statements with it",
					id, e.EffectiveDate, orig.ID, y, d.Reason, y),
				DetailZH: fmt.Sprintf("更正凭证 %s（%s）更正了已结账的 %d 年度凭证 %s，原因：%s；阅读 %d 年度报表时应一并参阅",
					id, e.EffectiveDate, y, orig.ID, d.Reason, y)})
		}
	}
	domain.ApplyTo(b, domain.AggregateBooks, e.AggregateID, e.Data, e.EffectiveDate)
	vd, date := voucherData(e)
	if vd == nil {
		return
	}
	id := domain.VoucherID(date, vd.Number)
	v := b.Vouchers[id]
	if v == nil {
		return
	}
	_, corr := e.Data.(*domain.CorrectionPosted)
	vt := &voucher{Voucher: v, seq: e.Seq, correction: corr, opening: vd.Number == 0}
	a.vouchers[id] = vt
	a.voucherOrder = append(a.voucherOrder, vt)
	if m := domain.Month(date); a.monthFirst[m] == 0 {
		a.monthFirst[m] = e.Seq
	}
}

func otherYear(posted, corrected int) []int {
	if posted == corrected {
		return nil
	}
	return []int{posted}
}

func (a *auditor) checkMonthOrder(e *Event, d *domain.MonthClosed) {
	var open []string
	for m := range a.monthFirst {
		if m < d.Month && !a.books.ClosedMonths[m] {
			open = append(open, m)
		}
	}
	if len(open) == 0 {
		return
	}
	slices.Sort(open)
	seqs := []uint64{e.Seq}
	for _, m := range open {
		seqs = append(seqs, a.monthFirst[m])
	}
	y, _ := strconv.Atoi(d.Month[:min(4, len(d.Month))])
	a.add(Finding{Rule: RuleMonthClosedOutOfOrder, Year: y, Seqs: seqs, Severity: Medium,
		Title: "Month closed out of order", TitleZH: "月份未按顺序结账",
		Detail: fmt.Sprintf("%s was closed on %s while earlier months with postings were still open: %s",
			d.Month, e.EffectiveDate, strings.Join(open, ", ")),
		DetailZH: fmt.Sprintf("%s 于 %s 结账时，之前有凭证的月份尚未结账：%s",
			d.Month, e.EffectiveDate, strings.Join(open, "、"))})
}

// checkDecisions applies the vote rule of each meeting's date to its
// tally, as last recorded or corrected.
func (a *auditor) checkDecisions() {
	for _, t := range a.matterOrder {
		for _, mt := range t.meetings {
			rs := a.comm.RuleSetAt(mt.date)
			rule := rs.Votes[mt.body]
			q, p := rule.Outcome(mt.d.Votes)
			v := mt.d.Votes
			body, bodyZH := "party members' meeting", "党员大会"
			if mt.body == domain.BodyRepresentatives {
				body, bodyZH = "representative assembly", "代表会议"
			}
			tally := fmt.Sprintf("%d of %d present, %d for", v.Present, v.Expected, v.For)
			tallyZH := fmt.Sprintf("应到 %d 人，实到 %d 人，赞成 %d 人", v.Expected, v.Present, v.For)
			switch {
			case !q && mt.d.Passed:
				a.add(Finding{Rule: RuleMeetingWithoutQuorum, Year: mt.date.Year, Seqs: slices.Clone(mt.seqs), Severity: High,
					Title: "Passed without quorum", TitleZH: "会议不足法定人数却记为通过",
					Detail: fmt.Sprintf("the %s of %s on matter %s (%s) is recorded as passed, but %s does not reach the quorum of %d/%d under rule set %s",
						body, mt.date, t.m.ID, t.m.Title, tally, rule.Quorum.Num, rule.Quorum.Den, rs.ID),
					DetailZH: fmt.Sprintf("%s %s就事项 %s（%s）的表决记为通过，但%s，未达到规则 %s 要求的 %d/%d 法定人数",
						mt.date, bodyZH, t.m.ID, t.m.Title, tallyZH, rs.ID, rule.Quorum.Num, rule.Quorum.Den)})
			case !q:
				a.add(Finding{Rule: RuleMeetingWithoutQuorum, Year: mt.date.Year, Seqs: slices.Clone(mt.seqs), Severity: Low,
					Title: "Meeting without quorum", TitleZH: "会议不足法定人数",
					Detail: fmt.Sprintf("the %s of %s on matter %s (%s) was held without quorum (%s; rule set %s needs %d/%d): its vote decided nothing",
						body, mt.date, t.m.ID, t.m.Title, tally, rs.ID, rule.Quorum.Num, rule.Quorum.Den),
					DetailZH: fmt.Sprintf("%s %s就事项 %s（%s）开会时不足法定人数（%s，规则 %s 要求 %d/%d），表决无效",
						mt.date, bodyZH, t.m.ID, t.m.Title, tallyZH, rs.ID, rule.Quorum.Num, rule.Quorum.Den)})
			case mt.d.Passed && !p:
				base, baseZH := "present", "实到"
				if rule.MajorityOf == "expected" {
					base, baseZH = "expected", "应到"
				}
				a.add(Finding{Rule: RuleVoteNotCarried, Year: mt.date.Year, Seqs: slices.Clone(mt.seqs), Severity: High,
					Title: "Passed without the majority", TitleZH: "赞成票未过半却记为通过",
					Detail: fmt.Sprintf("the %s of %s on matter %s (%s) is recorded as passed, but %s is not more than %d/%d of those %s under rule set %s",
						body, mt.date, t.m.ID, t.m.Title, tally, rule.Majority.Num, rule.Majority.Den, base, rs.ID),
					DetailZH: fmt.Sprintf("%s %s就事项 %s（%s）的表决记为通过，但%s，未超过%s人数的 %d/%d（规则 %s）",
						mt.date, bodyZH, t.m.ID, t.m.Title, tallyZH, baseZH, rule.Majority.Num, rule.Majority.Den, rs.ID)})
			}
		}
	}
}

// payments returns the vouchers that pay money out (domain.Chart.Payment)
// and were not reversed, in recording order; a year's opening balances and
// change of chart are no payment.
func (a *auditor) payments() []*voucher {
	var out []*voucher
	for _, v := range a.voucherOrder {
		if isPayment(v) {
			out = append(out, v)
		}
	}
	return out
}

func isPayment(v *voucher) bool {
	return v.Payment > 0 && !v.opening && v.Reverses == "" && v.ReversedBy == ""
}

// passedBy reports whether matter id had a passing vote on or before d,
// and returns the matter and its vote's date.
func (a *auditor) passedBy(id string, d domain.Date) (t *matterTrack, resolved domain.Date, ok bool) {
	t = a.matters[id]
	if t == nil || t.m == nil || !t.m.Passed() {
		return t, domain.Date{}, false
	}
	resolved = t.m.Dates.Get(domain.StageResolved)
	return t, resolved, !resolved.After(d)
}

func (a *auditor) checkSpending() {
	for _, v := range a.payments() {
		threshold := a.comm.RuleSetAt(v.Date).SpendingThreshold
		t, resolved, ok := a.passedBy(v.Matter, v.Date)
		switch {
		case v.Matter != "" && t != nil && t.m != nil && t.m.Passed() && !ok:
			a.add(Finding{Rule: RuleSpendingBeforeResolution, Year: v.Date.Year, Seqs: []uint64{v.seq, t.seq[domain.StageResolved]}, Severity: High,
				Title: "Paid before the resolution", TitleZH: "先支付后决议",
				Detail: fmt.Sprintf("%s voucher %s paid %s yuan citing matter %s (%s), passed only on %s",
					v.Date, v.ID, yuan(v.Payment), v.Matter, t.m.Title, resolved),
				DetailZH: fmt.Sprintf("%s 凭证 %s 支付 %s 元，引用的事项 %s（%s）于 %s 才表决通过，支付在决议之前",
					v.Date, v.ID, yuan(v.Payment), v.Matter, t.m.Title, resolved)})
		case !ok && v.Payment > threshold:
			cited, citedZH := "", "，未引用已通过的决议"
			if v.Matter != "" {
				cited = fmt.Sprintf("; the matter it cites, %s, has no passed resolution", v.Matter)
				citedZH = fmt.Sprintf("，所引用的事项 %s 没有经表决通过的决议", v.Matter)
			}
			a.add(Finding{Rule: RuleSpendingWithoutResolution, Year: v.Date.Year, Seqs: []uint64{v.seq}, Severity: High,
				Title: "Spending above the threshold without a resolution", TitleZH: "超过限额的支出未经决议",
				Detail: fmt.Sprintf("%s voucher %s paid %s yuan, above the threshold of %s yuan, without citing a passed resolution%s",
					v.Date, v.ID, yuan(v.Payment), yuan(threshold), cited),
				DetailZH: fmt.Sprintf("%s 凭证 %s 支付 %s 元，超过 %s 元的限额%s",
					v.Date, v.ID, yuan(v.Payment), yuan(threshold), citedZH)})
		}
	}
}

// normalise reduces a summary to its letters and digits, lower case, with
// full-width forms folded, so that "保洁费 （三月）" and "保洁费(三月)" match.
func normalise(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func (a *auditor) checkSplits() {
	type key struct{ kind, value string }
	groups := map[key][]*voucher{}
	var keys []key
	for _, v := range a.payments() {
		if v.Payment > a.comm.RuleSetAt(v.Date).SpendingThreshold {
			continue // a finding of its own, or resolved
		}
		if _, _, ok := a.passedBy(v.Matter, v.Date); ok {
			continue
		}
		ks := []key{}
		if v.BudgetLine != "" {
			ks = append(ks, key{"line", fmt.Sprintf("%d/%s", v.Date.Year, v.BudgetLine)})
		}
		// A payee has a sub-account (明细科目) of its own, such as 20201
		// 某施工队 under 202 应付款: the same sub-account debited is the same
		// payee (or the same purpose).
		ch := a.books.ChartFor(v.Date.Year)
		for _, l := range v.Lines {
			if _, sub := a.books.Subs[l.Account]; sub && l.Debit > 0 && !ch.IsCash(l.Account) {
				ks = append(ks, key{"payee", l.Account})
			}
		}
		if n := normalise(v.Summary); n != "" {
			ks = append(ks, key{"summary", n})
		}
		for _, k := range ks {
			if _, seen := groups[k]; !seen {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], v)
		}
	}
	// Budget lines first, then payees, then summaries; a payment joins one
	// finding only.
	rank := map[string]int{"line": 0, "payee": 1, "summary": 2}
	slices.SortStableFunc(keys, func(x, y key) int { return rank[x.kind] - rank[y.kind] })
	used := map[*voucher]bool{}
	for _, k := range keys {
		vs := slices.DeleteFunc(slices.Clone(groups[k]), func(v *voucher) bool { return used[v] })
		slices.SortStableFunc(vs, func(x, y *voucher) int {
			if c := strings.Compare(x.Date.String(), y.Date.String()); c != 0 {
				return c
			}
			return cmpU(x.seq, y.seq)
		})
		for i := 0; i < len(vs); {
			threshold := a.comm.RuleSetAt(vs[i].Date).SpendingThreshold
			j := i
			sum := domain.Fen(0)
			for j < len(vs) && vs[j].Date.DaysSince(vs[i].Date) <= a.th.SplitWindowDays {
				sum += vs[j].Payment
				j++
			}
			if j-i < 2 || sum <= threshold {
				i++
				continue
			}
			run := vs[i:j]
			var seqs []uint64
			var ids []string
			for _, v := range run {
				seqs = append(seqs, v.seq)
				ids = append(ids, v.ID)
				used[v] = true
			}
			same, sameZH := "the summary “"+run[0].Summary+"”", "摘要“"+run[0].Summary+"”"
			switch k.kind {
			case "line":
				same, sameZH = "budget line "+run[0].BudgetLine, "预算行 "+run[0].BudgetLine+" "
			case "payee":
				name := k.value
				if sub, ok := a.books.Subs[k.value]; ok {
					name += "（" + sub.NameZH + "）"
				}
				same, sameZH = "account "+name, "收款方科目 "+name
			}
			from, to := run[0].Date, run[len(run)-1].Date
			a.add(Finding{Rule: RuleSplitPayments, Year: from.Year, Seqs: seqs, Severity: High,
				Title: "Payments split under the threshold", TitleZH: "化整为零、拆分支付",
				Detail: fmt.Sprintf("from %s to %s, %d payments with %s (vouchers %s), each at most %s yuan, total %s yuan, above the threshold, none citing a passed resolution",
					from, to, len(run), same, strings.Join(ids, ", "), yuan(threshold), yuan(sum)),
				DetailZH: fmt.Sprintf("%s 至 %s 期间，%s相同的支付 %d 笔（凭证 %s），每笔不超过 %s 元，合计 %s 元，超过限额，均未引用已通过的决议",
					from, to, sameZH, len(run), strings.Join(ids, "、"), yuan(threshold), yuan(sum))})
			i = j
		}
	}
}

func (a *auditor) checkBudgets() {
	// Payments by year, and net spending per year and line.
	byYear := map[int][]*voucher{}
	type lineKey struct {
		year int
		line string
	}
	spent := map[lineKey]domain.Fen{}
	lineSeqs := map[lineKey][]uint64{}
	var lineKeys []lineKey
	for _, v := range a.voucherOrder {
		if isPayment(v) {
			byYear[v.Date.Year] = append(byYear[v.Date.Year], v)
		}
		if v.opening || v.BudgetLine == "" || v.Payment == 0 {
			continue
		}
		k := lineKey{v.Date.Year, v.BudgetLine}
		if _, ok := spent[k]; !ok {
			lineKeys = append(lineKeys, k)
		}
		spent[k] += v.Payment // a reversal's payment is negative
		lineSeqs[k] = append(lineSeqs[k], v.seq)
	}
	years := make([]int, 0, len(byYear))
	for y := range byYear {
		years = append(years, y)
	}
	slices.Sort(years)
	for _, y := range years {
		if b := a.budgets[y]; b != nil && !b.adopted.IsZero() {
			continue
		}
		vs := byYear[y]
		var sum domain.Fen
		var seqs []uint64
		for _, v := range vs {
			sum += v.Payment
			seqs = append(seqs, v.seq)
		}
		a.add(Finding{Rule: RuleSpendingWithoutBudget, Year: y, Seqs: seqs, Severity: High,
			Title: "Spending without a budget", TitleZH: "无预算支出",
			Detail: fmt.Sprintf("no budget was adopted for %d, yet %d payments totalling %s yuan were made, the first on %s (voucher %s)",
				y, len(vs), yuan(sum), vs[0].Date, vs[0].ID),
			DetailZH: fmt.Sprintf("%d 年度没有通过预算，却支出 %d 笔，合计 %s 元，第一笔为 %s 凭证 %s",
				y, len(vs), yuan(sum), vs[0].Date, vs[0].ID)})
	}
	for _, k := range lineKeys {
		b := a.budgets[k.year]
		if b == nil || b.adopted.IsZero() || b.budget == nil {
			continue // spending_without_budget
		}
		line, ok := b.budget.Line(k.line)
		if spent[k] <= line.Amount {
			continue
		}
		seqs := append(slices.Clone(b.seqs), lineSeqs[k]...)
		name, nameZH := "", "（预算中没有此行）"
		if ok {
			name, nameZH = " ("+line.Name+")", "（"+line.Name+"）"
		}
		a.add(Finding{Rule: RuleOverBudgetLine, Year: k.year, Seqs: seqs, Severity: Medium,
			Title: "Spending over the budget line", TitleZH: "超预算支出",
			Detail: fmt.Sprintf("budget line %s%s of %d has %s yuan; payments on it total %s yuan, %s yuan over",
				k.line, name, k.year, yuan(line.Amount), yuan(spent[k]), yuan(spent[k]-line.Amount)),
			DetailZH: fmt.Sprintf("%d 年度预算行 %s%s预算 %s 元，实际支出 %s 元，超支 %s 元",
				k.year, k.line, nameZH, yuan(line.Amount), yuan(spent[k]), yuan(spent[k]-line.Amount))})
	}
}

func (a *auditor) checkMatters() {
	paidBy := map[string][]*voucher{}
	for _, v := range a.payments() {
		if v.Matter != "" {
			paidBy[v.Matter] = append(paidBy[v.Matter], v)
		}
	}
	for _, t := range a.matterOrder {
		m := t.m
		if m == nil || m.Resolution == nil {
			continue
		}
		resolved := m.Dates.Get(domain.StageResolved)
		rSeq := t.seq[domain.StageResolved]
		// 决议公开: every vote, passed or failed.
		due := resolved.AddDays(a.comm.RuleSetAt(resolved).DisclosureRules().ResolutionDays)
		outcome, outcomeZH := "failed", "未通过"
		if m.Passed() {
			outcome, outcomeZH = "passed", "通过"
		}
		if disclosed := m.Dates.Get(domain.StageResolutionDisclosed); disclosed.IsZero() && a.today.After(due) {
			a.add(Finding{Rule: RuleResolutionNotDisclosed, Year: resolved.Year, Seqs: []uint64{rSeq}, Severity: High,
				Title: "Resolution not disclosed", TitleZH: "决议未按期公开",
				Detail: fmt.Sprintf("the resolution on matter %s (%s), %s on %s, was due for disclosure by %s and is not disclosed as of %s",
					m.ID, m.Title, outcome, resolved, due, a.today),
				DetailZH: fmt.Sprintf("事项 %s（%s）于 %s 表决%s，应于 %s 前公开决议，截至 %s 仍未公开",
					m.ID, m.Title, resolved, outcomeZH, due, a.today)})
		} else if disclosed.After(due) {
			a.add(Finding{Rule: RuleResolutionNotDisclosed, Year: resolved.Year, Seqs: []uint64{rSeq, t.seq[domain.StageResolutionDisclosed]}, Severity: Medium,
				Title: "Resolution disclosed late", TitleZH: "决议逾期公开",
				Detail: fmt.Sprintf("the resolution on matter %s (%s), %s on %s, was due for disclosure by %s and was disclosed on %s, %d days late",
					m.ID, m.Title, outcome, resolved, due, disclosed, disclosed.DaysSince(due)),
				DetailZH: fmt.Sprintf("事项 %s（%s）于 %s 表决%s，应于 %s 前公开决议，实际于 %s 公开，逾期 %d 天",
					m.ID, m.Title, resolved, outcomeZH, due, disclosed, disclosed.DaysSince(due))})
		}
		if !m.Passed() || m.Stage == domain.StageRevoked {
			continue
		}
		if len(m.Implementations) == 0 {
			if paid := paidBy[m.ID]; len(paid) > 0 {
				seqs := []uint64{rSeq}
				var sum domain.Fen
				for _, v := range paid {
					seqs = append(seqs, v.seq)
					sum += v.Payment
				}
				a.add(Finding{Rule: RulePaidWithoutReport, Year: resolved.Year, Seqs: seqs, Severity: Medium,
					Title: "Paid without an implementation report", TitleZH: "已支付但无实施情况报告",
					Detail: fmt.Sprintf("matter %s (%s), passed on %s, has %d payments totalling %s yuan (the first on %s) and no implementation report as of %s",
						m.ID, m.Title, resolved, len(paid), yuan(sum), paid[0].Date, a.today),
					DetailZH: fmt.Sprintf("事项 %s（%s）于 %s 表决通过，已支付 %d 笔共 %s 元（第一笔 %s），截至 %s 没有实施情况报告",
						m.ID, m.Title, resolved, len(paid), yuan(sum), paid[0].Date, a.today)})
			} else if by := resolved.AddDays(a.th.NoReportAfterDays); a.today.After(by) {
				a.add(Finding{Rule: RuleNoImplementationReport, Year: resolved.Year, Seqs: []uint64{rSeq}, Severity: Medium,
					Title: "No implementation report", TitleZH: "决议通过后无实施情况报告",
					Detail: fmt.Sprintf("matter %s (%s) passed on %s; no implementation report by %s (%d days) nor as of %s",
						m.ID, m.Title, resolved, by, a.th.NoReportAfterDays, a.today),
					DetailZH: fmt.Sprintf("事项 %s（%s）于 %s 表决通过，%d 天后（%s）仍无实施情况报告，截至 %s 仍无",
						m.ID, m.Title, resolved, a.th.NoReportAfterDays, by, a.today)})
			}
			continue
		}
		first := m.Implementations[0].Date
		due = first.AddDays(a.comm.RuleSetAt(first).DisclosureRules().ResultDays)
		if m.ResultDisclosure == nil && a.today.After(due) {
			a.add(Finding{Rule: RuleResultNotDisclosed, Year: first.Year, Seqs: []uint64{rSeq, t.firstReportSeq}, Severity: Medium,
				Title: "Result not disclosed", TitleZH: "实施结果未公开",
				Detail: fmt.Sprintf("matter %s (%s) was first reported on %s; its result was due for disclosure by %s and is not disclosed as of %s",
					m.ID, m.Title, first, due, a.today),
				DetailZH: fmt.Sprintf("事项 %s（%s）于 %s 首次报告实施情况，应于 %s 前公开实施结果，截至 %s 仍未公开",
					m.ID, m.Title, first, due, a.today)})
		}
	}
}

// cashPosting is one posting to a cash or bank account.
type cashPosting struct {
	date   domain.Date
	amount domain.Fen
	seq    uint64
}

func (a *auditor) checkBalances() {
	type acct struct {
		code, root string
	}
	posts := map[acct][]cashPosting{}
	var accts []acct
	addTo := func(k acct, p cashPosting) {
		if _, ok := posts[k]; !ok {
			accts = append(accts, k)
		}
		posts[k] = append(posts[k], p)
	}
	for _, v := range a.voucherOrder {
		ch := a.books.ChartFor(v.Date.Year)
		for _, l := range v.Lines {
			root := ""
			for _, cc := range ch.CashCodes {
				if strings.HasPrefix(l.Account, cc) {
					root = cc
				}
			}
			if root == "" {
				continue
			}
			p := cashPosting{date: v.Date, amount: l.Debit - l.Credit, seq: v.seq}
			addTo(acct{root, root}, p)
			if l.Account != root {
				addTo(acct{l.Account, root}, p)
			}
		}
	}
	slices.SortFunc(accts, func(x, y acct) int { return strings.Compare(x.code, y.code) })
	for _, k := range accts {
		ps := posts[k]
		slices.SortStableFunc(ps, func(x, y cashPosting) int {
			if c := strings.Compare(x.date.String(), y.date.String()); c != 0 {
				return c
			}
			return cmpU(x.seq, y.seq)
		})
		ch := a.books.ChartFor(ps[0].date.Year)
		isCash := k.root == ch.CashCodes[0]
		name := k.code
		if acc, ok := a.books.AccountOf(ps[len(ps)-1].date.Year, k.code); ok {
			name = acc.NameZH + "（" + k.code + "）"
		}
		negative := func(d domain.Date, bal domain.Fen) bool {
			return bal < 0 && (isCash || !a.comm.RuleSetAt(d).BankOverdraft)
		}
		a.spells(ps, name, negative, RuleNegativeBalance)
		if isCash && k.code == k.root && a.th.CashLimit > 0 {
			a.spells(ps, name, func(_ domain.Date, bal domain.Fen) bool { return bal > a.th.CashLimit }, RuleCashAboveLimit)
		}
	}
}

// spells finds the runs of days at whose end an account's balance is bad,
// and adds one finding for each: it rests on the postings of the day the
// run began.
func (a *auditor) spells(ps []cashPosting, name string, bad func(domain.Date, domain.Fen) bool, rule string) {
	var bal domain.Fen
	in := false
	var f *Finding
	var start domain.Date
	var worst domain.Fen
	var worstOn domain.Date
	finish := func(end string, endZH string) {
		if rule == RuleNegativeBalance {
			f.Title, f.TitleZH, f.Severity = "Negative cash or bank balance", "现金或银行存款余额为负", High
			f.Detail = fmt.Sprintf("%s had a negative balance at the end of %s; lowest %s yuan on %s; %s", name, start, yuan(worst), worstOn, end)
			f.DetailZH = fmt.Sprintf("%s于 %s 日终余额为负数，最低 %s 元（%s），%s", name, start, yuan(worst), worstOn, endZH)
		} else {
			f.Title, f.TitleZH, f.Severity = "Cash above its limit", "库存现金超过限额", Medium
			f.Detail = fmt.Sprintf("%s held more than the limit of %s yuan at the end of %s; highest %s yuan on %s; %s", name, yuan(a.th.CashLimit), start, yuan(worst), worstOn, end)
			f.DetailZH = fmt.Sprintf("%s于 %s 日终余额超过 %s 元的限额，最高 %s 元（%s），%s", name, start, yuan(a.th.CashLimit), yuan(worst), worstOn, endZH)
		}
		a.add(*f)
	}
	for i := 0; i < len(ps); {
		d := ps[i].date
		var seqs []uint64
		for ; i < len(ps) && ps[i].date == d; i++ {
			bal += ps[i].amount
			seqs = append(seqs, ps[i].seq)
		}
		switch isBad := bad(d, bal); {
		case isBad && !in:
			in, start, worst, worstOn = true, d, bal, d
			f = &Finding{Rule: rule, Year: d.Year, Seqs: seqs}
		case isBad && in:
			if (rule == RuleNegativeBalance && bal < worst) || (rule != RuleNegativeBalance && bal > worst) {
				worst, worstOn = bal, d
			}
		case !isBad && in:
			in = false
			finish(fmt.Sprintf("back within bounds on %s", d), fmt.Sprintf("至 %s 恢复正常", d))
		}
	}
	if in {
		finish(fmt.Sprintf("still so as of %s", a.today), fmt.Sprintf("截至 %s 仍未恢复", a.today))
	}
}

func (a *auditor) checkQuestions() {
	for _, t := range a.questionsOrder {
		q := t.q
		if q == nil || q.Due.IsZero() || !q.Overdue(a.today) {
			continue
		}
		if q.Answered() {
			a.add(Finding{Rule: RuleQuestionOverdue, Year: q.AskedOn.Year, Seqs: []uint64{t.askedSeq, t.answerSeq}, Severity: Low,
				Title: "Question answered late", TitleZH: "居民询问逾期答复",
				Detail: fmt.Sprintf("question %s about %s, asked on %s, was due an answer by %s and was answered on %s, %d days late",
					q.ID, q.About, q.AskedOn, q.Due, q.AnsweredOn, q.AnsweredOn.DaysSince(q.Due)),
				DetailZH: fmt.Sprintf("居民询问 %s（关于 %s）于 %s 提出，应于 %s 前答复，实际于 %s 答复，逾期 %d 天",
					q.ID, q.About, q.AskedOn, q.Due, q.AnsweredOn, q.AnsweredOn.DaysSince(q.Due))})
			continue
		}
		a.add(Finding{Rule: RuleQuestionOverdue, Year: q.AskedOn.Year, Seqs: []uint64{t.askedSeq}, Severity: Medium,
			Title: "Question unanswered", TitleZH: "居民询问逾期未答复",
			Detail: fmt.Sprintf("question %s about %s, asked on %s, was due an answer by %s and is unanswered as of %s, %d days late",
				q.ID, q.About, q.AskedOn, q.Due, a.today, a.today.DaysSince(q.Due)),
			DetailZH: fmt.Sprintf("居民询问 %s（关于 %s）于 %s 提出，应于 %s 前答复，截至 %s 仍未答复，逾期 %d 天",
				q.ID, q.About, q.AskedOn, q.Due, a.today, a.today.DaysSince(q.Due))})
	}
}

// yuan formats an amount in yuan with thousands separators: "12,000.00".
func yuan(f domain.Fen) string {
	s := f.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String() + "." + frac
}
