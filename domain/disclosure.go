package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Disclosure as a process (公开的流程): an item the catalogue requires
// (finance of a period, the budget, its execution, a special item) is
// drafted from the read models, reviewed by the supervision committee
// (村务监督委员会, access role supervisor), which approves it or returns it
// with an opinion, and published with its channels, posting date and
// posting period (公示期). A correction is a new version with a reason; every
// version stays readable. A matter's own 决议公开 and 结果公开 stay stages of
// the matter (四议两公开); the catalogue's deadlines cover them too.

// AggregateDisclosure is the aggregate type of a disclosure; its id is the
// item it discloses (see ParseDisclosureItem).
const AggregateDisclosure = "disclosure"

// Command types of a disclosure.
const (
	CmdDraftDisclosure   = "disclosure.draft"
	CmdApproveDisclosure = "disclosure.approve"
	CmdReturnDisclosure  = "disclosure.return"
	CmdPublishDisclosure = "disclosure.publish"
)

// Event types of a disclosure.
const (
	EvDisclosureDrafted   = "disclosure.drafted"
	EvDisclosureApproved  = "disclosure.approved"
	EvDisclosureReturned  = "disclosure.returned"
	EvDisclosurePublished = "disclosure.published"
)

// DisclosureKind is what an item discloses.
type DisclosureKind string

// Disclosure kinds.
const (
	DisclosureFinance   DisclosureKind = "finance"          // 财务收支公开
	DisclosureBudget    DisclosureKind = "budget"           // 年度预算公开
	DisclosureExecution DisclosureKind = "budget_execution" // 预算执行情况公开
	DisclosureSpecial   DisclosureKind = "special"          // 专项公开
)

// DisclosureItem is a parsed item id: "finance-2025-Q2" (a quarter),
// "finance-2025-06" (a month), "budget-2025", "budget_execution-2025",
// "special-<id>" (an item of the rule set's catalogue).
type DisclosureItem struct {
	ID      string
	Kind    DisclosureKind
	Year    int
	Quarter int // 1..4, finance by quarter
	Month   int // 1..12, finance by month
	Special string
}

var (
	financeItemRE = regexp.MustCompile(`^finance-(\d{4})-(Q[1-4]|0[1-9]|1[0-2])$`)
	yearItemRE    = regexp.MustCompile(`^(budget|budget_execution)-(\d{4})$`)
	specialItemRE = regexp.MustCompile(`^special-([A-Za-z0-9_-]{1,50})$`)
)

// ParseDisclosureItem parses an item id, or returns a *ValidationError.
func ParseDisclosureItem(id string) (DisclosureItem, error) {
	it := DisclosureItem{ID: id}
	if m := financeItemRE.FindStringSubmatch(id); m != nil {
		it.Kind = DisclosureFinance
		it.Year, _ = strconv.Atoi(m[1])
		if m[2][0] == 'Q' {
			it.Quarter = int(m[2][1] - '0')
		} else {
			it.Month, _ = strconv.Atoi(m[2])
		}
	} else if m := yearItemRE.FindStringSubmatch(id); m != nil {
		it.Kind = DisclosureKind(m[1])
		it.Year, _ = strconv.Atoi(m[2])
	} else if m := specialItemRE.FindStringSubmatch(id); m != nil {
		it.Kind, it.Special = DisclosureSpecial, m[1]
	} else {
		return it, &ValidationError{Fields: []FieldError{{"aggregate_id",
			`an item: "finance-2025-Q2", "finance-2025-06", "budget-2025", "budget_execution-2025" or "special-<id>"`,
			`公开事项编号：如 "finance-2025-Q2"、"finance-2025-06"、"budget-2025"、"budget_execution-2025" 或 "special-编号"`}}}
	}
	// A special item has no year; every other item's year is checked, year
	// 0000 included.
	if it.Kind != DisclosureSpecial && (it.Year < 1949 || it.Year > 9999) {
		return it, &ValidationError{Fields: []FieldError{{"aggregate_id", "year out of range", "年份超出范围"}}}
	}
	return it, nil
}

