package web_test

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/demo"
)

// chromium finds Debian's headless browser, or fails the test with a hint.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("GONGKAI_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("a headless browser is needed for the page tests: apt-get install -y chromium (or set GONGKAI_CHROMIUM)")
	return ""
}

// browse runs headless Chromium on url with the given mode flags, with no
// network beyond the page (the flags this machine needs).
func browse(t *testing.T, bin, url string, mode ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}, mode...)
	out, err := exec.CommandContext(ctx, bin, append(args, url)...).Output()
	if err != nil {
		t.Fatalf("chromium %v: %v", mode, err)
	}
	return out
}

// The public pages render in a real browser, on a phone-sized window,
// without JavaScript: the board with its matters, votes, proof links and
// checkpoint; the finance pages with their SVG charts and 大写.
func TestPagesInBrowser(t *testing.T) {
	bin := chromium(t)
	s := apptest.Start(t, app.Config{Demo: true, CheckpointEvery: 100 * time.Millisecond, PublicURL: "https://ledger.example.org"})
	waitSeq(t, s, "/api/v1/communities/"+demo.Community+"/board", uint64(demo.Events()))
	for deadline := time.Now().Add(15 * time.Second); ; {
		if apptest.Do(t, "GET", s.URL+"/api/v1/log/checkpoint", nil, nil).Status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint within 15s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	pages := []struct {
		path string
		want []string
	}{
		{"/c/wenhualu", []string{"文化路社区", "出租社区临街门面发展集体经济", "可核验", `src="data:image/png;base64,`}},
		{"/c/wenhualu?lang=en", []string{"Public board", "Verifiable"}},
		{"/c/wenhualu/matters/m-2025-01", []string{"代表会议决议", "表决通过：赞成票超过到会人数的一半", "可核验"}},
		{"/c/wenhualu/matters/m-2025-01/verify?lang=en", []string{"Proof", "Log checkpoint", `src="data:image/png;base64,`}},
		{"/c/wenhualu/finance?year=2025", []string{"财务公开", "<svg", "陆万壹仟肆佰捌拾元整"}},
		{"/c/wenhualu/finance/budget?year=2025", []string{"预算执行", "<svg", "柒万伍仟玖佰捌拾元整"}},
		{"/c/wenhualu/finance/statements?year=2025", []string{"资产负债表", "收益及收益分配表", "科目余额表"}},
	}
	for _, p := range pages {
		dom := string(browse(t, bin, s.URL+p.path, "--dump-dom"))
		for _, w := range p.want {
			if !strings.Contains(dom, w) {
				t.Errorf("%s in the browser lacks %q", p.path, w)
			}
		}
	}
	// A phone-sized screenshot of the board renders (a real PNG, not blank).
	shot := filepath.Join(t.TempDir(), "board.png")
	browse(t, bin, s.URL+"/c/wenhualu", "--window-size=390,844", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 390 {
		t.Fatalf("screenshot is %v wide, want 390", b.Dx())
	}
	colours := map[uint32]bool{}
	for y := 0; y < img.Bounds().Dy(); y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>12<<8|g>>12<<4|b>>12] = true
		}
	}
	if len(colours) < 3 {
		t.Fatalf("the screenshot has %d colours: the page did not render", len(colours))
	}
}
