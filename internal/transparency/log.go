package transparency

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
)

// CheckpointStream is the stream that keeps the signed checkpoints. Like the
// ledger it is immutable.
const CheckpointStream = "GONGKAI_CHECKPOINTS"

// Config configures a Log.
type Config struct {
	// Origin names the log in its checkpoints and leaves, such as
	// "gongkai.example/wenhualu"; the signer key's name must equal it.
	Origin string
	// Stream is the ledger stream's name.
	Stream string
	// TreeDir keeps the tree's node hashes.
	TreeDir string
	// Signers sign checkpoints (two during a key rotation). Without one the
	// log builds its tree and serves proofs but signs nothing.
	Signers []note.Signer
	// MinInterval is the least time between checkpoints while events arrive
	// (default one minute); MaxInterval the most (default one day).
	MinInterval, MaxInterval time.Duration
	// Witnesses cosign each checkpoint; see WitnessClient. A checkpoint
	// with fewer than WitnessQuorum cosignatures is still published (the log
	// must not stall because a witness is down) but raises an alarm;
	// verifiers enforce their own quorum.
	Witnesses     []*WitnessClient
	WitnessQuorum int
	// Replicas is the replica count of the checkpoint stream and the lease
	// bucket when they are created (the ledger stream's; default 1).
	Replicas int
	Now      func() time.Time
	Logger   *slog.Logger
	// Gate, when set, is asked before signing; while it returns an error
	// nothing is signed (the guard found the ledger's storage shortened,
	// replaced or limited).
	Gate func() error
	// RecheckChunk is the most leaves one checkpoint adds (default
	// 100,000): before signing, the sequencer re-reads every message since
	// the previous checkpoint, and a long way behind (after a restore or a
	// bulk load) it signs in steps, renewing its lease between them.
	RecheckChunk uint64
}

// recheckBudget is the most time one checkpoint's re-read may take before
// the sequencer signs what it has checked so far: well inside the lease's
// 10 s, which the sequencer renews between checkpoints.
const recheckBudget = 3 * time.Second

// Log builds the Merkle tree over the ledger stream and, when it holds the
// sequencer lease and has a signer, publishes signed checkpoints.
type Log struct {
	cfg   Config
	store *eventstore.Store
	js    jetstream.JetStream
	tree  *Tree
	cps   jetstream.Stream
	id    string
	wake  chan struct{}

	mu       sync.Mutex
	latest   []byte // the latest checkpoint note, byte for byte
	latestCP Checkpoint
	cpSeq    uint64 // its sequence in CheckpointStream
	cpAt     time.Time
	leader   bool
	gaps     []uint64
	alarm    string
	// cpHigh is the largest checkpoint size this log has stored or loaded.
	cpHigh uint64
	// cpsCreated is when the checkpoint stream Open found was created.
	cpsCreated time.Time
	// witnessCounts counts each witness's cosignatures and failures, in
	// the order of Config.Witnesses.
	witnessCounts []WitnessCount
	// behind is set when the last checkpoint covered less than the tree
	// (a bounded re-read): the next one is due at once.
	behind bool
}

