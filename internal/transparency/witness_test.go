package transparency_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/internal/transparency"
)

// A witness key made by GenerateKey (an ordinary Ed25519 note key) serves
// as a C2SP cosignature/v1 key: its signer, the verifier made from its
// verifier key, and the verifier made from the key converted with
// VKeyToCosignatureV1 agree, and an ordinary note verifier of the same key
// does not accept a cosignature.
func TestWitnessKeyFromGenerateKey(t *testing.T) {
	wk := mustWitnessKeys(t, "witness.test/town")
	s, err := fnote.NewSignerForCosignatureV1(wk.skey)
	if err != nil {
		t.Fatalf("NewSignerForCosignatureV1(GenerateKey key) = %v", err)
	}
	converted, err := fnote.VKeyToCosignatureV1(wk.vkey)
	if err != nil {
		t.Fatalf("VKeyToCosignatureV1(%q) = %v", wk.vkey, err)
	}
	cv, err := fnote.NewVerifierForCosignatureV1(converted)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != wk.verifier.Name() || s.KeyHash() != wk.verifier.KeyHash() || cv.KeyHash() != s.KeyHash() || cv.Name() != s.Name() {
		t.Fatalf("signer %s/%08x, verifier %s/%08x, converted %s/%08x: want one name and key hash",
			s.Name(), s.KeyHash(), wk.verifier.Name(), wk.verifier.KeyHash(), cv.Name(), cv.KeyHash())
	}
	plain, err := note.NewVerifier(wk.vkey)
	if err != nil {
		t.Fatal(err)
	}
	if plain.KeyHash() == s.KeyHash() {
		t.Fatal("the cosignature key hash equals the plain Ed25519 key hash: cosignatures would be mistaken for note signatures")
	}
	text := "gongkai.test/log\n1\n" + strings.Repeat("A", 43) + "=\n"
	signed, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []note.Verifier{wk.verifier, cv} {
		if _, err := note.Open(signed, note.VerifierList(v)); err != nil {
			t.Errorf("cosignature does not verify with %s/%08x: %v", v.Name(), v.KeyHash(), err)
		}
	}
	var unverified *note.UnverifiedNoteError
	if _, err := note.Open(signed, note.VerifierList(plain)); !errors.As(err, &unverified) {
		t.Errorf("a plain Ed25519 verifier of the witness key: Open = %v, want UnverifiedNoteError", err)
	}
}

// outcome is what the witness must answer to one request.
type outcome struct {
	accept   bool
	conflict uint64 // with !accept and refuse == nil: ErrConflict / 409 with this size
	refuse   error  // the refusal, one of the witness's Err* values
}

var accepted = outcome{accept: true}

func conflictAt(n uint64) outcome { return outcome{conflict: n} }
func refused(why error) outcome   { return outcome{refuse: why} }

// specStatus is the status C2SP tlog-witness (add-checkpoint, the text of
// July 2026) gives each refusal. A fork at the cosigned size was 409 before
// that revision; it is 422 now, and every 409 carries the witness's size.
var specStatus = map[error]int{
	transparency.ErrUnknownLog: http.StatusNotFound,
	transparency.ErrSignature:  http.StatusForbidden,
	transparency.ErrOldSize:    http.StatusBadRequest,
	transparency.ErrEmptyRoot:  http.StatusUnprocessableEntity,
	transparency.ErrProof:      http.StatusUnprocessableEntity,
	transparency.ErrFork:       http.StatusUnprocessableEntity,
}

// flipSignature changes one base64 digit in the middle of the first
// signature: the key hash stays, the signature bytes change.
func flipSignature(signed []byte) []byte {
	b := bytes.Clone(signed)
	i := bytes.Index(b, []byte("\n\n— ")) + len("\n\n— ")
	i += bytes.IndexByte(b[i:], ' ') + 1 + 20
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return b
}

// withBadLine adds to a note signed by one key a second signature line with
// the same key name and key ID whose signature does not verify: after the
// valid line, or before it when first is set.
func withBadLine(signed []byte, first bool) []byte {
	text, good, _ := bytes.Cut(signed, []byte("\n\n"))
	_, bad, _ := bytes.Cut(flipSignature(signed), []byte("\n\n"))
	if first {
		good, bad = bad, good
	}
	return slices.Concat(text, []byte("\n\n"), good, bad)
}

