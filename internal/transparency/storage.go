package transparency

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
)

// KnownSize is the largest size of the ledger this log knows of: its tree,
// its latest stored checkpoint, and the largest size a witness answered
// that it has cosigned. A ledger stream shorter than this was truncated or
// restored from an older backup (see eventstore.Store.CheckIntegrity).
func (l *Log) KnownSize() uint64 {
	n, _ := l.KnownSizes()
	return n
}

// KnownSizes is KnownSize and where each size comes from, for an operator:
// "tree 126, checkpoints 126, witness https://town.example 131".
func (l *Log) KnownSizes() (uint64, string) {
	l.mu.Lock()
	tree, cp := l.tree.Size(), max(l.latestCP.Size, l.cpHigh)
	l.mu.Unlock()
	n := max(tree, cp)
	why := fmt.Sprintf("tree %d, checkpoints %d", tree, cp)
	for _, w := range l.cfg.Witnesses {
		n = max(n, w.Size())
		why += fmt.Sprintf(", witness %s %d", w.Name(), w.Size())
	}
	return n, why
}

// CheckStorage checks the checkpoint stream as eventstore's CheckIntegrity
// checks the ledger: still there, the same stream, immutable, not sealed,
// and holding every checkpoint this log has stored.
func (l *Log) CheckStorage(ctx context.Context) error {
	info, err := l.cps.Info(ctx)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return fmt.Errorf("checkpoint stream %s is gone (deleted); gongkai signs nothing and takes no writes until an operator restores it", CheckpointStream)
	case err != nil:
		return fmt.Errorf("checkpoint stream %s does not answer: %v", CheckpointStream, err)
	}
	if err := eventstore.CheckStreamConfig(info.Config); err != nil {
		return err
	}
	if err := eventstore.CheckQuorum(info); err != nil {
		return err
	}
	if !l.cpsCreated.IsZero() && !info.Created.Equal(l.cpsCreated) {
		return fmt.Errorf("checkpoint stream %s was replaced: it was created at %s, the one found now at %s", CheckpointStream,
			l.cpsCreated.UTC().Format(time.RFC3339Nano), info.Created.UTC().Format(time.RFC3339Nano))
	}
	l.mu.Lock()
	cpSeq := l.cpSeq
	l.mu.Unlock()
	if info.State.LastSeq < cpSeq || info.State.NumDeleted > 0 || info.State.Msgs != info.State.LastSeq {
		return fmt.Errorf("checkpoint stream %s holds %d checkpoints up to sequence %d, but this log stored its latest at sequence %d",
			CheckpointStream, info.State.Msgs, info.State.LastSeq, cpSeq)
	}
	return nil
}

// probeWitnesses sends each witness the latest stored checkpoint, so that
// a witness that has cosigned a larger size says so (tlog-witness answers
// a stale old size with that size). It is done once at start: a log
// restored from an older backup must find out before it takes a write.
func (l *Log) probeWitnesses(ctx context.Context) {
	l.mu.Lock()
	latest := l.latest
	l.mu.Unlock()
	if latest == nil {
		return
	}
	for _, w := range l.cfg.Witnesses {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := w.Cosign(pctx, l.tree, latest)
		cancel()
		if err != nil {
			l.cfg.Logger.Warn("witness probe at start", "witness", w.Name(), "witness_size", w.Size(), "err", err)
		}
	}
}

// StoredSize returns the size of the latest checkpoint stored for the
// ledger stream named stream (0 when there is none, or no checkpoint
// stream): what the log's own signed records say its size was.
func StoredSize(ctx context.Context, js jetstream.JetStream, stream string) (uint64, error) {
	cps, err := js.Stream(ctx, CheckpointStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	m, err := cps.GetLastMsgForSubject(ctx, "gongkai-checkpoints."+stream)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var cp Checkpoint
	if _, err := cp.Unmarshal(m.Data); err != nil {
		return 0, fmt.Errorf("latest checkpoint: %w", err)
	}
	return cp.Size, nil
}

// TreeSizeIn returns the number of leaves of the tree kept in dir, without
// opening or creating it (0 when there is none): what this instance's own
// files say the ledger's size was.
func TreeSizeIn(dir string) uint64 {
	st, err := os.Stat(filepath.Join(dir, "level-00"))
	if err != nil {
		return 0
	}
	return uint64(st.Size()) / 32
}