// Open opens the tree and the checkpoint stream.
func Open(ctx context.Context, js jetstream.JetStream, store *eventstore.Store, cfg Config) (*Log, error) {
	if cfg.MinInterval == 0 {
		cfg.MinInterval = time.Minute
	}
	if cfg.MaxInterval == 0 {
		cfg.MaxInterval = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RecheckChunk == 0 {
		cfg.RecheckChunk = 100_000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, s := range cfg.Signers {
		if s.Name() != cfg.Origin {
			return nil, fmt.Errorf("signer key is for %q, the log's origin is %q", s.Name(), cfg.Origin)
		}
	}
	tree, err := OpenTree(cfg.TreeDir)
	if err != nil {
		cfg.Logger.Warn("tree files unusable; rebuilding the tree from the stream", "dir", cfg.TreeDir, "err", err)
		if err := os.RemoveAll(cfg.TreeDir); err != nil {
			return nil, err
		}
		if tree, err = OpenTree(cfg.TreeDir); err != nil {
			return nil, err
		}
	}
	scfg := eventstore.StreamConfig(CheckpointStream, max(cfg.Replicas, 1), 2*time.Minute)
	scfg.Description = "gongkai signed checkpoints: immutable"
	scfg.Subjects = []string{"gongkai-checkpoints.>"}
	cps, err := js.Stream(ctx, CheckpointStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		cps, err = eventstore.CreateStream(ctx, js, scfg, cfg.Logger)
	}
	if err != nil {
		tree.Close()
		return nil, fmt.Errorf("checkpoint stream: %w", err)
	}
	if err := eventstore.CheckStreamConfig(cps.CachedInfo().Config); err != nil {
		tree.Close()
		return nil, err
	}
	l := &Log{cfg: cfg, store: store, js: js, tree: tree, cps: cps, id: uuid.NewString(), wake: make(chan struct{}, 1),
		cpsCreated: cps.CachedInfo().Created}
	for _, w := range cfg.Witnesses {
		l.witnessCounts = append(l.witnessCounts, WitnessCount{Name: w.Name()})
	}
	if err := l.loadLatest(ctx); err != nil {
		tree.Close()
		return nil, err
	}
	l.probeWitnesses(ctx)
	return l, nil
}

func (l *Log) subject() string { return "gongkai-checkpoints." + l.cfg.Stream }

// loadLatest reads the latest stored checkpoint.
func (l *Log) loadLatest(ctx context.Context) error {
	m, err := l.cps.GetLastMsgForSubject(ctx, l.subject())
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("latest checkpoint: %w", err)
	}
	var cp Checkpoint
	if _, err := cp.Unmarshal(m.Data); err != nil {
		return fmt.Errorf("latest checkpoint: %w", err)
	}
	// m.Time is the NATS server's clock. An instance whose clock is behind
	// it would otherwise count the next checkpoint's interval from a time
	// in its future and sign nothing until its clock caught up.
	at := m.Time
	if now := l.cfg.Now(); at.After(now) {
		at = now
	}
	l.mu.Lock()
	l.latest, l.latestCP, l.cpSeq, l.cpAt = m.Data, cp, m.Sequence, at
	l.cpHigh = max(l.cpHigh, cp.Size)
	l.mu.Unlock()
	return nil
}

// Tree returns the log's tree.
func (l *Log) Tree() *Tree { return l.tree }

// InclusionProof proves the leaf at index is in the tree of size.
func (l *Log) InclusionProof(index, size uint64) ([][]byte, error) {
	return l.tree.InclusionProof(index, size)
}

// ConsistencyProof proves the tree of size1 is a prefix of that of size2.
func (l *Log) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	return l.tree.ConsistencyProof(size1, size2)
}

// Origin returns the log's origin.
func (l *Log) Origin() string { return l.cfg.Origin }

// Latest returns the latest checkpoint note (nil if none), its parsed body
// and when it was stored.
func (l *Log) Latest() ([]byte, Checkpoint, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.latest, l.latestCP, l.cpAt
}

// Status is what /readyz shows of the log.
type Status struct {
	TreeSize       uint64   `json:"tree_size"`
	CheckpointSize uint64   `json:"checkpoint_size"`
	Sequencer      bool     `json:"sequencer"`
	Signing        bool     `json:"signing"`
	Gaps           []uint64 `json:"gaps,omitempty"`
	Alarm          string   `json:"alarm,omitempty"`
	// Witnesses counts each witness's cosignatures and failures to cosign
	// since the start (for /metrics).
	Witnesses []WitnessCount `json:"-"`
}

// WitnessCount is one witness's cosignatures and failures.
type WitnessCount struct {
	Name             string
	Cosigned, Failed uint64
}

// Status returns the log's status.
func (l *Log) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Status{TreeSize: l.tree.Size(), CheckpointSize: l.latestCP.Size, Sequencer: l.leader,
		Signing: len(l.cfg.Signers) > 0, Gaps: append([]uint64(nil), l.gaps...), Alarm: l.alarm, Witnesses: slices.Clone(l.witnessCounts)}
}

// Wake asks for a checkpoint now (a month or year was closed).
func (l *Log) Wake() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run takes part in the sequencer election and publishes checkpoints, when
// the log has a signer, until ctx ends. The tree is built by Handle, which
// the process's feed calls for every event (see projector.Feed).
func (l *Log) Run(ctx context.Context) error {
	if len(l.cfg.Signers) == 0 {
		<-ctx.Done()
		return nil
	}
	return l.sequence(ctx)
}

// Start returns the first stream sequence the tree needs.
func (l *Log) Start(context.Context, uint64) (uint64, error) { return l.tree.Size() + 1, nil }

// Handle appends the leaf of one stored message to the tree, in sequence
// order. A missing sequence becomes a gap leaf and an alarm, never a silent
// skip.
func (l *Log) Handle(ctx context.Context, st eventstore.Stored) error {
	if st.Seq < l.tree.Size()+1 {
		return nil
	}
	var hashes [][]byte
	for seq := l.tree.Size() + 1; seq < st.Seq; seq++ {
		hashes = append(hashes, Leaf{Origin: l.cfg.Origin, Stream: l.cfg.Stream, Seq: seq, Gap: true}.Hash())
		l.gapAlarm(seq)
	}
	hashes = append(hashes, NewLeaf(l.cfg.Origin, l.cfg.Stream, st.Seq, st.Subject, st.ID, st.Raw).Hash())
	// A failed write (a full disk) leaves the tree as it was: try again
	// until it works, holding up the feed rather than ending the process.
	for try := 0; ; try++ {
		err := l.tree.Append(hashes...)
		if err == nil {
			break
		}
		if try == 0 {
			l.cfg.Logger.Error("tree write failed; trying again every second", "stream_seq", st.Seq, "err", err)
		}
		l.mu.Lock()
		l.alarm = fmt.Sprintf("tree write failed at stream sequence %d: %v", st.Seq, err)
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return fmt.Errorf("tree: %w", err)
		case <-time.After(time.Second):
		}
	}
	if st.Type == domain.EvMonthClosed || st.Type == domain.EvYearClosed {
		l.Wake()
	}
	return nil
}