// sizeZero signs a checkpoint of size 0 with the given root.
func sizeZero(tb testing.TB, origin string, root []byte, s note.Signer) []byte {
	tb.Helper()
	b, err := transparency.SignCheckpoint(transparency.Checkpoint{Origin: origin, Size: 0, Hash: root}, s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// emptyRoot is the root of the empty tree, SHA-256 of the empty string.
var emptyRoot = func() []byte { h := sha256.Sum256(nil); return h[:] }()

// flipRoot changes the first base64 digit of the root hash line.
func flipRoot(signed []byte) []byte {
	b := bytes.Clone(signed)
	lines := bytes.SplitN(b, []byte("\n"), 3)
	i := len(lines[0]) + 1 + len(lines[1]) + 1
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return b
}

// The witness cosigns only a correctly signed checkpoint of a log it knows
// that is consistent with the one it cosigned last: it refuses a fork (at a
// larger size with a proof, and at the same size), a bad signature (also
// when a valid line by the log's key comes with an invalid one, in either
// order), an unknown log, a smaller size and a size-0 checkpoint without
// the empty tree's root, and answers a wrong old size with the size it is
// at. Each step runs against Witness.Add and, on another witness, against
// its HTTP handler; both give the same answers, with the status codes of
// the current C2SP tlog-witness text.
func TestWitnessAddCheckpoint(t *testing.T) {
	const origin = "gongkai.test/witnessed"
	lk := mustLogKeys(t, origin)
	impostor := mustLogKeys(t, origin) // another key with the log's name
	stranger := mustLogKeys(t, "gongkai.test/stranger")
	wk := mustWitnessKeys(t, "witness.test/town")

	// main and fork share their first 3 leaves.
	main := buildTree(t, origin, names("main", 16, "", 0))
	fork := buildTree(t, origin, names("main", 3, "fork", 13))
	r3m, _ := main.RootAt(3)
	r3f, _ := fork.RootAt(3)
	r4m, _ := main.RootAt(4)
	r4f, _ := fork.RootAt(4)
	if !bytes.Equal(r3m, r3f) || bytes.Equal(r4m, r4f) {
		t.Fatal("the test trees do not share exactly a prefix of 3 leaves")
	}
	strangerTree := buildTree(t, "gongkai.test/stranger", names("s", 4, "", 0))
	sign := func(tr *transparency.Tree, size uint64) []byte { return signedAt(t, tr, origin, size, lk.signer) }
	req := func(old uint64, pf [][]byte, signed []byte) transparency.AddCheckpointRequest {
		return transparency.AddCheckpointRequest{OldSize: old, Proof: pf, Checkpoint: signed}
	}

	otherRoot, _ := main.RootAt(1)
	// The premise of the second-line steps: note.Open alone accepts a
	// valid line followed by a bad one of the same key.
	if _, err := note.Open(withBadLine(sign(main, 8), false), note.VerifierList(lk.verifier)); err != nil {
		t.Fatalf("note.Open refuses a valid line followed by a bad one (%v): the steps below test nothing", err)
	}

	steps := []struct {
		name string
		req  transparency.AddCheckpointRequest
		want outcome
	}{
		{"size 0 with a root that is not the empty tree's", req(0, nil, sizeZero(t, origin, otherRoot, lk.signer)), refused(transparency.ErrEmptyRoot)},
		{"size 0 with the empty tree's root", req(0, nil, sizeZero(t, origin, emptyRoot, lk.signer)), accepted},
		{"old size 0 with a proof", req(0, consistency(t, main, 4, 5), sign(main, 5)), refused(transparency.ErrProof)},
		{"first checkpoint, old size 0", req(0, nil, sign(main, 5)), accepted},
		{"old size 0 again", req(0, nil, sign(main, 8)), conflictAt(5)},
		// The old size is checked against the witness's before the root
		// of a size-0 checkpoint, in the order of the text.
		{"size 0 with a wrong root, the witness at 5", req(0, nil, sizeZero(t, origin, otherRoot, lk.signer)), conflictAt(5)},
		{"old size ahead of the witness", req(7, consistency(t, main, 7, 8), sign(main, 8)), conflictAt(5)},
		{"fork with its own consistency proof", req(5, consistency(t, fork, 5, 8), sign(fork, 8)), refused(transparency.ErrProof)},
		{"fork with the cosigned tree's proof", req(5, consistency(t, main, 5, 8), sign(fork, 8)), refused(transparency.ErrProof)},
		{"fork at the cosigned size", req(5, nil, sign(fork, 5)), refused(transparency.ErrFork)},
		{"consistent size without a proof", req(5, nil, sign(main, 8)), refused(transparency.ErrProof)},
		{"signed by another key with the log's name", req(5, consistency(t, main, 5, 8), signedAt(t, main, origin, 8, impostor.signer)), refused(transparency.ErrSignature)},
		{"a byte of the signature flipped", req(5, consistency(t, main, 5, 8), flipSignature(sign(main, 8))), refused(transparency.ErrSignature)},
		{"a byte of the root hash flipped", req(5, consistency(t, main, 5, 8), flipRoot(sign(main, 8))), refused(transparency.ErrSignature)},
		{"a valid log signature, then a bad line of the log's key", req(5, consistency(t, main, 5, 8), withBadLine(sign(main, 8), false)), refused(transparency.ErrSignature)},
		{"a bad line of the log's key, then a valid log signature", req(5, consistency(t, main, 5, 8), withBadLine(sign(main, 8), true)), refused(transparency.ErrSignature)},
		{"a log the witness does not know", req(0, nil, signedAt(t, strangerTree, "gongkai.test/stranger", 4, stranger.signer)), refused(transparency.ErrUnknownLog)},
		{"smaller size", req(5, nil, sign(main, 4)), refused(transparency.ErrOldSize)},
		// Nothing refused above moved the witness: it is still at 5.
		{"consistent", req(5, consistency(t, main, 5, 8), sign(main, 8)), accepted},
		{"the same checkpoint again", req(8, nil, sign(main, 8)), accepted},
		// A line by a key the witness does not know is ignored, even with
		// the log's name (C2SP signed-note).
		{"the same, also signed by another key with the log's name", req(8, nil, signedAt(t, main, origin, 8, lk.signer, impostor.signer)), accepted},
		{"smaller than the new size", req(8, nil, sign(main, 5)), refused(transparency.ErrOldSize)},
		{"old size of the smaller checkpoint", req(5, nil, sign(main, 5)), conflictAt(8)},
		{"the fork, now far ahead", req(8, consistency(t, fork, 8, 16), sign(fork, 16)), refused(transparency.ErrProof)},
		{"consistent again", req(8, consistency(t, main, 8, 16), sign(main, 16)), accepted},
	}

	check := func(t *testing.T, i int, got outcome, sigs []byte, msg string, status int) {
		t.Helper()
		step := steps[i]
		want := step.want
		switch {
		case want.accept:
			if !got.accept {
				t.Fatalf("step %q: refused (%s), want cosigned", step.name, msg)
			}
			checkCosignature(t, step.req.Checkpoint, sigs, lk.verifier, wk)
		case want.refuse == nil:
			if got.accept || got.refuse != nil || got.conflict != want.conflict {
				t.Fatalf("step %q: got %+v (%s), want a conflict at size %d", step.name, got, msg, want.conflict)
			}
		case status != 0:
			if status != specStatus[want.refuse] {
				t.Fatalf("step %q: status %d (%s), want %d for %q", step.name, status, msg, specStatus[want.refuse], want.refuse)
			}
		default:
			if got.accept || !errors.Is(got.refuse, want.refuse) {
				t.Fatalf("step %q: got %+v (%s), want %q", step.name, got, msg, want.refuse)
			}
		}
	}

	t.Run("Add", func(t *testing.T) {
		dir := t.TempDir()
		w, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, dir)
		if err != nil {
			t.Fatal(err)
		}
		for i, step := range steps {
			sigs, err := w.Add(step.req)
			var got outcome
			var conflict transparency.ErrConflict
			switch {
			case err == nil:
				got = accepted
			case errors.As(err, &conflict):
				got = conflictAt(conflict.Size)
			default:
				got = refused(err)
			}
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			check(t, i, got, sigs, msg, 0)
		}
		// The state outlives a restart of the witness.
		w2, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, dir)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w2.Add(req(0, nil, sign(main, 16)))
		var conflict transparency.ErrConflict
		if !errors.As(err, &conflict) || conflict.Size != 16 {
			t.Fatalf("after a restart, old size 0: Add = %v, want ErrConflict{16}", err)
		}
	})

	t.Run("HTTP", func(t *testing.T) {
		w, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(w)
		defer srv.Close()
		for i, step := range steps {
			resp, err := http.Post(srv.URL+"/add-checkpoint", "text/plain", bytes.NewReader(step.req.Marshal()))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var got outcome
			status := 0
			switch {
			case resp.StatusCode == http.StatusOK:
				got = accepted
			case resp.StatusCode == http.StatusConflict && resp.Header.Get("Content-Type") == "text/x.tlog.size":
				n, err := strconv.ParseUint(strings.TrimSuffix(string(body), "\n"), 10, 64)
				if err != nil || !strings.HasSuffix(string(body), "\n") {
					t.Fatalf("step %q: 409 body %q is not a size and a newline", step.name, body)
				}
				got = conflictAt(n)
			default:
				got, status = refused(errors.New(string(body))), resp.StatusCode
			}
			check(t, i, got, body, string(body), status)
		}

		// Requests that are not add-checkpoint requests.
		for _, c := range []struct {
			method, path, body string
			want               int
		}{
			{http.MethodPost, "/add-checkpoint", "old x\n\n", http.StatusBadRequest},
			{http.MethodPost, "/add-checkpoint", "no empty line", http.StatusBadRequest},
			{http.MethodPost, "/add-checkpoint", "old 16\nnot-a-hash\n\n", http.StatusBadRequest},
			{http.MethodPost, "/add-checkpoint", "old 16\n\n" + strings.Repeat("x", 65<<10), http.StatusRequestEntityTooLarge},
			{http.MethodGet, "/add-checkpoint", "", http.StatusNotFound},
			{http.MethodPost, "/other", "old 0\n\n", http.StatusNotFound},
		} {
			rec := httptest.NewRecorder()
			w.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader(c.body)))
			if rec.Code != c.want {
				t.Errorf("%s %s %.20q: status %d, want %d", c.method, c.path, c.body, rec.Code, c.want)
			}
		}
	})
}

