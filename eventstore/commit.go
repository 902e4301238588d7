package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// Group commit (ADR 0011). With fsync on every write JetStream stores one
// message per disk flush however many publishers wait, but an atomic batch
// is flushed once at its commit. The committer therefore publishes a
// request at once while fewer than maxInFlight publishes are outstanding
// (one client sees the latency it always had) and otherwise queues it; when
// a publish returns, everything queued goes out as one atomic batch. Each
// request keeps its own messages, contiguous, with its own expected-version
// checks, idempotency header and signatures, so the log holds exactly what
// it would hold had the requests been published one by one.
//
// A batch is all or nothing, but a request must fail alone: when JetStream
// refuses a batch (a stale check of one request rejects all of it, and
// stores nothing) its requests are published again one by one, and each
// gets its own outcome. Two requests on one subject never share a batch
// (JetStream refuses an exact-subject check on a subject written earlier
// in the same batch), nor do requests with a wildcard check or a writer key
// operation, which go alone.

// defaultMaxInFlight is how many publishes (single requests or batches) may
// be outstanding at once before requests queue for the next batch. One is
// best: JetStream stores a stream's messages one publish after another, and
// the longer a publish is outstanding the larger the next batch.
const defaultMaxInFlight = 1

// minGroupBatch is the fewest messages worth an atomic batch. A batch has
// a fixed cost: on a single server JetStream stages it in files of its own
// (2.3–2.7 ms on the benchmark machine, with or without fsync, against
// 0.3 ms for one synchronous publish), so below this size the queued
// requests are published side by side, each on its own, instead.
const minGroupBatch = 8

// maxBatchMessages bounds one group batch (JetStream's limit is 1000).
const maxBatchMessages = MaxEventsPerRequest

// CommitStats counts the committer's publishes since the store opened.
type CommitStats struct {
	// Publishes is the number of publishes of one request alone;
	// Batches the number of group batches and BatchedRequests and
	// BatchedMessages what they held.
	Publishes, Batches, BatchedRequests, BatchedMessages uint64
	// Fallbacks is the number of group batches JetStream refused whose
	// requests were then published one by one.
	Fallbacks uint64
	// BatchTime is the time the group batches' publishes took, in all.
	BatchTime time.Duration
}

type pendingCommit struct {
	msgs  []*nats.Msg
	alone bool // a wildcard check or a key operation: never in a group
	first uint64
	err   error
	done  chan struct{}
}

type committer struct {
	s           *Store
	maxInFlight int

	mu       sync.Mutex
	inFlight int
	queue    []*pendingCommit
	stats    CommitStats
}

// commit stores msgs, the messages of one request, and returns the stream
// sequence of the first. Errors are those of publish for this request alone.
func (c *committer) commit(ctx context.Context, msgs []*nats.Msg, alone bool) (first uint64, err error) {
	c.mu.Lock()
	if c.inFlight < c.maxInFlight && len(c.queue) == 0 {
		c.inFlight++
		c.stats.Publishes++
		c.mu.Unlock()
		first, _, err = c.s.publish(ctx, msgs)
		c.release()
		return first, err
	}
	p := &pendingCommit{msgs: msgs, alone: alone, done: make(chan struct{})}
	c.queue = append(c.queue, p)
	c.mu.Unlock()
	select {
	case <-p.done:
		return p.first, p.err
	case <-ctx.Done():
	}
	// Abandoned while queued: taken out unless a batch already holds it,
	// in which case its outcome is known shortly and is the truth.
	c.mu.Lock()
	for i, q := range c.queue {
		if q == p {
			c.queue = append(c.queue[:i], c.queue[i+1:]...)
			c.mu.Unlock()
			return 0, fmt.Errorf("append: %w", ctx.Err())
		}
	}
	c.mu.Unlock()
	<-p.done
	return p.first, p.err
}

// release ends one outstanding publish and starts the next batch if
// requests are waiting.
func (c *committer) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	for c.inFlight < c.maxInFlight && len(c.queue) > 0 {
		batch := c.take()
		c.inFlight++
		go c.flush(batch)
	}
}

