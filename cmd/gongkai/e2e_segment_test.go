package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A year-end segment downloaded from a running server proves, with nothing
// but the log's public key, that its entries are the whole log between the
// checkpoints that cover the previous year's close and this year's close;
// a segment with one leaf changed is refused.
func TestYearSegment(t *testing.T) {
	p := startServe(t, bin, t.TempDir(), freeAddr(t), "--checkpoint-every", "1s")
	cmds := func(community string) string { return p.url + "/api/v1/communities/" + community + "/commands" }
	books := func(typ, date, data string) string {
		return fmt.Sprintf(`{"type":%q,"aggregate_id":"books","effective_date":%q,"data":%s}`, typ, date, data)
	}
	// 上级补助: 522 补助收入 on the 2004 chart (2023), 503 on the 2023 chart.
	voucher := func(date, subsidy string) string {
		return books("books.post_voucher", date, `{"number":1,"summary":"上级补助","preparer":"赵敏","lines":[{"account":"102","debit":"500.00"},{"account":"`+subsidy+`","credit":"500.00"}]}`)
	}
	mustPost(t, cmds("e2e"), "reg-e2e", registerE2E)
	mustPost(t, cmds("seg"), "reg-seg", `{"type":"community.register","aggregate_id":"seg","effective_date":"2023-01-01","data":{"name":"区段社区","kind":"社区","town":"镇","county":"县"}}`)
	mustPost(t, cmds("seg"), "v2023", voucher("2023-03-10", "522"))
	mustPost(t, cmds("seg"), "m2023", books("books.close_month", "2023-03-31", `{"month":"2023-03"}`))
	close2023 := tamperPost(t, cmds("seg"), "y2023", books("books.close_year", "2023-12-31", `{"year":2023}`))
	waitCheckpoint(t, p, close2023)
	for i := range 5 {
		mustPost(t, cmds("e2e"), fmt.Sprint("other-", i), fmt.Sprintf(
			`{"type":"matter.register","aggregate_id":"seg-%d","effective_date":"2025-02-01","data":{"title":"他社事项 %d"}}`, i, i))
	}
	mustPost(t, cmds("seg"), "t2024", books("books.transition", "2024-01-02", `{"year":2024,"preparer":"赵敏"}`))
	mustPost(t, cmds("seg"), "v2024", voucher("2024-02-10", "503"))
	mustPost(t, cmds("seg"), "m2024-1", books("books.close_month", "2024-01-31", `{"month":"2024-01"}`))
	mustPost(t, cmds("seg"), "m2024", books("books.close_month", "2024-02-29", `{"month":"2024-02"}`))
	close2024 := tamperPost(t, cmds("seg"), "y2024", books("books.close_year", "2024-12-31", `{"year":2024}`))
	waitCheckpoint(t, p, close2024)
	code, keyBody := get(t, p.url+"/api/v1/log/key")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/log/key: %d %s", code, keyBody)
	}
	key := strings.TrimSpace(string(keyBody))

	download := func(year int) (string, segmentJSON) {
		t.Helper()
		code, body := get(t, fmt.Sprintf("%s/api/v1/communities/seg/log/years/%d", p.url, year))
		if code != http.StatusOK {
			t.Fatalf("year %d segment: %d %s", year, code, body)
		}
		var s segmentJSON
		if err := json.Unmarshal(body, &s); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), fmt.Sprintf("seg-%d.json", year))
		if err := os.WriteFile(file, body, 0o644); err != nil {
			t.Fatal(err)
		}
		return file, s
	}
	file2023, s2023 := download(2023)
	file2024, s2024 := download(2024)
	// 2023 is the first closed year: its segment starts at the empty tree.
	if s2023.From.Size != 0 || s2023.To.Size < close2023 {
		t.Fatalf("2023 segment from %d to %d, want from 0 to at least %d", s2023.From.Size, s2023.To.Size, close2023)
	}
	// 2024's starts where 2023's ends, and covers the close of 2024.
	if s2024.From.Size != s2023.To.Size || s2024.To.Size < close2024 || len(s2024.From.Frontier) == 0 {
		t.Fatalf("2024 segment from %d (frontier %d hashes) to %d, want from %d to at least %d",
			s2024.From.Size, len(s2024.From.Frontier), s2024.To.Size, s2023.To.Size, close2024)
	}
	for _, c := range []struct {
		file string
		s    segmentJSON
	}{{file2023, s2023}, {file2024, s2024}} {
		code, out := runGongkai(t, "verify", "segment", c.file, "--key", key, "--community", "seg")
		want := fmt.Sprintf("OK: %s from size %d to %d: %d entries", strings.Split(key, "+")[0], c.s.From.Size, c.s.To.Size, c.s.To.Size-c.s.From.Size)
		if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "seg: ") {
			t.Fatalf("verify segment %s: exit %d, want 0 and %q:\n%s", c.file, code, want, out)
		}
		t.Logf("gongkai verify segment %s:\n%s", filepath.Base(c.file), out)
	}
	// The close of 2024 is in the 2024 segment, among seg's events.
	if _, out := runGongkai(t, "verify", "segment", file2024, "--key", key, "--community", "seg"); !strings.Contains(out, fmt.Sprint(close2024)) {
		t.Fatalf("seg's stream sequences in the 2024 segment do not include its close at %d:\n%s", close2024, out)
	}

	// One leaf changed (its payload hash): refused, exit 1.
	body, _ := os.ReadFile(file2024)
	i := bytes.LastIndex(body, []byte(`sha256 `))
	if i < 0 {
		t.Fatalf("no payload hash in the segment:\n%.400s", body)
	}
	i += len("sha256 ")
	if body[i] == '0' {
		body[i] = '1'
	} else {
		body[i] = '0'
	}
	tampered := filepath.Join(t.TempDir(), "tampered.json")
	os.WriteFile(tampered, body, 0o644)
	if code, out := runGongkai(t, "verify", "segment", tampered, "--key", key); code != 1 || !strings.Contains(out, "BAD: ") {
		t.Fatalf("verify of a tampered segment: exit %d, want 1 and BAD:\n%s", code, out)
	}

	// A year that is not closed has no segment.
	if code, body := get(t, p.url+"/api/v1/communities/seg/log/years/2025"); code != http.StatusNotFound || !strings.Contains(string(body), "year_not_closed") {
		t.Fatalf("segment of an open year: %d %s, want 404 year_not_closed", code, body)
	}
	stop(t, p)
}

type segmentJSON struct {
	From struct {
		Size     uint64   `json:"size"`
		Frontier []string `json:"frontier"`
	} `json:"from"`
	To struct {
		Size uint64 `json:"size"`
	} `json:"to"`
}

// runGongkai runs the gongkai binary and returns its exit code and output.
func runGongkai(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("gongkai %v did not finish within 30s:\n%s", args, out)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatalf("gongkai %v: %v", args, err)
	}
	return 0, string(out)
}
