package domain

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// Statement forms (会计报表格式) as data: the rows, 行次, labels and columns
// of the official 资产负债表 and 收益及收益分配表 of each chart, read from
// statements/*.json. docs/sources/accounting-2023.md describes the format
// and says which forms are verified against the Ministry's text.

// Kinds of statement form.
const (
	FormBalanceSheet = "balance-sheet"           // 资产负债表
	FormIncome       = "income-and-distribution" // 收益及收益分配表
)

// Measures of a form: what a row's accounts contribute.
const (
	MeasureBalance  = "balance"  // the balance at the column's date
	MeasureActivity = "activity" // the year's net postings, year-end close excluded
)

// StatementForm is one official statement form.
type StatementForm struct {
	ID    string `json:"id"`
	Kind  string `json:"-"` // FormBalanceSheet or FormIncome, from the id
	Chart string `json:"chart"`

	TitleZH    string `json:"title_zh"`
	TitleEN    string `json:"title_en"`
	FormNo     string `json:"form_no"` // 表号, or "unverified"
	DateLineZH string `json:"date_line_zh"`
	UnitZH     string `json:"unit_zh"`
	Header     struct {
		Left  string `json:"left"`
		Right string `json:"right"`
		Row   string `json:"row"`
	} `json:"header_zh"`
	Measure string       `json:"measure"`
	Columns []FormColumn `json:"columns"`
	// Verified is false for a form not checked against the Ministry's
	// text (absent in the file: verified). RowsArePlaceholders says the
	// 行次 are sequential stand-ins.
	Verified            bool        `json:"-"`
	VerifiedField       *bool       `json:"verified"`
	RowsArePlaceholders bool        `json:"rows_are_placeholders"`
	Checks              []FormCheck `json:"checks"`
	Rows                []FormRow   `json:"rows"`
	Source              any         `json:"source"`
}

// FormColumn is one amount column of a form. Key is opening (balance at
// the start of the year), closing (at the report date), year (the year's
// activity) or prior_year (last year's figure of the row).
type FormColumn struct {
	Key     string `json:"key"`
	LabelZH string `json:"label_zh"`
	LabelEN string `json:"label_en"`
}

// FormCheck is an identity the computed statement must satisfy: Equal
// (two rows equal in every column) or, across forms, ToBalanceSheet.
type FormCheck struct {
	Equal          []int `json:"equal,omitempty"`
	ToBalanceSheet *struct {
		Row             int    `json:"row"`
		BalanceSheet    string `json:"balance_sheet"`
		BalanceSheetRow int    `json:"balance_sheet_row"`
		Column          string `json:"column"`
	} `json:"equal_to_balance_sheet,omitempty"`
	Note string `json:"note"`
}

// FormRow is one printed row of a form.
type FormRow struct {
	Side    string `json:"side"` // left or right half of the form
	Row     int    `json:"-"`    // 行次; 0 for a heading
	RowNo   *int   `json:"row"`
	LabelZH string `json:"label_zh"`
	LabelEN string `json:"label_en"`
	Kind    string `json:"kind"` // heading, item, subtotal, total
	// Accounts are added on their normal side; a code written "-152" is
	// subtracted.
	Accounts []string `json:"accounts,omitempty"`
	// DebitBalancesOf and CreditBalancesOf add only the sub-accounts of
	// the accounts named whose balance is on that side (内部往来).
	DebitBalancesOf  []string `json:"debit_balances_of,omitempty"`
	CreditBalancesOf []string `json:"credit_balances_of,omitempty"`
	// Rows are summed; a negative number subtracts that row.
	Rows   []int       `json:"rows,omitempty"`
	Source *FormSource `json:"source,omitempty"`
	Note   string      `json:"note,omitempty"`
}

// FormSource is where an item of 收益及收益分配表 that is no account's
// balance or activity comes from: opening_balance (Accounts at the start
// of the year), other_transfer_in (其他转入) or distribution (收益分配—各项
// 分配 for one purpose, usually credited to CounterAccount).
type FormSource struct {
	Kind           string   `json:"kind"`
	Accounts       []string `json:"accounts,omitempty"`
	CounterAccount string   `json:"counter_account,omitempty"`
	DetailZH       string   `json:"detail_zh,omitempty"`
}

//go:embed statements/*.json
var statementFiles embed.FS

var statementForms = sync.OnceValue(func() map[string]*StatementForm {
	out := map[string]*StatementForm{}
	entries, _ := statementFiles.ReadDir("statements")
	for _, e := range entries {
		b, err := statementFiles.ReadFile("statements/" + e.Name())
		if err != nil {
			panic(err)
		}
		f, err := ParseStatementForm(b)
		if err != nil {
			panic(fmt.Sprintf("statement form %s: %v", e.Name(), err))
		}
		out[f.ID] = f
	}
	return out
})

// StatementForms returns every statement form shipped with gongkai, by id.
// The forms are shared: never change one.
func StatementForms() map[string]*StatementForm { return statementForms() }

// StatementFormFor returns the form of a kind for a chart, or nil.
func StatementFormFor(kind, chart string) *StatementForm {
	for _, f := range statementForms() {
		if f.Kind == kind && f.Chart == chart {
			return f
		}
	}
	return nil
}

// ParseStatementForm reads a statement form data file and checks that
// every row a total names is a row of the form.
func ParseStatementForm(b []byte) (*StatementForm, error) {
	var f StatementForm
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(f.ID, FormBalanceSheet+"-"):
		f.Kind = FormBalanceSheet
	case strings.HasPrefix(f.ID, FormIncome+"-"):
		f.Kind = FormIncome
	default:
		return nil, fmt.Errorf("id %q: want %s-… or %s-…", f.ID, FormBalanceSheet, FormIncome)
	}
	if f.Measure != MeasureBalance && f.Measure != MeasureActivity {
		return nil, fmt.Errorf("unknown measure %q", f.Measure)
	}
	if Charts()[f.Chart] == nil {
		return nil, fmt.Errorf("unknown chart %q", f.Chart)
	}
	f.Verified = f.VerifiedField == nil || *f.VerifiedField
	for _, c := range f.Columns {
		switch c.Key {
		case "opening", "closing", "year", "prior_year":
		default:
			return nil, fmt.Errorf("unknown column %q", c.Key)
		}
	}
	seen := map[int]bool{}
	for i := range f.Rows {
		r := &f.Rows[i]
		if r.RowNo != nil {
			r.Row = *r.RowNo
			if r.Row <= 0 || seen[r.Row] {
				return nil, fmt.Errorf("row %q: 行次 %d repeated or not positive", r.LabelZH, r.Row)
			}
			seen[r.Row] = true
		} else if r.Kind != "heading" {
			return nil, fmt.Errorf("row %q: only a heading has no 行次", r.LabelZH)
		}
	}
	known := func(n int) bool {
		if n < 0 {
			n = -n
		}
		return seen[n]
	}
	for _, r := range f.Rows {
		for _, n := range r.Rows {
			if !known(n) {
				return nil, fmt.Errorf("row %d sums row %d, which the form lacks", r.Row, n)
			}
		}
	}
	for _, c := range f.Checks {
		for _, n := range c.Equal {
			if !known(n) {
				return nil, fmt.Errorf("check names row %d, which the form lacks", n)
			}
		}
		if c.ToBalanceSheet != nil && !known(c.ToBalanceSheet.Row) {
			return nil, fmt.Errorf("check names row %d, which the form lacks", c.ToBalanceSheet.Row)
		}
	}
	return &f, nil
}
