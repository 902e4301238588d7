package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/loadgen"
)

// gongkai bench drives a real gongkai serve for 2 s with 4 clients: it
// reports no error, positive baselines, and every write it reports as
// acknowledged is in the log exactly once, with nothing else of its run.
func TestBench(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, bin, dir, freeAddr(t))
	out := t.TempDir()
	jsonFile, ackedFile := filepath.Join(out, "bench.json"), filepath.Join(out, "acked.txt")
	cmd := exec.Command(bin, "bench", "--server", p.url, "--clients", "4", "--duration", "2s",
		"--baseline-duration", "1s", "--communities", "3", "--baseline-dir", t.TempDir(),
		"--json", jsonFile, "--acked", ackedFile)
	cmd.Env = append(os.Environ(), "GONGKAI_ADMIN_TOKEN="+admin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gongkai bench: %v\n%s\nserver:\n%s", err, stderr.String(), p.logs.String())
	}

	b, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var rep loadgen.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rep.Fsync, "always") {
		t.Errorf("report's fsync = %q, want the server's \"always …\"", rep.Fsync)
	}
	for _, s := range append(append([]loadgen.Stats{}, rep.Ops...), rep.Baselines...) {
		if n := s.ErrorCount(); n > 0 {
			t.Errorf("%s: %d errors %v", s.Kind, n, s.Errors)
		}
	}
	for _, k := range []loadgen.Kind{loadgen.KindRaw, loadgen.KindBatch, loadgen.KindHealthz} {
		s, ok := rep.Op(k)
		if !ok || s.Count == 0 || s.PerSec <= 0 || s.P50 <= 0 {
			t.Errorf("baseline %s missing or not positive: %+v", k, s)
		}
	}
	writes, _ := rep.Op(loadgen.KindWrites)
	if writes.Count == 0 || writes.RateRatio <= 0 {
		t.Fatalf("no writes acknowledged, or no ratio to the raw publish: %+v", writes)
	}
	for _, k := range []loadgen.Kind{loadgen.KindMatter, loadgen.KindVoucher, loadgen.KindBoardPage, loadgen.KindMatterPage, loadgen.KindBoardJSON} {
		if s, _ := rep.Op(k); s.Count == 0 {
			t.Errorf("no %s in the run", k)
		}
	}
	md := stdout.String()
	for _, want := range []string{"| baseline: raw synchronous publish", "| baseline: atomic batch publish", "**all writes** ÷ raw publish",
		"gongkai bench --server " + p.url, "private embedded nats-server"} {
		if !strings.Contains(md, want) {
			t.Errorf("the Markdown report lacks %q:\n%s", want, md)
		}
	}

	// The acknowledged writes: the setup's, then the run's.
	f, err := os.Open(ackedFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	acked := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || !strings.HasPrefix(fields[0], "bench-"+rep.Run+"-") {
			t.Fatalf("acked line %q: want a bench community of run %s, a key and a count", sc.Text(), rep.Run)
		}
		n, err := strconv.Atoi(fields[2])
		if err != nil || n < 1 {
			t.Fatalf("acked line %q: bad event count", sc.Text())
		}
		acked[fields[1]] = n
	}
	if got, want := len(acked), rep.Setup+writes.Count; got != want {
		t.Errorf("%d distinct acknowledged writes listed, the report says %d setup + %d run", got, rep.Setup, writes.Count)
	}

	// In the log, once the server has stopped: each acknowledged write's
	// events exactly, and no other key of this run.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("gongkai serve did not exit within 20 s of SIGTERM")
	}
	inLog := keysInLog(t, dir)
	for key, n := range acked {
		if inLog[key] != n {
			t.Errorf("acknowledged write %s: %d events in the log, its reply named %d", key, inLog[key], n)
		}
	}
	for key := range inLog {
		if _, ok := acked[key]; strings.HasPrefix(key, "bench-"+rep.Run+"-") && !ok {
			t.Errorf("key %s of the run is in the log but was not reported as acknowledged", key)
		}
	}
}