// FinanceItemID names the finance item of a month (1..12) or, when month is
// 0, of a quarter (1..4).
func FinanceItemID(year, quarter, month int) string {
	if month != 0 {
		return fmt.Sprintf("finance-%04d-%02d", year, month)
	}
	return fmt.Sprintf("finance-%04d-Q%d", year, quarter)
}

// Period returns the first and last day the item covers (zero for a
// special item).
func (it DisclosureItem) Period() (from, to Date) {
	switch {
	case it.Kind == DisclosureFinance && it.Month != 0:
		return Date{it.Year, time.Month(it.Month), 1}, lastDay(it.Year, it.Month)
	case it.Kind == DisclosureFinance:
		m := (it.Quarter-1)*3 + 1
		return Date{it.Year, time.Month(m), 1}, lastDay(it.Year, m+2)
	case it.Kind == DisclosureBudget || it.Kind == DisclosureExecution:
		return Date{it.Year, 1, 1}, Date{it.Year, 12, 31}
	}
	return Date{}, Date{}
}

// Months returns the months ("2025-04") a finance item covers.
func (it DisclosureItem) Months() []string {
	if it.Kind != DisclosureFinance {
		return nil
	}
	first, n := it.Month, 1
	if it.Month == 0 {
		first, n = (it.Quarter-1)*3+1, 3
	}
	var out []string
	for m := first; m < first+n; m++ {
		out = append(out, fmt.Sprintf("%04d-%02d", it.Year, m))
	}
	return out
}

// TitleZH is the item's title as a board shows it.
func (it DisclosureItem) TitleZH() string {
	switch it.Kind {
	case DisclosureFinance:
		if it.Month != 0 {
			return fmt.Sprintf("%d年%d月财务收支公开", it.Year, it.Month)
		}
		return fmt.Sprintf("%d年第%d季度财务收支公开", it.Year, it.Quarter)
	case DisclosureBudget:
		return fmt.Sprintf("%d年度预算公开", it.Year)
	case DisclosureExecution:
		return fmt.Sprintf("%d年度预算执行情况公开", it.Year)
	}
	return "专项公开：" + it.Special
}