func (l *Log) gapAlarm(seq uint64) {
	l.mu.Lock()
	l.gaps = append(l.gaps, seq)
	l.alarm = fmt.Sprintf("stream sequence %d is missing: recorded as a gap leaf", seq)
	l.mu.Unlock()
	l.cfg.Logger.Error("ALARM: stream sequence missing; recorded as a gap leaf", "stream_seq", seq)
}

const leaseBucket = "GONGKAI_SEQUENCER"

// sequence holds the sequencer lease while it can and publishes checkpoints.
func (l *Log) sequence(ctx context.Context) error {
	// The lease bucket is made once and never updated, so a NATS account that
	// may not change streams can run gongkai. While it cannot be reached (a
	// cluster node down), the instance keeps serving and tries again.
	var kv jetstream.KeyValue
	for kv == nil {
		var err error
		kv, err = l.js.KeyValue(ctx, leaseBucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = l.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: leaseBucket, TTL: 10 * time.Second, History: 1,
				Replicas: max(l.cfg.Replicas, 1)})
		}
		if err != nil {
			kv = nil
			l.cfg.Logger.Warn("sequencer lease bucket unavailable; trying again", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(5 * time.Second):
			}
		}
	}
	var rev uint64
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	renewed := time.Time{}
	started := l.cfg.Now()
	for {
		select {
		case <-ctx.Done():
			l.setLeader(false)
			if rev != 0 {
				_ = kv.Delete(context.Background(), l.cfg.Stream, jetstream.LastRevision(rev))
			}
			return nil
		case <-tick.C:
		case <-l.wake:
			// Only for something new: a wake left over from before this
			// instance held the lease must not sign the same size again.
			if _, cp, _ := l.Latest(); rev != 0 && l.tree.Size() > cp.Size {
				if err := l.checkpoint(ctx); err != nil {
					l.cfg.Logger.Error("checkpoint", "err", err)
				}
			}
			continue
		}
		// Take or keep the lease.
		if rev == 0 {
			r, err := kv.Create(ctx, l.cfg.Stream, []byte(l.id))
			if err != nil {
				l.setLeader(false)
				// Another instance signs: serve what it signed, not the
				// checkpoint this one read when it started.
				if err := l.loadLatest(ctx); err != nil {
					l.cfg.Logger.Warn("reading the latest checkpoint", "err", err)
				}
				continue
			}
			rev, renewed = r, time.Now()
			l.setLeader(true)
			l.cfg.Logger.Info("holding the sequencer lease", "origin", l.cfg.Origin)
			if err := l.loadLatest(ctx); err != nil {
				return err
			}
		} else if time.Since(renewed) > 3*time.Second {
			r, err := kv.Update(ctx, l.cfg.Stream, []byte(l.id), rev)
			if err != nil {
				l.cfg.Logger.Warn("lost the sequencer lease", "err", err)
				rev = 0
				l.setLeader(false)
				continue
			}
			rev, renewed = r, time.Now()
			l.setLeader(true) // again, after a failed publish
		}
		_, cp, at := l.Latest()
		size := l.tree.Size()
		now := l.cfg.Now()
		l.mu.Lock()
		behind := l.behind
		l.mu.Unlock()
		due := size > cp.Size && (cp.Size == 0 || behind || now.Sub(at) >= l.cfg.MinInterval || now.Sub(started) < 5*time.Second)
		due = due || (size > 0 && now.Sub(at) >= l.cfg.MaxInterval)
		if due {
			if err := l.checkpoint(ctx); err != nil {
				l.cfg.Logger.Error("checkpoint", "err", err)
			}
		}
	}
}

func (l *Log) setLeader(b bool) {
	l.mu.Lock()
	l.leader = b
	l.mu.Unlock()
}

// ErrNotSequencer is returned when this instance does not hold the lease.
var ErrNotSequencer = errors.New("not the sequencer")

