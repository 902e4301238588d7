package main_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// importCLI runs the gongkai binary with env on top of this process's
// environment without its GONGKAI_* variables, and returns its exit code,
// standard output and standard error.
func importCLI(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GONGKAI_") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("gongkai %v did not finish within 60s", args)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("gongkai %v: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

// streamLastSeq returns the stream's last sequence as /readyz reports it.
func streamLastSeq(t *testing.T, url string) uint64 {
	t.Helper()
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Last *uint64 `json:"stream_last_seq"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Last == nil {
		t.Fatalf("/readyz: no stream_last_seq (%v)", err)
	}
	return *r.Last
}

// fillVoucherTemplate opens the template at path, deletes its two example
// rows, as the template asks, and writes vouchers 1 to n of June 2025 (two
// rows each, from row 2) as a clerk types them: dates and amounts into the
// template's formatted cells, some amounts as text. Each pays 513 管理费用
// from 102 银行存款. It saves the workbook to out.
func fillVoucherTemplate(t *testing.T, path, out string, n int) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open the template: %v", err)
	}
	defer f.Close()
	const sh = "凭证"
	for range 2 {
		if err := f.RemoveRow(sh, 2); err != nil {
			t.Fatal(err)
		}
	}
	set := func(cell string, v any) {
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	for v := 1; v <= n; v++ {
		r1, r2 := strconv.Itoa(2*v), strconv.Itoa(2*v+1)
		amount := 500 + float64(v)*12.5
		set("A"+r1, time.Date(2025, time.June, v, 0, 0, 0, 0, time.UTC))
		set("B"+r1, v)
		set("C"+r1, fmt.Sprintf("六月第%d笔", v))
		set("D"+r1, "513")
		set("E"+r1, amount)
		set("G"+r1, "赵敏")
		set("H"+r1, "李娜")
		set("D"+r2, "102")
		if v%2 == 0 {
			set("F"+r2, fmt.Sprintf("%.2f元", amount))
		} else {
			set("F"+r2, amount)
		}
	}
	if err := f.SaveAs(out); err != nil {
		t.Fatal(err)
	}
}

var seqRangeRE = regexp.MustCompile(`stream sequences (\d+)-(\d+)\)`)

// The command line against the built binary: gongkai import template
// writes the voucher template; filled in, a dry run records nothing, the
// import records every voucher at contiguous stream sequences, and the
// same file again records nothing new. A file with a row error, and a
// file the books refuse, print their rows in Chinese, exit non-zero and
// record nothing. The log, read after the server stops, holds the file's
// vouchers once.
func TestImportCLI(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, bin, dir, freeAddr(t))
	cmdURL := p.url + "/api/v1/communities/imp/commands"
	if code, err := post(http.DefaultClient, cmdURL, "imp-register",
		`{"type":"community.register","aggregate_id":"imp","effective_date":"2025-01-02","data":{"name":"导入社区","kind":"社区","town":"镇","county":"县"}}`); err != nil || code != http.StatusCreated {
		t.Fatalf("register the community: %d %v", code, err)
	}
	// The books open in 2025 on the 2023 chart with 10,000.00 in the bank,
	// for the imported payments (a bank account cannot go below zero).
	if code, err := post(http.DefaultClient, cmdURL, "imp-open",
		`{"type":"books.open_balances","aggregate_id":"books","effective_date":"2025-01-02","data":{"year":2025,"lines":[{"account":"102","debit":"10000.00"},{"account":"311","credit":"10000.00"}],"source":"2024年12月31日资产负债表","preparer":"赵敏"}}`); err != nil || code != http.StatusCreated {
		t.Fatalf("open the books: %d %v", code, err)
	}
	env := []string{"GONGKAI_ADMIN_TOKEN=" + admin, "GONGKAI_SERVER=" + p.url}
	work := t.TempDir()

	// The template.
	tmpl := filepath.Join(work, "凭证模板.xlsx")
	code, out, errOut := importCLI(t, env, "import", "template", "--kind", "vouchers", "--out", tmpl)
	if code != 0 || !strings.Contains(out, tmpl) {
		t.Fatalf("import template: exit %d\n%s%s", code, out, errOut)
	}
	tf, err := excelize.OpenFile(tmpl)
	if err != nil {
		t.Fatalf("the template is not a workbook: %v", err)
	}
	header, err := tf.GetRows("凭证")
	tf.Close()
	want := []string{"日期", "凭证号", "摘要", "科目编码", "借方金额", "贷方金额", "制单人", "审核人", "审批人", "预算行编号", "事项编号"}
	if err != nil || len(header) == 0 || !slices.Equal(header[0], want) {
		t.Fatalf("the template's header row = %q (%v), want %q", header, err, want)
	}
	if code, _, _ := importCLI(t, env, "import", "template", "--kind", "vouchers", "--out", tmpl); code == 0 {
		t.Errorf("import template over an existing file exited 0, want it refused")
	}

	const vouchers = 12
	good := filepath.Join(work, "六月凭证.xlsx")
	fillVoucherTemplate(t, tmpl, good, vouchers)
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	before := streamLastSeq(t, p.url)

	// A dry run.
	code, out, errOut = importCLI(t, env, "import", "--community", "imp", "--dry-run", good)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("dry run: %d rows, %d commands; nothing recorded", 2*vouchers, vouchers)) ||
		!strings.Contains(out, "未记录") {
		t.Fatalf("import --dry-run: exit %d\n%s%s", code, out, errOut)
	}
	if last := streamLastSeq(t, p.url); last != before {
		t.Fatalf("stream_last_seq = %d after the dry run, want %d", last, before)
	}

	// The import.
	code, out, errOut = importCLI(t, env, "import", "--community", "imp", good)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("已记录 %d 条记录（%d 行）", vouchers, 2*vouchers)) {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	after := streamLastSeq(t, p.url)
	m := seqRangeRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("import printed no range of stream sequences:\n%s", out)
	}
	first, _ := strconv.ParseUint(m[1], 10, 64)
	last, _ := strconv.ParseUint(m[2], 10, 64)
	if first != before+1 || last != after || after-before != vouchers {
		t.Errorf("import recorded at %d-%d; the stream went from %d to %d; want %d vouchers right after %d", first, last, before, after, vouchers, before)
	}

	// The same file again.
	code, out, errOut = importCLI(t, env, "import", good, "--community", "imp")
	if code != 0 || !strings.Contains(out, "此文件已导入过，未重复记录") || !strings.Contains(out, "nothing new recorded") ||
		!strings.Contains(out, fmt.Sprintf("stream sequences %d-%d;", first, last)) {
		t.Fatalf("the same file again: exit %d\n%s%s", code, out, errOut)
	}
	if now := streamLastSeq(t, p.url); now != after {
		t.Fatalf("stream_last_seq = %d after the same file again, want %d", now, after)
	}

	// A row error: the credit of voucher 3 (row 7) one yuan too much.
	unbalanced := filepath.Join(work, "不平衡.xlsx")
	bf, err := excelize.OpenFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := bf.SetCellValue("凭证", "F7", 500+3*12.5+1); err != nil {
		t.Fatal(err)
	}
	if err := bf.SaveAs(unbalanced); err != nil {
		t.Fatal(err)
	}
	bf.Close()
	code, out, errOut = importCLI(t, env, "import", "--community", "imp", unbalanced)
	if code == 0 || !strings.Contains(errOut, "不平衡.xlsx 有 1 处错误") ||
		!strings.Contains(errOut, "第7行 E列（借方金额）：借贷不平衡：借方合计 537.50，贷方合计 538.50") || strings.Contains(out, "已记录") {
		t.Errorf("import of a file unbalanced on row 7: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// A file the books refuse: account 999 on row 5 (voucher 2 of July).
	refused := filepath.Join(work, "七月凭证.xlsx")
	rf, err := excelize.OpenFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for range 2*vouchers - 4 { // keep the header and vouchers 1 and 2
		if err := rf.RemoveRow("凭证", 6); err != nil {
			t.Fatal(err)
		}
	}
	for cell, v := range map[string]any{"A2": time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), "A4": time.Date(2025, 7, 2, 0, 0, 0, 0, time.UTC), "D5": "999"} {
		if err := rf.SetCellValue("凭证", cell, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := rf.SaveAs(refused); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	code, out, errOut = importCLI(t, env, "import", "--community", "imp", refused)
	if code == 0 || !strings.Contains(out, "2 条记录，检查通过") || !strings.Contains(errOut, "未记录任何内容") ||
		!strings.Contains(errOut, "第4行：科目 999 不在科目表") || !strings.Contains(errOut, "第5行：科目 999 不在科目表") {
		t.Errorf("import of a file with account 999 on row 5: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if now := streamLastSeq(t, p.url); now != after {
		t.Fatalf("stream_last_seq = %d after the refused files, want %d", now, after)
	}

	// In the log: the file's vouchers once, and no other import.
	stop(t, p)
	sum := sha256.Sum256(goodBytes)
	key := "import:vouchers:" + hex.EncodeToString(sum[:])
	keys := keysInLog(t, dir)
	if keys[key] != vouchers {
		t.Errorf("the log holds %d events with the file's idempotency key, want %d", keys[key], vouchers)
	}
	for k, n := range keys {
		if k != key && strings.HasPrefix(k, "import:") {
			t.Errorf("the log holds %d events of another import, %s", n, k)
		}
	}
}
