package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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

// verifyIdle is how long verify waits for the stream's next message before
// it reads the remaining sequences one by one.
const verifyIdle = 2 * time.Second

func runVerify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "proof" {
		return verifyProof(args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "consistency" {
		return verifyConsistency(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "segment" {
		return verifySegment(args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "package" {
		return verifyPackage(args[1:], getenv, stdout, stderr)
	}
	return verifyLog(ctx, args, getenv, stdout, stderr)
}

// verifiers reads the log's verifier keys: one key, several separated by
// commas, or a file holding them one per line. After a key rotation the
// log's checkpoints are signed by different keys (by both during the
// overlap), so checking the whole log needs every key it has used. All keys
// must name the same log.
func verifiers(keys string) ([]note.Verifier, error) {
	if b, err := os.ReadFile(keys); err == nil {
		keys = string(b)
	}
	var vs []note.Verifier
	for _, k := range strings.FieldsFunc(keys, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' }) {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, err
		}
		if len(vs) > 0 && v.Name() != vs[0].Name() {
			return nil, fmt.Errorf("the keys name different logs, %q and %q", vs[0].Name(), v.Name())
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return nil, errors.New("no key given")
	}
	return vs, nil
}

// verifyLog rebuilds the whole tree from the raw stream and checks every
// stored checkpoint. It reports the first bad sequence and why.
func verifyLog(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var data, natsURLs, creds, key, stream, origin string
	fs := newFlags("verify", getenv, stderr)
	fs.str(&data, "data", "GONGKAI_DATA", "", "embedded JetStream directory (the server must be stopped)")
	fs.str(&natsURLs, "nats", "GONGKAI_NATS", "", "NATS URLs")
	fs.str(&creds, "nats-creds", "GONGKAI_NATS_CREDS", "", "NATS credentials file")
	fs.str(&key, "key", "GONGKAI_LOG_KEY", "", "the log's verifier key; after a key rotation every key it has used, comma-separated, or a file holding them one per line")
	fs.str(&stream, "stream", "GONGKAI_STREAM", "GONGKAI", "ledger stream")
	fs.str(&origin, "origin", "GONGKAI_ORIGIN", "", "the log's origin (default: the key's name)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if key == "" {
		return errors.New("--key is required")
	}
	vs, err := verifiers(key)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	if origin == "" {
		origin = vs[0].Name()
	}
	js, closeJS, err := openJetStream("gongkai verify", natsURLs, creds, data)
	if err != nil {
		return err
	}
	defer closeJS()
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
	cst, err := js.Stream(ctx, transparency.CheckpointStream)
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("stream %s: %w", transparency.CheckpointStream, err)
	}
	if err == nil {
		cinfo, err := cst.Info(ctx)
		if err != nil {
			return fmt.Errorf("stream %s: %w", transparency.CheckpointStream, err)
		}
		subject := "gongkai-checkpoints." + stream
		cpAt := map[uint64]uint64{} // checkpoint size -> its message's sequence
		for seq := cinfo.State.FirstSeq; seq <= cinfo.State.LastSeq && seq > 0; seq++ {
			m, err := cst.GetMsg(ctx, seq)
			if err != nil {
				return fmt.Errorf("%w: checkpoint message %d unreadable: %v", errVerify, seq, err)
			}
			if m.Subject != subject {
				continue // another ledger stream's checkpoints
			}
			cp, _, err := transparency.OpenCheckpoint(m.Data, vs...)
			if err != nil {
				return fmt.Errorf("%w: checkpoint message %d: %v", errVerify, seq, err)
			}
			if cp.Origin != origin {
				return fmt.Errorf("%w: checkpoint message %d is of the log %q, not %q", errVerify, seq, cp.Origin, origin)
			}
			if prev, ok := cps[cp.Size]; ok && string(prev) != string(cp.Hash) {
				return fmt.Errorf("%w: checkpoint messages %d and %d are both signed for size %d but have different roots: the log was forked",
					errVerify, cpAt[cp.Size], seq, cp.Size)
			}
			cps[cp.Size], cpAt[cp.Size] = cp.Hash, seq
			maxCP = max(maxCP, cp.Size)
		}
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
	stopped := false // a checkpoint did not match: nothing more to learn
	appendLeaf := func(seq uint64, hash []byte) {
		rng.Append(hash, nil)
		next = seq + 1
		if check(seq) != nil {
			stopped = true
		}
	}
	missing := func(seq uint64) {
		if seq > info.State.LastSeq {
			bad(seq, fmt.Sprintf("the stream ends at %d but a signed checkpoint covers %d events", info.State.LastSeq, maxCP))
		} else {
			bad(seq, "the message is missing from the stream")
		}
		appendLeaf(seq, transparency.Leaf{Origin: origin, Stream: stream, Seq: seq, Gap: true}.Hash())
	}
	// Writer signatures: which messages are facts (eventstore.Validator,
	// in stream order; docs/verification.md, "Writer signatures").
	val := eventstore.NewValidator()
	message := func(seq uint64, subject string, hdr nats.Header, data []byte) {
		for next < seq && !stopped {
			missing(next)
		}
		if stopped || seq < next {
			return
		}
		val.Check(seq, subject, hdr, data)
		var ev eventstore.Event
		if json.Unmarshal(data, &ev) != nil {
			bad(seq, "the payload is not an event envelope")
		}
		if h := hdr.Get(eventstore.HeaderPayloadSHA256); h != "" {
			sum := sha256.Sum256(data)
			if h != fmt.Sprintf("%x", sum) {
				bad(seq, "the stored payload's SHA-256 differs from the one recorded when it was appended")
			}
		}
		appendLeaf(seq, transparency.NewLeaf(origin, stream, seq, subject, ev.ID, data).Hash())
	}
	// A checkpoint beyond the stream's end makes the missing tail bad too,
	// after any earlier bad sequence.
	if last := max(info.State.LastSeq, maxCP); last > 0 {
		it, err := cons.Messages()
		if err != nil {
			return err
		}
		defer it.Stop()
		for next <= last && !stopped {
			m, err := it.Next(jetstream.NextMaxWait(verifyIdle))
			if errors.Is(err, nats.ErrTimeout) {
				break
			}
			if err != nil {
				return err
			}
			md, err := m.Metadata()
			if err != nil {
				return err
			}
			message(md.Sequence.Stream, m.Subject(), m.Headers(), m.Data())
			if md.NumPending == 0 {
				break
			}
		}
		it.Stop()
		// The consumer skips a message that JetStream cannot read (its
		// checksum fails) or has marked deleted, so when such messages end
		// the stream it stops delivering before the last sequence: read
		// the rest one by one.
		for next <= last && !stopped {
			m, err := st.GetMsg(ctx, next)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				missing(next)
				continue
			}
			if err != nil {
				return err
			}
			message(next, m.Subject, m.Header, m.Data)
		}
	}
	if firstBad != 0 {
		fmt.Fprintf(stdout, "BAD: first bad sequence %d: %s\n", firstBad, why)
		return errVerify
	}
	// The instance's own tree (in the data directory) says how long the
	// log was: a stream shorter than it was truncated or replaced.
	if data != "" {
		if n := transparency.TreeSizeIn(filepath.Join(data, "tree")); n > next-1 {
			fmt.Fprintf(stdout, "BAD: the stream holds %d events but this data directory's tree holds %d: the log was truncated, replaced or restored from an older backup\n", next-1, n)
			return errVerify
		}
	}
	if rej := val.Rejected(); len(rej) > 0 {
		for _, r := range rej {
			fmt.Fprintf(stdout, "BAD: stream sequence %d (%s) is not a fact: %s\n", r.Seq, r.Subject, r.Reason)
		}
		fmt.Fprintf(stdout, "BAD: %d stored message(s) without a valid writer signature; the tree commits to them but no read model uses them\n", len(rej))
		return errVerify
	}
	if val.Genesis() == 0 && next > 1 {
		fmt.Fprintf(stdout, "note: no writer key is registered in this log: all %d events were written before writer signatures\n", next-1)
	} else if val.Legacy() > 0 {
		fmt.Fprintf(stdout, "note: %d events before the first writer key (sequence %d) were written before writer signatures\n", val.Legacy(), val.Genesis())
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
	var tr trust
	fs := newFlags("verify proof", getenv, stderr)
	tr.flags(fs)
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	keys, ws, quorum, err := tr.load()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		// A saved reply of the server instead of a bundle: most often the
		// event is not covered by a signed checkpoint yet.
		var p struct {
			Detail   string `json:"detail"`
			DetailZH string `json:"detail_zh"`
		}
		if json.Unmarshal(t, &p) == nil && (p.Detail != "" || p.DetailZH != "") {
			fmt.Fprintf(stdout, "BAD: %s is not a proof bundle but the server's refusal: %s / %s\n", file, p.DetailZH, p.Detail)
			return errVerify
		}
	}
	res, err := transparency.VerifyBundle(b, keys, ws, quorum)
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
	fs.str(&key, "key", "GONGKAI_LOG_KEY", "", "the log's verifier key; across a key rotation both keys, comma-separated, or a file holding them one per line")
	if err := fs.parse(args[2:]); err != nil {
		return err
	}
	vs, err := verifiers(key)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	var cp [2]transparency.Checkpoint
	for i, f := range args[:2] {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if cp[i], _, err = transparency.OpenCheckpoint(b, vs...); err != nil {
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

// verifySegment checks a segment bundle (such as a year-end segment)
// offline and counts the events of each community in it.
func verifySegment(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: gongkai verify segment BUNDLE --key PUBKEY [--witness KEY,...] [--quorum N] [--community ID]")
	}
	file := args[0]
	var tr trust
	var community string
	fs := newFlags("verify segment", getenv, stderr)
	tr.flags(fs)
	fs.StringVar(&community, "community", "", "list the stream sequences of this community's events")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	keys, ws, quorum, err := tr.load()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	res, err := transparency.VerifySegment(b, keys, ws, quorum)
	if err != nil {
		fmt.Fprintf(stdout, "BAD: %v\n", err)
		return errVerify
	}
	perCommunity := map[string]int{}
	gaps := 0
	var seqs []string
	for _, l := range res.Leaves {
		if l.Gap {
			gaps++
			continue
		}
		// Subjects are ledger.<community>.<aggregate type>.<id>.
		c := l.Subject
		if parts := strings.SplitN(l.Subject, ".", 3); len(parts) == 3 {
			c = parts[1]
		}
		perCommunity[c]++
		if c == community {
			seqs = append(seqs, fmt.Sprint(l.Seq))
		}
	}
	fmt.Fprintf(stdout, "OK: %s from size %d to %d: %d entries, complete and unaltered (%d gap leaves)\n",
		res.To.Origin, res.From.Size, res.To.Size, len(res.Leaves), gaps)
	for _, c := range slices.Sorted(maps.Keys(perCommunity)) {
		fmt.Fprintf(stdout, "  %s: %d events\n", c, perCommunity[c])
	}
	if community != "" {
		fmt.Fprintf(stdout, "%s: stream sequences %s\n", community, strings.Join(seqs, " "))
	}
	return nil
}

// trust is what an offline check trusts: the log's keys and the
// witnesses, of which quorum must have cosigned.
type trust struct {
	key, witnesses string
	quorum         int
}

func (t *trust) flags(fs *envFlags) {
	fs.str(&t.key, "key", "GONGKAI_LOG_KEY", "", "the log's verifier key; across a key rotation both keys, comma-separated, or a file holding them one per line")
	fs.StringVar(&t.witnesses, "witness", "", "witness verifier keys, comma-separated")
	fs.IntVar(&t.quorum, "quorum", 0, "witness cosignatures required (default: all given)")
}

func (t *trust) load() (keys, witnesses []note.Verifier, quorum int, err error) {
	if keys, err = verifiers(t.key); err != nil {
		return nil, nil, 0, fmt.Errorf("--key: %w", err)
	}
	for _, k := range strings.Split(t.witnesses, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		w, err := fnote.NewVerifierForCosignatureV1(k)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("--witness %s: %w", k, err)
		}
		witnesses = append(witnesses, w)
	}
	quorum = t.quorum
	if quorum == 0 {
		quorum = len(witnesses)
	}
	return keys, witnesses, quorum, nil
}
