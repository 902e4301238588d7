package main

import (
	"fmt"
	"io"
	"os"

	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/transparency"
)

// runKeygen writes a checkpoint signer key (mode 0600) and prints the
// verifier key that residents, auditors and witnesses check signatures with.
// With --admin-token it prints a new random administrator token instead.
func runKeygen(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var origin, out string
	fs := newFlags("keygen", getenv, stderr)
	fs.str(&origin, "origin", "GONGKAI_ORIGIN", "gongkai/gongkai", "the log's origin (the key's name)")
	fs.StringVar(&out, "out", "signer.key", "file to write the private signer key to")
	adminToken := fs.Bool("admin-token", false, "print a new random administrator token (for GONGKAI_ADMIN_TOKEN) and write no key")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *adminToken {
		t, err := auth.NewAdminToken()
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, t)
		return nil
	}
	skey, vkey, err := transparency.GenerateKey(origin)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s (it must not exist yet): %w", out, err)
	}
	if _, err := fmt.Fprintln(f, skey); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, vkey)
	return nil
}
