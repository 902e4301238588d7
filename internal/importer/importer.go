// Package importer turns the spreadsheets clerks keep (台账, in Excel or WPS)
// into commands: vouchers (凭证), a year's budget (预算), funds received
// (到账资金) and matters (事项). It reads .xlsx workbooks and .csv files,
// checks every row, and either reports every error with its row and column,
// as Excel shows them, or returns a Plan: the commands of one atomic batch,
// with an idempotency key made from the file's bytes, so that importing the
// same file twice records it once.
//
// Template makes the workbook to fill in for each kind. Parsing never
// contacts the server; the commands are decoded and validated by the domain,
// so that the server accepts their shape, but the rules that need the
// ledger's state (voucher numbers in sequence, a passed resolution, the
// budget line) are checked when the batch is recorded.
package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/gongkai/gongkai/internal/command"
)

// Kind is what a file holds.
type Kind string

// The kinds of import.
const (
	Vouchers Kind = "vouchers" // 凭证: books.post_voucher, one row per voucher line
	Budget   Kind = "budget"   // 预算: budget.adopt, one row per budget line
	Funds    Kind = "funds"    // 到账资金: budget.record_funds, one row each
	Matters  Kind = "matters"  // 事项: matter.register, one row each
)

// Kinds returns every kind, in the order above.
func Kinds() []Kind { return []Kind{Vouchers, Budget, Funds, Matters} }

// Limits on what Parse reads.
const (
	// MaxFileSize is the largest file accepted, in bytes.
	MaxFileSize = 5 << 20
	// MaxRows is the most data rows (not counting blank rows) accepted.
	MaxRows = 5000
	// maxUnzip bounds what a workbook may unpack to, against zip bombs.
	maxUnzip = 32 << 20
	// maxColumns is the widest row read; cells further right are an error.
	maxColumns = 64
	// headerScan is how many non-blank rows at the top may come before the
	// header row (a title such as 文化路社区2026年凭证台账).
	headerScan = 10
)

// Plan is a file read into commands.
type Plan struct {
	Kind Kind
	// Rows is the number of data rows read (blank rows are skipped).
	Rows int
	// Commands are in row order, each decoded and validated by
	// domain.DecodeCommand, with a valid aggregate id and effective date.
	Commands []command.Command
	// RowsOf lists, for command i, the spreadsheet rows it came from,
	// numbered from 1 as Excel shows them.
	RowsOf [][]int
	// IdempotencyKey is "import:<kind>:<SHA-256 of the file, hex>".
	IdempotencyKey string
}

// RowsForCommand returns the spreadsheet rows command i came from, or nil
// if there is no command i.
func RowsForCommand(p *Plan, i int) []int {
	if p == nil || i < 0 || i >= len(p.RowsOf) {
		return nil
	}
	return p.RowsOf[i]
}

// CellError is a problem with one cell, or with one row when Column is
// empty.
type CellError struct {
	// Row is the row number as Excel shows it, from 1.
	Row int `json:"row"`
	// Column is the column's letter as Excel shows it ("E"); empty when
	// the file has no such column or the whole row is at fault.
	Column string `json:"column,omitempty"`
	// Header is the column's header in the template ("借方金额").
	Header string `json:"header,omitempty"`
	// Reason and ReasonZH say what is wrong, in English and Chinese.
	Reason   string `json:"reason"`
	ReasonZH string `json:"reason_zh"`
}

// Place names the cell in Chinese, as "第437行 E列（借方金额）".
func (e CellError) Place() string {
	s := fmt.Sprintf("第%d行", e.Row)
	switch {
	case e.Column != "" && e.Header != "":
		s += fmt.Sprintf(" %s列（%s）", e.Column, e.Header)
	case e.Column != "":
		s += fmt.Sprintf(" %s列", e.Column)
	case e.Header != "":
		s += fmt.Sprintf("（%s）", e.Header)
	}
	return s
}

// Error returns the place and the Chinese reason.
func (e CellError) Error() string { return e.Place() + "：" + e.ReasonZH }

// Report is every error found in a file's rows. Nothing of such a file is
// imported.
type Report struct {
	Errors []CellError
}

