package transparency

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// AddCheckpointRequest is the body of a C2SP tlog-witness add-checkpoint
// request:
//
//	old <size the witness last cosigned>
//	<consistency proof hashes, base64, one per line>
//	<empty line>
//	<signed checkpoint note>
type AddCheckpointRequest struct {
	OldSize    uint64
	Proof      [][]byte
	Checkpoint []byte
}

// Marshal encodes the request.
func (r AddCheckpointRequest) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", r.OldSize)
	for _, h := range r.Proof {
		fmt.Fprintf(&b, "%s\n", base64.StdEncoding.EncodeToString(h))
	}
	b.WriteString("\n")
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// ParseAddCheckpoint decodes a request strictly.
func ParseAddCheckpoint(body []byte) (AddCheckpointRequest, error) {
	var r AddCheckpointRequest
	head, cp, ok := strings.Cut(string(body), "\n\n")
	if !ok {
		return r, errors.New("add-checkpoint: no empty line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	old, ok := strings.CutPrefix(lines[0], "old ")
	n, err := strconv.ParseUint(old, 10, 64)
	if !ok || err != nil || strconv.FormatUint(n, 10) != old {
		return r, errors.New("add-checkpoint: first line must be old <size>")
	}
	r.OldSize = n
	for _, l := range lines[1:] {
		h, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(h) != 32 || base64.StdEncoding.EncodeToString(h) != l {
			return r, errors.New("add-checkpoint: proof lines must be base64 SHA-256 hashes")
		}
		r.Proof = append(r.Proof, h)
	}
	if len(r.Proof) > 63 {
		return r, errors.New("add-checkpoint: proof too long")
	}
	r.Checkpoint = []byte(cp)
	return r, nil
}

// Witness cosigns checkpoints of logs it knows, each only if it is
// consistent with the last one it cosigned for that log. It keeps that state
// in a directory, one JSON file per log.
type Witness struct {
	signer *fnote.Signer
	logs   map[string][]note.Verifier // origin -> the log's keys (two across a rotation)
	dir    string
	mu     sync.Mutex
}

type witnessState struct {
	Size uint64 `json:"size"`
	Root []byte `json:"root"`
}

// NewWitness returns a witness that signs with skey (a note signer key) and
// knows the logs whose verifier keys are given. A log's origin is its key's
// name; several keys of one name (a log across a key rotation) are all
// trusted for that origin.
func NewWitness(skey string, logKeys []string, dir string) (*Witness, error) {
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	w := &Witness{signer: s, logs: map[string][]note.Verifier{}, dir: dir}
	for _, k := range logKeys {
		v, err := note.NewVerifier(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("log key %q: %w", k, err)
		}
		w.logs[v.Name()] = append(w.logs[v.Name()], v)
	}
	return w, os.MkdirAll(dir, 0o700)
}

// ErrConflict is returned when the request's old size is not the witness's.
type ErrConflict struct{ Size uint64 }

func (e ErrConflict) Error() string { return fmt.Sprintf("the witness is at size %d", e.Size) }

// Refusals of Add, each answered with the status that C2SP tlog-witness
// (add-checkpoint, as revised in July 2026) gives it. The quoted words are
// the specification's.
var (
	// ErrUnknownLog (404): "If the checkpoint origin is unknown, the
	// witness MUST respond with a "404 Not Found" HTTP status code."
	ErrUnknownLog = errors.New("unknown log")
	// ErrSignature (403): "either no signature from a trusted key for the
	// origin is present, or a signature line's key name and ID match a
	// trusted key but the signature itself fails to verify".
	ErrSignature = errors.New("not validly signed by the log's key")
	// ErrOldSize (400): "The old size MUST be equal to or lower than the
	// checkpoint size. Otherwise, the witness MUST respond with a "400 Bad
	// Request" HTTP status code."
	ErrOldSize = errors.New("old size larger than the checkpoint's size")
	// ErrProof (422): "If the proof is not empty when the old size is
	// zero, or if a Merkle Consistency Proof doesn't verify, the witness
	// MUST respond with a "422 Unprocessable Entity" HTTP status code."
	ErrProof = errors.New("consistency proof does not verify")
	// ErrFork (422): "If the old size matches the checkpoint size, the
	// witness MUST check that the root hashes are also identical. If they
	// don't match, the witness MUST respond with a "422 Unprocessable
	// Entity" HTTP status code." (Until July 2026 the text said 409.)
	ErrFork = errors.New("fork: same size as the cosigned checkpoint, different root")
)

// refusalStatus is the HTTP status of an Add error other than ErrConflict
// (409, answered with the witness's size by ServeHTTP).
func refusalStatus(err error) int {
	switch {
	case errors.Is(err, ErrUnknownLog):
		return http.StatusNotFound
	case errors.Is(err, ErrSignature):
		return http.StatusForbidden
	case errors.Is(err, ErrOldSize):
		return http.StatusBadRequest
	case errors.Is(err, ErrEmptyRoot):
		// "A checkpoint of size zero MUST have the root hash of the empty
		// tree [...] Otherwise, the witness MUST respond with a "422
		// Unprocessable Entity" HTTP status code."
		return http.StatusUnprocessableEntity
	case errors.Is(err, ErrProof), errors.Is(err, ErrFork):
		return http.StatusUnprocessableEntity
	}
	return http.StatusBadRequest // a checkpoint that does not parse
}

// Add checks a request and returns the cosignature line(s) to append. The
// checks run in the order of C2SP tlog-witness, add-checkpoint: the origin
// (404), the log's signatures (403), the old size against the checkpoint's
// (400), the old size against the witness's (409), the empty tree's root at
// size 0 (422), the consistency proof (422) and, at the same size, the root
// (422). A refusal is ErrConflict or wraps one of the Err* values above or
// ErrEmptyRoot, or else is an error about a checkpoint that does not parse
// or is not in canonical form.
func (w *Witness) Add(r AddCheckpointRequest) ([]byte, error) {
	var origin Checkpoint
	if _, err := origin.Unmarshal(r.Checkpoint); err != nil {
		return nil, err
	}
	vs, ok := w.logs[origin.Origin]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownLog, origin.Origin)
	}
	// "it MUST ignore signatures from unknown keys"; every line by one of
	// the log's keys must verify (C2SP signed-note, OpenNote).
	n, err := OpenNote(r.Checkpoint, vs...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	cp, err := checkpointOf(n)
	if err != nil {
		return nil, err
	}
	if r.OldSize > cp.Size {
		return nil, fmt.Errorf("%w: old %d, checkpoint %d", ErrOldSize, r.OldSize, cp.Size)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	path := filepath.Join(w.dir, base64.RawURLEncoding.EncodeToString([]byte(cp.Origin))+".json")
	var st witnessState
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, err
		}
	}
	if r.OldSize != st.Size {
		return nil, ErrConflict{st.Size}
	}
	if err := checkEmptyRoot(cp); err != nil {
		return nil, err
	}
	switch {
	case r.OldSize == 0:
		if len(r.Proof) != 0 {
			return nil, fmt.Errorf("%w: the proof must be empty when the old size is 0", ErrProof)
		}
	case r.OldSize == cp.Size:
		if !bytes.Equal(cp.Hash, st.Root) {
			return nil, ErrFork
		}
	default:
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, st.Size, cp.Size, r.Proof, st.Root, cp.Hash); err != nil {
			return nil, fmt.Errorf("%w: not consistent with the checkpoint cosigned at size %d: %v", ErrProof, st.Size, err)
		}
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(witnessState{Size: cp.Size, Root: cp.Hash})
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	_, sigs, _ := strings.Cut(string(signed), "\n\n")
	return []byte(sigs), nil
}

