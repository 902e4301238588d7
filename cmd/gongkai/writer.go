package main

import (
	"fmt"
	"io"

	"github.com/gongkai/gongkai/eventstore"
)

// runWriter handles `gongkai writer keygen --out FILE`: a new writer key for
// an instance, whose public key the administrator then registers through a
// running instance (POST /api/v1/writers).
func runWriter(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "keygen" {
		return fmt.Errorf("usage: gongkai writer keygen --out FILE")
	}
	var out string
	fs := newFlags("writer keygen", getenv, stderr)
	fs.str(&out, "out", "GONGKAI_WRITER_KEY", "", "file to write the new writer key to (must not exist)")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("--out is required")
	}
	k, created, err := eventstore.LoadOrCreateWriterKey(out, true)
	if err != nil {
		return err
	}
	if !created {
		return fmt.Errorf("%s exists already (key %s): not overwritten", out, k.ID)
	}
	fmt.Fprintf(stdout, "key_id %s\npublic_key %s\n", k.ID, k.Public())
	return nil
}
