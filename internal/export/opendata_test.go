package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/export"
	"github.com/gongkai/gongkai/projections"
)

// phone matches anything like a phone number: seven or more digits in a
// row, allowing one separator after an area code (not an amount such as
// 480000.00, whose digits stop at the point).
var phone = regexp.MustCompile(`\d{3,4}[- ]?\d{7,8}|1\d{10}|\d{7,}`)

// readCSV parses an open-data file: BOM first, then RFC 4180.
func readCSV(t *testing.T, name string, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(export.BOM)) {
		t.Fatalf("%s does not start with the UTF-8 BOM", name)
	}
	recs, err := csv.NewReader(bytes.NewReader(b[len(export.BOM):])).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: no header", name)
	}
	return recs
}

func checkOpenData(t *testing.T, d demoBooks) {
	files := export.OpenData(d.board)
	var dict export.Dictionary
	if err := json.Unmarshal(files["datadictionary.json"], &dict); err != nil {
		t.Fatalf("datadictionary.json: %v", err)
	}
	if dict.Format != export.OpenDataFormat || dict.Community != d.board.Community || dict.AsOfSeq != d.board.AsOfSeq {
		t.Errorf("dictionary = %s %s %d, want %s %s %d", dict.Format, dict.Community, dict.AsOfSeq, export.OpenDataFormat, d.board.Community, d.board.AsOfSeq)
	}
	readme := string(files["README.md"])
	if !strings.Contains(readme, "BOM") {
		t.Error("README.md does not say the CSV files start with a BOM")
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"README.md", "datadictionary.json"}
	for _, f := range dict.Files {
		want = append(want, f.Name)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("files = %v, want %v", names, want)
	}

	// Every column is described in both languages, the same in the
	// dictionary, the README and the header.
	recs := map[string][][]string{}
	for _, f := range dict.Files {
		r := readCSV(t, f.Name, files[f.Name])
		recs[f.Name] = r
		var cols []string
		for _, c := range f.Columns {
			cols = append(cols, c.Name)
			if c.ZH == "" || c.EN == "" || c.Type == "" {
				t.Errorf("%s %s: described as %+v, want type, Chinese and English", f.Name, c.Name, c)
			}
			if !strings.Contains(readme, "`"+c.Name+"`") {
				t.Errorf("README.md does not describe %s %s", f.Name, c.Name)
			}
		}
		if !slices.Equal(r[0], cols) {
			t.Errorf("%s header = %v, want %v", f.Name, r[0], cols)
		}
		for i, row := range r[1:] {
			for j, v := range row {
				if phone.MatchString(v) {
					t.Errorf("%s row %d column %s = %q: looks like a phone number", f.Name, i+1, r[0][j], v)
				}
			}
		}
	}

	b := d.board
	stages, published, totals := 0, 0, 0
	for _, m := range b.Matters {
		stages += len(m.Dates)
	}
	for _, ds := range b.Disclosures {
		for _, v := range ds.Versions {
			if !v.PostedOn.IsZero() {
				published++
				totals += len(v.Content.Totals)
			}
		}
	}
	for name, want := range map[string]int{"matters.csv": len(b.Matters), "stages.csv": stages, "disclosures.csv": published,
		"disclosure_totals.csv": totals, "questions.csv": len(b.Questions)} {
		if got := len(recs[name]) - 1; got != want {
			t.Errorf("%s: %d rows, want %d", name, got, want)
		}
	}
	if len(b.Matters) == 0 || published == 0 {
		t.Fatalf("the demo's board has %d matters and %d published disclosures: the test checks nothing", len(b.Matters), published)
	}
	// The matters in order, with their amounts in yuan.
	for i, m := range b.Matters {
		row := recs["matters.csv"][i+1]
		if row[0] != m.ID || row[1] != m.Title || row[4] != string(m.Stage) {
			t.Errorf("matters.csv row %d = %v, want %s %s %s", i+1, row[:5], m.ID, m.Title, m.Stage)
		}
		if m.Amount != 0 {
			if f, err := domain.ParseYuan(row[3]); err != nil || f != m.Amount {
				t.Errorf("matters.csv %s amount = %q, want %s", m.ID, row[3], m.Amount)
			}
		}
	}
	// Only published versions, never a draft.
	for _, row := range recs["disclosures.csv"][1:] {
		if row[5] == "" {
			t.Errorf("disclosures.csv: %v has no posted_on", row)
		}
	}

	// Phone numbers typed into free text are taken out; the supervision
	// phone is never exported.
	withPhone := projections.BoardView{Community: "x", SupervisionPhone: "0731-84561234",
		Matters: []projections.MatterRow{{ID: "m-1", Title: "修路", Description: "联系人张三 13812345678，办公室 0731-84561234"}}}
	out := export.OpenData(withPhone)
	for name, body := range out {
		if strings.Contains(string(body), "13812345678") || strings.Contains(string(body), "84561234") {
			t.Errorf("%s holds a phone number:\n%s", name, body)
		}
	}
	if !strings.Contains(string(out["matters.csv"]), "联系人张三 〔号码已隐去〕") {
		t.Errorf("matters.csv = %s, want the phone replaced", out["matters.csv"])
	}

	for _, name := range names {
		checkGolden(t, "opendata/"+name+".golden", files[name])
	}
}
