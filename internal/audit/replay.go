// Package audit is the auditor's view of a community's history (审计): a
// year as it was recorded up to any date (bitemporal: each event has the
// date it takes effect and the time the log recorded it), what changed
// between two such dates, and the compliance findings over the history.
// It reads one community's events through Source and builds its own
// in-memory read models; it never writes.
package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// Source reads the events of one community in stream order.
type Source interface {
	ReadCommunity(ctx context.Context, community string, fn func(projections.Event) error) error
}

// History is a community's facts (messages that are not facts left out),
// in stream order.
type History []projections.Event

// Load reads a community's history.
func Load(ctx context.Context, src Source, community string) (History, error) {
	var h History
	err := src.ReadCommunity(ctx, community, func(e projections.Event) error {
		if e.Rejected == "" {
			h = append(h, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", community, err)
	}
	return h, nil
}

// AsOf returns the events the log had recorded at t (all when t is zero):
// the history up to its first event recorded after t. Instances' clocks
// differ, so recorded_at can run backwards in stream order; cutting at the
// first event recorded after t keeps the view a state the log passed
// through (never a matter's proposal without its registration), at the
// cost of leaving out what a clock that is behind recorded after it.
func (h History) AsOf(t time.Time) History {
	if t.IsZero() {
		return h
	}
	return h[:recordedBy(h, t)]
}

// recordedBy returns how many of the first events of h the log had
// recorded at t: those before the first one recorded after t.
func recordedBy(h History, t time.Time) int {
	for i, e := range h {
		if e.RecordedAt.After(t) {
			return i
		}
	}
	return len(h)
}

// View is a community's records as the log held them at AsOf.
type View struct {
	Community string
	AsOf      time.Time
	Events    History
	Board     projections.BoardOn
	Finance   projections.FinanceOn
}

// View replays the events recorded at t (all when t is zero) into fresh
// in-memory read models.
func (h History) View(ctx context.Context, community string, t time.Time) (*View, error) {
	evs := h.AsOf(t)
	board, fin := projections.NewMemory(projections.BoardModel), projections.NewMemory(projections.FinanceModel)
	for _, rm := range []*projections.Memory{board, fin} {
		if err := rm.Apply(ctx, evs); err != nil {
			return nil, err
		}
	}
	return &View{Community: community, AsOf: t, Events: evs, Board: projections.BoardOn{Backend: board},
		Finance: projections.FinanceOn{Backend: fin}}, nil
}

// Change is an event that changed the picture of a year between two
// as-of times: when it takes effect and when it was recorded, side by side.
type Change struct {
	Seq           uint64      `json:"stream_seq"`
	Type          string      `json:"type"`
	AggregateType string      `json:"aggregate_type"`
	AggregateID   string      `json:"aggregate_id"`
	EffectiveDate domain.Date `json:"effective_date"`
	RecordedAt    time.Time   `json:"recorded_at"`
	// What says in Chinese what the event did ("凭证 2025-12-003 …").
	What string `json:"what"`
	// LateDays is how many days after its effective date (in Beijing) it
	// was recorded.
	LateDays int `json:"late_days"`
}

// Concerns reports whether event e bears on fiscal year: it takes effect
// in that year, or it reverses or corrects a voucher of that year.
func Concerns(e projections.Event, year int) bool {
	if d, err := domain.ParseDate(e.EffectiveDate); err == nil && d.Year == year {
		return true
	}
	ev, err := domain.DecodeEvent(e.Type, e.Schema, e.Data)
	if err != nil {
		return false
	}
	prefix := fmt.Sprintf("%04d-", year)
	switch ev := ev.(type) {
	case *domain.VoucherReversed:
		return strings.HasPrefix(ev.Reverses, prefix)
	case *domain.CorrectionPosted:
		return strings.HasPrefix(ev.Corrects, prefix)
	}
	return false
}

// Changes lists the events recorded after from and at or before to that
// bear on year (see Concerns), in stream order: those h.AsOf(to) holds and
// h.AsOf(from) does not (from the first event when from is zero, to the
// last when to is zero).
func (h History) Changes(from, to time.Time, year int) []Change {
	lo, hi := 0, len(h)
	if !from.IsZero() {
		lo = recordedBy(h, from)
	}
	if !to.IsZero() {
		hi = recordedBy(h, to)
	}
	var out []Change
	for _, e := range h[lo:max(lo, hi)] {
		if Concerns(e, year) {
			out = append(out, ChangeOf(e))
		}
	}
	return out
}

// ChangeOf describes one event.
func ChangeOf(e projections.Event) Change {
	d, _ := domain.ParseDate(e.EffectiveDate)
	c := Change{Seq: e.Seq, Type: e.Type, AggregateType: e.AggregateType, AggregateID: e.AggregateID,
		EffectiveDate: d, RecordedAt: e.RecordedAt, What: Describe(e)}
	if !d.IsZero() {
		c.LateDays = domain.DateOf(e.RecordedAt).DaysSince(d)
	}
	return c
}

// Describe says in Chinese what an event recorded, in a line.
func Describe(e projections.Event) string {
	ev, err := domain.DecodeEvent(e.Type, e.Schema, e.Data)
	if err != nil {
		return e.Type
	}
	switch ev := ev.(type) {
	case *domain.VoucherPosted:
		d, _ := domain.ParseDate(e.EffectiveDate)
		return fmt.Sprintf("记账凭证 %s：%s，金额 %s 元", domain.VoucherID(d, ev.Number), ev.Summary, debits(ev.Lines))
	case *domain.VoucherReversed:
		d, _ := domain.ParseDate(e.EffectiveDate)
		return fmt.Sprintf("红字冲销凭证 %s 冲销 %s（%s）", domain.VoucherID(d, ev.Number), ev.Reverses, ev.Reason)
	case *domain.CorrectionPosted:
		d, _ := domain.ParseDate(e.EffectiveDate)
		return fmt.Sprintf("蓝字更正凭证 %s 更正 %s（%s）", domain.VoucherID(d, ev.Number), ev.Corrects, ev.Reason)
	case *domain.MonthClosed:
		return "月结 " + ev.Month
	case *domain.YearClosed:
		return fmt.Sprintf("%d年年终结账", ev.Year)
	case *domain.StageCorrected:
		return "更正事项 " + e.AggregateID + " 的“" + domain.StageZH(ev.Stage) + "”：" + ev.Reason
	}
	label := eventZH[e.Type]
	if label == "" {
		label = e.Type
	}
	switch e.AggregateType {
	case domain.AggregateMatter:
		return "事项 " + e.AggregateID + "：" + label
	case domain.AggregateBudget:
		return e.AggregateID + "年度" + label
	case domain.AggregateDisclosure, domain.AggregateQuestion:
		return label + " " + e.AggregateID
	}
	return label
}

// eventZH names event types in Chinese.
var eventZH = map[string]string{
	domain.EvMatterRegistered: "登记事项", domain.EvMatterProposed: "党组织提议", domain.EvMatterConsulted: "两委会商议",
	domain.EvMatterReviewed: "党员大会审议", domain.EvMatterResolved: "代表会议决议", domain.EvResolutionDisclosed: "决议公开",
	domain.EvImplementationReport: "报告实施情况", domain.EvResultDisclosed: "实施结果公开", domain.EvMatterWithdrawn: "撤回",
	domain.EvMatterRevoked: "撤销决议", domain.EvBudgetAdopted: "预算通过", domain.EvBudgetAdjusted: "预算调整",
	domain.EvFundsReceived: "资金到账", domain.EvChartAdopted: "采用会计科目表", domain.EvBalanceAsserted: "对账",
	domain.EvAccountDefined: "设置明细科目", domain.EvBalancesOpened: "期初余额", domain.EvChartTransitioned: "新旧制度衔接",
	domain.EvAssetRegistered: "登记固定资产", domain.EvDepreciationPosted: "计提折旧", domain.EvAssetDisposed: "固定资产清理",
	domain.EvDisclosureDrafted: "生成公开草稿", domain.EvDisclosureApproved: "监督委员会审核同意", domain.EvDisclosureReturned: "监督委员会退回",
	domain.EvDisclosurePublished: "公开", domain.EvQuestionAsked: "居民询问", domain.EvQuestionAnswered: "答复询问",
	domain.EvCommunityRegistered: "登记社区", domain.EvOfficerAppointed: "任命职务", domain.EvOfficerRemoved: "免去职务",
	domain.EvRuleSetAdopted: "采用规则集", domain.EvContactsSet: "设置监督电话",
}

func debits(lines []domain.Line) string {
	var total domain.Fen
	for _, l := range lines {
		total += l.Debit
	}
	return total.String()
}

// ParseAsOf reads an as-of time: a date (the end of that day in Beijing)
// or an RFC 3339 time; "" is zero (everything recorded).
func ParseAsOf(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := domain.ParseDate(s); err == nil {
		return time.Date(d.Year, d.Month, d.Day+1, 0, 0, 0, 0, domain.Shanghai).Add(-time.Nanosecond), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2026-01-31) nor a time (2026-01-31T09:00:00+08:00)", s)
	}
	return t, nil
}

// Findings returns the compliance findings over the history as recorded at
// asOf (every event when zero; see Findings).
func (h History) Findings(asOf time.Time, th Thresholds) []Finding {
	evs := make([]Event, 0, len(h))
	for _, e := range h {
		if d, err := Decode(e); err == nil {
			evs = append(evs, d)
		}
	}
	return Findings(evs, asOf, th)
}
