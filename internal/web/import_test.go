package web_test

// Spreadsheet imports (POST /api/v1/communities/{c}/imports) against a
// real server with embedded JetStream. A file with an error records
// nothing and names the spreadsheet's row and column; a good file records
// every voucher in one atomic batch, and the same file again records
// nothing new. Every refusal is checked by its status and by the stream's
// last sequence, which it must not move.

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/importer"
)

// impSerial is a number cell formatted as a date: what Excel stores for a
// date typed into a cell.
type impSerial float64

// importHeader is the voucher template's header row, as far as these
// files use it.
var importHeader = []any{"日期", "凭证号", "摘要", "科目编码", "借方金额", "贷方金额", "制单人", "审核人"}

// importVoucherDate is the date of voucher v of importVouchers: 25 a month
// from March.
func importVoucherDate(year, v int) time.Time {
	return time.Date(year, time.Month(3+v/25), v%25+1, 0, 0, 0, 0, time.UTC)
}

// importVouchers returns the rows, header first, of n vouchers of two
// lines in year (n at most 250), 25 a month from March and numbered from 1
// in each month. Voucher v is on spreadsheet rows 2v+2 and 2v+3, on the
// 2023 chart. Even vouchers pay (Dr 513 管理费用, Cr 102 银行存款), odd ones
// receive (Dr 102, Cr 503 补助收入), each
// between 1,000.00 and 2,835.13 yuan. Dates are date cells (a serial or a
// time.Time) or text ("2025/3/2"); amounts are numbers or text with
// thousands separators ("1,234.50"); account codes are text or numbers.
// When badRow is the second row of a voucher, its credit is one yuan too
// much.
func importVouchers(year, n, badRow int) [][]any {
	rows := [][]any{importHeader}
	for v := range n {
		d := importVoucherDate(year, v)
		var date any
		switch v % 3 {
		case 0:
			date = impSerial(d.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
		case 1:
			date = fmt.Sprintf("%d/%d/%d", d.Year(), d.Month(), d.Day())
		case 2:
			date = d
		}
		cents := int64(100000 + v*737)
		amount := func(cents int64, text bool) any {
			if text {
				return yuanText(cents)
			}
			return float64(cents) / 100
		}
		debitAcct, creditAcct := any("513"), any("102")
		if v%2 == 1 {
			debitAcct, creditAcct = "102", "503"
		}
		if v%5 == 0 {
			debitAcct = importNumberCell(debitAcct.(string))
		}
		second := len(rows) + 2 // the row number of the voucher's second line
		creditCents := cents
		if second == badRow {
			creditCents += 100
		}
		rows = append(rows,
			[]any{date, v%25 + 1, fmt.Sprintf("第%d笔业务", v+1), debitAcct, amount(cents, v%4 >= 2), nil, "赵敏", "李娜"},
			[]any{nil, nil, nil, creditAcct, nil, amount(creditCents, v%4 == 1 || v%4 == 3)})
	}
	return rows
}

// importNumberCell is an account code typed into a cell without the text
// format: a number.
func importNumberCell(code string) any {
	n, err := strconv.Atoi(code)
	if err != nil {
		panic(err)
	}
	return n
}

// yuanText writes fen as yuan with thousands separators: "1,234.50".
func yuanText(fen int64) string {
	whole := strconv.FormatInt(fen/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s.%02d", b.String(), fen%100)
}

// importWorkbook writes rows into the sheet 凭证 of a new workbook. A cell
// is a string (text), an int or a float64 (a number), an impSerial or a
// time.Time (a date cell), or nil (empty).
func importWorkbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "凭证"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	dateFmt := "yyyy-mm-dd"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			switch v := v.(type) {
			case nil:
				continue
			case string:
				err = f.SetCellStr(sheet, cell, v)
			case int:
				err = f.SetCellInt(sheet, cell, int64(v))
			case float64:
				err = f.SetCellFloat(sheet, cell, v, -1, 64)
			case impSerial:
				err = f.SetCellFloat(sheet, cell, float64(v), -1, 64)
				if err == nil {
					err = f.SetCellStyle(sheet, cell, cell, dateStyle)
				}
			case time.Time:
				err = f.SetCellValue(sheet, cell, v)
			default:
				t.Fatalf("importWorkbook: a cell of type %T", v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// importCSV writes rows as Excel saves a sheet as "CSV UTF-8": a byte
// order mark, CRLF line ends, and each cell as it is shown (a date cell as
// 2025-03-01).
func importCSV(t *testing.T, rows [][]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, r := range rows {
		rec := make([]string, len(importHeader))
		for j, v := range r {
			switch v := v.(type) {
			case nil:
			case string:
				rec[j] = v
			case int:
				rec[j] = strconv.Itoa(v)
			case float64:
				rec[j] = strconv.FormatFloat(v, 'f', -1, 64)
			case impSerial:
				rec[j] = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(v)).Format(time.DateOnly)
			case time.Time:
				rec[j] = v.Format(time.DateOnly)
			default:
				t.Fatalf("importCSV: a cell of type %T", v)
			}
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// importKey is the idempotency key the importer gives a file.
func importKey(data []byte) string {
	sum := sha256.Sum256(data)
	return "import:vouchers:" + hex.EncodeToString(sum[:])
}

// postImport sends a file to community's import endpoint with the given
// query and bearer token.
func postImport(t *testing.T, s *apptest.Server, community, query string, file []byte, token string) apptest.Response {
	t.Helper()
	u := s.URL + "/api/v1/communities/" + community + "/imports"
	if query != "" {
		u += "?" + query
	}
	return apptest.Do(t, http.MethodPost, u, file, map[string]string{"Authorization": "Bearer " + token,
		"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
}

// importReply is a successful import's reply (or a dry run's).
type importReply struct {
	Results []struct {
		AggregateType string `json:"aggregate_type"`
		AggregateID   string `json:"aggregate_id"`
		Events        []struct {
			Type string `json:"type"`
			Seq  uint64 `json:"stream_seq"`
		} `json:"events"`
	} `json:"results"`
	Replay   bool   `json:"idempotent_replay"`
	Rows     int    `json:"rows"`
	Kind     string `json:"kind"`
	DryRun   bool   `json:"dry_run"`
	Commands int    `json:"commands"`
}

// seqs lists the stream sequences of a reply's events, in reply order.
func (r importReply) seqs() []uint64 {
	var out []uint64
	for _, res := range r.Results {
		for _, e := range res.Events {
			out = append(out, e.Seq)
		}
	}
	return out
}

// importProblem is a refused import's reply.
type importProblem struct {
	Code     string `json:"code"`
	Detail   string `json:"detail"`
	DetailZH string `json:"detail_zh"`
	Errors   []struct {
		Field    string `json:"field"`
		Reason   string `json:"reason"`
		ReasonZH string `json:"reason_zh"`
	} `json:"errors"`
	Rows []importer.CellError `json:"rows"`
}

func (p importProblem) fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func decodeReply[T any](t *testing.T, what string, r apptest.Response, status int) T {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("%s: reply is not JSON: %v: %s", what, err, r.Body)
	}
	return v
}

// importCommunity registers community id and opens its books
// (importOpenBooks).
func importCommunity(t *testing.T, s *apptest.Server, id string) {
	t.Helper()
	body := fmt.Sprintf(`{"type":"community.register","aggregate_id":%q,"effective_date":"2025-01-02","data":{"name":"导入社区 %s","kind":"社区","town":"导入镇","county":"示例县"}}`, id, id)
	mustStatus(t, s.Command(t, id, "import-register-"+id, body), http.StatusCreated)
	importOpenBooks(t, s, id)
}

// importOpenBooks opens the books of community id for 2025, on the 2023
// chart the law sets for it, with 10,000.00 in the bank: the imported
// payments cannot take the bank below zero.
func importOpenBooks(t *testing.T, s *apptest.Server, id string) {
	t.Helper()
	mustStatus(t, s.Command(t, id, "import-open-"+id, step("books.open_balances", "books", "2025-01-02",
		`{"year":2025,"lines":[{"account":"102","debit":"10000.00"},{"account":"311","credit":"10000.00"}],"source":"2024年12月31日资产负债表","preparer":"赵敏"}`)),
		http.StatusCreated)
}

// importClerkToken creates login, a clerk of community, and returns an
// API token that acts as her.
func importClerkToken(t *testing.T, s *apptest.Server, community, login string) string {
	t.Helper()
	s.CreateAccount(t, login, "钱芳", "Wp4-Loquat-2026!", "clerk", "community:"+community)
	body, _ := json.Marshal(map[string]string{"community": community, "label": "导入 " + login, "account": login})
	r := mustStatus(t, apptest.Do(t, http.MethodPost, s.URL+"/api/v1/tokens", body,
		map[string]string{"Authorization": "Bearer " + apptest.AdminToken}), http.StatusCreated)
	return r["token"].(string)
}

// The 500-row voucher workbook: an unbalanced voucher at row 437 is
// refused with its place and nothing recorded; a dry run and a clerk of
// another community record nothing; the corrected file records its 250
// vouchers in one batch at contiguous stream sequences, in file order,
// and again records nothing new; the same rows as a CSV with a byte order
// mark record the same vouchers in another community.
func TestImport500Rows(t *testing.T) {
	s := setup(t, app.Config{})
	importOpenBooks(t, s, "c1")
	importCommunity(t, s, "c2")
	clerkC2 := importClerkToken(t, s, "c2", "qianfang")

	const vouchers = 250
	bad := importWorkbook(t, importVouchers(2025, vouchers, 437))
	good := importWorkbook(t, importVouchers(2025, vouchers, 0))

	start := time.Now()
	before := s.LastSeq(t)
	p := decodeReply[importProblem](t, "the file unbalanced at row 437", postImport(t, s, "c1", "kind=vouchers", bad, apptest.AdminToken),
		http.StatusUnprocessableEntity)
	const place = "第437行 E列（借方金额）"
	if !slices.Contains(p.fields(), place) || len(p.Errors) != 1 {
		t.Errorf("errors[].field = %q, want exactly [%q]", p.fields(), place)
	}
	if len(p.Rows) != 1 || p.Rows[0].Row != 437 || p.Rows[0].Column != "E" || p.Rows[0].Header != "借方金额" ||
		!strings.Contains(p.Rows[0].ReasonZH, "借贷不平衡") {
		t.Errorf("rows = %+v, want one at row 437, column E (借方金额), 借贷不平衡", p.Rows)
	}
	if p.Code != "import_rows" {
		t.Errorf("code = %q, want import_rows", p.Code)
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("LastSeq = %d after the refused file, want %d", after, before)
	}

	// A dry run, the kind told from the header row.
	dry := decodeReply[importReply](t, "dry run", postImport(t, s, "c1", "dry_run=1", good, apptest.AdminToken), http.StatusOK)
	if !dry.DryRun || dry.Rows != 500 || dry.Commands != vouchers || dry.Kind != "vouchers" || len(dry.Results) != 0 {
		t.Errorf("dry run = %+v, want dry_run, 500 rows, %d commands, kind vouchers, no results", dry, vouchers)
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("LastSeq = %d after the dry run, want %d", after, before)
	}

	// A clerk of c2 may not import into c1.
	if r := postImport(t, s, "c1", "kind=vouchers", good, clerkC2); r.Status != http.StatusForbidden {
		t.Errorf("a clerk of c2 imports into c1: status %d, want 403: %s", r.Status, r.Body)
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("LastSeq = %d after the clerk of c2 imported into c1, want %d", after, before)
	}

	// The corrected file: one batch, every voucher, in file order.
	rec := decodeReply[importReply](t, "the corrected file", postImport(t, s, "c1", "kind=vouchers", good, apptest.AdminToken), http.StatusCreated)
	after := s.LastSeq(t)
	seqs := rec.seqs()
	if rec.Replay || rec.Rows != 500 || len(rec.Results) != vouchers {
		t.Fatalf("import: idempotent_replay %v, %d rows, %d results; want false, 500, %d", rec.Replay, rec.Rows, len(rec.Results), vouchers)
	}
	if uint64(len(seqs)) != after-before {
		t.Errorf("LastSeq grew by %d, the reply has %d events", after-before, len(seqs))
	}
	for i, seq := range seqs {
		if seq != before+1+uint64(i) {
			t.Fatalf("event %d of the import at stream sequence %d, want %d: the sequences are not contiguous from %d", i, seq, before+1+uint64(i), before+1)
		}
	}
	evs := s.EventsAfter(t, before)
	if len(evs) != len(seqs) {
		t.Fatalf("%d events in the stream after the import, %d in the reply", len(evs), len(seqs))
	}
	var posted []apptest.Event
	for _, e := range evs {
		if e.IdempotencyKey != importKey(good) || e.Community != "c1" {
			t.Errorf("event %d (%s) of community %s has idempotency key %q, want %q", e.Seq, e.Type, e.Community, e.IdempotencyKey, importKey(good))
		}
		if e.Type == "books.voucher_posted" {
			posted = append(posted, e)
		}
	}
	if len(posted) != vouchers {
		t.Fatalf("%d vouchers posted, want %d", len(posted), vouchers)
	}
	for v, e := range posted {
		var data struct {
			Number int `json:"number"`
		}
		_ = json.Unmarshal(e.Data, &data)
		if want := importVoucherDate(2025, v).Format(time.DateOnly); e.EffectiveDate != want || data.Number != v%25+1 {
			t.Errorf("voucher %d of the stream is %s number %d, want %s number %d", v, e.EffectiveDate, data.Number, want, v%25+1)
		}
	}
	t.Logf("500 rows recorded as %d events at %d-%d", len(seqs), before+1, after)

	// The same bytes again record nothing new.
	again := decodeReply[importReply](t, "the same file again", postImport(t, s, "c1", "kind=vouchers", good, apptest.AdminToken), http.StatusOK)
	if !again.Replay || !slices.Equal(again.seqs(), seqs) {
		t.Errorf("the same file again: idempotent_replay %v, %d events; want true and the first import's %d", again.Replay, len(again.seqs()), len(seqs))
	}
	if last := s.LastSeq(t); last != after {
		t.Fatalf("LastSeq = %d after the same file again, want %d", last, after)
	}

	// The same rows as a CSV with a byte order mark, by c2's clerk.
	csvFile := importCSV(t, importVouchers(2025, vouchers, 0))
	if !bytes.HasPrefix(csvFile, []byte("\xEF\xBB\xBF日期,")) {
		t.Fatalf("the CSV starts %q", csvFile[:min(20, len(csvFile))])
	}
	rc := decodeReply[importReply](t, "the CSV into c2", postImport(t, s, "c2", "kind=vouchers", csvFile, clerkC2), http.StatusCreated)
	if rc.Replay || rc.Rows != 500 || len(rc.Results) != vouchers {
		t.Fatalf("CSV import: idempotent_replay %v, %d rows, %d results; want false, 500, %d", rc.Replay, rc.Rows, len(rc.Results), vouchers)
	}
	csvEvs := s.EventsAfter(t, after)
	if last := s.LastSeq(t); last-after != uint64(len(rc.seqs())) || len(csvEvs) != len(evs) {
		t.Fatalf("the CSV import moved LastSeq by %d with %d events in the reply and %d in the stream; the workbook's had %d",
			last-after, len(rc.seqs()), len(csvEvs), len(evs))
	}
	for i, e := range csvEvs {
		if e.Community != "c2" || e.IdempotencyKey != importKey(csvFile) || e.Type != evs[i].Type ||
			e.EffectiveDate != evs[i].EffectiveDate || !bytes.Equal(e.Data, evs[i].Data) {
			t.Fatalf("CSV event %d is %s %s %s %s %s\nthe workbook's is %s %s %s", i, e.Community, e.IdempotencyKey, e.Type, e.EffectiveDate, e.Data,
				evs[i].Type, evs[i].EffectiveDate, evs[i].Data)
		}
	}
	t.Logf("the imports took %v", time.Since(start))
}

// A file that reads well but that the books refuse (an account not in the
// chart, a closed month) is refused whole, with the spreadsheet rows of
// the refused voucher.
func TestImportRuleErrorNamesRows(t *testing.T) {
	s := setup(t, app.Config{})
	importOpenBooks(t, s, "c1")
	mustCommands(t, s, "import-books", step("books.close_month", "books", "2025-01-31", `{"month":"2025-01"}`))
	cases := []struct {
		name   string
		second []any // the voucher on rows 4 and 5, after a good one on rows 2 and 3
		third  []any
		code   string
		zh     string
	}{
		{name: "account not in the chart", code: "unknown_account", zh: "999",
			second: []any{"2025-02-02", 2, "报刊费", "513", 80.0, nil, "赵敏"},
			third:  []any{nil, nil, nil, "999", nil, 80.0}},
		{name: "closed month", code: "period_closed", zh: "2025-01",
			second: []any{"2025-01-20", 1, "报刊费", "513", 80.0, nil, "赵敏"},
			third:  []any{nil, nil, nil, "102", nil, 80.0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := importWorkbook(t, [][]any{importHeader,
				{"2025-02-01", 1, "办公用品", "513", "1,120.50", nil, "赵敏"},
				{nil, nil, nil, "102", nil, 1120.5},
				tc.second, tc.third,
			})
			before := s.LastSeq(t)
			// A dry run decides against the books too: it finds the same
			// refusal and records nothing.
			dry := decodeReply[importProblem](t, tc.name+" (dry run)", postImport(t, s, "c1", "kind=vouchers&dry_run=1", file, apptest.AdminToken), http.StatusUnprocessableEntity)
			if len(dry.Rows) == 0 || dry.Rows[0].Row != 4 {
				t.Errorf("%s: the dry run names rows %+v, want 4 and 5", tc.name, dry.Rows)
			}
			p := decodeReply[importProblem](t, tc.name, postImport(t, s, "c1", "kind=vouchers", file, apptest.AdminToken), http.StatusUnprocessableEntity)
			if p.Code != tc.code || !strings.Contains(p.DetailZH, tc.zh) {
				t.Errorf("code %q, detail_zh %q; want %q naming %s", p.Code, p.DetailZH, tc.code, tc.zh)
			}
			var rows []int
			for _, r := range p.Rows {
				rows = append(rows, r.Row)
				if !strings.Contains(r.ReasonZH, tc.zh) {
					t.Errorf("row %d: reason_zh %q does not name %s", r.Row, r.ReasonZH, tc.zh)
				}
			}
			if !slices.Equal(rows, []int{4, 5}) {
				t.Errorf("rows = %v, want [4 5]: %s", rows, p.Rows)
			}
			for _, place := range []string{"第4行", "第5行"} {
				if !slices.Contains(p.fields(), place) {
					t.Errorf("errors[].field = %q, want %q among them", p.fields(), place)
				}
			}
			if after := s.LastSeq(t); after != before {
				t.Fatalf("LastSeq = %d after the refused file, want %d: the good voucher on rows 2-3 was recorded", after, before)
			}
		})
	}
}
