package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// runToken asks a running server to issue a clerk token.
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf(`usage: gongkai token create --community ID --label TEXT [--server URL]`)
	}
	var server, community, label string
	fs := newFlags("token create", getenv, stderr)
	fs.str(&server, "server", "GONGKAI_SERVER", "http://127.0.0.1:8080", "URL of the running gongkai server")
	fs.StringVar(&community, "community", "", "community id the token may write to")
	fs.StringVar(&label, "label", "", "who holds the token, such as 文书 李娜")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	admin := getenv("GONGKAI_ADMIN_TOKEN")
	if admin == "" {
		return fmt.Errorf("set GONGKAI_ADMIN_TOKEN to the administrator's token")
	}
	body, _ := json.Marshal(map[string]string{"community": community, "label": label})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(server, "/")+"/api/v1/tokens", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("issue token: %w", err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("issue token: %s: %s", resp.Status, out)
	}
	_, err = stdout.Write(out)
	return err
}
