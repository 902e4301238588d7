package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// table is a sheet's non-blank rows, read without interpretation.
type table struct {
	name string // the file name, for messages
	xlsx bool   // cells are raw workbook values (numbers unformatted)
	// date1904 is set for a workbook in the 1904 date system.
	date1904 bool
	rows     []row
}

// row is one non-blank row.
type row struct {
	num   int      // as Excel shows it, from 1
	cells []string // trimmed; at most maxColumns
	// beyond is the letter of a non-empty cell right of maxColumns, if any.
	beyond string
}

func (r row) blank() bool {
	return r.beyond == "" && !slices.ContainsFunc(r.cells, func(c string) bool { return c != "" })
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// readTable reads a workbook or a CSV file, told apart by its content.
// In a workbook it reads the sheet named sheet if there is one, else the
// first sheet among the templates' sheet names, else the first sheet.
func readTable(filename string, data []byte, sheet string) (*table, error) {
	if filename == "" {
		filename = "(upload)"
	}
	switch {
	case len(data) > MaxFileSize:
		return nil, &FileError{Err: ErrTooLarge,
			Reason:   fmt.Sprintf("%s is %d bytes; at most %d MiB can be imported at once", filename, len(data), MaxFileSize>>20),
			ReasonZH: fmt.Sprintf("文件 %s 过大（%d 字节），一次最多导入 %d MB；请拆分后分别导入", filename, len(data), MaxFileSize>>20)}
	case len(bytes.TrimSpace(data)) == 0:
		return nil, &FileError{Err: ErrFormat, Reason: filename + " is empty", ReasonZH: "文件 " + filename + " 是空的"}
	case bytes.HasPrefix(data, oleMagic):
		return nil, &FileError{Err: ErrFormat,
			Reason:   filename + " is an old .xls workbook or an encrypted one: save it as .xlsx (Excel workbook) without a password, or as .csv",
			ReasonZH: "文件 " + filename + " 是旧版 .xls 或加密的工作簿：请在 Excel/WPS 中“另存为” .xlsx（不设密码）或 .csv 后再导入"}
	case bytes.HasPrefix(data, zipMagic):
		return readXLSX(filename, data, sheet)
	}
	return readCSV(filename, data)
}

func readXLSX(filename string, data []byte, want string) (*table, error) {
	bad := func(err error) error {
		return &FileError{Err: ErrFormat,
			Reason:   fmt.Sprintf("%s cannot be read as an .xlsx workbook: %v", filename, err),
			ReasonZH: fmt.Sprintf("无法读取工作簿 %s（%v）：请确认是 Excel/WPS 保存的 .xlsx 文件", filename, err)}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: maxUnzip, UnzipXMLSizeLimit: maxUnzip, RawCellValue: true})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size exceeds") { // excelize has no error value for it
			return nil, &FileError{Err: ErrTooLarge,
				Reason:   fmt.Sprintf("%s unpacks to more than %d MiB", filename, maxUnzip>>20),
				ReasonZH: fmt.Sprintf("工作簿 %s 解压后超过 %d MB，无法导入", filename, maxUnzip>>20)}
		}
		return nil, bad(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, bad(errors.New("no worksheet"))
	}
	name := sheets[0]
	switch {
	case want != "" && slices.Contains(sheets, want):
		name = want
	case want == "":
		for _, s := range sheets {
			if slices.ContainsFunc(specs, func(sp *spec) bool { return sp.sheet == s }) {
				name = s
				break
			}
		}
	}
	t := &table{name: filename, xlsx: true}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		t.date1904 = *props.Date1904
	}
	it, err := f.Rows(name)
	if err != nil {
		return nil, bad(err)
	}
	defer it.Close()
	for n := 1; it.Next(); n++ {
		cells, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, bad(err)
		}
		if err := t.add(n, cells); err != nil {
			return nil, err
		}
	}
	if err := it.Error(); err != nil {
		return nil, bad(err)
	}
	return t, nil
}

// add appends a row unless it is blank.
func (t *table) add(num int, cells []string) error {
	r := row{num: num}
	for i, c := range cells {
		c = strings.TrimSpace(c)
		if i >= maxColumns {
			if c != "" && r.beyond == "" {
				r.beyond, _ = excelize.ColumnNumberToName(i + 1)
			}
			continue
		}
		r.cells = append(r.cells, c)
	}
	if r.blank() {
		return nil
	}
	if len(t.rows) >= MaxRows+headerScan {
		return tooManyRows(t.name)
	}
	t.rows = append(t.rows, r)
	return nil
}

func tooManyRows(filename string) error {
	return &FileError{Err: ErrTooLarge,
		Reason:   fmt.Sprintf("%s has more than %d rows; split it", filename, MaxRows),
		ReasonZH: fmt.Sprintf("文件 %s 超过 %d 行，请拆分后分别导入", filename, MaxRows)}
}

// readCSV reads comma- or tab-separated text: UTF-8 with or without a byte
// order mark, UTF-16 with one (Excel's "Unicode text"), or else GB18030
// (which includes GBK, what Chinese Windows writes by default).
func readCSV(filename string, data []byte) (*table, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, &FileError{Err: ErrFormat,
			Reason:   fmt.Sprintf("%s is neither an .xlsx workbook nor CSV text in UTF-8 or GBK", filename),
			ReasonZH: fmt.Sprintf("文件 %s 既不是 .xlsx 工作簿，也不是 UTF-8 或 GBK 编码的 CSV 文本；请用模板填写后保存为 .xlsx", filename)}
	}
	first, _, _ := strings.Cut(text, "\n")
	r := csv.NewReader(strings.NewReader(text))
	if strings.Count(first, "\t") > strings.Count(first, ",") {
		r.Comma = '\t'
	}
	r.FieldsPerRecord = -1
	t := &table{name: filename}
	// encoding/csv skips empty lines, which Excel shows as rows, and a
	// quoted cell may span lines: count rows as Excel does.
	var num, lines int
	var offset int64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, &FileError{Err: ErrFormat,
				Reason:   fmt.Sprintf("%s, line %d: malformed CSV: %v", filename, line, err),
				ReasonZH: fmt.Sprintf("文件 %s 第%d行：CSV 格式错误（引号不配对等）", filename, line)}
		}
		start, _ := r.FieldPos(0)
		num += 1 + (start - 1 - lines) // the empty lines skipped, then this row
		next := r.InputOffset()
		lines += strings.Count(text[offset:next], "\n")
		offset = next
		if err := t.add(num, rec); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func decodeText(data []byte) (string, error) {
	var out []byte
	var err error
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		out = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		out, err = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
	case utf8.Valid(data):
		out = data
	default:
		out, err = simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	}
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) || bytes.IndexByte(out, 0) >= 0 {
		return "", errors.New("not text")
	}
	return string(out), nil
}
