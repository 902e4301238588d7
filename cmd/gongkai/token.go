package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
)

const tokenUsage = `usage:
  gongkai token create --community ID --label TEXT [--account LOGIN] [--server URL]
  gongkai token list [--community ID] [--server URL]
  gongkai token revoke --community ID --id TOKEN_ID [--server URL]`

// runToken asks a running server to issue, list or revoke API tokens
// (as the administrator: GONGKAI_ADMIN_TOKEN, or GONGKAI_TOKEN of an
// administrator's account).
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", tokenUsage)
	}
	var server, community, label, account, id string
	fs := newFlags("token "+args[0], getenv, stderr)
	fs.str(&server, "server", "GONGKAI_SERVER", "http://127.0.0.1:8080", "URL of the running gongkai server")
	fs.StringVar(&community, "community", "", "community id")
	switch args[0] {
	case "create":
		fs.StringVar(&label, "label", "", "who holds the token, such as 文书 李娜")
		fs.StringVar(&account, "account", "", "the account the token acts as (default: the community's clerk and accountant)")
	case "revoke":
		fs.StringVar(&id, "id", "", "the token's id (gongkai token list shows it)")
	case "list":
	default:
		return fmt.Errorf("%s", tokenUsage)
	}
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	api := apiClient{server: server, token: adminOrToken(getenv)}
	if api.token == "" {
		return fmt.Errorf("set GONGKAI_ADMIN_TOKEN (or GONGKAI_TOKEN of an administrator's account)")
	}
	switch args[0] {
	case "create":
		out, err := api.call(ctx, http.MethodPost, "/api/v1/tokens", map[string]string{"community": community, "label": label, "account": account}, "")
		if err != nil {
			return fmt.Errorf("issue token: %w", err)
		}
		_, err = stdout.Write(out)
		return err
	case "revoke":
		if community == "" || id == "" {
			return fmt.Errorf("%s", tokenUsage)
		}
		out, err := api.call(ctx, http.MethodDelete, "/api/v1/communities/"+url.PathEscape(community)+"/tokens/"+url.PathEscape(id), nil, "")
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		_, err = stdout.Write(out)
		return err
	}
	out, err := api.call(ctx, http.MethodGet, "/api/v1/tokens?community="+url.QueryEscape(community), nil, "")
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	var list struct {
		Tokens []struct {
			ID        string `json:"token_id"`
			Community string `json:"community"`
			Label     string `json:"label"`
			Account   string `json:"account"`
			Revoked   bool   `json:"revoked"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOKEN_ID\tCOMMUNITY\tLABEL\tACCOUNT\tSTATE")
	for _, t := range list.Tokens {
		state := "valid 有效"
		if t.Revoked {
			state = "revoked 已吊销"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Community, t.Label, t.Account, state)
	}
	return tw.Flush()
}

// adminOrToken is the bearer token the command line acts with.
func adminOrToken(getenv func(string) string) string {
	if t := getenv("GONGKAI_ADMIN_TOKEN"); t != "" {
		return t
	}
	return getenv("GONGKAI_TOKEN")
}

// apiClient calls a running server's JSON API.
type apiClient struct {
	server, token string
}

// call sends body (JSON-encoded unless nil) and returns the reply's body,
// or an error with the server's problem detail for any status over 299.
func (c apiClient) call(ctx context.Context, method, path string, body any, idempotencyKey string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.server, "/")+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s: %s", resp.Status, problemText(out))
	}
	return out, nil
}

// problemText renders a problem reply in Chinese and English, with its
// field errors; other bodies as they are.
func problemText(b []byte) string {
	var p struct {
		Detail   string `json:"detail"`
		DetailZH string `json:"detail_zh"`
		Errors   []struct {
			Field    string `json:"field"`
			Reason   string `json:"reason"`
			ReasonZH string `json:"reason_zh"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &p) != nil || (p.Detail == "" && p.DetailZH == "") {
		return strings.TrimSpace(string(b))
	}
	var sb strings.Builder
	sb.WriteString(p.DetailZH + "\n" + p.Detail)
	for _, e := range p.Errors {
		fmt.Fprintf(&sb, "\n  %s: %s / %s", e.Field, e.ReasonZH, e.Reason)
	}
	return sb.String()
}
