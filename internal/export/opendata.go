package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// OpenDataFormat names the format of the open-data files; it changes when
// a column is removed or changes meaning.
const OpenDataFormat = "gongkai-opendata/1"

// BOM starts every CSV file, so that Excel reads it as UTF-8 and shows
// the Chinese; most other readers skip it or take it as part of the first
// header (strip it there).
const BOM = "\uFEFF"

// Column is one column of an open-data file.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"` // string, integer, amount (yuan, two decimals), date (YYYY-MM-DD), boolean
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// File is one open-data file and its columns.
type File struct {
	Name    string   `json:"name"`
	ZH      string   `json:"zh"`
	EN      string   `json:"en"`
	Columns []Column `json:"columns"`
}

// Dictionary is datadictionary.json: what each file and column means.
type Dictionary struct {
	Format    string `json:"format"`
	Community string `json:"community"`
	Name      string `json:"name"`
	AsOfSeq   uint64 `json:"as_of_seq"`
	Encoding  string `json:"encoding"`
	Files     []File `json:"files"`
}

// openDataFiles are the CSV files with their columns, in the order of the
// dictionary.
var openDataFiles = []File{
	{Name: "matters.csv", ZH: "公开栏上的事项（四议两公开），按登记顺序", EN: "The matters on the board (the four deliberations and two disclosures), in order of registration", Columns: []Column{
		{"matter_id", "string", "事项编号", "Matter id"},
		{"title", "string", "事项名称", "Title"},
		{"category", "string", "类别", "Category"},
		{"amount", "amount", "涉及金额（元）", "Amount involved (yuan)"},
		{"stage", "string", "当前阶段", "Current stage"},
		{"registered_on", "date", "登记日期（第一个阶段的日期）", "Date of the first stage"},
		{"last_stage_on", "date", "最近阶段日期", "Date of the latest stage"},
		{"votes_expected", "integer", "应到代表人数（表决）", "Representatives expected at the vote"},
		{"votes_present", "integer", "实到人数", "Present"},
		{"votes_for", "integer", "赞成", "For"},
		{"votes_against", "integer", "反对", "Against"},
		{"votes_abstain", "integer", "弃权", "Abstained"},
		{"passed", "boolean", "是否通过（空：尚未表决）", "Passed (empty: not yet voted)"},
		{"implementations", "integer", "实施报告次数", "Implementation reports"},
		{"corrections", "integer", "更正次数", "Corrections"},
		{"revoked_by", "string", "撤销所依据的事项", "Matter that revoked it"},
		{"description", "string", "说明", "Description"},
	}},
	{Name: "stages.csv", ZH: "事项的各阶段及更正，按记录顺序", EN: "Each stage of each matter, and each correction, in the order recorded", Columns: []Column{
		{"matter_id", "string", "事项编号", "Matter id"},
		{"stage", "string", "阶段", "Stage"},
		{"corrects", "string", "所更正的阶段（更正时）", "Stage corrected (for a correction)"},
		{"date", "date", "日期", "Date"},
		{"recorded_at", "string", "日志记录时间（RFC 3339）", "When the log recorded it (RFC 3339)"},
		{"stream_seq", "integer", "日志序号", "Log sequence"},
	}},
	{Name: "disclosures.csv", ZH: "已公开的财务公开事项，每个公开版本一行（含被更正的版本）", EN: "Published finance disclosures, one row per published version (corrected ones included)", Columns: []Column{
		{"item", "string", "公开事项", "Disclosure item"},
		{"version", "integer", "版本", "Version"},
		{"title", "string", "标题", "Title"},
		{"period_from", "date", "所属期间起", "Period from"},
		{"period_to", "date", "所属期间止", "Period to"},
		{"posted_on", "date", "公开日期", "Date posted"},
		{"posting_days", "integer", "公开天数", "Days posted"},
		{"channels", "string", "公开渠道（以“；”分隔）", "Channels (separated by “；”)"},
		{"superseded_by", "integer", "更正版本（被更正时）", "Version that corrected it"},
		{"correction_reason", "string", "更正原因（本版本为更正时）", "Why this version corrects an earlier one"},
		{"totals", "string", "合计数（“标签=金额”，以“；”分隔；另见 disclosure_totals.csv）", "Totals (“label=amount” separated by “；”; see also disclosure_totals.csv)"},
		{"as_of_seq", "integer", "数字取自的日志序号", "Log sequence the figures were taken at"},
	}},
	{Name: "disclosure_totals.csv", ZH: "已公开版本的合计数，每个合计一行", EN: "The totals of each published version, one row per total", Columns: []Column{
		{"item", "string", "公开事项", "Disclosure item"},
		{"version", "integer", "版本", "Version"},
		{"label", "string", "项目", "Label"},
		{"amount", "amount", "金额（元）", "Amount (yuan)"},
	}},
	{Name: "questions.csv", ZH: "村（居）民的提问及答复，按提问顺序；不含任何联系方式", EN: "Residents' questions and answers, in the order asked; no contact details", Columns: []Column{
		{"question_id", "string", "问题编号", "Question id"},
		{"about", "string", "所问事项或公开事项", "What it is about"},
		{"text", "string", "问题", "Question"},
		{"has_contact", "boolean", "是否留有联系方式（联系方式本身不公开）", "Whether a contact was left (never the contact itself)"},
		{"asked_on", "date", "提问日期", "Date asked"},
		{"due", "date", "答复期限", "Answer due"},
		{"answer", "string", "答复", "Answer"},
		{"answered_on", "date", "答复日期", "Date answered"},
		{"answered_by", "string", "答复人", "Answered by"},
	}},
}