// checkpoint signs and publishes the tree's current size, after checking
// that the stored bytes since the last checkpoint are those the tree hashed.
func (l *Log) checkpoint(ctx context.Context) error {
	l.mu.Lock()
	leader, prev, prevSeq := l.leader, l.latestCP, l.cpSeq
	l.mu.Unlock()
	if !leader {
		return ErrNotSequencer
	}
	if l.cfg.Gate != nil {
		if err := l.cfg.Gate(); err != nil {
			return fmt.Errorf("not signing: %w", err)
		}
	}
	treeSize := l.tree.Size()
	if treeSize == 0 || treeSize < prev.Size {
		return nil
	}
	// Never more than a chunk or the time budget past the previous
	// checkpoint: the rest is signed by the next ones. Nor past what the
	// store has judged (facts or not): after a restart the tree on disk is
	// ahead of the index the feed is still building, and re-reading there
	// would make the store read the stream's headers a second time.
	upTo := min(treeSize, prev.Size+l.cfg.RecheckChunk, l.store.Indexed())
	if treeSize > prev.Size && upTo <= prev.Size {
		return nil // the next tick
	}
	size, err := l.recheck(ctx, prev.Size, upTo, time.Now().Add(recheckBudget))
	if err != nil {
		l.mu.Lock()
		l.alarm = err.Error()
		l.mu.Unlock()
		return err
	}
	if err := l.tree.Sync(); err != nil {
		return err
	}
	root, err := l.tree.RootAt(size)
	if err != nil {
		return err
	}
	cp := Checkpoint{Origin: l.cfg.Origin, Size: size, Hash: root}
	signed, err := SignCheckpoint(cp, l.cfg.Signers...)
	if err != nil {
		return err
	}
	signed = l.cosign(ctx, signed, prev.Size)
	opts := []jetstream.PublishOpt{jetstream.WithExpectLastSequence(prevSeq)}
	if prevSeq == 0 {
		opts = []jetstream.PublishOpt{jetstream.WithExpectLastSequence(0)}
	}
	ack, err := l.js.Publish(ctx, l.subject(), signed, opts...)
	if err != nil {
		l.setLeader(false)
		_ = l.loadLatest(ctx)
		return fmt.Errorf("publish checkpoint %d: %w", size, err)
	}
	l.mu.Lock()
	l.latest, l.latestCP, l.cpSeq, l.cpAt = signed, cp, ack.Sequence, l.cfg.Now()
	l.cpHigh = max(l.cpHigh, cp.Size)
	l.behind = size < treeSize
	l.mu.Unlock()
	l.cfg.Logger.Info("checkpoint published", "size", size, "root", fmt.Sprintf("%x", root[:8]))
	return nil
}

// recheck re-reads the messages from sequence from+1 to to, or as many as
// it can before deadline, and refuses if any stored bytes differ from what
// the tree hashed. It returns the last sequence it checked.
func (l *Log) recheck(ctx context.Context, from, to uint64, deadline time.Time) (uint64, error) {
	reached := from
	err := l.leaves(ctx, from, to, func(leaf Leaf) error {
		if err := l.same(leaf.Seq, leaf); err != nil {
			return err
		}
		reached = leaf.Seq
		if time.Now().After(deadline) {
			return errBudget
		}
		return nil
	})
	if errors.Is(err, errBudget) {
		err = nil
	}
	return reached, err
}

var (
	errStop   = errors.New("stop")
	errBudget = errors.New("re-read budget spent")
)

func (l *Log) same(seq uint64, leaf Leaf) error {
	h, err := l.tree.LeafHash(seq - 1)
	if err != nil {
		return err
	}
	if string(h) != string(leaf.Hash()) {
		return fmt.Errorf("refusing to sign: stream sequence %d changed since the tree hashed it", seq)
	}
	return nil
}

// cosign asks the witnesses to cosign and adds their signature lines.
func (l *Log) cosign(ctx context.Context, signed []byte, _ uint64) []byte {
	got := 0
	for i, w := range l.cfg.Witnesses {
		sigs, err := w.Cosign(ctx, l.tree, signed)
		l.mu.Lock()
		if err != nil {
			l.witnessCounts[i].Failed++
		} else {
			l.witnessCounts[i].Cosigned++
		}
		l.mu.Unlock()
		if err != nil {
			l.cfg.Logger.Warn("witness did not cosign", "witness", w.Name(), "err", err)
			continue
		}
		signed = append(signed, sigs...)
		got++
	}
	if got < l.cfg.WitnessQuorum {
		l.mu.Lock()
		l.alarm = fmt.Sprintf("checkpoint cosigned by %d witnesses, quorum is %d", got, l.cfg.WitnessQuorum)
		l.mu.Unlock()
		l.cfg.Logger.Error("ALARM: witness quorum not reached", "cosignatures", got, "quorum", l.cfg.WitnessQuorum)
	}
	return signed
}

// SignatureLines returns the signature lines of a note ("— name sig").
func SignatureLines(msg []byte) []string {
	_, sigs, _ := strings.Cut(string(msg), "\n\n")
	var out []string
	for _, line := range strings.Split(sigs, "\n") {
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}