// checkCosignature checks that sigs is one cosignature/v1 line by the
// witness over the checkpoint, made just now.
func checkCosignature(t *testing.T, signed, sigs []byte, logV note.Verifier, wk witnessKeys) {
	t.Helper()
	if bytes.Count(sigs, []byte("\n")) != 1 || !bytes.HasPrefix(sigs, []byte("— "+wk.verifier.Name()+" ")) {
		t.Fatalf("cosignature lines = %q, want one line by %s", sigs, wk.verifier.Name())
	}
	cosigned := append(bytes.Clone(signed), sigs...)
	n, err := note.Open(cosigned, note.VerifierList(logV, wk.verifier))
	if err != nil {
		t.Fatalf("the cosigned checkpoint does not verify: %v\n%s", err, cosigned)
	}
	var found bool
	for _, s := range n.Sigs {
		if s.Name == wk.verifier.Name() && s.Hash == wk.verifier.KeyHash() {
			found = true
			at, err := fnote.CoSigV1Timestamp(s)
			if err != nil || time.Since(at) > time.Minute || time.Until(at) > time.Minute {
				t.Errorf("cosignature time %v (%v), want now", at, err)
			}
		}
	}
	if !found || len(n.Sigs) != 2 {
		t.Fatalf("verified signatures %+v, want the log's and the witness's", n.Sigs)
	}
	// The witness verifies alone too: the cosignature covers the same text.
	if _, err := note.Open(cosigned, note.VerifierList(wk.verifier)); err != nil {
		t.Fatalf("the cosignature alone does not verify: %v", err)
	}
}

