package export_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/export"
	"github.com/gongkai/gongkai/projections"
)

// Whatever text a matter or a question holds, the CSV reads back to one
// row per matter and question with the text as written (less anything
// like a phone number), the BOM first and the header intact.
func FuzzOpenDataRoundTrip(f *testing.F) {
	f.Add("修路", "说明，含逗号\n和换行", "租金收在哪里？", int64(1234567))
	f.Add(`"引号"`, "", "\r\n", int64(-5))
	f.Add("联系 13812345678", "0731-84561234", "电话 13912345678 可否", int64(0))
	f.Fuzz(func(t *testing.T, title, desc, question string, fen int64) {
		if !utf8.ValidString(title) || !utf8.ValidString(desc) || !utf8.ValidString(question) {
			t.Skip("open data is UTF-8; the board holds valid text only")
		}
		if fen > 1e14 || fen < -1e14 {
			t.Skip("the books hold at most a trillion yuan (domain.ParseYuan)")
		}
		// A CSV reader turns \r\n inside a quoted field into \n.
		norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		b := projections.BoardView{Community: "c", Name: "社区",
			Matters:   []projections.MatterRow{{ID: "m-1", Title: title, Description: desc, Amount: domain.Fen(fen)}},
			Questions: []projections.QuestionRow{{ID: "q-1", About: "matter/m-1", Text: question}}}
		files := export.OpenData(b)
		for name, want := range map[string]struct {
			col  int
			text string
		}{"matters.csv": {1, title}, "questions.csv": {2, question}} {
			body := files[name]
			if !bytes.HasPrefix(body, []byte(export.BOM)) {
				t.Fatalf("%s: no BOM", name)
			}
			recs, err := csv.NewReader(bytes.NewReader(body[len(export.BOM):])).ReadAll()
			if err != nil {
				t.Fatalf("%s does not parse: %v\n%q", name, err, body)
			}
			if len(recs) != 2 {
				t.Fatalf("%s: %d records, want header and one row", name, len(recs))
			}
			got := recs[1][want.col]
			if !strings.Contains(want.text, "1") && !strings.Contains(want.text, "0") && got != norm(want.text) {
				// Text without the digits a phone number needs is kept as written.
				t.Errorf("%s column %d = %q, want %q", name, want.col, got, want.text)
			}
		}
		recs, _ := csv.NewReader(bytes.NewReader(files["matters.csv"][len(export.BOM):])).ReadAll()
		if fen != 0 {
			if a, err := domain.ParseYuan(strings.TrimPrefix(recs[1][3], "-")); err != nil || (strings.HasPrefix(recs[1][3], "-") != (fen < 0)) || (fen > 0 && a != domain.Fen(fen)) || (fen < 0 && a != -domain.Fen(fen)) {
				t.Errorf("amount %d written as %q", fen, recs[1][3])
			}
		}
	})
}
