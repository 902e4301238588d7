package domain

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Account classes. Income and expense together are the profit-and-loss
// class (损益类) of the chart.
const (
	ClassAsset     = "asset"     // 资产类
	ClassLiability = "liability" // 负债类
	ClassEquity    = "equity"    // 所有者权益类
	ClassCost      = "cost"      // 成本类
	ClassIncome    = "income"    // 损益类（收入）
	ClassExpense   = "expense"   // 损益类（支出）
)

// Normal sides of an account.
const (
	SideDebit  = "debit"  // 借
	SideCredit = "credit" // 贷
)

// Well-known accounts of the default chart.
const (
	AccountCash          = "101" // 现金
	AccountBank          = "102" // 银行存款
	AccountYearIncome    = "321" // 本年收益
	AccountDistribution  = "322" // 收益分配
	DefaultChartID       = "cn-village-2004"
	defaultChartFileName = "charts/cn-village-2004.json"
)

// Account is one account (科目) of a chart.
type Account struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	Class  string `json:"class"`
	Side   string `json:"side"`
	// Cash marks the cash and bank accounts: a credit to them is a payment.
	Cash bool `json:"cash,omitempty"`
	// Closed accounts take no new postings.
	Closed bool `json:"closed,omitempty"`
}

// Chart is a chart of accounts (会计科目表), loaded from a versioned data file.
type Chart struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	NameZH  string `json:"name_zh"`
	NameEN  string `json:"name_en"`
	// Source cites the document that sets the chart.
	Source any `json:"source,omitempty"`
	// EffectiveFrom is the first day the chart is in force: the chart of a
	// fiscal year, unless the books record another, is the latest in force
	// on its first day (ChartInForce).
	EffectiveFrom Date `json:"effective_from"`
	// YearIncome and Distribution are the accounts the year-end close
	// carries income and expense into (本年收益, 收益分配); Cash the cash and
	// bank accounts, a credit to which is a payment. Defaults: 321, 322,
	// 101 and 102.
	YearIncome   string    `json:"year_income,omitempty"`
	Distribution string    `json:"distribution,omitempty"`
	CashCodes    []string  `json:"cash_accounts,omitempty"`
	Accounts     []Account `json:"accounts"`
	// MapsFrom maps the account codes of an earlier chart to this one's, for
	// a chart that replaces another.
	MapsFrom map[string]map[string]string `json:"maps_from,omitempty"`
	byCode   map[string]int
}

//go:embed charts/*.json
var chartFiles embed.FS

// Charts returns every chart shipped with gongkai, by id. The charts are
// shared: never change one.
func Charts() map[string]*Chart { return chartSet() }

var chartSet = sync.OnceValue(loadCharts)

func loadCharts() map[string]*Chart {
	out := map[string]*Chart{}
	entries, _ := chartFiles.ReadDir("charts")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "transition-") {
			continue // a mapping between charts (transitionMap)
		}
		b, err := chartFiles.ReadFile("charts/" + e.Name())
		if err != nil {
			panic(err)
		}
		c, err := ParseChart(b)
		if err != nil {
			panic(fmt.Sprintf("chart %s: %v", e.Name(), err))
		}
		out[c.ID] = c
	}
	return out
}

// DefaultChart returns the 2004 chart of 村集体经济组织会计制度, the chart
// of books that record none (they were kept before charts went by year).
func DefaultChart() *Chart { return Charts()[DefaultChartID] }

// ChartInForce returns the chart the law sets for a fiscal year: of the
// charts shipped, the one with the latest EffectiveFrom on or before 1
// January of the year (the 2004 chart for years before 2024, the 2023
// chart from 2024), or the default chart for years before any.
func ChartInForce(year int) *Chart {
	var best *Chart
	jan1 := Date{Year: year, Month: 1, Day: 1}
	for _, c := range chartSet() {
		if c.EffectiveFrom.IsZero() || c.EffectiveFrom.After(jan1) {
			continue
		}
		if best == nil || best.EffectiveFrom.Before(c.EffectiveFrom) {
			best = c
		}
	}
	if best == nil {
		return DefaultChart()
	}
	return best
}

// ParseChart reads a chart data file and checks it.
func ParseChart(b []byte) (*Chart, error) {
	var c Chart
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	if c.ID == "" || c.Version < 1 || len(c.Accounts) == 0 {
		return nil, fmt.Errorf("chart needs an id, a version and accounts")
	}
	if c.YearIncome == "" {
		c.YearIncome = AccountYearIncome
	}
	if c.Distribution == "" {
		c.Distribution = AccountDistribution
	}
	if len(c.CashCodes) == 0 {
		c.CashCodes = []string{AccountCash, AccountBank}
	}
	c.byCode = map[string]int{}
	for i, a := range c.Accounts {
		if _, dup := c.byCode[a.Code]; dup || a.Code == "" {
			return nil, fmt.Errorf("account code %q empty or repeated", a.Code)
		}
		switch a.Class {
		case ClassAsset, ClassLiability, ClassEquity, ClassCost, ClassIncome, ClassExpense:
		default:
			return nil, fmt.Errorf("account %s: unknown class %q", a.Code, a.Class)
		}
		if a.Side != SideDebit && a.Side != SideCredit {
			return nil, fmt.Errorf("account %s: unknown side %q", a.Code, a.Side)
		}
		if slices.Contains(c.CashCodes, a.Code) {
			c.Accounts[i].Cash = true
		}
		c.byCode[a.Code] = i
	}
	sort.SliceStable(c.Accounts, func(i, j int) bool { return c.Accounts[i].Code < c.Accounts[j].Code })
	for i, a := range c.Accounts {
		c.byCode[a.Code] = i
	}
	return &c, nil
}

// Account returns the account with a code.
func (c *Chart) Account(code string) (Account, bool) {
	i, ok := c.byCode[code]
	if !ok {
		return Account{}, false
	}
	return c.Accounts[i], true
}

// Payment is what lines pay out: the credits to cash and bank accounts
// (and their sub-accounts, whose codes begin with theirs) that go to
// other accounts — no more than the debits to accounts that are not cash
// or bank — so that moving money between cash and bank, or between the
// community's own bank accounts, is no payment, and a receipt in the same
// voucher does not hide one. A red-ink reversal (negative amounts) pays out
// the negative of its original.
func (c *Chart) Payment(lines []Line) Fen {
	var cashCredits, otherDebits Fen
	neg := false
	for _, l := range lines {
		neg = neg || l.Debit < 0 || l.Credit < 0
		if c.IsCash(l.Account) {
			cashCredits += l.Credit
		} else {
			otherDebits += l.Debit
		}
	}
	if neg {
		return min(max(cashCredits, otherDebits), 0)
	}
	return max(min(cashCredits, otherDebits), 0)
}

// IsCash reports whether an account is a cash or bank account of the
// chart, or a sub-account of one.
func (c *Chart) IsCash(code string) bool {
	for _, cc := range c.CashCodes {
		if strings.HasPrefix(code, cc) {
			return true
		}
	}
	return false
}