// WitnessClient learns the witness's size from a 409 and retries with a
// consistency proof from it; it reports a refused fork as an error.
func TestWitnessClient(t *testing.T) {
	const origin = "gongkai.test/client"
	lk := mustLogKeys(t, origin)
	wk := mustWitnessKeys(t, "witness.test/town")
	main := buildTree(t, origin, names("main", 20, "", 0))
	fork := buildTree(t, origin, names("main", 2, "fork", 18))
	w, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Another client already brought the witness to size 6.
	if _, err := w.Add(transparency.AddCheckpointRequest{Checkpoint: signedAt(t, main, origin, 6, lk.signer)}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	defer srv.Close()
	c := transparency.NewWitnessClient(srv.URL+"/", "town")
	if c.Name() != "town" || c.URL != srv.URL {
		t.Fatalf("client name %q url %q", c.Name(), c.URL)
	}
	for _, size := range []uint64{11, 11, 20} {
		signed := signedAt(t, main, origin, size, lk.signer)
		sigs, err := c.Cosign(bg, main, signed)
		if err != nil {
			t.Fatalf("Cosign at %d: %v", size, err)
		}
		checkCosignature(t, signed, sigs, lk.verifier, wk)
	}
	if _, err := c.Cosign(bg, fork, signedAt(t, fork, origin, 20, lk.signer)); err == nil || !strings.Contains(err.Error(), "fork") {
		t.Fatalf("Cosign of a fork = %v, want a refusal", err)
	}
}

// tamper serves the witness w through change, which may alter its reply,
// and counts the requests.
type tamper struct {
	w      http.Handler
	change func(rec *httptest.ResponseRecorder)
	n      int
}

func (p *tamper) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	p.n++
	rec := httptest.NewRecorder()
	p.w.ServeHTTP(rec, req)
	if p.change != nil {
		p.change(rec)
	}
	for k, v := range rec.Header() {
		rw.Header()[k] = v
	}
	rw.WriteHeader(rec.Code)
	rw.Write(rec.Body.Bytes())
}

