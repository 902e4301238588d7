package transparency_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/eventstore/storetest"
	"github.com/gongkai/gongkai/internal/projector"
	"github.com/gongkai/gongkai/internal/transparency"
)

// ledger is an embedded JetStream server with the ledger stream, and the
// test's own connection to it.
type ledger struct {
	emb   *eventstore.Embedded
	js    jetstream.JetStream
	store *eventstore.Store
	n     int // events appended by appendEvents
}

func startLedger(t *testing.T) *ledger {
	t.Helper()
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	js, err := jetstream.New(e.Conn)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.Open(bg, js, eventstore.Config{Writer: testWriter})
	if err != nil {
		t.Fatal(err)
	}
	return &ledger{emb: e, js: js, store: store}
}

// appendEvents appends n events, one request each, and returns the
// stream's last sequence.
func (l *ledger) appendEvents(t *testing.T, n int) uint64 {
	t.Helper()
	for range n {
		l.n++
		id := fmt.Sprint("a", l.n)
		_, err := l.store.Append(bg, eventstore.Request{Community: "c1", IdempotencyKey: id, Fingerprint: id,
			Appends: []eventstore.Append{{AggregateType: "test", AggregateID: id, Events: []eventstore.Event{storetest.Event("c1", id, l.n)}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	last, err := l.store.LastSeq(bg)
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// checkpoints returns the checkpoints stored in the checkpoint stream, in
// order, each opened with the log's key.
func (l *ledger) checkpoints(t *testing.T, v note.Verifier) ([]transparency.Checkpoint, string) {
	t.Helper()
	st, err := l.js.Stream(bg, transparency.CheckpointStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(bg)
	if err != nil {
		t.Fatal(err)
	}
	var cps []transparency.Checkpoint
	var subject string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := st.GetMsg(bg, seq)
		if err != nil {
			t.Fatal(err)
		}
		cp, _, err := transparency.OpenCheckpoint(m.Data, v)
		if err != nil {
			t.Fatalf("checkpoint message %d: %v\n%s", seq, err, m.Data)
		}
		cps, subject = append(cps, cp), m.Subject
	}
	return cps, subject
}

// checkConsistent checks every stored checkpoint against an independently
// built tree: its root is the tree's at its size, it is no smaller than the
// one before (strictly larger when strict), and a consistency proof links
// every two.
func checkConsistent(t *testing.T, cps []transparency.Checkpoint, tr *transparency.Tree, strict bool) {
	t.Helper()
	for i, cp := range cps {
		if i > 0 && (cp.Size < cps[i-1].Size || strict && cp.Size == cps[i-1].Size) {
			t.Fatalf("checkpoint %d has size %d after %d: sizes %v", i, cp.Size, cps[i-1].Size, sizes(cps))
		}
		root, err := tr.RootAt(cp.Size)
		if err != nil || string(root) != string(cp.Hash) {
			t.Fatalf("checkpoint of size %d has root %x, the tree %x (%v)", cp.Size, cp.Hash, root, err)
		}
		for _, old := range cps[:i] {
			if err := verifyConsistent(old, cp, consistency(t, tr, old.Size, cp.Size)); err != nil {
				t.Fatalf("consistency %d→%d: %v", old.Size, cp.Size, err)
			}
		}
	}
}

func sizes(cps []transparency.Checkpoint) []uint64 {
	var out []uint64
	for _, cp := range cps {
		out = append(out, cp.Size)
	}
	return out
}

// node is one gongkai process's verifiable log: its own NATS connection
// and store, a feed that builds its tree, and the sequencer loop.
type node struct {
	name   string
	log    *transparency.Log
	logs   *logBuffer
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

func startNode(t *testing.T, l *ledger, name string, lk logKeys) *node {
	t.Helper()
	return startNodeWith(t, l, name, lk, transparency.Config{MinInterval: 200 * time.Millisecond})
}

// startNodeWith starts a node whose log has cfg's intervals and chunk.
func startNodeWith(t *testing.T, l *ledger, name string, lk logKeys, cfg transparency.Config) *node {
	t.Helper()
	nc, err := l.emb.Connect(nats.Name(name))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.Open(bg, js, eventstore.Config{Writer: testWriter})
	if err != nil {
		t.Fatal(err)
	}
	logger, buf := newTestLogger(t, name)
	cfg.Origin, cfg.Stream, cfg.TreeDir, cfg.Signers, cfg.Logger = lk.signer.Name(), "GONGKAI", t.TempDir(), []note.Signer{lk.signer}, logger
	tl, err := transparency.Open(bg, js, store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	n := &node{name: name, log: tl, logs: buf, nc: nc, cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := projector.Feed(ctx, store, logger, tl); err != nil {
			t.Errorf("%s: feed: %v", name, err)
		}
	}()
	go func() {
		defer wg.Done()
		if err := tl.Run(ctx); err != nil {
			t.Errorf("%s: Run: %v", name, err)
		}
	}()
	go func() { wg.Wait(); close(n.done) }()
	t.Cleanup(func() { n.stop(t) })
	return n
}

// stop ends the node's feed and sequencer loop (its Run returns, as at a
// graceful shutdown) and closes its connection.
func (n *node) stop(t *testing.T) {
	n.once.Do(func() {
		n.cancel()
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not stop within 10s", n.name)
		}
		n.nc.Close()
	})
}

func (n *node) checkpointSize() uint64 {
	_, cp, _ := n.log.Latest()
	return cp.Size
}

// leaseWatch samples who holds the sequencer lease until stopped and
// remembers any moment when two did.
type leaseWatch struct {
	stop    chan struct{}
	done    chan struct{}
	overlap atomic.Value // string
}

func watchLease(nodes ...*node) *leaseWatch {
	w := &leaseWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			var holders []string
			for _, n := range nodes {
				if n.log.Status().Sequencer {
					holders = append(holders, n.name)
				}
			}
			if len(holders) > 1 && w.overlap.Load() == nil {
				w.overlap.Store(fmt.Sprintf("%v at %s", holders, time.Now().Format(time.StampMilli)))
			}
		}
	}()
	return w
}

func (w *leaseWatch) check(t *testing.T) {
	t.Helper()
	close(w.stop)
	<-w.done
	if o := w.overlap.Load(); o != nil {
		t.Fatalf("two instances reported holding the sequencer lease at once: %s", o)
	}
}

// Two instances run the sequencer on the same log: one holds the lease and
// publishes every checkpoint; the other builds the same tree but publishes
// nothing, even when asked to (Wake). Every stored checkpoint is larger
// than the one before and consistent with all before it. When the leader
// stops, the other takes over and goes on from the last checkpoint.
func TestSecondSequencer(t *testing.T) {
	t.Parallel()
	l := startLedger(t)
	lk := mustLogKeys(t, "gongkai.test/sequencer")
	a, b := startNode(t, l, "a", lk), startNode(t, l, "b", lk)
	watch := watchLease(a, b)
	waitFor(t, 5*time.Second, "an instance takes the lease", func() bool {
		return a.log.Status().Sequencer || b.log.Status().Sequencer
	})
	leader, standby := a, b
	if b.log.Status().Sequencer {
		leader, standby = b, a
	}

	for round, n := range []int{3, 5, 2} {
		last := l.appendEvents(t, n)
		standby.log.Wake()
		waitFor(t, 10*time.Second, fmt.Sprintf("round %d: %s's checkpoint of size %d", round, leader.name, last),
			func() bool { return leader.checkpointSize() == last })
		waitFor(t, 5*time.Second, fmt.Sprintf("round %d: %s's tree reaches %d", round, standby.name, last),
			func() bool { return standby.log.Tree().Size() == last })
		standby.log.Wake()
		if standby.log.Status().Sequencer {
			t.Fatalf("round %d: the standby %s holds the lease", round, standby.name)
		}
		// The standby serves the leader's latest checkpoint, not the one it
		// read when it started.
		leaderSigned, _, _ := leader.log.Latest()
		waitFor(t, 5*time.Second, fmt.Sprintf("round %d: %s serves %s's checkpoint of size %d", round, standby.name, leader.name, last),
			func() bool { signed, _, _ := standby.log.Latest(); return bytes.Equal(signed, leaderSigned) })
	}
	if standby.logs.Contains("checkpoint published") || !leader.logs.Contains("checkpoint published") {
		t.Fatalf("the standby published a checkpoint, or the leader did not")
	}
	before, _ := l.checkpoints(t, lk.verifier)
	if len(before) < 3 {
		t.Fatalf("checkpoints of sizes %v, want one per round at least", sizes(before))
	}
	// The standby's own tree agrees with every checkpoint the leader signed.
	checkConsistent(t, before, standby.log.Tree(), true)

	stopped := time.Now()
	leader.stop(t)
	took := waitFor(t, 15*time.Second, standby.name+" takes over", func() bool { return standby.log.Status().Sequencer })
	t.Logf("%s took the lease %v after %s stopped", standby.name, took, leader.name)
	if leader.log.Status().Sequencer {
		t.Errorf("%s still reports holding the lease %v after its Run returned", leader.name, time.Since(stopped))
	}
	last := l.appendEvents(t, 4)
	waitFor(t, 10*time.Second, fmt.Sprintf("%s's checkpoint of size %d", standby.name, last),
		func() bool { return standby.checkpointSize() == last })
	after, _ := l.checkpoints(t, lk.verifier)
	if len(after) <= len(before) || fmt.Sprint(sizes(after[:len(before)])) != fmt.Sprint(sizes(before)) {
		t.Fatalf("checkpoints %v after the takeover, %v before", sizes(after), sizes(before))
	}
	checkConsistent(t, after, standby.log.Tree(), true)
	watch.check(t)
}

// When the leader dies without giving up its lease (here: its connection
// is cut), the standby takes over once the lease expires, within the
// lease's 10s TTL and a renewal tick, and publishes what arrived meanwhile.
func TestSequencerTakeoverAfterCrash(t *testing.T) {
	t.Parallel()
	l := startLedger(t)
	lk := mustLogKeys(t, "gongkai.test/crash")
	first := l.appendEvents(t, 3) // the writer key's registration and 3 events
	last := first
	a := startNode(t, l, "a", lk)
	waitFor(t, 10*time.Second, "a's checkpoint", func() bool { return a.checkpointSize() == last })
	b := startNode(t, l, "b", lk)
	waitFor(t, 5*time.Second, "b's tree", func() bool { return b.log.Tree().Size() == last })

	a.nc.Close() // a crash: a cannot give up its lease
	crashed := time.Now()
	last = l.appendEvents(t, 2)
	took := waitFor(t, 30*time.Second, "b takes over", func() bool { return b.log.Status().Sequencer })
	t.Logf("b took the lease %v after a's connection closed", took)
	if a.log.Status().Sequencer {
		t.Error("a, cut off from the server, still reports holding the lease")
	}
	waitFor(t, 10*time.Second, "b's checkpoint", func() bool { return b.checkpointSize() == last })
	cps, _ := l.checkpoints(t, lk.verifier)
	checkConsistent(t, cps, b.log.Tree(), true)
	if fmt.Sprint(sizes(cps)) != fmt.Sprint([]uint64{first, last}) {
		t.Fatalf("checkpoints of sizes %v, want %d by a and %d by b", sizes(cps), first, last)
	}
	t.Logf("b's checkpoint of size %d came %v after the crash", last, time.Since(crashed))
}

// A sequencer whose view of the checkpoint stream is stale cannot publish:
// when another party stores a checkpoint behind its back (as a second
// sequencer would), its next publish fails instead of landing after it.
// It then goes on publishing from the checkpoint now stored.
func TestStaleSequencerCannotPublish(t *testing.T) {
	t.Parallel()
	l := startLedger(t)
	lk := mustLogKeys(t, "gongkai.test/stale")
	a := startNode(t, l, "a", lk)
	last := l.appendEvents(t, 3)
	waitFor(t, 10*time.Second, "a's first checkpoint", func() bool { return a.checkpointSize() == last })
	_, subject := l.checkpoints(t, lk.verifier)

	// The other party builds its own tree from the stream and stores a
	// correctly signed checkpoint of it.
	last = l.appendEvents(t, 2)
	tr := buildTree(t, lk.signer.Name(), nil)
	err := l.store.Read(bg, 1, func(st eventstore.Stored) error {
		return tr.Append(transparency.NewLeaf(lk.signer.Name(), "GONGKAI", st.Seq, st.Subject, st.ID, st.Raw).Hash())
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.js.Publish(bg, subject, signedAt(t, tr, lk.signer.Name(), last, lk.signer)); err != nil {
		t.Fatal(err)
	}
	last = l.appendEvents(t, 2)
	waitFor(t, 10*time.Second, "a's publish to fail", func() bool { return a.logs.Contains("publish checkpoint") })
	if err := l.store.Read(bg, tr.Size()+1, func(st eventstore.Stored) error {
		return tr.Append(transparency.NewLeaf(lk.signer.Name(), "GONGKAI", st.Seq, st.Subject, st.ID, st.Raw).Hash())
	}); err != nil {
		t.Fatal(err)
	}
	// The checkpoint stream never went back; a recovers and publishes the
	// newest size.
	waitFor(t, 10*time.Second, fmt.Sprintf("a checkpoint of size %d", last), func() bool {
		cps, _ := l.checkpoints(t, lk.verifier)
		return cps[len(cps)-1].Size == last
	})
	cps, _ := l.checkpoints(t, lk.verifier)
	checkConsistent(t, cps, tr, false)
	if st := a.log.Status(); !st.Sequencer || st.CheckpointSize != last {
		t.Fatalf("a's status %+v, want the sequencer at size %d", st, last)
	}
}

// A sequencer whose publish fails once (the checkpoint stream refuses the
// message for a moment) keeps the lease and publishes again once the
// stream accepts it.
func TestSequencerRecoversFromFailedPublish(t *testing.T) {
	t.Parallel()
	l := startLedger(t)
	lk := mustLogKeys(t, "gongkai.test/recover")
	a := startNode(t, l, "a", lk)
	b := startNode(t, l, "b", lk)
	last := l.appendEvents(t, 3)
	waitFor(t, 10*time.Second, "a checkpoint", func() bool { return max(a.checkpointSize(), b.checkpointSize()) == last })
	leader := a // a standby serves the leader's checkpoint too: ask who signs
	if b.log.Status().Sequencer {
		leader = b
	}

	st, err := l.js.Stream(bg, transparency.CheckpointStream)
	if err != nil {
		t.Fatal(err)
	}
	// gongkai's own user may not update a stream; the operator may.
	nc, err := l.emb.ConnectAdmin()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	admin, _ := jetstream.New(nc)
	cfg := st.CachedInfo().Config
	cfg.MaxMsgSize = 16
	if _, err := admin.UpdateStream(bg, cfg); err != nil {
		t.Fatal(err)
	}
	l.appendEvents(t, 2)
	waitFor(t, 10*time.Second, "the leader's publish to fail", func() bool { return leader.logs.Contains("publish checkpoint") })
	cfg.MaxMsgSize = -1
	if _, err := admin.UpdateStream(bg, cfg); err != nil {
		t.Fatal(err)
	}
	last = l.appendEvents(t, 1)
	waitFor(t, 10*time.Second, fmt.Sprintf("a checkpoint of size %d after the stream accepts again", last), func() bool {
		return max(a.checkpointSize(), b.checkpointSize()) == last
	})
	cps, _ := l.checkpoints(t, lk.verifier)
	checkConsistent(t, cps, leader.log.Tree(), true)
}

// testWriter signs the appends of these tests.
var testWriter = func() eventstore.WriterKey {
	k, err := eventstore.GenerateWriterKey()
	if err != nil {
		panic(err)
	}
	return k
}()

// A sequencer far behind (a restore, a bulk load) re-reads and signs in
// bounded steps, one a tick, so that it renews its lease between them: with
// a chunk of 10 and 61 messages, checkpoints of 10, 20, ... 60 and 61, each
// consistent with the last, although a checkpoint is otherwise due only
// once an hour.
func TestSequencerCatchesUpInChunks(t *testing.T) {
	t.Parallel()
	l := startLedger(t)
	last := l.appendEvents(t, 60)
	lk := mustLogKeys(t, "gongkai.test/chunks")
	a := startNodeWith(t, l, "a", lk, transparency.Config{MinInterval: time.Hour, RecheckChunk: 10})
	watch := watchLease(a)
	waitFor(t, 30*time.Second, fmt.Sprintf("a checkpoint of size %d", last), func() bool { return a.checkpointSize() == last })
	cps, _ := l.checkpoints(t, lk.verifier)
	var want []uint64
	for s := uint64(10); s < last; s += 10 {
		want = append(want, s)
	}
	want = append(want, last)
	if fmt.Sprint(sizes(cps)) != fmt.Sprint(want) {
		t.Fatalf("checkpoints of sizes %v, want %v", sizes(cps), want)
	}
	checkConsistent(t, cps, a.log.Tree(), true)
	watch.check(t)
}