// ServeHTTP implements POST /add-checkpoint with the status codes of C2SP
// tlog-witness, add-checkpoint: 400 for a malformed request or an old size
// past the checkpoint's, 403 when the log's signature is missing or a line
// by its key does not verify, 404 for an unknown log, 409 with the
// witness's size as its body (text/x.tlog.size) when the old size is not
// the witness's, 422 for a size-0 checkpoint without the empty tree's root,
// a consistency proof that does not verify (or any proof from old size 0),
// and a different root at the cosigned size (a fork).
func (w *Witness) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/add-checkpoint" {
		http.NotFound(rw, req)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, req.Body, 64<<10))
	if err != nil {
		http.Error(rw, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	r, err := ParseAddCheckpoint(body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	sigs, err := w.Add(r)
	var conflict ErrConflict
	switch {
	case errors.As(err, &conflict):
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", conflict.Size)
	case err != nil:
		http.Error(rw, err.Error(), refusalStatus(err))
	default:
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write(sigs)
	}
}

// WitnessClient asks one witness to cosign.
type WitnessClient struct {
	URL  string
	name string
	size uint64 // what we believe the witness last cosigned
	high uint64 // the largest size it ever said it had (see Size)
	mu   sync.Mutex
}

// NewWitnessClient returns a client of the witness at url, named for logs.
func NewWitnessClient(url, name string) *WitnessClient {
	return &WitnessClient{URL: strings.TrimRight(url, "/"), name: name}
}

// Name returns the witness's name.
func (c *WitnessClient) Name() string { return c.name }

// ErrWitnessAhead is returned by Cosign when the witness has cosigned a
// larger size of the log than the checkpoint's: the log has lost entries it
// once had (a restored backup, a truncated stream) or forked.
var ErrWitnessAhead = errors.New("the witness has cosigned a larger size than this checkpoint")

// Cosign sends a signed checkpoint with a consistency proof from the size
// the witness last cosigned, and returns its cosignature lines. On a 409
// Conflict answered as C2SP tlog-witness says (Content-Type
// text/x.tlog.size, the witness's size and a newline) it learns the
// witness's size and tries once more from there; every other refusal is
// an error naming the status and the witness's reason. It returns
// ErrWitnessAhead, without a retry, when that size is larger than the
// checkpoint's.
func (c *WitnessClient) Cosign(ctx context.Context, tree *Tree, signed []byte) ([]byte, error) {
	var cp Checkpoint
	if _, err := cp.Unmarshal(signed); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for try := 0; try < 2; try++ {
		var pf [][]byte
		if c.size > 0 && c.size < cp.Size {
			var err error
			if pf, err = tree.ConsistencyProof(c.size, cp.Size); err != nil {
				return nil, err
			}
		}
		body := AddCheckpointRequest{OldSize: c.size, Proof: pf, Checkpoint: signed}.Marshal()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/add-checkpoint", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			if err := checkSignatureLines(b); err != nil {
				return nil, fmt.Errorf("witness %s: reply: %w", c.URL, err)
			}
			c.size = cp.Size
			c.high = max(c.high, c.size)
			return b, nil
		case http.StatusConflict:
			// "If it doesn't match, the witness MUST respond with a "409
			// Conflict" HTTP status code. The response body MUST consist
			// of the tree size of the latest cosigned checkpoint in
			// decimal, followed by a newline (U+000A). The response MUST
			// have a Content-Type of text/x.tlog.size." (add-checkpoint)
			if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/x.tlog.size" {
				return nil, fmt.Errorf("witness %s: %s: %s", c.URL, resp.Status, strings.TrimSpace(string(b)))
			}
			text, ok := strings.CutSuffix(string(b), "\n")
			n, err := strconv.ParseUint(text, 10, 64)
			if !ok || err != nil || strconv.FormatUint(n, 10) != text {
				return nil, fmt.Errorf("witness %s: conflict reply %q is not a size and a newline", c.URL, b)
			}
			c.size = n
			c.high = max(c.high, n)
			if n > cp.Size {
				return nil, fmt.Errorf("witness %s: %w: %d, the checkpoint %d", c.URL, ErrWitnessAhead, n, cp.Size)
			}
			continue
		default:
			return nil, fmt.Errorf("witness %s: %s: %s", c.URL, resp.Status, strings.TrimSpace(string(b)))
		}
	}
	return nil, errors.New("witness kept answering with a conflict")
}

// checkSignatureLines checks that an add-checkpoint reply is "a sequence of
// one or more note signature lines, each starting with the — character
// (U+2014) and ending with a newline character (U+000A)" (C2SP
// tlog-witness), each in canonical base64: appended to the checkpoint, a
// malformed line would make the whole note unreadable. Without the
// witness's key the client cannot check the signatures themselves; a
// verifier that trusts the witness does (OpenNote).
func checkSignatureLines(b []byte) error {
	_, err := note.Open(append([]byte("reply\n\n"), b...), note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) || unverified.Note.Text != "reply\n" {
		return errors.New("not note signature lines")
	}
	for _, sig := range unverified.Note.UnverifiedSigs {
		if raw, _ := base64.StdEncoding.DecodeString(sig.Base64); base64.StdEncoding.EncodeToString(raw) != sig.Base64 {
			return fmt.Errorf("the signature by %s is not in canonical base64", sig.Name)
		}
	}
	return nil
}

// Size returns the largest size the witness is known to have cosigned for
// this log: from its cosignatures and from its conflict replies, which name
// its latest size.
func (c *WitnessClient) Size() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.high
}
