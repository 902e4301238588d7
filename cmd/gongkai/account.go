package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
)

const accountUsage = `usage:
  gongkai account create --login NAME --name 显示名 [--admin | --role ROLE --scope SCOPE] [--password-file F]
  gongkai account list
  gongkai account grant|revoke --login NAME --role ROLE --scope SCOPE
  gongkai account password --login NAME [--password-file F]
  gongkai account disable --login NAME --reason TEXT
  gongkai account enable --login NAME
Roles: administrator, clerk, accountant, supervisor, auditor, evaluator.
Scopes: community:<id>, town:<name>, all (administrator only).
The password is read from --password-file or, without it, from the first
line of standard input; never from a flag, which other users can see.
Acts with GONGKAI_ADMIN_TOKEN (or GONGKAI_TOKEN of an administrator's account).`

// runAccount manages people's accounts through a running server.
func runAccount(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", accountUsage)
	}
	var server, login, name, role, scope, passwordFile, reason string
	var admin bool
	fs := newFlags("account "+args[0], getenv, stderr)
	fs.str(&server, "server", "GONGKAI_SERVER", "http://127.0.0.1:8080", "URL of the running gongkai server")
	fs.StringVar(&login, "login", "", "login name: 2 to 32 of a-z, 0-9, _ and -")
	fs.StringVar(&name, "name", "", "display name, such as 李娜")
	fs.StringVar(&role, "role", "", "role: administrator, clerk, accountant, supervisor, auditor, evaluator")
	fs.StringVar(&scope, "scope", "", "scope of the role: community:<id>, town:<name> or all")
	fs.StringVar(&passwordFile, "password-file", "", "file whose first line is the password (default: standard input)")
	fs.StringVar(&reason, "reason", "", "why the account is disabled")
	fs.BoolVar(&admin, "admin", false, "make the account an administrator of everything (the first account)")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	api := apiClient{server: server, token: adminOrToken(getenv)}
	if api.token == "" {
		return fmt.Errorf("set GONGKAI_ADMIN_TOKEN (or GONGKAI_TOKEN of an administrator's account)")
	}
	key := newKey()
	var out []byte
	var err error
	path := "/api/v1/accounts/" + url.PathEscape(login) + "/"
	switch args[0] {
	case "list":
		return listAccounts(ctx, api, stdout)
	case "create":
		var pw string
		if pw, err = readPassword(passwordFile, stdin); err != nil {
			return err
		}
		out, err = api.call(ctx, http.MethodPost, "/api/v1/accounts", map[string]any{"login": login, "display_name": name, "password": pw,
			"administrator": admin, "role": role, "scope": scope}, key)
	case "password":
		var pw string
		if pw, err = readPassword(passwordFile, stdin); err != nil {
			return err
		}
		out, err = api.call(ctx, http.MethodPost, path+"password", map[string]string{"password": pw}, key)
	case "grant", "revoke":
		out, err = api.call(ctx, http.MethodPost, path+args[0], map[string]string{"role": role, "scope": scope}, key)
	case "disable":
		out, err = api.call(ctx, http.MethodPost, path+"disable", map[string]string{"reason": reason}, key)
	case "enable":
		out, err = api.call(ctx, http.MethodPost, path+"enable", map[string]string{}, key)
	default:
		return fmt.Errorf("%s", accountUsage)
	}
	if err != nil {
		return fmt.Errorf("account %s: %w", args[0], err)
	}
	_, err = stdout.Write(out)
	return err
}

func listAccounts(ctx context.Context, api apiClient, stdout io.Writer) error {
	out, err := api.call(ctx, http.MethodGet, "/api/v1/accounts", nil, "")
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	var list struct {
		Accounts []struct {
			Login       string `json:"login"`
			DisplayName string `json:"display_name"`
			Grants      []struct{ Role, Scope string }
			Disabled    bool `json:"disabled"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGIN\tNAME\tROLES\tSTATE")
	for _, a := range list.Accounts {
		var roles []string
		for _, g := range a.Grants {
			roles = append(roles, g.Role+"@"+g.Scope)
		}
		state := "enabled 启用"
		if a.Disabled {
			state = "disabled 停用"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Login, a.DisplayName, strings.Join(roles, ","), state)
	}
	return tw.Flush()
}

// readPassword reads the first line of file, or of stdin without one.
func readPassword(file string, stdin io.Reader) (string, error) {
	r := stdin
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", fmt.Errorf("no password given: put it on the first line of --password-file or standard input / 未提供密码")
	}
	return pw, nil
}

// newKey is a fresh idempotency key for one command-line request.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "cli-" + hex.EncodeToString(b)
}
