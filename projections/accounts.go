package projections

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// subVersion is a sub-account as it stands from a fiscal year on: defined
// (Since 0: in every year), put under a new parent by a change of chart,
// or retired by one (its code changed).
type subVersion struct {
	Since   int               `json:"since"`
	Sub     domain.SubAccount `json:"sub"`
	Retired bool              `json:"retired,omitempty"`
}

// defineSub records a sub-account from a year on, as domain.Books does:
// a code already defined under the same parent stays as it is. A code
// defined for the first time holds in every year (a voucher may be dated
// before the day it was defined).
func (s *finState) defineSub(since int, sub domain.SubAccount) {
	h := s.subs[sub.Code]
	if n := len(h); n > 0 && !h[n-1].Retired && h[n-1].Sub.Parent == sub.Parent {
		return
	}
	if len(h) == 0 {
		since = 0
	}
	s.subs[sub.Code] = append(h, subVersion{Since: since, Sub: sub})
}

// retireSub records that a sub-account is no longer under its parent from
// a year on.
func (s *finState) retireSub(since int, code string) {
	h := s.subs[code]
	if n := len(h); n == 0 || h[n-1].Retired {
		return
	}
	s.subs[code] = append(h, subVersion{Since: since, Sub: h[len(h)-1].Sub, Retired: true})
}

// chartFor returns the chart of a fiscal year as domain.Books.ChartFor
// does: the one recorded for it; else that of the latest earlier year
// recorded; else the chart adopted without a year; else the chart the law
// sets for the year.
func (s *finState) chartFor(year int) *domain.Chart {
	if c := domain.Charts()[s.years[year]]; c != nil {
		return c
	}
	best := 0
	for y := range s.years {
		if y < year && y > best {
			best = y
		}
	}
	if c := domain.Charts()[s.years[best]]; best > 0 && c != nil {
		return c
	}
	if c := domain.Charts()[s.base]; c != nil {
		return c
	}
	return domain.ChartInForce(year)
}

// yearView is the books as one fiscal year sees them: its chart and the
// sub-accounts (明细科目) it has, each under its parent of that year.
type yearView struct {
	*finState
	year     int
	chart    *domain.Chart
	subs     map[string]domain.SubAccount
	children map[string][]string // sorted
}

// at returns the view of a fiscal year.
func (s *finState) at(year int) *yearView {
	v := &yearView{finState: s, year: year, chart: s.chartFor(year), subs: map[string]domain.SubAccount{}, children: map[string][]string{}}
	for code, h := range s.subs {
		var cur *subVersion // the latest to start on or before the year
		for i := range h {
			if h[i].Since <= year && (cur == nil || h[i].Since >= cur.Since) {
				cur = &h[i]
			}
		}
		if cur == nil || cur.Retired {
			continue
		}
		v.subs[code] = cur.Sub
		v.children[cur.Sub.Parent] = append(v.children[cur.Sub.Parent], code)
	}
	for _, c := range v.children {
		slices.Sort(c)
	}
	return v
}

// views returns the view of a year, made once per query.
type views map[int]*yearView

func (vs views) at(s *finState, year int) *yearView {
	if v := vs[year]; v != nil {
		return v
	}
	vs[year] = s.at(year)
	return vs[year]
}

// accountIn returns an account of a chart or a sub-account under one,
// with its root's class, side and cash flag (domain.Books.AccountOf).
func (v *yearView) accountIn(ch *domain.Chart, code string) (domain.Account, bool) {
	if a, ok := ch.Account(code); ok {
		return a, true
	}
	sub, ok := v.subs[code]
	if !ok {
		return domain.Account{}, false
	}
	root, ok := v.accountIn(ch, sub.Parent)
	if !ok {
		return domain.Account{}, false
	}
	root.Code, root.NameZH, root.NameEN = sub.Code, sub.NameZH, sub.NameEN
	return root, true
}

// account returns an account as the year shows it: of its chart or a
// sub-account; else, for an account of a superseded chart that still has
// postings, as the latest earlier year that had it named it (former is
// then true).
func (v *yearView) account(code string) (a domain.Account, former, ok bool) {
	if a, ok := v.accountIn(v.chart, code); ok {
		return a, false, true
	}
	var earlier []int
	for y := range v.years {
		if y < v.year {
			earlier = append(earlier, y)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(earlier)))
	for _, y := range earlier {
		if a, ok := v.at(y).accountIn(v.chartFor(y), code); ok {
			return a, true, true
		}
	}
	// Any other chart, the latest first.
	charts := make([]*domain.Chart, 0, len(domain.Charts()))
	for _, c := range domain.Charts() {
		charts = append(charts, c)
	}
	sort.Slice(charts, func(i, j int) bool {
		if charts[i].EffectiveFrom != charts[j].EffectiveFrom {
			return charts[j].EffectiveFrom.Before(charts[i].EffectiveFrom)
		}
		return charts[i].ID < charts[j].ID
	})
	for _, c := range charts {
		if a, ok := v.accountIn(c, code); ok {
			return a, true, true
		}
	}
	return domain.Account{Code: code, Side: domain.SideDebit}, true, false
}

