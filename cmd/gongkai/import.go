package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gongkai/gongkai/internal/importer"
)

const importUsage = `usage:
  gongkai import --community ID [--kind vouchers|budget|funds|matters] [--dry-run] [--server URL] FILE
  gongkai import template --kind vouchers|budget|funds|matters [--out FILE.xlsx]`

// runImport sends a spreadsheet (.xlsx or .csv) to a running server, which
// records it in one atomic batch, or writes a template to fill in. The
// file is checked here first: a file with errors is not sent, and every
// error is printed with its row and column.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "template" {
		return runImportTemplate(args[1:], getenv, stdout, stderr)
	}
	var server, community, kind string
	var dryRun bool
	fs := newFlags("import", getenv, stderr)
	fs.str(&server, "server", "GONGKAI_SERVER", "http://127.0.0.1:8080", "URL of the running gongkai server")
	fs.StringVar(&community, "community", "", "community id to import into")
	fs.StringVar(&kind, "kind", "", "what the file holds: "+kinds()+" (default: told from the header row)")
	fs.BoolVar(&dryRun, "dry-run", false, "have the server check the file without recording it")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 || community == "" {
		return fmt.Errorf("%s", importUsage)
	}
	token := getenv("GONGKAI_TOKEN")
	if token == "" {
		token = getenv("GONGKAI_ADMIN_TOKEN")
	}
	if token == "" {
		return fmt.Errorf("set GONGKAI_TOKEN to a token that may write to %s (or GONGKAI_ADMIN_TOKEN)", community)
	}
	name := filepath.Base(files[0])
	data, err := readImportFile(files[0])
	if err != nil {
		return err
	}

	// Check the file here: no request for a file with errors.
	k := importer.Kind(kind)
	if k == "" {
		if k, err = importer.Detect(name, data); err != nil {
			return err
		}
	}
	plan, err := importer.Parse(k, name, data)
	var rep *importer.Report
	if errors.As(err, &rep) {
		fmt.Fprintf(stderr, "%s 有 %d 处错误，未上传（%d error(s) in %s; nothing was sent）：\n", name, len(rep.Errors), len(rep.Errors), name)
		for _, e := range rep.Errors {
			fmt.Fprintln(stderr, "  "+e.Error())
		}
		return fmt.Errorf("%s 未导入 (not imported)", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s：%s，%d 行，%d 条记录，检查通过 (%s: %d rows, %d commands, checked)\n",
		name, k, plan.Rows, len(plan.Commands), k, plan.Rows, len(plan.Commands))

	q := url.Values{"kind": {string(k)}}
	if dryRun {
		q.Set("dry_run", "1")
	}
	u := strings.TrimRight(server, "/") + "/api/v1/communities/" + url.PathEscape(community) + "/imports?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", importContentType(data))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("import %s: %w", name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode > 299 {
		return fmt.Errorf("import %s: %s\n%s", name, resp.Status, importProblemText(body))
	}
	return printImportReply(stdout, body)
}

func runImportTemplate(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var kind, out string
	fs := newFlags("import template", getenv, stderr)
	fs.StringVar(&kind, "kind", "", "the template to write: "+kinds())
	fs.StringVar(&out, "out", "", "the file to write (default KIND.xlsx); an existing file is not overwritten")
	if err := fs.parse(args); err != nil {
		return err
	}
	if kind == "" || fs.NArg() > 0 {
		return fmt.Errorf("%s", importUsage)
	}
	b, err := importer.Template(importer.Kind(kind))
	if err != nil {
		return err
	}
	if out == "" {
		out = kind + ".xlsx"
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write template: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	fmt.Fprintf(stdout, "已生成导入模板 %s（wrote the %s template to %s）\n", out, kind, out)
	return nil
}

func kinds() string {
	var ks []string
	for _, k := range importer.Kinds() {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, ", ")
}

// parseInterspersed parses flags given before and after the file names,
// as in "gongkai import 凭证.xlsx --community wenhualu".
func parseInterspersed(fs *envFlags, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func readImportFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, importer.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// importContentType names a workbook or CSV by its content, as the
// importer tells them apart.
func importContentType(data []byte) string {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv"
}

// printImportReply prints the server's answer to an import: the dry run's
// counts, or what was recorded and at which stream sequences.
func printImportReply(stdout io.Writer, body []byte) error {
	var r struct {
		DryRun   bool `json:"dry_run"`
		Rows     int  `json:"rows"`
		Commands int  `json:"commands"`
		Results  []struct {
			Events []struct {
				StreamSeq uint64 `json:"stream_seq"`
			} `json:"events"`
		} `json:"results"`
		Replay bool `json:"idempotent_replay"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("the server's reply is not understood: %s", bytes.TrimSpace(body))
	}
	if r.DryRun {
		_, err := fmt.Fprintf(stdout, "服务器检查通过，未记录：%d 行，%d 条记录 (dry run: %d rows, %d commands; nothing recorded)\n",
			r.Rows, r.Commands, r.Rows, r.Commands)
		return err
	}
	var seqs []uint64
	for _, res := range r.Results {
		for _, e := range res.Events {
			seqs = append(seqs, e.StreamSeq)
		}
	}
	at := seqRanges(seqs)
	if r.Replay {
		_, err := fmt.Fprintf(stdout, "此文件已导入过，未重复记录：%d 条记录（%d 行）在流序号 %s (already imported: %d commands from %d rows at stream sequences %s; nothing new recorded)\n",
			len(r.Results), r.Rows, at, len(r.Results), r.Rows, at)
		return err
	}
	_, err := fmt.Fprintf(stdout, "已记录 %d 条记录（%d 行），流序号 %s (recorded %d commands from %d rows at stream sequences %s)\n",
		len(r.Results), r.Rows, at, len(r.Results), r.Rows, at)
	return err
}

// seqRanges writes stream sequences as ranges: "151-160, 165".
func seqRanges(seqs []uint64) string {
	slices.Sort(seqs)
	var parts []string
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", seqs[i], seqs[j]))
		} else {
			parts = append(parts, fmt.Sprint(seqs[i]))
		}
		i = j + 1
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// importProblemText renders a refused import: the detail in Chinese and
// English, then each row error in Chinese ("第437行 E列（借方金额）：…").
func importProblemText(body []byte) string {
	var p struct {
		Detail   string               `json:"detail"`
		DetailZH string               `json:"detail_zh"`
		Rows     []importer.CellError `json:"rows"`
		Errors   []struct {
			Field    string `json:"field"`
			Reason   string `json:"reason"`
			ReasonZH string `json:"reason_zh"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &p) != nil || (p.Detail == "" && p.DetailZH == "") {
		return strings.TrimSpace(string(body))
	}
	var sb strings.Builder
	sb.WriteString(p.DetailZH + "\n" + p.Detail)
	switch {
	case len(p.Rows) > 0:
		for _, e := range p.Rows {
			sb.WriteString("\n  " + e.Error())
		}
	default:
		for _, e := range p.Errors {
			fmt.Fprintf(&sb, "\n  %s：%s", e.Field, e.ReasonZH)
		}
	}
	return sb.String()
}