// phoneLike matches what looks like a Chinese mobile or landline number.
var phoneLike = regexp.MustCompile(`(?:\+?86[- ]?)?1[3-9]\d{9}|0\d{2,3}[- ]?\d{7,8}`)

// scrub replaces anything like a phone number in free text with
// 〔号码已隐去〕: open data carries no contact details, even typed into a
// description by mistake.
func scrub(s string) string { return phoneLike.ReplaceAllString(s, "〔号码已隐去〕") }

// OpenData returns the public open-data files of a community's board and
// its published finance disclosures: matters.csv, stages.csv,
// disclosures.csv, disclosure_totals.csv, questions.csv, the data
// dictionary datadictionary.json and README.md. CSV files are UTF-8 with
// a byte-order mark (BOM) so that Excel shows the Chinese, comma
// separated, quoted where needed (RFC 4180); amounts are yuan with two
// decimals, dates YYYY-MM-DD. Drafts, reviews and anything not yet
// published are left out; so are contact details (BoardView holds none
// of the residents', and the 监督电话 is not exported), and anything
// like a phone number in free text is replaced.
func OpenData(board projections.BoardView) map[string][]byte {
	rows := map[string][][]string{}
	for _, m := range board.Matters {
		var first, last domain.Date
		for _, d := range m.Dates {
			if first.IsZero() {
				first = d.Date
			}
			if d.Date.After(last) {
				last = d.Date
			}
		}
		row := []string{m.ID, scrub(m.Title), m.Category, amount(m.Amount, m.Amount == 0), string(m.Stage), first.String(), last.String()}
		if r := m.Resolution; r != nil {
			v := r.Votes
			row = append(row, strconv.Itoa(v.Expected), strconv.Itoa(v.Present), strconv.Itoa(v.For), strconv.Itoa(v.Against), strconv.Itoa(v.Abstain), strconv.FormatBool(r.Passed))
		} else {
			row = append(row, "", "", "", "", "", "")
		}
		row = append(row, strconv.Itoa(len(m.Implementations)), strconv.Itoa(len(m.Corrections)), m.RevokedBy, scrub(m.Description))
		rows["matters.csv"] = append(rows["matters.csv"], row)
		for _, d := range m.Dates {
			rec := ""
			if !d.RecordedAt.IsZero() {
				rec = d.RecordedAt.UTC().Format("2006-01-02T15:04:05Z")
			}
			rows["stages.csv"] = append(rows["stages.csv"], []string{m.ID, string(d.Stage), string(d.Corrects), d.Date.String(), rec, strconv.FormatUint(d.Seq, 10)})
		}
	}
	for _, d := range board.Disclosures {
		for _, v := range d.Versions {
			if v.PostedOn.IsZero() {
				continue // never published
			}
			var totals []string
			for _, t := range v.Content.Totals {
				totals = append(totals, scrub(t.Label)+"="+t.Amount.String())
				rows["disclosure_totals.csv"] = append(rows["disclosure_totals.csv"], []string{d.Item, strconv.Itoa(v.Version), scrub(t.Label), t.Amount.String()})
			}
			sup := ""
			if v.SupersededBy != 0 {
				sup = strconv.Itoa(v.SupersededBy)
			}
			rows["disclosures.csv"] = append(rows["disclosures.csv"], []string{d.Item, strconv.Itoa(v.Version), scrub(v.Content.Title),
				v.Content.From.String(), v.Content.To.String(), v.PostedOn.String(), strconv.Itoa(v.PostingDays),
				strings.Join(v.Channels, "；"), sup, scrub(v.Reason), strings.Join(totals, "；"), strconv.FormatUint(v.Content.AsOfSeq, 10)})
		}
	}
	for _, q := range board.Questions {
		rows["questions.csv"] = append(rows["questions.csv"], []string{q.ID, q.About, scrub(q.Text), strconv.FormatBool(q.HasContact),
			q.AskedOn.String(), q.Due.String(), scrub(q.Answer), q.AnsweredOn.String(), q.AnsweredBy})
	}
	out := map[string][]byte{}
	for _, f := range openDataFiles {
		out[f.Name] = writeCSV(f, rows[f.Name])
	}
	dict := Dictionary{Format: OpenDataFormat, Community: board.Community, Name: board.Name, AsOfSeq: board.AsOfSeq,
		Encoding: "CSV: UTF-8 with BOM, comma separated, RFC 4180 quoting", Files: openDataFiles}
	js, err := json.MarshalIndent(dict, "", "  ")
	if err != nil {
		panic(err) // a dictionary of strings always marshals
	}
	out["datadictionary.json"] = append(js, '\n')
	out["README.md"] = readme(dict)
	return out
}

