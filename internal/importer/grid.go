package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/entry"
)

// colType is what a column holds: it decides how a cell is read and how
// the template formats the column.
type colType int

const (
	typeText     colType = iota // one line of text
	typeLongText                // text that may span lines
	typeID                      // an id or code: letters, digits, - and _
	typeDate
	typeAmount
	typeNumber
	typeSource // a fund source (资金来源)
)

// column is one column of a template.
type column struct {
	name   string // the header, in Chinese, exactly as in the template
	en     string // the header in English, for the note
	need   bool   // the header row must have it
	typ    colType
	width  float64
	note   string // what to write, in Chinese
	noteEN string
}

// spec is one kind of import.
type spec struct {
	kind    Kind
	title   string // in Chinese, such as 凭证
	sheet   string // the sheet's name in the template
	columns []column
	// example holds the template's example rows, in column order, as text
	// that the column's type reads.
	example [][]string
	intro   string // how rows become commands, in Chinese, for the template
	parse   func(*grid)
}

var specs = []*spec{voucherSpec, budgetSpec, fundsSpec, matterSpec}

func specOf(k Kind) *spec {
	for _, s := range specs {
		if s.kind == k {
			return s
		}
	}
	return nil
}

func (s *spec) headers() []string {
	h := make([]string, len(s.columns))
	for i, c := range s.columns {
		h[i] = c.name
	}
	return h
}

func (s *spec) column(name string) (column, bool) {
	i := slices.IndexFunc(s.columns, func(c column) bool { return c.name == name })
	if i < 0 {
		return column{}, false
	}
	return s.columns[i], true
}

// ignoredHeader is a column a clerk's sheet often has that holds nothing
// to record: the row's number.
const ignoredHeader = "序号"

// headerName reduces a header cell to the name it gives: "借方金额（元）",
// "借方金额\nDebit" and "*借方金额" are all 借方金额.
func headerName(cell string) string {
	s := entry.Normalize(cell)
	if i := strings.IndexAny(s, "(\n"); i >= 0 {
		s = s[:i]
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "*", "")), "")
}

// headerMatch is how one row reads as the header of a spec.
type headerMatch struct {
	at      int            // index in table.rows
	index   map[string]int // column name -> cell index
	unknown []string       // headers not in the template
	dup     []string
	missing []string // needed headers not found
}

func matchHeader(s *spec, t *table, at int) headerMatch {
	m := headerMatch{at: at, index: map[string]int{}}
	for i, cell := range t.rows[at].cells {
		name := headerName(cell)
		if name == "" || name == ignoredHeader {
			continue
		}
		if _, known := s.column(name); !known {
			m.unknown = append(m.unknown, cell)
			continue
		}
		if _, seen := m.index[name]; seen {
			m.dup = append(m.dup, name)
			continue
		}
		m.index[name] = i
	}
	for _, c := range s.columns {
		if _, ok := m.index[c.name]; c.need && !ok {
			m.missing = append(m.missing, c.name)
		}
	}
	return m
}

// findHeader returns the header row of s: the first of the top rows that
// has every needed header.
func findHeader(s *spec, t *table) (headerMatch, []headerMatch, bool) {
	var tried []headerMatch
	for at := 0; at < len(t.rows) && at < headerScan; at++ {
		m := matchHeader(s, t, at)
		if len(m.missing) == 0 {
			return m, tried, true
		}
		tried = append(tried, m)
	}
	return headerMatch{}, tried, false
}

// grid is a table read against a spec: the header found, the data rows,
// and what parsing them gives.
type grid struct {
	spec   *spec
	t      *table
	index  map[string]int
	rows   []row // data rows, below the header
	hash   string
	errs   []CellError
	failed map[int]bool // rows with errors
	cmds   []command.Command
	rowsOf [][]int
}

