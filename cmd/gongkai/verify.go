package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/transparency"
)

// errVerify marks a verification that ran and found the log or proof bad.
var errVerify = errors.New("verification failed")

func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "proof" {
		return verifyProof(args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "consistency" {
		return verifyConsistency(ctx, args[1:], getenv, stdout, stderr)
	}
	return verifyLog(ctx, args, getenv, stdout, stderr)
}

func verifier(key string) (note.Verifier, error) {
	if b, err := os.ReadFile(key); err == nil {
		key = strings.TrimSpace(string(b))
	}
	return note.NewVerifier(key)
}

// verifyLog rebuilds the whole tree from the raw stream and checks every
// stored checkpoint. It reports the first bad sequence and why.
func verifyLog(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var data, natsURLs, creds, key, stream, origin string
	fs := newFlags("verify", getenv, stderr)
	fs.str(&data, "data", "GONGKAI_DATA", "", "embedded JetStream directory (the server must be stopped)")
	fs.str(&natsURLs, "nats", "GONGKAI_NATS", "", "NATS URLs")
	fs.str(&creds, "nats-creds", "GONGKAI_NATS_CREDS", "", "NATS credentials file")
	fs.str(&key, "key", "GONGKAI_LOG_KEY", "", "the log's verifier key, or a file holding it")
	fs.str(&stream, "stream", "GONGKAI_STREAM", "GONGKAI", "ledger stream")
	fs.str(&origin, "origin", "GONGKAI_ORIGIN", "", "the log's origin (default: the key's name)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if key == "" {
		return errors.New("--key is required")
	}
	v, err := verifier(key)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	if origin == "" {
		origin = v.Name()
	}
	var nc *nats.Conn
	switch {
	case natsURLs != "":
		opts := []nats.Option{nats.Name("gongkai verify")}
		if creds != "" {
			opts = append(opts, nats.UserCredentials(creds))
		}
		if nc, err = nats.Connect(natsURLs, opts...); err != nil {
			return err
		}
		defer nc.Close()
	case data != "":
		e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: data})
		if err != nil {
			return err
		}
		defer e.Close()
		nc = e.Conn
	default:
		return errors.New("--data or --nats is required")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	// Checkpoints, by size.
	cps := map[uint64][]byte{}
	var maxCP uint64
	if cst, err := js.Stream(ctx, transparency.CheckpointStream); err == nil {
		cinfo, _ := cst.Info(ctx)
		for seq := cinfo.State.FirstSeq; seq <= cinfo.State.LastSeq && seq > 0; seq++ {
			m, err := cst.GetMsg(ctx, seq)
			if err != nil {
				return fmt.Errorf("%w: checkpoint message %d unreadable: %v", errVerify, seq, err)
			}
			cp, _, err := transparency.OpenCheckpoint(m.Data, v)
			if err != nil {
				return fmt.Errorf("%w: checkpoint message %d: %v", errVerify, seq, err)
			}
			cps[cp.Size] = cp.Hash
			maxCP = max(maxCP, cp.Size)
		}
	}
	if maxCP > info.State.LastSeq {
		return fmt.Errorf("%w: a checkpoint covers %d events but the stream ends at %d: first bad sequence %d (missing)",
			errVerify, maxCP, info.State.LastSeq, info.State.LastSeq+1)
	}
	rng := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
	var firstBad uint64
	var why string
	bad := func(seq uint64, reason string) {
		if firstBad == 0 {
			firstBad, why = seq, reason
		}
	}
	lastGood := uint64(0) // the largest checkpoint size verified
	checked := 0
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return err
	}
	next := uint64(1)
	check := func(size uint64) error {
		want, ok := cps[size]
		if !ok {
			return nil
		}
		root, err := rng.GetRootHash(nil)
		if err != nil {
			return err
		}
		if string(root) != string(want) {
			bad(lastGood+1, fmt.Sprintf("the tree of size %d does not match its signed checkpoint; the change is in sequences %d..%d", size, lastGood+1, size))
			return errVerify
		}
		lastGood = size
		checked++
		return nil
	}
	if info.State.LastSeq > 0 {
		it, err := cons.Messages()
		if err != nil {
			return err
		}
		defer it.Stop()
		for next <= info.State.LastSeq {
			m, err := it.Next()
			if err != nil {
				return err
			}
			md, _ := m.Metadata()
			seq := md.Sequence.Stream
			for ; next < seq; next++ { // missing messages
				bad(next, "the message is missing from the stream")
				rng.Append(transparency.Leaf{Origin: origin, Stream: stream, Seq: next, Gap: true}.Hash(), nil)
				if check(next) != nil {
					break
				}
			}
			data := m.Data()
			var ev eventstore.Event
			if json.Unmarshal(data, &ev) != nil {
				bad(seq, "the payload is not an event envelope")
			}
			if h := m.Headers().Get(eventstore.HeaderPayloadSHA256); h != "" {
				sum := sha256.Sum256(data)
				if h != fmt.Sprintf("%x", sum) {
					bad(seq, "the stored payload's SHA-256 differs from the one recorded when it was appended")
				}
			}
			rng.Append(transparency.NewLeaf(origin, stream, seq, m.Subject(), ev.ID, data).Hash(), nil)
			next = seq + 1
			if err := check(seq); err != nil && firstBad != 0 {
				break
			}
		}
	}
	if firstBad != 0 {
		fmt.Fprintf(stdout, "BAD: first bad sequence %d: %s\n", firstBad, why)
		return errVerify
	}
	if maxCP > 0 && lastGood != maxCP {
		fmt.Fprintf(stdout, "BAD: checkpoint at size %d could not be checked\n", maxCP)
		return errVerify
	}
	fmt.Fprintf(stdout, "OK: %d events, %d checkpoints verified, latest at size %d\n", next-1, checked, maxCP)
	return nil
}

