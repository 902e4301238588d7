package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/gongkai/gongkai/eventstore"
)

// ledgerMsg is ev as gongkai's store writes a request of one event under
// the idempotency key ikey of ev's community: the same payload and the same
// Gongkai-* headers, part "0/1", decided on aggregate version prev (0 for a
// new aggregate). It is not signed yet (see preloader.add and
// placeholderSig).
func ledgerMsg(ev eventstore.Event, ikey string, prev uint64) *nats.Msg {
	ev.IdempotencyKey = ikey
	data, _ := json.Marshal(ev)
	m := nats.NewMsg(ev.Subject())
	m.Data = data
	ih := eventstore.IdempotencyHash(ev.Community, ikey)
	sum := sha256.Sum256(data)
	m.Header.Set(eventstore.HeaderIdempotency, ih)
	m.Header.Set(eventstore.HeaderRequest, ih)
	m.Header.Set(eventstore.HeaderCommand, "0")
	m.Header.Set(eventstore.HeaderType, ev.Type)
	m.Header.Set(eventstore.HeaderEventID, ev.ID)
	m.Header.Set(eventstore.HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
	m.Header.Set(eventstore.HeaderPrev, strconv.FormatUint(prev, 10))
	m.Header.Set(eventstore.HeaderPart, "0/1")
	return m
}

// placeholderSig stands in for a writer signature on the baseline's
// messages, which go to a second stream that nobody validates: the same
// length as an Ed25519 signature in base64, so that the baseline stores as
// many bytes as the ledger, without the cost of signing.
var placeholderSig = base64.StdEncoding.EncodeToString(make([]byte, 64))

// baselineMsg is ledgerMsg on subject instead of the ledger's, with writer
// headers of the same size as a signed message's (key id, placeholder
// signature).
func baselineMsg(subject string, ev eventstore.Event, ikey string) *nats.Msg {
	m := ledgerMsg(ev, ikey, 0)
	m.Subject = subject
	m.Header.Set(eventstore.HeaderWriter, "0000000000000000")
	m.Header.Set(eventstore.HeaderWriterSig, placeholderSig)
	return m
}

// writerKeyOf reads the writer key a gongkai server keeps in its data
// directory dir (created on its first start).
func writerKeyOf(dir string) (eventstore.WriterKey, error) {
	k, _, err := eventstore.LoadOrCreateWriterKey(filepath.Join(dir, "writer.key"), false)
	return k, err
}

// preloader appends events to the ledger stream in atomic batches of up to
// 1000, each event its own request signed with the server's writer key, as
// gongkai's store would have written them one by one. After the genesis a
// message without a valid signature, or decided on an aggregate version
// other than the one it lands on, is not a fact: the preloader keeps the
// stream's last sequence and each reused subject's version, and each batch
// expects the stream's last sequence, so that nothing else can be stored in
// between.
type preloader struct {
	js      jetstream.JetStream
	store   *eventstore.Store
	key     eventstore.WriterKey
	last    uint64            // the stream's last sequence
	version map[string]uint64 // last sequence of subjects written more than once
	batch   []*nats.Msg
	// track records the version of new aggregates too, for a preload
	// that writes to them again.
	track bool
}

func newPreloader(ctx context.Context, js jetstream.JetStream, store *eventstore.Store, key eventstore.WriterKey) (*preloader, error) {
	last, err := store.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	return &preloader{js: js, store: store, key: key, last: last, version: map[string]uint64{}}, nil
}

// add queues ev under idempotency key ikey, publishing the batch when it
// holds 1000 messages, and returns the payload. fresh says ev starts a new
// aggregate (version 0); otherwise its version is looked up once and then
// followed.
func (p *preloader) add(ctx context.Context, ev eventstore.Event, ikey string, fresh bool) ([]byte, error) {
	subject := ev.Subject()
	var prev uint64
	if !fresh {
		v, ok := p.version[subject]
		if !ok {
			var err error
			if v, err = p.store.Version(ctx, subject); err != nil {
				return nil, err
			}
		}
		prev = v
	}
	if !fresh || p.track {
		p.version[subject] = p.last + uint64(len(p.batch)) + 1
	}
	m := ledgerMsg(ev, ikey, prev)
	p.key.SignHeader(m.Subject, m.Header)
	p.batch = append(p.batch, m)
	if len(p.batch) == 1000 {
		return m.Data, p.flush(ctx)
	}
	return m.Data, nil
}

// openSigned opens the ledger stream on js for a preload before any gongkai
// server has run on dir: it creates the writer key the server will find in
// dir, and the store registers it as the log's first (the genesis).
func openSigned(ctx context.Context, js jetstream.JetStream, dir string) (*preloader, error) {
	key, _, err := eventstore.LoadOrCreateWriterKey(filepath.Join(dir, "writer.key"), true)
	if err != nil {
		return nil, err
	}
	store, err := eventstore.Open(ctx, js, eventstore.Config{Writer: key})
	if err != nil {
		return nil, err
	}
	return newPreloader(ctx, js, store, key)
}

// flush publishes the queued messages as one atomic batch.
func (p *preloader) flush(ctx context.Context) error {
	if len(p.batch) == 0 {
		return nil
	}
	// Set after signing: not covered by the signature, as in gongkai.
	p.batch[0].Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(p.last, 10))
	ack, err := jetstreamext.PublishMsgBatch(ctx, p.js, p.batch)
	if err != nil {
		return fmt.Errorf("preload after sequence %d: %w", p.last, err)
	}
	if want := p.last + uint64(len(p.batch)); ack.Sequence != want {
		return fmt.Errorf("preload: batch stored through sequence %d, want %d", ack.Sequence, want)
	}
	p.last = ack.Sequence
	p.batch = p.batch[:0]
	return nil
}
