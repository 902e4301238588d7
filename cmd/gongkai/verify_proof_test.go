package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// A saved refusal of the server (the event is not covered by a signed
// checkpoint yet) is reported as such, not as a malformed bundle.
func TestVerifyProofOfARefusal(t *testing.T) {
	_, vkey, err := note.GenerateKey(rand.Reader, "example.org/log")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "proof.txt")
	os.WriteFile(f, []byte(`{"type":"about:blank","title":"No bundle","status":404,"detail":"sequence 9 is not in the latest checkpoint (size 8) yet","detail_zh":"该事件尚未包含在已签署的检查点中，请稍后再试。","code":"no_proof"}`+"\n"), 0o644)
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"gongkai", "verify", "proof", f, "--key", vkey}, func(string) string { return "" }, &out, &errOut)
	if !errors.Is(err, errVerify) || !strings.Contains(out.String(), "not a proof bundle but the server's refusal") ||
		!strings.Contains(out.String(), "尚未包含在已签署的检查点中") {
		t.Errorf("err %v, out %q", err, out.String())
	}
}
