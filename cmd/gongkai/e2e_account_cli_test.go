package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// gongkaiCLI runs the gongkai binary with env (on top of this process's
// environment without its GONGKAI_* variables) and stdin, and returns its
// exit code, standard output and standard error.
func gongkaiCLI(t *testing.T, env []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "GONGKAI_") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("gongkai %v did not finish within 30s", args)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("gongkai %v: %v", args, err)
	}
	return code, stdout.String(), stderr.String()
}

// mustCLI runs gongkai and fails the test unless it exits 0.
func mustCLI(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := gongkaiCLI(t, env, stdin, args...)
	if code != 0 {
		t.Fatalf("gongkai %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// hasRow reports whether a table printed by the command line has a row
// whose columns are cols, in order (separated by two or more spaces).
func hasRow(table string, cols ...string) bool {
	sep := regexp.MustCompile(`\s{2,}`)
	for _, line := range strings.Split(table, "\n") {
		if strings.Join(sep.Split(strings.TrimSpace(line), -1), "|") == strings.Join(cols, "|") {
			return true
		}
	}
	return false
}

// The account and token commands against a running server: the first
// administrator (password on standard input) can sign in; that
// administrator's own token creates a clerk; accounts and tokens are
// listed; a token issued for the clerk writes, and once revoked gets 401;
// a disabled account can no longer sign in.
func TestAccountAndTokenCLI(t *testing.T) {
	p := startServe(t, bin, t.TempDir(), freeAddr(t))
	mustPost(t, p.url+"/api/v1/communities/c1/commands", "reg-c1",
		`{"type":"community.register","aggregate_id":"c1","effective_date":"2025-01-01","data":{"name":"命令行社区","kind":"社区","town":"镇","county":"县"}}`)
	asAdmin := []string{"GONGKAI_SERVER=" + p.url, "GONGKAI_ADMIN_TOKEN=" + admin}
	const rootPw, linaPw = "Xk9-Lychee-2026!", "Qz7-Mango-2026!"

	// No password, or a weak one: refused, nothing created.
	if code, out, errOut := gongkaiCLI(t, asAdmin, "", "account", "create", "--admin", "--login", "root", "--name", "管理员"); code == 0 ||
		!strings.Contains(errOut, "no password given") {
		t.Errorf("account create with no password: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := gongkaiCLI(t, asAdmin, "short\n", "account", "create", "--admin", "--login", "root", "--name", "管理员"); code == 0 ||
		!strings.Contains(errOut, "至少10个字符") {
		t.Errorf("account create with a short password: exit %d\n%s%s", code, out, errOut)
	}

	out := mustCLI(t, asAdmin, rootPw+"\n", "account", "create", "--admin", "--login", "root", "--name", "管理员")
	var created map[string]any
	if err := json.Unmarshal([]byte(out), &created); err != nil || created["login"] != "root" {
		t.Fatalf("account create --admin printed %q, want JSON with the login", out)
	}
	mustSignIn(t, p.url, "root", rootPw)

	// The administrator's own token, for scripts.
	var rootTok struct {
		Token, Account string
	}
	out = mustCLI(t, asAdmin, "", "token", "create", "--community", "c1", "--label", "管理员脚本", "--account", "root")
	if err := json.Unmarshal([]byte(out), &rootTok); err != nil || rootTok.Token == "" || rootTok.Account != "root" {
		t.Fatalf("token create --account root printed %q", out)
	}
	asRoot := []string{"GONGKAI_SERVER=" + p.url, "GONGKAI_TOKEN=" + rootTok.Token}
	mustCLI(t, asRoot, linaPw+"\n", "account", "create", "--login", "lina", "--name", "李娜", "--role", "clerk", "--scope", "community:c1")
	mustSignIn(t, p.url, "lina", linaPw)

	list := mustCLI(t, asRoot, "", "account", "list")
	for _, row := range [][]string{
		{"LOGIN", "NAME", "ROLES", "STATE"},
		{"root", "管理员", "administrator@all", "enabled 启用"},
		{"lina", "李娜", "clerk@community:c1", "enabled 启用"},
	} {
		if !hasRow(list, row...) {
			t.Errorf("account list has no row %q:\n%s", row, list)
		}
	}

	var tok struct {
		Token     string `json:"token"`
		ID        string `json:"token_id"`
		Community string `json:"community"`
		Account   string `json:"account"`
	}
	out = mustCLI(t, asAdmin, "", "token", "create", "--community", "c1", "--label", "文书李娜", "--account", "lina")
	if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.Token == "" || tok.ID == "" || tok.Community != "c1" || tok.Account != "lina" {
		t.Fatalf("token create --account lina printed %q", out)
	}
	write := func(key string) int {
		code, _ := callAPI(t, http.MethodPost, p.url+"/api/v1/communities/c1/commands", tok.Token,
			`{"type":"matter.register","aggregate_id":"`+key+`","effective_date":"2025-02-01","data":{"title":"命令行事项"}}`)
		return code
	}
	if code := write("m-cli-1"); code != http.StatusCreated {
		t.Fatalf("lina's token writes to c1: %d, want 201", code)
	}
	list = mustCLI(t, asAdmin, "", "token", "list")
	if !hasRow(list, tok.ID, "c1", "文书李娜", "lina", "valid 有效") {
		t.Errorf("token list has no row for lina's token %s:\n%s", tok.ID, list)
	}

	out = mustCLI(t, asAdmin, "", "token", "revoke", "--community", "c1", "--id", tok.ID)
	var revoked struct {
		ID      string `json:"token_id"`
		Revoked bool   `json:"revoked"`
	}
	if err := json.Unmarshal([]byte(out), &revoked); err != nil || !revoked.Revoked || revoked.ID != tok.ID {
		t.Errorf("token revoke printed %q", out)
	}
	if code := write("m-cli-2"); code != http.StatusUnauthorized {
		t.Errorf("lina's revoked token: %d, want 401", code)
	}
	list = mustCLI(t, asAdmin, "", "token", "list", "--community", "c1")
	if !hasRow(list, tok.ID, "c1", "文书李娜", "lina", "revoked 已吊销") {
		t.Errorf("token list does not show lina's token %s revoked:\n%s", tok.ID, list)
	}

	mustCLI(t, asRoot, "", "account", "disable", "--login", "lina", "--reason", "离职")
	if code, _ := signIn(t, p.url, "lina", linaPw); code != http.StatusUnauthorized {
		t.Errorf("sign in to the disabled account: %d, want 401", code)
	}
	list = mustCLI(t, asRoot, "", "account", "list")
	if !hasRow(list, "lina", "李娜", "clerk@community:c1", "disabled 停用") {
		t.Errorf("account list does not show lina disabled:\n%s", list)
	}

	// A clerk's account token cannot manage accounts.
	if code, _, errOut := gongkaiCLI(t, []string{"GONGKAI_SERVER=" + p.url, "GONGKAI_TOKEN=" + tok.Token}, "", "account", "list"); code == 0 {
		t.Errorf("account list with a revoked clerk's token: exit 0, want a refusal\n%s", errOut)
	}
}