// verifyProof checks an offline proof bundle.
func verifyProof(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: gongkai verify proof BUNDLE --key PUBKEY [--witness KEY ...] [--quorum N]")
	}
	file := args[0]
	var key, witnesses string
	var quorum int
	fs := newFlags("verify proof", getenv, stderr)
	fs.str(&key, "key", "GONGKAI_LOG_KEY", "", "the log's verifier key, or a file holding it")
	fs.StringVar(&witnesses, "witness", "", "witness verifier keys, comma-separated")
	fs.IntVar(&quorum, "quorum", 0, "witness cosignatures required (default: all given)")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	v, err := verifier(key)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	var ws []note.Verifier
	for _, k := range strings.Split(witnesses, ",") {
		if k == "" {
			continue
		}
		w, err := fnote.NewVerifierForCosignatureV1(strings.TrimSpace(k))
		if err != nil {
			return fmt.Errorf("--witness %s: %w", k, err)
		}
		ws = append(ws, w)
	}
	if quorum == 0 {
		quorum = len(ws)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	res, err := transparency.VerifyBundle(b, v, ws, quorum)
	if err != nil {
		fmt.Fprintf(stdout, "BAD: %v\n", err)
		return errVerify
	}
	fmt.Fprintf(stdout, "OK: event %s at stream sequence %d is in %s at size %d (witnesses: %s)\n%s\n",
		res.Leaf.EventID, res.Leaf.Seq, res.Checkpoint.Origin, res.Checkpoint.Size, strings.Join(res.Witnesses, ", "), res.Payload)
	return nil
}

// verifyConsistency checks that a newer checkpoint extends an older one,
// with a consistency proof fetched from the server.
func verifyConsistency(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		return errors.New("usage: gongkai verify consistency OLD_CHECKPOINT NEW_CHECKPOINT --server URL --key PUBKEY")
	}
	var server, key string
	fs := newFlags("verify consistency", getenv, stderr)
	fs.str(&server, "server", "GONGKAI_SERVER", "http://127.0.0.1:8080", "the gongkai server")
	fs.str(&key, "key", "GONGKAI_LOG_KEY", "", "the log's verifier key, or a file holding it")
	if err := fs.parse(args[2:]); err != nil {
		return err
	}
	v, err := verifier(key)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	var cp [2]transparency.Checkpoint
	for i, f := range args[:2] {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if cp[i], _, err = transparency.OpenCheckpoint(b, v); err != nil {
			fmt.Fprintf(stdout, "BAD: %s: %v\n", f, err)
			return errVerify
		}
	}
	if cp[0].Size > cp[1].Size {
		fmt.Fprintf(stdout, "BAD: the old checkpoint (%d) is larger than the new one (%d)\n", cp[0].Size, cp[1].Size)
		return errVerify
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/v1/log/consistency?from=%d&to=%d", strings.TrimRight(server, "/"), cp[0].Size, cp[1].Size), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var reply struct {
		Hashes []string `json:"hashes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("consistency proof from %s: %s %v", server, resp.Status, err)
	}
	var hashes [][]byte
	for _, h := range reply.Hashes {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil {
			return err
		}
		hashes = append(hashes, b)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, cp[0].Size, cp[1].Size, hashes, cp[0].Hash, cp[1].Hash); err != nil {
		fmt.Fprintf(stdout, "BAD: the checkpoint at %d does not extend the one at %d: %v\n", cp[1].Size, cp[0].Size, err)
		return errVerify
	}
	fmt.Fprintf(stdout, "OK: the checkpoint at size %d extends the one at size %d\n", cp[1].Size, cp[0].Size)
	return nil
}
