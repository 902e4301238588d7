package projections

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/gongkai/gongkai/domain"
)

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

// accountIn returns an account of a chart or a sub-account under one,
// with its root's class, side and cash flag (domain.Books.AccountOf).
func (s *finState) accountIn(ch *domain.Chart, code string) (domain.Account, bool) {
	if a, ok := ch.Account(code); ok {
		return a, true
	}
	sub, ok := s.subs[code]
	if !ok {
		return domain.Account{}, false
	}
	root, ok := s.accountIn(ch, sub.Parent)
	if !ok {
		return domain.Account{}, false
	}
	root.Code, root.NameZH, root.NameEN = sub.Code, sub.NameZH, sub.NameEN
	return root, true
}

// account returns an account as a year shows it: of the year's chart;
// else, for an account of a superseded chart that still has postings, as
// the latest earlier chart that has it named it (former is then true).
func (s *finState) account(year int, code string) (a domain.Account, former, ok bool) {
	if a, ok := s.accountIn(s.chartFor(year), code); ok {
		return a, false, true
	}
	var earlier []int
	for y := range s.years {
		if y < year {
			earlier = append(earlier, y)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(earlier)))
	for _, y := range earlier {
		if a, ok := s.accountIn(s.chartFor(y), code); ok {
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
		if a, ok := s.accountIn(c, code); ok {
			return a, true, true
		}
	}
	return domain.Account{Code: code, Side: domain.SideDebit}, true, false
}

// parentOf returns a sub-account's parent, or "" for an account of a chart.
func (s *finState) parentOf(code string) string { return s.subs[code].Parent }

// rootOf returns the chart account a sub-account is under (itself for an
// account of a chart).
func (s *finState) rootOf(code string) string {
	for {
		sub, ok := s.subs[code]
		if !ok {
			return code
		}
		code = sub.Parent
	}
}

// descendants returns code and every sub-account below it.
func (s *finState) descendants(code string) []string {
	out := []string{code}
	for _, c := range s.children[code] {
		out = append(out, s.descendants(c)...)
	}
	return out
}

// under reports whether code is root or a sub-account below it.
func (s *finState) under(code, root string) bool {
	for c := code; c != ""; c = s.parentOf(c) {
		if c == root {
			return true
		}
	}
	return false
}

// payment is what lines pay out, as domain.Books counts it: the credits
// to cash and bank accounts less the debits to them, so that moving money
// between cash and bank, or between the community's own bank accounts, is
// no payment; a red-ink reversal pays out the negative of its original.
func (s *finState) payment(year int, lines []domain.Line) domain.Fen {
	ch := s.chartFor(year)
	var net domain.Fen
	neg := false
	for _, l := range lines {
		neg = neg || l.Debit < 0 || l.Credit < 0
		if a, ok := s.accountIn(ch, l.Account); ok && a.Cash {
			net += l.Credit - l.Debit
		}
	}
	if neg {
		return min(net, 0)
	}
	return max(net, 0)
}

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
		ch := s.chartFor(year)
		out = AccountList{Community: community, Year: year, Chart: ch.ID, ChartZH: ch.NameZH, ChartEN: ch.NameEN,
			AsOfSeq: pos.Seq, AsOf: pos.Time, Accounts: []AccountInfo{}}
		for _, a := range ch.Accounts {
			s.walk(a.Code, 0, func(code string, level int) {
				acct, _ := s.accountIn(ch, code)
				out.Accounts = append(out.Accounts, AccountInfo{Code: code, NameZH: acct.NameZH, NameEN: acct.NameEN,
					Class: acct.Class, Side: acct.Side, Parent: s.parentOf(code), Level: level,
					Leaf: len(s.children[code]) == 0, Cash: acct.Cash, Closed: acct.Closed})
			})
		}
		return nil
	})
	return out, err
}

// walk calls fn with code and every sub-account below it, parents first.
func (s *finState) walk(code string, level int, fn func(code string, level int)) {
	fn(code, level)
	for _, c := range s.children[code] {
		s.walk(c, level+1, fn)
	}
}

// cashLeaves returns the cash and bank accounts of a year's chart that
// take postings: 101 and 102, or their sub-accounts.
func (s *finState) cashLeaves(year int) []domain.Account {
	ch := s.chartFor(year)
	var out []domain.Account
	for _, root := range ch.CashCodes {
		s.walk(root, 0, func(code string, _ int) {
			if len(s.children[code]) == 0 {
				if a, ok := s.accountIn(ch, code); ok {
					out = append(out, a)
				}
			}
		})
	}
	return slices.Clip(out)
}