// take removes from the queue, in order, the requests of the next batch:
// up to maxBatchMessages messages, no two on one subject, a request that
// must go alone only by itself. Requests it skips stay queued in order.
func (c *committer) take() []*pendingCommit {
	if c.queue[0].alone {
		p := c.queue[0]
		c.queue = c.queue[1:]
		return []*pendingCommit{p}
	}
	var batch, rest []*pendingCommit
	subjects := map[string]bool{}
	n := 0
	for _, p := range c.queue {
		if p.alone || n+len(p.msgs) > maxBatchMessages || overlaps(subjects, p.msgs) {
			rest = append(rest, p)
			continue
		}
		for _, m := range p.msgs {
			subjects[m.Subject] = true
		}
		n += len(p.msgs)
		batch = append(batch, p)
	}
	c.queue = rest
	return batch
}

func overlaps(subjects map[string]bool, msgs []*nats.Msg) bool {
	for _, m := range msgs {
		if subjects[m.Subject] {
			return true
		}
	}
	return false
}

// flush publishes a taken batch and tells each request its outcome.
func (c *committer) flush(batch []*pendingCommit) {
	defer c.release()
	// The batch's publish is not bound to any one caller's context: a
	// caller that gives up must not cancel the others' commit.
	ctx, cancel := context.WithTimeout(context.Background(), c.s.js.Options().DefaultTimeout)
	defer cancel()
	n := 0
	for _, p := range batch {
		n += len(p.msgs)
	}
	if n < minGroupBatch {
		// Too few for a batch to pay its fixed cost: published side by
		// side, each on its own.
		c.count(func(st *CommitStats) { st.Publishes += uint64(len(batch)) })
		var wg sync.WaitGroup
		for _, p := range batch {
			wg.Go(func() {
				p.first, _, p.err = c.s.publish(ctx, p.msgs)
				close(p.done)
			})
		}
		wg.Wait()
		return
	}
	var msgs []*nats.Msg
	for _, p := range batch {
		msgs = append(msgs, p.msgs...)
	}
	start := time.Now()
	ack, err := jetstreamext.PublishMsgBatch(ctx, c.s.js, msgs, jetstreamext.BatchFlowControl{AckFirst: false})
	took := time.Since(start)
	c.count(func(st *CommitStats) {
		st.Batches++
		st.BatchedRequests += uint64(len(batch))
		st.BatchedMessages += uint64(len(msgs))
		st.BatchTime += took
	})
	switch {
	case err == nil && ack.BatchSize == uint64(len(msgs)):
		seq := ack.Sequence - ack.BatchSize + 1
		for _, p := range batch {
			p.first = seq
			seq += uint64(len(p.msgs))
			close(p.done)
		}
		return
	case err == nil:
		err = fmt.Errorf("append: batch ack for %d messages, sent %d", ack.BatchSize, len(msgs))
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// JetStream looked at the batch and refused it, storing nothing:
		// most likely one request's check is stale. One by one, each
		// request gets its own answer.
		c.count(func(st *CommitStats) { st.Fallbacks++ })
		for _, p := range batch {
			for _, m := range p.msgs {
				clearBatchHeaders(m)
			}
			pctx, cancel := context.WithTimeout(context.Background(), c.s.js.Options().DefaultTimeout)
			p.first, _, p.err = c.s.publish(pctx, p.msgs)
			cancel()
			close(p.done)
		}
		return
	}
	// A timeout or a lost connection: the batch may or may not be stored.
	// Every request gets the error; a retry with its idempotency key finds
	// it if it was.
	for _, p := range batch {
		for _, m := range p.msgs {
			clearBatchHeaders(m)
		}
		p.err = fmt.Errorf("append: %w", err)
		close(p.done)
	}
}

func clearBatchHeaders(m *nats.Msg) {
	m.Header.Del(jetstreamext.BatchIDHeader)
	m.Header.Del(jetstreamext.BatchSeqHeader)
	m.Header.Del(jetstreamext.BatchCommitHeader)
	m.Reply = ""
}

func (c *committer) count(f func(*CommitStats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

// CommitStats returns the committer's counts so far.
func (s *Store) CommitStats() CommitStats {
	s.commits.mu.Lock()
	defer s.commits.mu.Unlock()
	return s.commits.stats
}
