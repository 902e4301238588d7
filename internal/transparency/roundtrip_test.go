package transparency_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/transparency"
)

func get(t *testing.T, url string) apptest.Response {
	t.Helper()
	return apptest.Do(t, http.MethodGet, url, nil, nil)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	r := get(t, url)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, r.Body)
	}
}

// appended is what the API said about one stored event.
type appended struct {
	seq     uint64
	id      string
	subject string
}

// A real server builds the log, signs checkpoints and serves proofs that
// check out with nothing but the log's public key: every event's inclusion
// proof in every checkpoint, the offline bundle of every event, and a
// consistency proof between every two checkpoints, which a witness also
// cosigned.
func TestRoundTripThroughAPI(t *testing.T) {
	t.Parallel()
	// The witness needs the log's key, which the server makes on its first
	// start: it answers 503 until the test installs it.
	var witness atomic.Pointer[transparency.Witness]
	ws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if x := witness.Load(); x != nil {
			x.ServeHTTP(w, r)
			return
		}
		http.Error(w, "not yet", http.StatusServiceUnavailable)
	}))
	defer ws.Close()
	s := apptest.Start(t, app.Config{CheckpointEvery: 200 * time.Millisecond, Witnesses: []string{ws.URL}})

	key := get(t, s.URL+"/api/v1/log/key")
	if key.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/log/key: %d %s", key.Status, key.Body)
	}
	vkey := strings.TrimSpace(string(key.Body))
	logV, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatalf("the served key %q: %v", vkey, err)
	}
	skey, err := os.ReadFile(filepath.Join(s.Dir, "signer.key"))
	if err != nil {
		t.Fatalf("the embedded server made no signer key: %v", err)
	}
	if fromFile, err := transparency.VerifierKeyOf(string(skey)); err != nil || fromFile != vkey {
		t.Fatalf("VerifierKeyOf(<data>/signer.key) = %q, %v; the server serves %q", fromFile, err, vkey)
	}
	wk := mustWitnessKeys(t, "witness.test/town")
	w, err := transparency.NewWitness(wk.skey, []string{vkey}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	witness.Store(w)

	// Append in rounds; after each, wait for a checkpoint that covers it,
	// collecting every distinct checkpoint note seen on the way.
	var events []appended
	var notes [][]byte
	seen := map[string]bool{}
	poll := func() transparency.Checkpoint {
		r := get(t, s.URL+"/api/v1/log/checkpoint")
		if r.Status == http.StatusNotFound {
			return transparency.Checkpoint{}
		}
		if r.Status != http.StatusOK {
			t.Fatalf("GET /api/v1/log/checkpoint: %d %s", r.Status, r.Body)
		}
		cp, _, err := transparency.OpenCheckpoint(r.Body, logV)
		if err != nil {
			t.Fatalf("the served checkpoint does not open: %v\n%s", err, r.Body)
		}
		if !seen[string(r.Body)] {
			seen[string(r.Body)] = true
			notes = append(notes, r.Body)
		}
		return cp
	}
	command := func(key, body string) {
		r := s.Command(t, "c1", key, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("command %s: %d %s", key, r.Status, r.Body)
		}
		var reply struct {
			AggregateType string `json:"aggregate_type"`
			AggregateID   string `json:"aggregate_id"`
			Events        []struct {
				ID  string `json:"id"`
				Seq uint64 `json:"stream_seq"`
			} `json:"events"`
		}
		if err := json.Unmarshal(r.Body, &reply); err != nil || len(reply.Events) == 0 {
			t.Fatalf("command %s reply %s: %v", key, r.Body, err)
		}
		for _, e := range reply.Events {
			if want := uint64(len(events) + 1); e.Seq != want {
				t.Fatalf("event stored at sequence %d, want %d", e.Seq, want)
			}
			events = append(events, appended{seq: e.Seq, id: e.ID, subject: eventstore.Subject("c1", reply.AggregateType, reply.AggregateID)})
		}
	}
	// The log's first message registers the server's writer key.
	g, err := s.Store.Message(context.Background(), 1)
	if err != nil || g.Community != eventstore.WriterCommunity {
		t.Fatalf("first message %+v, %v: want the writer key registration", g, err)
	}
	events = append(events, appended{seq: 1, id: g.ID, subject: g.Subject})
	n := 0
	for round, count := range []int{0, 3, 5, 1} {
		if round == 0 {
			command("community", `{"type":"community.register","aggregate_id":"c1","effective_date":"2025-01-02","data":{"name":"测试社区","kind":"社区","town":"示例镇","county":"示例县"}}`)
		}
		for range count {
			n++
			command(fmt.Sprint("m", n), fmt.Sprintf(`{"type":"matter.register","aggregate_id":"m%d","effective_date":"2025-02-01","data":{"title":"事项 %d"}}`, n, n))
		}
		last := uint64(len(events))
		waitFor(t, 10*time.Second, fmt.Sprintf("round %d: a checkpoint of size %d", round, last), func() bool { return poll().Size == last })
	}
	if len(notes) < 4 {
		t.Fatalf("%d distinct checkpoints, want one per round at least", len(notes))
	}

	// Every collected checkpoint opens with the log's key; the last ones
	// carry the witness's cosignature.
	cps := make([]transparency.Checkpoint, len(notes))
	for i, b := range notes {
		cp, n, err := transparency.OpenCheckpoint(b, logV, wk.verifier)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && cp.Size <= cps[i-1].Size {
			t.Fatalf("checkpoint %d has size %d after %d", i, cp.Size, cps[i-1].Size)
		}
		if i == len(notes)-1 && len(n.Sigs) != 2 {
			t.Fatalf("the latest checkpoint is not cosigned: %+v\n%s", n.Sigs, b)
		}
		cps[i] = cp
	}
	latest := cps[len(cps)-1]
	origin := latest.Origin

	// /metrics counts the witness's cosignatures (and its refusals while
	// it did not know the log's key).
	m := get(t, s.URL+"/metrics")
	want := fmt.Sprintf(`gongkai_witness_cosignatures_total{witness=%q}`, ws.URL)
	var cosigned float64
	for _, line := range strings.Split(string(m.Body), "\n") {
		if v, ok := strings.CutPrefix(line, want+" "); ok {
			fmt.Sscan(v, &cosigned)
		}
	}
	if cosigned < 1 || !strings.Contains(string(m.Body), "gongkai_witness_cosign_failures_total{witness=") {
		t.Fatalf("/metrics: %s = %v, want at least 1, and a failures counter\n%s", want, cosigned, m.Body)
	}

	// Inclusion: every event in every checkpoint that covers it, with the
	// leaf computed from what the API said and the bundle's payload.
	for _, e := range events {
		b := get(t, fmt.Sprintf("%s/api/v1/log/bundle?seq=%d", s.URL, e.seq))
		if b.Status != http.StatusOK {
			t.Fatalf("bundle of %d: %d %s", e.seq, b.Status, b.Body)
		}
		v, err := transparency.VerifyBundle(b.Body, []note.Verifier{logV}, []note.Verifier{wk.verifier}, 1)
		if err != nil {
			t.Fatalf("bundle of %d does not verify: %v\n%s", e.seq, err, b.Body)
		}
		stored, err := s.Store.Message(bg, e.seq)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(v.Payload, stored.Raw) || v.Leaf.EventID != e.id || v.Leaf.Subject != e.subject || v.Leaf.Seq != e.seq ||
			v.Checkpoint.Size != latest.Size || !bytes.Equal(v.Checkpoint.Hash, latest.Hash) || len(v.Witnesses) != 1 {
			t.Fatalf("bundle of %d proves %+v, want event %+v in the latest checkpoint %+v", e.seq, v, e, latest)
		}
		leaf := transparency.NewLeaf(origin, "GONGKAI", e.seq, e.subject, e.id, v.Payload).Hash()
		for _, cp := range cps {
			if cp.Size < e.seq {
				continue
			}
			var inc struct {
				Origin    string   `json:"origin"`
				Seq       uint64   `json:"stream_seq"`
				LeafIndex uint64   `json:"leaf_index"`
				TreeSize  uint64   `json:"tree_size"`
				Hashes    []string `json:"hashes"`
			}
			getJSON(t, fmt.Sprintf("%s/api/v1/log/inclusion?seq=%d&size=%d", s.URL, e.seq, cp.Size), &inc)
			if inc.Origin != origin || inc.Seq != e.seq || inc.LeafIndex != e.seq-1 || inc.TreeSize != cp.Size {
				t.Fatalf("inclusion reply %+v for seq %d size %d", inc, e.seq, cp.Size)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, e.seq-1, cp.Size, leaf, b64decode(t, inc.Hashes), cp.Hash); err != nil {
				t.Fatalf("event %d in checkpoint %d: %v", e.seq, cp.Size, err)
			}
			if cp.Size == e.seq+1 { // and a wrong leaf does not verify
				other := transparency.NewLeaf(origin, "GONGKAI", e.seq, e.subject, e.id, append(v.Payload, ' ')).Hash()
				if proof.VerifyInclusion(rfc6962.DefaultHasher, e.seq-1, cp.Size, other, b64decode(t, inc.Hashes), cp.Hash) == nil {
					t.Fatalf("a changed payload verified at %d", e.seq)
				}
			}
		}
	}
	// The default size is the latest checkpoint's.
	var inc struct {
		TreeSize uint64 `json:"tree_size"`
	}
	getJSON(t, fmt.Sprintf("%s/api/v1/log/inclusion?seq=1", s.URL), &inc)
	if inc.TreeSize != latest.Size {
		t.Fatalf("inclusion without size: tree_size %d, want %d", inc.TreeSize, latest.Size)
	}

	// Consistency between every two checkpoints.
	for i := range cps {
		for j := i + 1; j < len(cps); j++ {
			var c struct {
				Origin string   `json:"origin"`
				From   uint64   `json:"from"`
				To     uint64   `json:"to"`
				Hashes []string `json:"hashes"`
			}
			getJSON(t, fmt.Sprintf("%s/api/v1/log/consistency?from=%d&to=%d", s.URL, cps[i].Size, cps[j].Size), &c)
			hashes := b64decode(t, c.Hashes)
			if err := verifyConsistent(cps[i], cps[j], hashes); err != nil {
				t.Fatalf("consistency %d→%d: %v", cps[i].Size, cps[j].Size, err)
			}
			if c.Origin != origin || c.From != cps[i].Size || c.To != cps[j].Size {
				t.Fatalf("consistency reply %+v for %d→%d", c, cps[i].Size, cps[j].Size)
			}
			wrong := cps[i]
			wrong.Hash = bytes.Clone(wrong.Hash)
			wrong.Hash[0] ^= 1
			if verifyConsistent(wrong, cps[j], hashes) == nil {
				t.Fatalf("consistency %d→%d verified with a wrong old root", cps[i].Size, cps[j].Size)
			}
		}
	}

	// Proofs the log cannot give.
	for _, q := range []string{
		fmt.Sprintf("inclusion?seq=0&size=%d", latest.Size),
		fmt.Sprintf("inclusion?seq=%d&size=%d", latest.Size+1, latest.Size),
		fmt.Sprintf("inclusion?seq=1&size=%d", latest.Size+100),
		fmt.Sprintf("consistency?from=%d&to=%d", latest.Size, latest.Size-1),
		fmt.Sprintf("consistency?from=1&to=%d", latest.Size+100),
		fmt.Sprintf("bundle?seq=%d", latest.Size+1),
		"bundle?seq=0",
	} {
		if r := get(t, s.URL+"/api/v1/log/"+q); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404: %s", q, r.Status, r.Body)
		}
	}

	// The real bundle of the last event with any one byte flipped does not
	// verify.
	b := get(t, fmt.Sprintf("%s/api/v1/log/bundle?seq=%d", s.URL, latest.Size)).Body
	checkFlips(t, b, func(b []byte) (transparency.Verified, error) {
		return transparency.VerifyBundle(b, []note.Verifier{logV}, []note.Verifier{wk.verifier}, 1)
	})
}
