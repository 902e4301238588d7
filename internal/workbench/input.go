package workbench

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/entry"
)

// values are a form's values as typed, by field name. A field's name is
// the path of its JSON member in the command's data, without "data." and
// with array indexes as segments: "votes.present", "lines.2.debit".
type values map[string]string

func (v values) clone() values {
	c := make(values, len(v))
	for k, x := range v {
		c[k] = x
	}
	return c
}

// shown is how the confirmation shows a parsed value: the value, and for
// an amount its capital numerals (大写).
type shown struct{ Value, Words string }

// parser reads a form's values into a command's data: it parses what a
// clerk types with package entry, notes how each value is to be shown on
// the confirmation, and collects errors by form field.
type parser struct {
	lang string
	v    values
	// errs are the errors beside fields (or beside a row of lines,
	// "lines.2", or below the lines, "lines"); top the errors above the
	// form.
	errs  map[string]txt
	top   []txt
	shown map[string]shown
	// lineRows maps the index of a line in the command to the form's row.
	lineRows []int
	// known are the form's field names, in order.
	known    []string
	aggField string
	alias    map[string]string
	// fixed are values the form filled in for the clerk (a voucher's
	// number), to be carried as if typed.
	fixed map[string]string
}

func newParser(lang string, v values, known []string, aggField string, alias map[string]string) *parser {
	return &parser{lang: lang, v: v, errs: map[string]txt{}, shown: map[string]shown{}, known: known, aggField: aggField, alias: alias,
		fixed: map[string]string{}}
}

func (p *parser) ok() bool { return len(p.errs) == 0 && len(p.top) == 0 }

// fail notes an error beside a field; the first error of a field stays.
func (p *parser) fail(name string, t txt) {
	if _, dup := p.errs[name]; !dup {
		p.errs[name] = t
	}
}

func (p *parser) failTop(t txt) {
	if !slices.Contains(p.top, t) {
		p.top = append(p.top, t)
	}
}

// raw returns a value as typed, without surrounding white space.
func (p *parser) raw(name string) string { return strings.TrimSpace(p.v[name]) }

// str returns a text field.
func (p *parser) str(name string) string {
	s := strings.TrimSpace(strings.ReplaceAll(p.v[name], "\r\n", "\n"))
	if s != "" {
		p.shown[name] = shown{Value: s}
	}
	return s
}

var required = txt{"必填", "required"}

func entryReason(err error) txt {
	var ee *entry.Error
	if errors.As(err, &ee) {
		return txt{ee.ReasonZH, ee.Reason}
	}
	return txt{err.Error(), err.Error()}
}

// amount parses an amount of money ("6,800", "6800元", "￥1,234.50").
// ok is false when it is blank or wrong; a blank required amount and a
// wrong one are errors.
func (p *parser) amount(name string, req bool) (domain.Fen, bool) {
	return p.money(name, req, entry.ParseAmount)
}

// signedAmount is amount that accepts a minus sign.
func (p *parser) signedAmount(name string, req bool) (domain.Fen, bool) {
	return p.money(name, req, entry.ParseSignedAmount)
}

func (p *parser) money(name string, req bool, parse func(string) (domain.Fen, error)) (domain.Fen, bool) {
	s := p.raw(name)
	if s == "" {
		if req {
			p.fail(name, required)
		}
		return 0, false
	}
	f, err := parse(s)
	if err != nil {
		p.fail(name, entryReason(err))
		return 0, false
	}
	p.shown[name] = shown{Value: yuanText(p.lang, f), Words: f.Capital()}
	return f, true
}

// date parses a date ("2026/11/12", "2026年11月12日", "2026-11-12").
func (p *parser) date(name string, req bool) (domain.Date, bool) {
	s := p.raw(name)
	if s == "" {
		if req {
			p.fail(name, required)
		}
		return domain.Date{}, false
	}
	d, err := entry.ParseDate(s)
	if err != nil {
		p.fail(name, entryReason(err))
		return domain.Date{}, false
	}
	p.shown[name] = shown{Value: dateText(p.lang, d)}
	return d, true
}

// count parses a head count ("12", "12人"); blank is zero when not
// required.
func (p *parser) count(name string, req bool) int {
	s := p.raw(name)
	if s == "" {
		if req {
			p.fail(name, required)
			return 0
		}
		p.shown[name] = shown{Value: countText(p.lang, 0)}
		return 0
	}
	n, err := entry.ParseCount(s)
	if err != nil {
		p.fail(name, entryReason(err))
		return 0
	}
	p.shown[name] = shown{Value: countText(p.lang, n)}
	return n
}