func newGrid(s *spec, t *table) (*grid, error) {
	want := strings.Join(s.headers(), "、")
	m, tried, ok := findHeader(s, t)
	if !ok {
		if len(t.rows) == 0 {
			return nil, &FileError{Err: ErrHeader, Reason: t.name + " has no rows",
				ReasonZH: "文件 " + t.name + " 中没有内容；" + s.title + "模板的表头为：" + want}
		}
		// Name the row that came closest.
		best := tried[0]
		for _, m := range tried[1:] {
			if len(m.index) > len(best.index) {
				best = m
			}
		}
		r := t.rows[best.at]
		if len(best.index) == 0 {
			got := strings.Join(slices.DeleteFunc(slices.Clone(r.cells), func(c string) bool { return c == "" }), "、")
			return nil, &FileError{Err: ErrHeader,
				Reason: fmt.Sprintf("no header row of the %s template found; row %d reads %q; the headers are %s",
					s.kind, r.num, got, strings.Join(s.headers(), ", ")),
				ReasonZH: fmt.Sprintf("找不到%s模板的表头：第%d行为“%s”；表头应为：%s（请使用导入模板）",
					s.title, r.num, got, want)}
		}
		return nil, &FileError{Err: ErrHeader,
			Reason: fmt.Sprintf("the header row %d lacks %s; the headers of the %s template are %s",
				r.num, strings.Join(best.missing, ", "), s.kind, strings.Join(s.headers(), ", ")),
			ReasonZH: fmt.Sprintf("第%d行表头缺少：%s；%s模板的表头为：%s", r.num, strings.Join(best.missing, "、"), s.title, want)}
	}
	hr := t.rows[m.at]
	if len(m.unknown) > 0 || len(m.dup) > 0 {
		var what, whatZH []string
		if len(m.unknown) > 0 {
			what = append(what, "columns not in the template: "+strings.Join(m.unknown, ", "))
			whatZH = append(whatZH, "模板中没有的列：“"+strings.Join(m.unknown, "”“")+"”")
		}
		if len(m.dup) > 0 {
			what = append(what, "columns given twice: "+strings.Join(m.dup, ", "))
			whatZH = append(whatZH, "重复的列："+strings.Join(m.dup, "、"))
		}
		return nil, &FileError{Err: ErrHeader,
			Reason: fmt.Sprintf("the header row %d has %s; the headers of the %s template are %s (and 序号, which is ignored)",
				hr.num, strings.Join(what, "; "), s.kind, strings.Join(s.headers(), ", ")),
			ReasonZH: fmt.Sprintf("第%d行表头有%s；%s模板的表头为：%s（另可有“序号”列，不导入）",
				hr.num, strings.Join(whatZH, "；"), s.title, want)}
	}
	g := &grid{spec: s, t: t, index: m.index, failed: map[int]bool{}}
	inTemplate := map[int]bool{}
	for _, i := range m.index {
		inTemplate[i] = true
	}
	for _, r := range t.rows[m.at+1:] {
		known, stray := false, r.beyond
		for i, c := range r.cells {
			switch {
			case c == "":
			case inTemplate[i]:
				known = true
			case i >= len(hr.cells) || headerName(hr.cells[i]) == "":
				if stray == "" {
					stray, _ = excelize.ColumnNumberToName(i + 1)
				}
			}
		}
		if stray != "" {
			// A cell under no header holds something the template has
			// no place for.
			g.errs = append(g.errs, CellError{Row: r.num, Column: stray,
				Reason:   "this column has no header: it is not part of the template; delete it or move the value to its column",
				ReasonZH: "此列没有表头，不在模板中：请删除，或移到对应的列"})
		}
		if known { // else blank but for 序号 or a stray cell
			g.rows = append(g.rows, r)
		}
	}
	if len(g.rows) > MaxRows {
		return nil, tooManyRows(t.name)
	}
	return g, nil
}

// text returns a cell of a row, "" if the file has no such column.
func (g *grid) text(r row, col string) string {
	i, ok := g.index[col]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return r.cells[i]
}

// letter returns the column letter of a header, "" if the file lacks it.
func (g *grid) letter(col string) string {
	i, ok := g.index[col]
	if !ok {
		return ""
	}
	l, _ := excelize.ColumnNumberToName(i + 1)
	return l
}

func (g *grid) fail(r int, col, reason, reasonZH string) {
	g.errs = append(g.errs, CellError{Row: r, Column: g.letter(col), Header: col, Reason: reason, ReasonZH: reasonZH})
	g.failed[r] = true
}

// failErr reports a parser's *entry.Error, or any error, on a cell.
func (g *grid) failErr(r int, col string, err error) {
	var e *entry.Error
	if errors.As(err, &e) {
		g.fail(r, col, e.Reason, e.ReasonZH)
		return
	}
	g.fail(r, col, err.Error(), err.Error())
}

func (g *grid) required(r int, col string) {
	g.fail(r, col, "required", "必填")
}

// bad reports whether any error is on one of the rows.
func (g *grid) bad(rows ...int) bool {
	return slices.ContainsFunc(rows, func(r int) bool { return g.failed[r] })
}