// amount is an amount in yuan, or "" when blank.
func amount(f domain.Fen, blank bool) string {
	if blank {
		return ""
	}
	return f.String()
}

func writeCSV(f File, rows [][]string) []byte {
	var b bytes.Buffer
	b.WriteString(BOM)
	w := csv.NewWriter(&b)
	head := make([]string, len(f.Columns))
	for i, c := range f.Columns {
		head[i] = c.Name
	}
	w.Write(head)
	w.WriteAll(rows) // a bytes.Buffer does not fail
	return b.Bytes()
}

// readme describes the files in both languages, from the dictionary.
func readme(d Dictionary) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s 公开数据 / Open data of %s\n\n", d.Name, d.Community)
	fmt.Fprintf(&b, "格式 Format: `%s`. 截至日志序号 As of log sequence: %d.\n\n", d.Format, d.AsOfSeq)
	b.WriteString("## 编码 Encoding\n\n")
	b.WriteString("- CSV 文件为 UTF-8 编码，文件开头带 BOM（字节顺序标记 EF BB BF），以便 Excel 直接打开时正确显示中文；逗号分隔，按 RFC 4180 加引号。\n")
	b.WriteString("- CSV files are UTF-8 with a byte-order mark (BOM, EF BB BF) so that Excel shows the Chinese when it opens them; comma separated, quoted as RFC 4180. Other tools may need to strip the BOM from the first header.\n")
	b.WriteString("- 金额以元为单位，保留两位小数（如 `1234.50`，负数带 `-`）；日期为 `YYYY-MM-DD`；空单元格表示没有该项。\n")
	b.WriteString("- Amounts are yuan with two decimals (`1234.50`, negative with `-`); dates are `YYYY-MM-DD`; an empty cell means there is none.\n")
	b.WriteString("- 只包含已公开的内容：草稿、审核中和退回的版本不在其中；不包含任何联系方式（村民留下的联系方式、监督电话均不导出），自由文本中类似电话号码的内容替换为〔号码已隐去〕。\n")
	b.WriteString("- Only what is public: no drafts, versions under review or returned; no contact details (neither residents' contacts nor the supervision phone), and anything like a phone number in free text is replaced with 〔号码已隐去〕.\n")
	b.WriteString("- `datadictionary.json` 是本说明的机器可读版本。 `datadictionary.json` is this description in machine-readable form.\n\n")
	for _, f := range d.Files {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n%s\n\n| 列 Column | 类型 Type | 中文 | English |\n|---|---|---|---|\n", f.Name, f.ZH, f.EN)
		for _, c := range f.Columns {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Name, c.Type, c.ZH, c.EN)
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}
