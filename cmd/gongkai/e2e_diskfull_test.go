package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of the given size (as mount's size= option) on
// a fresh directory and unmounts it when the test ends. It fails the test
// when it cannot mount: the test needs root, and CI runs it as root.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a %s tmpfs on %s: %v: %s\n"+
			"This test fills a small filesystem of its own and needs root to mount it (CI runs the tests as root): "+
			"run it as root, e.g. sudo -E env PATH=$PATH go test -run TestFaultDiskFull ./cmd/gongkai/, "+
			"or in a container with CAP_SYS_ADMIN (docker run --privileged).", size, dir, err, out)
	}
	// Registered after startServe's cleanups would be too late: cleanups
	// run last-registered first, so this one runs after the server is
	// killed.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s; unmounting lazily", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// fill writes a file at path until the disk is full, then shortens it so
// that about slack bytes are free.
func fill(t *testing.T, path string, slack int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.Repeat([]byte{0xa5}, 64<<10)
	var n int64
	for {
		w, err := f.Write(buf)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatalf("fill %s: %v", path, err)
		}
	}
	if err := f.Truncate(max(n-slack, 0)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// diskCmd is one request sent: a single command or a batch, with the
// matters it registers.
type diskCmd struct {
	key, path, body string
	matters         []string
	status          int
	problem         diskProblem
}

type diskProblem struct {
	Title    string `json:"title"`
	TitleZH  string `json:"title_zh"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	DetailZH string `json:"detail_zh"`
	Code     string `json:"code"`
}

// send posts c once and records the reply.
func (c *diskCmd) send(t *testing.T, base string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Idempotency-Key", c.key)
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST %s (%s): %v", c.path, c.key, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.status, c.problem = resp.StatusCode, diskProblem{}
	if c.status/100 != 2 {
		if err := json.Unmarshal(b, &c.problem); err != nil {
			t.Fatalf("POST %s (%s): %d, not a problem: %v: %s", c.path, c.key, c.status, err, b)
		}
	}
}

// diskWorkload makes request i: every fifth a batch of ten matters, the
// others one matter.
func diskWorkload(tag string, i int) *diskCmd {
	matter := func(id string) string {
		return fmt.Sprintf(`{"type":"matter.register","aggregate_id":%q,"effective_date":"2025-02-01","data":{"title":"磁盘测试事项 %s"}}`, id, id)
	}
	c := &diskCmd{key: fmt.Sprintf("%s-%d", tag, i)}
	if i%5 != 4 {
		id := fmt.Sprintf("%s-m%d", tag, i)
		c.path, c.body, c.matters = "/api/v1/communities/e2e/commands", matter(id), []string{id}
		return c
	}
	var cmds []string
	for j := range 10 {
		id := fmt.Sprintf("%s-m%d-%d", tag, i, j)
		cmds = append(cmds, matter(id))
		c.matters = append(c.matters, id)
	}
	c.path, c.body = "/api/v1/communities/e2e/commands:batch", `{"commands":[`+strings.Join(cmds, ",")+`]}`
	return c
}

// diskReadyz is the part of /readyz this test reads.
type diskReadyz struct {
	Ready  bool `json:"ready"`
	Writes struct {
		OK     bool   `json:"ok"`
		Reason string `json:"reason"`
	} `json:"writes"`
}

func diskReady(t *testing.T, p *proc) (int, diskReadyz) {
	t.Helper()
	code, body := get(t, p.url+"/readyz")
	var r diskReadyz
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("readyz %d: %v: %s", code, err, body)
	}
	return code, r
}

// The disk holding the ledger fills up while commands arrive, in two ways:
// something else fills the filesystem (JetStream's writes fail with
// ENOSPC), and the ledger itself reaches the storage limit JetStream sets
// itself at start (three quarters of the free space). In both, writes are
// answered 503 with a problem in both languages saying the ledger could
// not record, reads go on, /readyz is 503 and says why; once space is back
// writes succeed again without a restart, and every acknowledged command
// is in the log exactly once, and no refused one unless its retry was
// acknowledged.
func TestFaultDiskFull(t *testing.T) {
	t.Run("filesystem_full", func(t *testing.T) {
		dir := mountTmpfs(t, "24m")
		ballast := filepath.Join(dir, "ballast")
		diskFullEpisode(t, dir, func() { fill(t, ballast, 96<<10) }, func() {
			if err := os.Remove(ballast); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("store_limit", func(t *testing.T) {
		// JetStream allows itself three quarters of the 4 MiB: the ledger
		// reaches that limit with the disk a quarter empty.
		dir := mountTmpfs(t, "4m")
		diskFullEpisode(t, dir, nil, func() {
			if out, err := exec.Command("mount", "-o", "remount,size=16m", dir).CombinedOutput(); err != nil {
				t.Fatalf("grow the tmpfs: %v: %s", err, out)
			}
		})
	})
}

// diskFullEpisode runs gongkai on dir, calls makeFull (when not nil), sends
// commands until writes are refused, checks what a client and an operator
// see, calls makeRoom and checks that writes resume and that the log holds
// what was acknowledged.
func diskFullEpisode(t *testing.T, dir string, makeFull, makeRoom func()) {
	p := startServe(t, bin, dir, freeAddr(t))
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "community", registerE2E)

	tag := strings.ReplaceAll(t.Name(), "/", "-")
	var sent []*diskCmd
	next := func() *diskCmd {
		c := diskWorkload(tag, len(sent))
		sent = append(sent, c)
		c.send(t, p.url)
		return c
	}
	for range 10 {
		if c := next(); c.status != http.StatusCreated {
			t.Fatalf("before the disk is full: %s: %d %+v", c.key, c.status, c.problem)
		}
	}
	if makeFull != nil {
		makeFull()
	}

	// Write until writes are refused, and a few times more.
	start := time.Now()
	var failed []*diskCmd
	// Six refusals at least, and on until the guard has looked (a full
	// store refuses at once, so several may come before its first look).
	for len(failed) < 6 || failed[len(failed)-1].problem.Code != "writes_refused" {
		if time.Since(start) > 3*time.Minute || len(sent) > 20000 {
			t.Fatalf("writes still accepted after %d requests and %v", len(sent), time.Since(start))
		}
		c := next()
		if c.status/100 == 2 {
			continue
		}
		failed = append(failed, c)
		if c.status != http.StatusServiceUnavailable {
			t.Errorf("%s with the disk full: %d, want 503: %+v", c.key, c.status, c.problem)
		}
		pr := c.problem
		if pr.Status != c.status || pr.Title == "" || pr.TitleZH == "" || pr.Detail == "" || pr.DetailZH == "" {
			t.Errorf("%s: the problem is not complete in both languages: %+v", c.key, pr)
		}
		// Refused by the guard: nothing recorded. A publish whose answer
		// was lost (the first, before the guard has looked): it may be
		// recorded, and a retry with the same key says which.
		switch pr.Code {
		case "writes_refused":
			if !strings.Contains(strings.ToLower(pr.Detail), "nothing was recorded") || !strings.Contains(pr.DetailZH, "未记录") {
				t.Errorf("%s: the problem does not say the ledger did not record the request: %+v", c.key, pr)
			}
		case "unavailable":
			if !strings.Contains(pr.Detail, "may or may not be recorded") || !strings.Contains(pr.Detail, "same Idempotency-Key") ||
				!strings.Contains(pr.DetailZH, "未能确认") {
				t.Errorf("%s: the problem does not say the request may be recorded and how to find out: %+v", c.key, pr)
			}
		default:
			t.Errorf("%s: problem code %q, want writes_refused or unavailable: %+v", c.key, pr.Code, pr)
		}
	}
	t.Logf("writes refused after %d requests (%v); first refusal %d %s: %s", len(sent), time.Since(start).Round(time.Millisecond),
		failed[0].status, failed[0].problem.Code, failed[0].problem.Detail)
	// The guard has looked at the storage by now: the last refusals say why.
	last := failed[len(failed)-1].problem
	if last.Code != "writes_refused" || !strings.Contains(last.Detail, "full") {
		t.Errorf("the refusal does not say the storage is full: %+v", last)
	}

	// Reads go on.
	for _, path := range []string{"/api/v1/communities/e2e/board", "/c/e2e"} {
		if code, body := get(t, p.url+path); code != http.StatusOK {
			t.Errorf("GET %s with the disk full: %d %s", path, code, body)
		}
	}
	// The operator sees why.
	code, rz := diskReady(t, p)
	if code != http.StatusServiceUnavailable || rz.Ready || rz.Writes.OK || !strings.Contains(rz.Writes.Reason, "full") {
		t.Errorf("readyz with the disk full: %d %+v, want 503 saying the storage is full", code, rz)
	}
	t.Logf("readyz: %s", rz.Writes.Reason)

	// Space comes back: the first refused request, retried with its key,
	// is acknowledged within a bounded time, without a restart.
	firstCode := failed[0].problem.Code
	makeRoom()
	freed := time.Now()
	for failed[0].send(t, p.url); failed[0].status/100 != 2; failed[0].send(t, p.url) {
		if time.Since(freed) > 60*time.Second {
			t.Fatalf("writes still refused 60s after space came back: %d %+v", failed[0].status, failed[0].problem)
		}
		if failed[0].status != http.StatusServiceUnavailable {
			t.Fatalf("retry of %s: %d %+v", failed[0].key, failed[0].status, failed[0].problem)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("writes resumed %v after space came back", time.Since(freed).Round(time.Millisecond))
	// The other refused requests are retried with their keys and must be
	// acknowledged, except every second one refused by the guard (it was
	// never handed to JetStream): those are left, and must not be in the
	// log. A request that failed otherwise (a publish JetStream did not
	// answer) may have been stored, so it is always retried.
	var notRetried []*diskCmd
	retried := []string{fmt.Sprintf("%s %s->%d", failed[0].key, firstCode, failed[0].status)}
	for i, c := range failed[1:] {
		if i%2 == 1 && c.problem.Code == "writes_refused" {
			notRetried = append(notRetried, c)
			continue
		}
		code := c.problem.Code
		if c.send(t, p.url); c.status/100 != 2 {
			t.Errorf("retry of %s after space came back: %d %+v", c.key, c.status, c.problem)
		}
		retried = append(retried, fmt.Sprintf("%s %s->%d", c.key, code, c.status))
	}
	// 200 is an idempotent replay: the first attempt had been stored.
	t.Logf("retried after space came back (first reply's code -> retry's status): %s", strings.Join(retried, ", "))
	for range 5 {
		if c := next(); c.status != http.StatusCreated {
			t.Errorf("new command after space came back: %s: %d %+v", c.key, c.status, c.problem)
		}
	}
	caughtUp(t, p, 60*time.Second)
	if code, rz := diskReady(t, p); code != http.StatusOK || !rz.Writes.OK {
		t.Errorf("readyz after space came back: %d %+v", code, rz)
	}

	// The board and the log: every acknowledged request's matters once,
	// the refused requests that were not retried nowhere.
	onBoard := boardEvents(t, p.url)
	stop(t, p)
	if !strings.Contains(p.logs.String(), "JetStream restarted after a full disk") {
		t.Errorf("gongkai's log does not say it restarted JetStream:\n%s", grepLines(p.logs.String(), "JetStream"))
	}

	inLog := keysInLog(t, dir)
	refused := map[*diskCmd]bool{}
	for _, c := range notRetried {
		refused[c] = true
	}
	var acked int
	for _, c := range sent {
		want := 0
		if c.status/100 == 2 {
			want, acked = len(c.matters), acked+1
		} else if !refused[c] {
			t.Errorf("%s: neither acknowledged nor left unretried: %d", c.key, c.status)
		}
		if inLog[c.key] != want {
			t.Errorf("%s (reply %d) has %d events in the log, want %d", c.key, c.status, inLog[c.key], want)
		}
		for _, m := range c.matters {
			if onBoard[m] != min(want, 1) {
				t.Errorf("matter %s (reply %d to %s) is on the board %d times, want %d", m, c.status, c.key, onBoard[m], min(want, 1))
			}
		}
	}
	t.Logf("%d requests acknowledged, %d refused and not retried", acked, len(notRetried))
}
