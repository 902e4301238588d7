package transparency

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	logs   map[string]note.Verifier // origin -> the log's key
	dir    string
	mu     sync.Mutex
}

type witnessState struct {
	Size uint64 `json:"size"`
	Root []byte `json:"root"`
}

// NewWitness returns a witness that signs with skey (a note signer key) and
// knows the logs whose verifier keys are given.
func NewWitness(skey string, logKeys []string, dir string) (*Witness, error) {
	s, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	w := &Witness{signer: s, logs: map[string]note.Verifier{}, dir: dir}
	for _, k := range logKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("log key %q: %w", k, err)
		}
		w.logs[v.Name()] = v
	}
	return w, os.MkdirAll(dir, 0o700)
}

// ErrConflict is returned when the request's old size is not the witness's.
type ErrConflict struct{ Size uint64 }

func (e ErrConflict) Error() string { return fmt.Sprintf("the witness is at size %d", e.Size) }

// Refusals of Add, each answered with the status C2SP tlog-witness gives it.
var (
	// ErrUnknownLog: the checkpoint's origin is not a log the witness knows (404).
	ErrUnknownLog = errors.New("unknown log")
	// ErrSignature: no signature by the log's key verifies (403).
	ErrSignature = errors.New("no valid signature by the log's key")
	// ErrOldSize: the old size is larger than the checkpoint's size (400).
	ErrOldSize = errors.New("old size larger than the checkpoint's size")
	// ErrProof: the consistency proof does not verify (422).
	ErrProof = errors.New("consistency proof does not verify")
	// ErrFork: same size as the cosigned checkpoint, different root (409).
	ErrFork = errors.New("fork: same size as the cosigned checkpoint, different root")
)

// refusalStatus is the HTTP status of an Add error.
func refusalStatus(err error) int {
	switch {
	case errors.Is(err, ErrUnknownLog):
		return http.StatusNotFound
	case errors.Is(err, ErrSignature):
		return http.StatusForbidden
	case errors.Is(err, ErrOldSize):
		return http.StatusBadRequest
	case errors.Is(err, ErrProof):
		return http.StatusUnprocessableEntity
	case errors.Is(err, ErrFork):
		return http.StatusConflict
	}
	return http.StatusBadRequest // a checkpoint that does not parse
}

// Add checks a request and returns the cosignature line(s) to append. The
// checks run in the order C2SP tlog-witness states them; a refusal is
// ErrConflict or wraps one of the Err* values above (or is a parse error of
// the checkpoint).
func (w *Witness) Add(r AddCheckpointRequest) ([]byte, error) {
	var origin Checkpoint
	if _, err := origin.Unmarshal(r.Checkpoint); err != nil {
		return nil, err
	}
	v, ok := w.logs[origin.Origin]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownLog, origin.Origin)
	}
	cp, _, err := OpenCheckpoint(r.Checkpoint, v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
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
	n, err := note.Open(r.Checkpoint, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
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
// tlog-witness: 400 malformed request or old size past the checkpoint, 403
// no valid signature by the log's key, 404 unknown log, 409 with the
// witness's size (text/x.tlog.size) for a stale old size, 409 for a fork at
// the cosigned size, 422 for a proof that does not verify.
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

// Cosign sends a signed checkpoint with a consistency proof from the size
// the witness last cosigned, and returns its cosignature lines.
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
			c.size = cp.Size
			c.high = max(c.high, c.size)
			return b, nil
		case http.StatusConflict:
			if resp.Header.Get("Content-Type") != "text/x.tlog.size" {
				return nil, fmt.Errorf("witness %s: %s: %s", c.URL, resp.Status, strings.TrimSpace(string(b)))
			}
			n, err := strconv.ParseUint(strings.TrimSuffix(string(b), "\n"), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("witness conflict reply %q", b)
			}
			c.size = n
			c.high = max(c.high, n)
			continue
		default:
			return nil, fmt.Errorf("witness %s: %s: %s", c.URL, resp.Status, strings.TrimSpace(string(b)))
		}
	}
	return nil, errors.New("witness kept answering with a conflict")
}