// parentOf returns a sub-account's parent, or "" for an account of a chart.
func (v *yearView) parentOf(code string) string { return v.subs[code].Parent }

// rootOf returns the chart account a sub-account is under (itself for an
// account of a chart).
func (v *yearView) rootOf(code string) string {
	for {
		sub, ok := v.subs[code]
		if !ok {
			return code
		}
		code = sub.Parent
	}
}

// descendants returns code and every sub-account below it.
func (v *yearView) descendants(code string) []string {
	out := []string{code}
	for _, c := range v.children[code] {
		out = append(out, v.descendants(c)...)
	}
	return out
}

// under reports whether code is root or a sub-account below it.
func (v *yearView) under(code, root string) bool {
	for c := code; c != ""; c = v.parentOf(c) {
		if c == root {
			return true
		}
	}
	return false
}

// payment is what lines pay out, as the books count it (Chart.Payment).
func (v *yearView) payment(lines []domain.Line) domain.Fen { return v.chart.Payment(lines) }

// AccountList is the chart of a fiscal year with the community's
// sub-accounts (明细科目) under their parents.
type AccountList struct {
	Community string        `json:"community"`
	Year      int           `json:"year"`
	Chart     string        `json:"chart"`
	ChartZH   string        `json:"chart_name_zh"`
	ChartEN   string        `json:"chart_name_en"`
	Accounts  []AccountInfo `json:"accounts"`
	AsOfSeq   uint64        `json:"as_of_seq"`
	AsOf      time.Time     `json:"as_of"`
}

// AccountInfo is one account of a year: of the chart (Level 0) or a
// sub-account (Level 1 or more, under Parent). Leaf accounts take
// postings; Cash marks 101, 102 and their sub-accounts.
type AccountInfo struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en,omitempty"`
	Class  string `json:"class"`
	Side   string `json:"side"`
	Parent string `json:"parent,omitempty"`
	Level  int    `json:"level,omitempty"`
	Leaf   bool   `json:"leaf"`
	Cash   bool   `json:"cash,omitempty"`
	Closed bool   `json:"closed,omitempty"`
}

// Accounts returns the accounts of a fiscal year.
func (f FinanceOn) Accounts(ctx context.Context, community string, year int) (AccountList, error) {
	var out AccountList
	err := f.view(ctx, community, func(s *finState, pos Position) error {
		v := s.at(year)
		out = AccountList{Community: community, Year: year, Chart: v.chart.ID, ChartZH: v.chart.NameZH, ChartEN: v.chart.NameEN,
			AsOfSeq: pos.Seq, AsOf: pos.Time, Accounts: []AccountInfo{}}
		for _, a := range v.chart.Accounts {
			v.walk(a.Code, 0, func(code string, level int) {
				out.Accounts = append(out.Accounts, v.info(code, level))
			})
		}
		return nil
	})
	return out, err
}

func (v *yearView) info(code string, level int) AccountInfo {
	a, _ := v.accountIn(v.chart, code)
	return AccountInfo{Code: code, NameZH: a.NameZH, NameEN: a.NameEN, Class: a.Class, Side: a.Side, Parent: v.parentOf(code),
		Level: level, Leaf: len(v.children[code]) == 0, Cash: a.Cash, Closed: a.Closed}
}

// walk calls fn with code and every sub-account below it, parents first.
func (v *yearView) walk(code string, level int, fn func(code string, level int)) {
	fn(code, level)
	for _, c := range v.children[code] {
		v.walk(c, level+1, fn)
	}
}

// cashLeaves returns the cash and bank accounts of the year that take
// postings: 101 and 102, or their sub-accounts.
func (v *yearView) cashLeaves() []AccountInfo {
	var out []AccountInfo
	for _, root := range v.chart.CashCodes {
		if _, ok := v.chart.Account(root); !ok {
			continue
		}
		v.walk(root, 0, func(code string, level int) {
			if len(v.children[code]) == 0 {
				out = append(out, v.info(code, level))
			}
		})
	}
	return slices.Clip(out)
}