// WitnessClient retries only on a 409 that carries the witness's size as
// C2SP tlog-witness says (text/x.tlog.size, the size and a newline); it
// does not retry from a size larger than its checkpoint's (ErrWitnessAhead)
// and does not take a reply that is not note signature lines.
func TestWitnessClientRefusals(t *testing.T) {
	const origin = "gongkai.test/client-refusals"
	lk := mustLogKeys(t, origin)
	wk := mustWitnessKeys(t, "witness.test/town")
	main := buildTree(t, origin, names("main", 12, "", 0))
	w, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add(transparency.AddCheckpointRequest{Checkpoint: signedAt(t, main, origin, 10, lk.signer)}); err != nil {
		t.Fatal(err)
	}
	p := &tamper{w: w}
	srv := httptest.NewServer(p)
	defer srv.Close()
	cosign := func(size uint64) error {
		_, err := transparency.NewWitnessClient(srv.URL, "town").Cosign(bg, main, signedAt(t, main, origin, size, lk.signer))
		return err
	}

	// The witness has cosigned 10; a checkpoint of 6 (the log restored
	// from an older backup) is not sent again from 10.
	p.n = 0
	if err := cosign(6); !errors.Is(err, transparency.ErrWitnessAhead) || p.n != 1 {
		t.Fatalf("Cosign(6) with the witness at 10 = %v after %d requests, want ErrWitnessAhead after 1", err, p.n)
	}
	// A 409 without the size's media type is a refusal, not a size.
	p.n, p.change = 0, func(rec *httptest.ResponseRecorder) {
		if rec.Code == http.StatusConflict {
			rec.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
	}
	if err := cosign(12); err == nil || p.n != 1 {
		t.Fatalf("Cosign after a text/plain 409 = %v after %d requests, want an error after 1", err, p.n)
	}
	// A 409 whose body is not a size and a newline.
	p.n, p.change = 0, func(rec *httptest.ResponseRecorder) {
		if rec.Code == http.StatusConflict {
			rec.Body = bytes.NewBufferString("010\n")
		}
	}
	if err := cosign(12); err == nil || p.n != 1 {
		t.Fatalf("Cosign after a 409 of %q = %v after %d requests, want an error after 1", "010\n", err, p.n)
	}
	// A reply that is not signature lines would make the note unreadable.
	for _, extra := range []string{"garbage\n", "\n— witness.test/town AAAA\n", "— witness.test/town !!!!\n"} {
		p.n, p.change = 0, func(rec *httptest.ResponseRecorder) {
			if rec.Code == http.StatusOK {
				rec.Body.WriteString(extra)
			}
		}
		if err := cosign(11); err == nil || !strings.Contains(err.Error(), "not note signature lines") {
			t.Fatalf("Cosign with %q added to the reply = %v, want a refusal", extra, err)
		}
	}
	// Unchanged, the same client learns the size and cosigns.
	p.change = nil
	if err := cosign(12); err != nil {
		t.Fatalf("Cosign(12) = %v", err)
	}
}
