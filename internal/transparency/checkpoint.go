package transparency

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
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

// ErrEmptyRoot is returned for a checkpoint of size 0 whose root hash is
// not the empty tree's. RFC 6962, Section 2.1 defines the root of the empty
// tree as the SHA-256 of the empty string, and C2SP tlog-witness
// (add-checkpoint) requires it of a checkpoint of size zero.
var ErrEmptyRoot = errors.New("a checkpoint of size 0 must carry the empty tree's root hash (SHA-256 of the empty string)")

// emptyRoot is the root hash of the empty tree, SHA-256("").
var emptyRoot = sha256.Sum256(nil)

// OpenNote opens a signed note as C2SP signed-note requires of a verifier:
// a signature line by an unknown key is ignored (it is kept in
// n.UnverifiedSigs), every signature line whose key name and key ID are
// those of one of the known verifiers must verify and be in canonical
// base64, and at least one must be present.
//
// note.Open alone is not enough: it verifies only the first line of each
// key name and key ID and skips the repeats, so a valid line followed by an
// invalid one by the same key would pass, while the same two lines in the
// other order would not. OpenNote checks every line, in any order.
//
// It returns a *note.InvalidSignatureError when a line by a known key does
// not verify, a *note.UnverifiedNoteError when no known key signed, and
// another error when the note is malformed.
func OpenNote(msg []byte, known ...note.Verifier) (*note.Note, error) {
	n, err := note.Open(msg, note.VerifierList(known...))
	if err != nil {
		return nil, err
	}
	// note.Open has checked the form: the text ends at the last empty line
	// and every signature line is "— name base64(key ID || signature)\n"
	// with at least 5 bytes after decoding.
	split := bytes.LastIndex(msg, []byte("\n\n"))
	text, sigs := msg[:split+1], msg[split+2:]
	for _, line := range strings.SplitAfter(string(sigs), "\n") {
		if line == "" {
			continue
		}
		name, b64, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(line, "— "), "\n"), " ")
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(sig) < 5 {
			return nil, errors.New("malformed note")
		}
		hash := binary.BigEndian.Uint32(sig)
		for _, v := range known {
			if v.Name() != name || v.KeyHash() != hash {
				continue
			}
			if !v.Verify(text, sig[4:]) {
				return nil, &note.InvalidSignatureError{Name: name, Hash: hash}
			}
			// One signature, one encoding: base64 with nonzero padding
			// bits decodes to the same bytes.
			if base64.StdEncoding.EncodeToString(sig) != b64 {
				return nil, fmt.Errorf("signature by %s not in canonical base64", name)
			}
		}
	}
	return n, nil
}

// OpenCheckpoint verifies a signed checkpoint note against the log's keys
// with OpenNote (every signature line by one of the verifiers must verify)
// and parses it. Signatures by unknown keys are kept in n.UnverifiedSigs.
// It refuses a body not in canonical form and a checkpoint of size 0
// without the empty tree's root (ErrEmptyRoot).
func OpenCheckpoint(msg []byte, verifiers ...note.Verifier) (Checkpoint, *note.Note, error) {
	n, err := OpenNote(msg, verifiers...)
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("checkpoint signature: %w", err)
	}
	cp, err := checkpointOf(n)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if err := checkEmptyRoot(cp); err != nil {
		return Checkpoint{}, nil, err
	}
	return cp, n, nil
}

// checkpointOf parses the checkpoint in an opened note and checks that it
// has one encoding: the body as Marshal writes it (no leading zeros,
// canonical base64 of a SHA-256 root) and well-formed extension lines.
func checkpointOf(n *note.Note) (Checkpoint, error) {
	var cp Checkpoint
	rest, err := cp.Unmarshal([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if len(rest) != 0 && !strings.HasSuffix(n.Text, "\n") {
		return Checkpoint{}, errors.New("checkpoint: malformed extension lines")
	}
	if len(cp.Hash) != sha256.Size || !strings.HasPrefix(n.Text, string(cp.Marshal())) {
		return Checkpoint{}, errors.New("checkpoint: body not in canonical form")
	}
	return cp, nil
}

// checkEmptyRoot returns ErrEmptyRoot for a checkpoint of size 0 whose root
// is not the empty tree's.
func checkEmptyRoot(cp Checkpoint) error {
	if cp.Size == 0 && !bytes.Equal(cp.Hash, emptyRoot[:]) {
		return fmt.Errorf("checkpoint: %w", ErrEmptyRoot)
	}
	return nil
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