var (
	numberRE    = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
	compactDate = regexp.MustCompile(`^[0-9]{8}$`)
	isoDateTime = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ][0-9:.]*Z?$`)
)

// date reads a date cell; ok is false for an empty cell or a bad date,
// which is reported.
func (g *grid) date(r row, col string) (d domain.Date, ok bool) {
	s := g.text(r, col)
	if s == "" {
		return d, false
	}
	d, err := cellDate(s, g.t)
	if err != nil {
		g.failErr(r.num, col, err)
		return d, false
	}
	return d, true
}

// cellDate reads a date. In a workbook, a cell formatted as a date holds a
// serial number (46338), which is what the raw value gives; a date typed as
// text, or read from CSV, is parsed as written. A number of eight digits
// is a date written 20261112, not a serial.
func cellDate(s string, t *table) (domain.Date, error) {
	if t.xlsx && numberRE.MatchString(s) && !compactDate.MatchString(s) {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			if t.date1904 {
				v += 1462
			}
			return entry.ExcelSerialDate(v)
		}
	}
	if m := isoDateTime.FindStringSubmatch(s); m != nil && t.xlsx { // an ISO 8601 date cell (t="d")
		s = m[1]
	}
	return entry.ParseDate(s)
}

// amount reads an amount cell; ok is false for an empty cell or a bad
// amount, which is reported.
func (g *grid) amount(r row, col string) (f domain.Fen, ok bool) {
	s := g.text(r, col)
	if s == "" {
		return 0, false
	}
	f, err := cellAmount(s, g.t)
	if err != nil {
		g.failErr(r.num, col, err)
		return 0, false
	}
	return f, true
}

// cellAmount reads an amount. A number cell of a workbook holds a binary
// float, and a sum computed by a formula can be 1234.5000000000002: it is
// read with the 15 significant digits Excel shows, so that 1234.5 is
// accepted and a typed 1.234 is still refused for its third decimal. Text
// and CSV cells are parsed as written.
func cellAmount(s string, t *table) (domain.Fen, error) {
	if t.xlsx && numberRE.MatchString(s) {
		if v, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(v, 0) {
			v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
			s = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return entry.ParseAmount(s)
}

// id reads an id cell (an aggregate id such as a matter or a budget line),
// with full-width letters and digits made ASCII. An empty cell is "".
func (g *grid) id(r row, col, example string) string {
	s := entry.Normalize(g.text(r, col))
	if s != "" && !domain.ValidAggregateID(s) {
		g.fail(r.num, col, "letters, digits, - and _ only, at most 64, such as "+example,
			"只能用字母、数字、- 和 _（最多64个），如 "+example)
	}
	return s
}

// sources maps the Chinese names and the codes of the fund sources to codes.
var sources = func() map[string]string {
	m := map[string]string{}
	for _, code := range []string{domain.SourceTown, domain.SourceCounty, domain.SourceSpecial, domain.SourceCollective, domain.SourceOther} {
		m[code] = code
		m[domain.SourceZH(code)] = code
	}
	return m
}()

// sourceNamesZH lists the fund sources in Chinese, for the template's list.
var sourceNamesZH = []string{"镇财政", "县财政", "上级专项", "集体经济", "其他"}

func (g *grid) source(r row, col string) (string, bool) {
	s := headerName(g.text(r, col)) // "县财政（county）" is 县财政
	if s == "" {
		g.required(r.num, col)
		return "", false
	}
	code, ok := sources[strings.ToLower(s)]
	if !ok {
		g.fail(r.num, col, "must be one of 镇财政 (town), 县财政 (county), 上级专项 (special), 集体经济 (collective), 其他 (other)",
			"资金来源须为：镇财政、县财政、上级专项、集体经济、其他 之一")
	}
	return code, ok
}

// fieldRE splits a field path of a list member: "data.lines[3].debit".
var fieldRE = regexp.MustCompile(`^data\.lines\[([0-9]+)\](?:\.([a-z_]+))?$`)

// emit decodes a command as the service will and adds it to the plan, or
// reports the domain's field errors on the cells locate names.
func (g *grid) emit(typ, aggregateID string, date domain.Date, data any, rows []int, locate func(field string) (int, string)) {
	raw, err := json.Marshal(data)
	if err != nil {
		panic(err) // the data types marshal
	}
	c := command.Command{Type: typ, AggregateID: aggregateID, EffectiveDate: date.String(), Data: raw}
	if !domain.ValidAggregateID(aggregateID) {
		panic(fmt.Sprintf("importer made an invalid aggregate id %q", aggregateID))
	}
	if _, err := domain.DecodeCommand(typ, raw); err != nil {
		fields, ok := domain.AsValidation(err)
		if !ok {
			g.fail(rows[0], "", err.Error(), err.Error())
			return
		}
		for _, f := range fields {
			r, col := locate(f.Field)
			g.fail(r, col, f.Reason, f.ReasonZH)
		}
		return
	}
	g.cmds = append(g.cmds, c)
	g.rowsOf = append(g.rowsOf, rows)
}

// report returns the errors in row order, then by column.
func (g *grid) report() *Report {
	col := func(e CellError) (int, string) { return len(e.Column), e.Column }
	sort.SliceStable(g.errs, func(i, j int) bool {
		a, b := g.errs[i], g.errs[j]
		if a.Row != b.Row {
			return a.Row < b.Row
		}
		la, ca := col(a)
		lb, cb := col(b)
		if la != lb {
			return la < lb
		}
		return ca < cb
	})
	return &Report{Errors: g.errs}
}

func nums(rows []row) []int {
	n := make([]int, len(rows))
	for i, r := range rows {
		n[i] = r.num
	}
	return n
}
