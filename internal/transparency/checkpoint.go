package transparency

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a C2SP tlog-checkpoint body: origin, size, root hash.
type Checkpoint = log.Checkpoint

// SignCheckpoint returns the signed note of a checkpoint, signed by every
// signer (two during a key rotation).
func SignCheckpoint(cp Checkpoint, signers ...note.Signer) ([]byte, error) {
	if len(signers) == 0 {
		return nil, errors.New("no signer")
	}
	return note.Sign(&note.Note{Text: string(cp.Marshal())}, signers...)
}

// OpenCheckpoint verifies a signed checkpoint note against the log's keys
// and parses it. Cosignatures by unknown keys are kept in n.UnverifiedSigs.
func OpenCheckpoint(msg []byte, verifiers ...note.Verifier) (Checkpoint, *note.Note, error) {
	var cp Checkpoint
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		return cp, nil, fmt.Errorf("checkpoint signature: %w", err)
	}
	rest, err := cp.Unmarshal([]byte(n.Text))
	if err != nil {
		return cp, nil, err
	}
	if len(rest) != 0 && !strings.HasSuffix(n.Text, "\n") {
		return cp, nil, errors.New("checkpoint: malformed extension lines")
	}
	// One checkpoint, one encoding: the body as Marshal writes it (no
	// leading zeros, canonical base64 of a SHA-256 root) and canonical
	// base64 signatures.
	if len(cp.Hash) != sha256.Size || !strings.HasPrefix(n.Text, string(cp.Marshal())) {
		return Checkpoint{}, nil, errors.New("checkpoint: body not in canonical form")
	}
	for _, s := range n.Sigs {
		if raw, err := base64.StdEncoding.DecodeString(s.Base64); err != nil || base64.StdEncoding.EncodeToString(raw) != s.Base64 {
			return Checkpoint{}, nil, fmt.Errorf("checkpoint: signature by %s not in canonical base64", s.Name)
		}
	}
	return cp, n, nil
}

// GenerateKey makes an Ed25519 signer key for the log named origin and
// returns the private signer key and the public verifier key, in the
// formats of golang.org/x/mod/sumdb/note.
func GenerateKey(origin string) (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, origin)
}

// LoadSigner reads a signer key file written by `gongkai keygen`.
func LoadSigner(path string) (note.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signer key: %w", err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("signer key %s: %w", path, err)
	}
	return s, nil
}

// VerifierKeyOf returns the verifier key of an Ed25519 signer key:
// PRIVATE+KEY+<name>+<hash>+<base64(1 || seed)> gives
// <name>+<hash>+<base64(1 || public key)>.
func VerifierKeyOf(skey string) (string, error) {
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("malformed signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	vkey := parts[2] + "+" + parts[3] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, pub...))
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", err
	}
	return vkey, nil
}