// number parses a whole number such as a voucher number or a year.
func (p *parser) number(name string, req bool) (int, bool) {
	s := p.raw(name)
	if s == "" {
		if req {
			p.fail(name, required)
		}
		return 0, false
	}
	n, err := entry.ParseNumber(s)
	if err != nil {
		p.fail(name, entryReason(err))
		return 0, false
	}
	p.shown[name] = shown{Value: strconv.Itoa(n)}
	return n, true
}

// votes parses the five counts of a meeting under prefix ("votes").
func (p *parser) votes(prefix string) map[string]int {
	return map[string]int{
		"expected": p.count(prefix+".expected", true),
		"present":  p.count(prefix+".present", true),
		"for":      p.count(prefix+".for", true),
		"against":  p.count(prefix+".against", false),
		"abstain":  p.count(prefix+".abstain", false),
	}
}

// list splits a field into items at commas, 、, semicolons and line
// breaks: "社区公开栏、微信群".
func (p *parser) list(name string) []string {
	s := p.raw(name)
	out := []string{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune(",，、;；\n\r", r)
	}) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	if len(out) > 0 {
		p.shown[name] = shown{Value: strings.Join(out, "、")}
	}
	return out
}

// rows returns the form rows of lines that hold something, in order, and
// notes which row each line of the command comes from.
func (p *parser) rows(cols []string) []int {
	n := lineCount(p.v)
	var out []int
	for i := 0; i < n; i++ {
		for _, c := range cols {
			if strings.TrimSpace(p.v[lineName(i, c)]) != "" {
				out = append(out, i)
				break
			}
		}
	}
	p.lineRows = out
	return out
}

func lineName(i int, col string) string { return fmt.Sprintf("lines.%d.%s", i, col) }

var lineKeyRE = regexp.MustCompile(`^lines\.(\d{1,3})\.[a-z_]+$`)

// lineCount is the number of line rows a form's values hold.
func lineCount(v values) int {
	n, _ := strconv.Atoi(v["nlines"])
	for k := range v {
		if m := lineKeyRE.FindStringSubmatch(k); m != nil {
			i, _ := strconv.Atoi(m[1])
			n = max(n, i+1)
		}
	}
	return min(n, maxLines)
}

// maxLines bounds the rows of a form (a voucher may have 100 lines).
const maxLines = 100

var indexRE = regexp.MustCompile(`\[(\d+)\]`)

// fieldOf maps the field of a domain error ("data.votes.present",
// "data.lines[1].debit", "effective_date") to the form field it is shown
// beside, or "" for the top of the form.
func (p *parser) fieldOf(path string) string {
	switch path {
	case "effective_date":
		return "effective_date"
	case "aggregate_id":
		return p.aggField
	}
	name, ok := strings.CutPrefix(path, "data.")
	if !ok {
		return ""
	}
	name = indexRE.ReplaceAllString(name, ".$1")
	if rest, ok := strings.CutPrefix(name, "lines."); ok {
		idx, tail, _ := strings.Cut(rest, ".")
		if i, err := strconv.Atoi(idx); err == nil && i < len(p.lineRows) {
			name = "lines." + strconv.Itoa(p.lineRows[i])
			if tail != "" {
				name += "." + tail
			}
			return name
		}
	}
	if a, ok := p.alias[name]; ok {
		name = a
	}
	if slices.Contains(p.known, name) || name == "lines" {
		return name
	}
	for _, k := range p.known {
		if strings.HasPrefix(k, name+".") {
			return k
		}
	}
	return ""
}

// addDomain adds the field errors of a *domain.ValidationError, except
// on fields that already have an error of their own.
func (p *parser) addDomain(fields []domain.FieldError) {
	for _, fe := range fields {
		t := txt{fe.ReasonZH, fe.Reason}
		if name := p.fieldOf(fe.Field); name != "" {
			if p.hasErrorUnder(name) {
				// A line whose amount could not be read is not also
				// "without an amount"; the totals are not yet known.
				continue
			}
			p.fail(name, t)
		} else {
			p.failTop(t)
		}
	}
}

// hasErrorUnder reports whether a field below name ("lines.2.debit"
// under "lines.2" or "lines") has an error.
func (p *parser) hasErrorUnder(name string) bool {
	for k := range p.errs {
		if strings.HasPrefix(k, name+".") {
			return true
		}
	}
	return false
}

// addRule shows a *domain.RuleError at the top, and beside its field when
// the field is on the form.
func (p *parser) addRule(re *domain.RuleError) {
	t := txt{re.ReasonZH, re.Reason}
	p.failTop(t)
	if name := p.fieldOf(re.Field); name != "" {
		p.fail(name, t)
	}
}

// sortedKeys returns the keys of v, sorted.
func sortedKeys(v values) []string {
	ks := make([]string, 0, len(v))
	for k := range v {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// parseQuiet parses an amount for a total, ignoring what does not parse
// (the field shows its own error).
func parseQuiet(s string) (domain.Fen, error) { return entry.ParseAmount(s) }