func lastDay(year, month int) Date {
	t := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// AddDays returns the date n days after d (before, for negative n).
func (d Date) AddDays(n int) Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// DaysSince returns the number of days from e to d (negative when d is
// before e).
func (d Date) DaysSince(e Date) int {
	a := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	b := time.Date(e.Year, e.Month, e.Day, 0, 0, 0, 0, time.UTC)
	return int(a.Sub(b).Hours() / 24)
}

// DisclosureContent is what a version discloses: generated from the read
// models by the server, never typed by a client (the commands endpoint
// refuses disclosure.draft), so its figures are the books'.
type DisclosureContent struct {
	Title string `json:"title"`
	// From and To are the period covered (zero for a special item).
	From Date `json:"from,omitzero"`
	To   Date `json:"to,omitzero"`
	// Tables hold the figures as shown, each row's cells as text.
	Tables []DisclosureTable `json:"tables"`
	// Totals are the figures that also appear in words (大写).
	Totals []DisclosureTotal `json:"totals,omitempty"`
	// Note is the clerk's explanation (说明), if any.
	Note string `json:"note,omitempty"`
	// AsOfSeq is the read models' stream position the figures were taken at.
	AsOfSeq uint64 `json:"as_of_seq"`
}

// DisclosureTable is one table of a disclosure.
type DisclosureTable struct {
	Caption string     `json:"caption"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// DisclosureTotal is a labelled amount.
type DisclosureTotal struct {
	Label  string `json:"label"`
	Amount Fen    `json:"amount"`
}

// DisclosureStatus is where a disclosure's latest version stands.
type DisclosureStatus string

// Statuses of a disclosure's latest version.
const (
	StatusDrafted   DisclosureStatus = "drafted"   // 待审核
	StatusApproved  DisclosureStatus = "approved"  // 已审核，待公开
	StatusReturned  DisclosureStatus = "returned"  // 已退回
	StatusPublished DisclosureStatus = "published" // 已公开
	StatusReplaced  DisclosureStatus = "replaced"  // 未公开即被新草稿取代
)

// DisclosureStatusZH names a status in Chinese.
func DisclosureStatusZH(s DisclosureStatus) string {
	return map[DisclosureStatus]string{StatusDrafted: "待监督委员会审核", StatusApproved: "已审核，待公开",
		StatusReturned: "已退回修改", StatusPublished: "已公开", StatusReplaced: "已被新草稿取代"}[s]
}

// Disclosure is the state of one disclosure item: every version in order.
type Disclosure struct {
	Item     string
	Versions []DisclosureVersion
}

// DisclosureVersion is one draft and what became of it.
type DisclosureVersion struct {
	Version int               `json:"version"`
	Content DisclosureContent `json:"content"`
	// Reason is why this version corrects a published one (更正原因).
	Reason    string           `json:"reason,omitempty"`
	DraftedBy string           `json:"drafted_by,omitempty"`
	DraftedOn Date             `json:"drafted_on"`
	Status    DisclosureStatus `json:"status"`
	// Review is the supervision committee's decision and opinion.
	ReviewedBy string `json:"reviewed_by,omitempty"`
	ReviewedOn Date   `json:"reviewed_on,omitzero"`
	Opinion    string `json:"opinion,omitempty"`
	// Publication, once published.
	Channels    []string `json:"channels,omitempty"`
	PostedOn    Date     `json:"posted_on,omitzero"`
	PostingDays int      `json:"posting_days,omitempty"`
	// SupersededBy is the version that corrected this published one.
	SupersededBy int `json:"superseded_by,omitempty"`
}

// lastDate returns the date of the version's last step: its publication,
// review or draft.
func (v *DisclosureVersion) lastDate() Date {
	last := v.DraftedOn
	for _, d := range []Date{v.ReviewedOn, v.PostedOn} {
		if d.After(last) {
			last = d
		}
	}
	return last
}

// Latest returns the latest version, or nil.
func (d *Disclosure) Latest() *DisclosureVersion {
	if d == nil || len(d.Versions) == 0 {
		return nil
	}
	return &d.Versions[len(d.Versions)-1]
}

// Published returns the version in force: the latest published one, or nil.
func (d *Disclosure) Published() *DisclosureVersion {
	if d == nil {
		return nil
	}
	for i := len(d.Versions) - 1; i >= 0; i-- {
		if d.Versions[i].Status == StatusPublished {
			return &d.Versions[i]
		}
	}
	return nil
}

// FirstPublished returns the date the item was first published (zero if
// never).
func (d *Disclosure) FirstPublished() Date {
	if d == nil {
		return Date{}
	}
	for _, v := range d.Versions {
		if v.Status == StatusPublished {
			return v.PostedOn
		}
	}
	return Date{}
}

// Clone returns a deep copy.
func (d *Disclosure) Clone() *Disclosure {
	if d == nil {
		return nil
	}
	c := *d
	c.Versions = slices.Clone(d.Versions)
	for i := range c.Versions {
		v := &c.Versions[i]
		v.Channels = slices.Clone(v.Channels)
		v.Content.Totals = slices.Clone(v.Content.Totals)
		v.Content.Tables = slices.Clone(v.Content.Tables)
		for j := range v.Content.Tables {
			t := &v.Content.Tables[j]
			t.Columns = slices.Clone(t.Columns)
			t.Rows = slices.Clone(t.Rows)
			for k := range t.Rows {
				t.Rows[k] = slices.Clone(t.Rows[k])
			}
		}
	}
	return &c
}

// Events of a disclosure.
type (
	// DisclosureDrafted records a new version, generated by the server.
	DisclosureDrafted struct {
		Version   int               `json:"version"`
		Content   DisclosureContent `json:"content"`
		Reason    string            `json:"reason,omitempty"`
		DraftedBy string            `json:"drafted_by,omitempty"`
	}
	// DisclosureApproved records the supervision committee's approval.
	DisclosureApproved struct {
		Version    int    `json:"version"`
		Opinion    string `json:"opinion,omitempty"`
		ReviewedBy string `json:"reviewed_by,omitempty"`
	}
	// DisclosureReturned records a draft sent back with an opinion.
	DisclosureReturned struct {
		Version    int    `json:"version"`
		Opinion    string `json:"opinion"`
		ReviewedBy string `json:"reviewed_by,omitempty"`
	}
	// DisclosurePublished records the publication of an approved version:
	// its channels, and the posting period from the event's date.
	DisclosurePublished struct {
		Version     int      `json:"version"`
		Channels    []string `json:"channels"`
		PostingDays int      `json:"posting_days"`
	}
)

func (*DisclosureDrafted) EventType() string   { return EvDisclosureDrafted }
func (*DisclosureApproved) EventType() string  { return EvDisclosureApproved }
func (*DisclosureReturned) EventType() string  { return EvDisclosureReturned }
func (*DisclosurePublished) EventType() string { return EvDisclosurePublished }

func (d *Disclosure) apply(e Event, date Date) {
	v := d.Latest()
	switch e := e.(type) {
	case *DisclosureDrafted:
		// A pending draft is replaced: it was never public, and stays
		// readable with its review.
		if v != nil && (v.Status == StatusDrafted || v.Status == StatusApproved) {
			v.Status = StatusReplaced
		}
		d.Versions = append(d.Versions, DisclosureVersion{Version: e.Version, Content: e.Content, Reason: e.Reason,
			DraftedBy: e.DraftedBy, DraftedOn: date, Status: StatusDrafted})
	case *DisclosureApproved:
		if v != nil {
			v.Status, v.ReviewedBy, v.ReviewedOn, v.Opinion = StatusApproved, e.ReviewedBy, date, e.Opinion
		}
	case *DisclosureReturned:
		if v != nil {
			v.Status, v.ReviewedBy, v.ReviewedOn, v.Opinion = StatusReturned, e.ReviewedBy, date, e.Opinion
		}
	case *DisclosurePublished:
		if v != nil {
			if p := d.Published(); p != nil {
				p.SupersededBy = v.Version
			}
			v.Status, v.Channels, v.PostedOn, v.PostingDays = StatusPublished, slices.Clone(e.Channels), date, e.PostingDays
		}
	}
}

// Commands of a disclosure.
type (
	// DraftDisclosure records a version generated by the server; Reason is
	// required when the item is already published (a correction).
	DraftDisclosure struct {
		Content DisclosureContent `json:"content"`
		Reason  string            `json:"reason,omitempty"`
	}
	// ApproveDisclosure approves the latest version (监督委员会审核同意).
	ApproveDisclosure struct {
		Version int    `json:"version"`
		Opinion string `json:"opinion,omitempty"`
	}
	// ReturnDisclosure returns the latest version with an opinion (退回).
	ReturnDisclosure struct {
		Version int    `json:"version"`
		Opinion string `json:"opinion"`
	}
	// PublishDisclosure publishes the approved latest version, on the
	// command's effective date, through channels (公开栏, 网上, 会议),
	// posted for PostingDays (0: the rule set's 公示期).
	PublishDisclosure struct {
		Version     int      `json:"version"`
		Channels    []string `json:"channels"`
		PostingDays int      `json:"posting_days,omitempty"`
	}
)

func (*DraftDisclosure) CommandType() string   { return CmdDraftDisclosure }
func (*ApproveDisclosure) CommandType() string { return CmdApproveDisclosure }
func (*ReturnDisclosure) CommandType() string  { return CmdReturnDisclosure }
func (*PublishDisclosure) CommandType() string { return CmdPublishDisclosure }

// MaxDisclosureRows bounds the rows of one version's tables.
const MaxDisclosureRows = 5000

func (c *DraftDisclosure) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.content.title", c.Content.Title, 1, 100, false)
	checkText(&fe, "data.content.note", c.Content.Note, 0, 2000, true)
	checkText(&fe, "data.reason", c.Reason, 0, 500, true)
	rows := 0
	for i, t := range c.Content.Tables {
		p := fmt.Sprintf("data.content.tables[%d]", i)
		checkText(&fe, p+".caption", t.Caption, 0, 100, false)
		for _, col := range t.Columns {
			checkText(&fe, p+".columns", col, 1, 50, false)
		}
		for _, r := range t.Rows {
			rows++
			if len(r) != len(t.Columns) {
				fe.add(p+".rows", "every row needs one cell per column", "每行的单元格数须与列数相同")
				break
			}
			for _, cell := range r {
				checkText(&fe, p+".rows", cell, 0, 200, false)
			}
		}
	}
	if rows > MaxDisclosureRows {
		fe.add("data.content.tables", fmt.Sprintf("at most %d rows", MaxDisclosureRows), fmt.Sprintf("最多%d行", MaxDisclosureRows))
	}
	for _, t := range c.Content.Totals {
		checkText(&fe, "data.content.totals.label", t.Label, 1, 50, false)
	}
	return fe.err()
}

func validateReview(version int, opinion string, required bool) error {
	var fe fieldErrors
	if version < 1 {
		fe.add("data.version", "required: the version reviewed, from 1", "必填：所审核的版本号（从1起）")
	}
	min := 0
	if required {
		min = 1
	}
	checkText(&fe, "data.opinion", opinion, min, 1000, true)
	return fe.err()
}

func (c *ApproveDisclosure) Validate() error { return validateReview(c.Version, c.Opinion, false) }
func (c *ReturnDisclosure) Validate() error  { return validateReview(c.Version, c.Opinion, true) }

func (c *PublishDisclosure) Validate() error {
	var fe fieldErrors
	if c.Version < 1 {
		fe.add("data.version", "required: the version published, from 1", "必填：所公开的版本号（从1起）")
	}
	if len(c.Channels) == 0 {
		fe.add("data.channels", "name at least one channel (公开栏, 网上, 会议)", "至少填写一种公开方式（公开栏、网上、会议）")
	}
	for _, ch := range c.Channels {
		checkText(&fe, "data.channels", ch, 1, 50, false)
	}
	if c.PostingDays < 0 || c.PostingDays > 366 {
		fe.add("data.posting_days", "0 (the rule set's) to 366 days", "0（按规则）至366天")
	}
	return fe.err()
}

func disclosureTarget(env Env) (DisclosureItem, error) {
	if env.Community == nil {
		return DisclosureItem{}, &NotFoundError{What: "community", ID: env.CommunityID}
	}
	it, err := ParseDisclosureItem(env.AggregateID)
	if err != nil {
		return it, err
	}
	if err := checkDate(env, Date{}); err != nil {
		return it, err
	}
	return it, nil
}

func (c *DraftDisclosure) Decide(env Env) ([]Event, error) {
	it, err := disclosureTarget(env)
	if err != nil {
		return nil, err
	}
	if it.Kind == DisclosureSpecial {
		if _, ok := env.Community.RuleSetAt(env.Date).DisclosureRules().SpecialItem(it.Special); !ok {
			return nil, &RuleError{Code: "not_in_catalogue", Field: "aggregate_id",
				Reason:   "the special item is not in the rule set's catalogue",
				ReasonZH: "该专项不在规则的公开目录中"}
		}
	}
	if _, to := it.Period(); (it.Kind == DisclosureFinance || it.Kind == DisclosureExecution) && !env.Date.After(to) {
		// A period's finance or execution is disclosed once it is over:
		// an earlier publication would count as on time for figures not
		// yet recorded.
		return nil, &RuleError{Code: "period_not_ended", Field: "effective_date",
			Reason:   "the period ends on " + to.String() + ": draft it after that",
			ReasonZH: "公开期间至" + to.String() + "结束，期满后才能生成草稿"}
	}
	d := env.Disclosure
	version := 1
	if v := d.Latest(); v != nil {
		version = v.Version + 1
		// A new version follows the last step of the one before: a
		// correction dated before the publication it corrects would be
		// posted before it and yet supersede it.
		if err := checkDate(env, v.lastDate()); err != nil {
			return nil, err
		}
	}
	if d.Published() != nil && c.Reason == "" {
		return nil, &RuleError{Code: "already_published", Field: "data.reason",
			Reason:   "the item is published; a new version corrects it and needs a reason",
			ReasonZH: "该事项已公开；新版本即为更正，须填写更正原因"}
	}
	if d.Published() == nil && c.Reason != "" {
		return nil, &RuleError{Code: "nothing_to_correct", Field: "data.reason",
			Reason: "nothing published to correct: leave the reason empty", ReasonZH: "尚未公开，无需填写更正原因"}
	}
	return []Event{&DisclosureDrafted{Version: version, Content: c.Content, Reason: c.Reason, DraftedBy: env.Actor}}, nil
}

func pendingVersion(env Env, version int) (*DisclosureVersion, error) {
	if _, err := disclosureTarget(env); err != nil {
		return nil, err
	}
	v := env.Disclosure.Latest()
	if v == nil {
		return nil, &NotFoundError{What: "disclosure", ID: env.AggregateID}
	}
	if v.Version != version {
		return nil, &RuleError{Code: "stale_version", Field: "data.version",
			Reason:   fmt.Sprintf("version %d is not the latest (%d)", version, v.Version),
			ReasonZH: fmt.Sprintf("第%d版不是最新版本（最新为第%d版），请刷新后再操作", version, v.Version)}
	}
	return v, nil
}

func (c *ApproveDisclosure) Decide(env Env) ([]Event, error) {
	v, err := pendingVersion(env, c.Version)
	if err != nil {
		return nil, err
	}
	if err := reviewable(env, v); err != nil {
		return nil, err
	}
	return []Event{&DisclosureApproved{Version: c.Version, Opinion: c.Opinion, ReviewedBy: env.Actor}}, nil
}

func (c *ReturnDisclosure) Decide(env Env) ([]Event, error) {
	v, err := pendingVersion(env, c.Version)
	if err != nil {
		return nil, err
	}
	if err := reviewable(env, v); err != nil {
		return nil, err
	}
	return []Event{&DisclosureReturned{Version: c.Version, Opinion: c.Opinion, ReviewedBy: env.Actor}}, nil
}

func reviewable(env Env, v *DisclosureVersion) error {
	if v.Status != StatusDrafted {
		return &RuleError{Code: "not_awaiting_review", Field: "data.version",
			Reason:   "only a draft awaiting review can be approved or returned (it is " + string(v.Status) + ")",
			ReasonZH: "只有待审核的草稿可以审核（当前：" + DisclosureStatusZH(v.Status) + "）"}
	}
	if env.Actor != "" && v.DraftedBy == env.Actor {
		return &RuleError{Code: "self_review", Field: "data.version",
			Reason: "who drafted a disclosure cannot review it", ReasonZH: "起草人不能审核自己起草的公开内容"}
	}
	if env.Date.Before(v.DraftedOn) {
		return &RuleError{Code: "date_before_previous_stage", Field: "effective_date",
			Reason: "the review is dated before the draft", ReasonZH: "审核日期早于草稿日期（" + v.DraftedOn.String() + "）"}
	}
	return nil
}

func (c *PublishDisclosure) Decide(env Env) ([]Event, error) {
	v, err := pendingVersion(env, c.Version)
	if err != nil {
		return nil, err
	}
	switch v.Status {
	case StatusApproved:
	case StatusReturned:
		return nil, &RuleError{Code: "returned", Field: "data.version",
			Reason:   "the supervision committee returned this version: draft it again",
			ReasonZH: "监督委员会已退回此版本，请修改后重新生成草稿并送审"}
	case StatusPublished:
		return nil, &RuleError{Code: "already_published", Field: "data.version",
			Reason: "this version is already published", ReasonZH: "此版本已公开"}
	default:
		return nil, &RuleError{Code: "not_reviewed", Field: "data.version",
			Reason:   "the supervision committee has not approved this version",
			ReasonZH: "此版本尚未经监督委员会审核同意，不能公开"}
	}
	if env.Date.Before(v.ReviewedOn) {
		return nil, &RuleError{Code: "date_before_previous_stage", Field: "effective_date",
			Reason: "published before it was approved", ReasonZH: "公开日期早于审核日期（" + v.ReviewedOn.String() + "）"}
	}
	min := env.Community.RuleSetAt(env.Date).DisclosureRules().PostingDays
	days := c.PostingDays
	if days == 0 {
		days = min
	}
	if days < min {
		return nil, &RuleError{Code: "posting_too_short", Field: "data.posting_days",
			Reason:   fmt.Sprintf("the rule set requires at least %d days of posting", min),
			ReasonZH: fmt.Sprintf("公示期不能少于规则规定的%d天", min)}
	}
	return []Event{&DisclosurePublished{Version: c.Version, Channels: c.Channels, PostingDays: days}}, nil
}