// Error lists the errors one a line, in row order:
// "第437行 E列（借方金额）：借贷不平衡：…".
func (r *Report) Error() string {
	lines := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Errors for a file as a whole, wrapped by *FileError.
var (
	ErrKind     = errors.New("unknown kind of import")
	ErrTooLarge = errors.New("file too large")
	ErrFormat   = errors.New("not a readable .xlsx or .csv file")
	ErrHeader   = errors.New("the header row does not match the template")
	ErrTooMany  = errors.New("too many commands for one batch")
)

// FileError is a file that cannot be read as a whole: too large, not a
// workbook or CSV, without the template's header row, or too big for one
// batch. Err is one of ErrKind, ErrTooLarge, ErrFormat, ErrHeader and
// ErrTooMany.
type FileError struct {
	Reason, ReasonZH string
	Err              error
}

// Error returns the Chinese reason, then the English one in brackets.
func (e *FileError) Error() string { return e.ReasonZH + "（" + e.Reason + "）" }

func (e *FileError) Unwrap() error { return e.Err }

// Parse reads a file of kind k: an .xlsx workbook or a .csv file (UTF-8
// with or without a byte order mark, UTF-16 with one, or GBK/GB18030),
// told apart by their content; filename is used only in messages. In a
// workbook it reads the sheet named as in the template (such as 凭证), or
// else the first sheet.
//
// The header row is the first row, or one of the first few non-blank rows
// under a title, that holds the template's headers; columns may be in any
// order and optional ones left out. Blank rows are skipped. Dates may be
// date cells or text (entry.ParseDate), amounts numbers or text
// (entry.ParseAmount).
//
// Every row is checked, and Parse returns a *Report of every error found,
// or a *FileError for the file as a whole (see FileError), or the Plan. A
// file is one batch: one that would make more than command.MaxBatch
// commands is refused.
func Parse(k Kind, filename string, data []byte) (*Plan, error) {
	s := specOf(k)
	if s == nil {
		return nil, &FileError{Err: ErrKind, Reason: fmt.Sprintf("unknown kind %q; one of %s", k, kindList()),
			ReasonZH: fmt.Sprintf("未知的导入类型“%s”，应为 %s 之一", k, kindList())}
	}
	t, err := readTable(filename, data, s.sheet)
	if err != nil {
		return nil, err
	}
	g, err := newGrid(s, t)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	g.hash = hex.EncodeToString(sum[:])
	s.parse(g)
	if len(g.errs) > 0 {
		return nil, g.report()
	}
	if len(g.cmds) > command.MaxBatch {
		return nil, &FileError{Err: ErrTooMany,
			Reason: fmt.Sprintf("the file makes %d commands; one import records at most %d, all or nothing: split the file",
				len(g.cmds), command.MaxBatch),
			ReasonZH: fmt.Sprintf("文件共 %d 条记录，超过单次导入上限 %d 条（一次导入要么全部记录，要么都不记录）；请拆分为几个文件分别导入",
				len(g.cmds), command.MaxBatch)}
	}
	return &Plan{Kind: k, Rows: len(g.rows), Commands: g.cmds, RowsOf: g.rowsOf,
		IdempotencyKey: "import:" + string(k) + ":" + g.hash}, nil
}

// Detect tells which kind of file this is from its header row, for a file
// made from a template. It returns a *FileError wrapping ErrHeader when no
// kind's headers match, or the error of reading the file.
func Detect(filename string, data []byte) (Kind, error) {
	t, err := readTable(filename, data, "")
	if err != nil {
		return "", err
	}
	var found []Kind
	for _, k := range Kinds() {
		if _, _, ok := findHeader(specOf(k), t); ok {
			found = append(found, k)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	var want, wantZH []string
	for _, k := range Kinds() {
		s := specOf(k)
		want = append(want, fmt.Sprintf("%s: %s", k, strings.Join(s.headers(), ", ")))
		wantZH = append(wantZH, fmt.Sprintf("%s：%s", s.title, strings.Join(s.headers(), "、")))
	}
	return "", &FileError{Err: ErrHeader,
		Reason:   "cannot tell the kind of file from its header row; the templates' headers are " + strings.Join(want, "; "),
		ReasonZH: "无法从表头判断文件类型；各模板的表头为——" + strings.Join(wantZH, "；")}
}

func kindList() string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}
