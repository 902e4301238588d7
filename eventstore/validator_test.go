package eventstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/gongkai/gongkai/eventstore"
)

// fixedKey is a writer key made from a constant seed, so that fuzz inputs
// reproduce.
func fixedKey(tb testing.TB, b byte) eventstore.WriterKey {
	tb.Helper()
	seed := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32))
	k, err := eventstore.ParseWriterKey([]byte("gongkai-writer-key v1 " + seed + "\n"))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// vmsg is a stored message as the Validator sees it.
type vmsg struct {
	subject string
	h       nats.Header
	data    []byte
}

func (m vmsg) clone() vmsg {
	h := nats.Header{}
	for k, v := range m.h {
		h[k] = append([]string(nil), v...)
	}
	return vmsg{subject: m.subject, h: h, data: bytes.Clone(m.data)}
}

// unsigned builds part k of n of the request with idempotency key ikey, as
// an append would, without a writer signature.
func unsigned(subject, ikey string, k, n int) vmsg {
	community := strings.Split(subject, ".")[1]
	data := []byte(fmt.Sprintf(`{"subject":%q,"idempotency_key":%q,"part":%d}`, subject, ikey, k))
	sum := sha256.Sum256(data)
	h := nats.Header{}
	h.Set(eventstore.HeaderIdempotency, eventstore.IdempotencyHash(community, ikey))
	h.Set(eventstore.HeaderRequest, "fingerprint-"+ikey)
	h.Set(eventstore.HeaderCommand, "0")
	h.Set(eventstore.HeaderType, "matter.registered")
	h.Set(eventstore.HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
	h.Set(eventstore.HeaderPart, fmt.Sprintf("%d/%d", k, n))
	return vmsg{subject: subject, h: h, data: data}
}

// signedBy signs m with key.
func signedBy(key eventstore.WriterKey, m vmsg) vmsg {
	m = m.clone()
	key.SignHeader(m.subject, m.h)
	return m
}

// request builds the messages of one request signed by key, one per
// subject.
func request(key eventstore.WriterKey, ikey string, subjects ...string) []vmsg {
	var out []vmsg
	for i, s := range subjects {
		out = append(out, signedBy(key, unsigned(s, ikey, i, len(subjects))))
	}
	return out
}

// keyOpOn builds a writer key event with key operation op on subject,
// signed by signer.
func keyOpOn(signer eventstore.WriterKey, subject, op string) vmsg {
	m := unsigned(subject, "writer-"+op, 0, 1)
	m.h.Set(eventstore.HeaderKeyOp, op)
	return signedBy(signer, m)
}

func writerSubject(id string) string {
	return eventstore.Subject(eventstore.WriterCommunity, eventstore.AggregateWriter, id)
}

// register is signer's registration of key.
func register(signer, key eventstore.WriterKey) vmsg {
	return keyOpOn(signer, writerSubject(key.ID), "register "+key.ID+" "+key.Public())
}

// revoke is signer's revocation of key.
func revoke(signer, key eventstore.WriterKey) vmsg {
	return keyOpOn(signer, writerSubject(key.ID), "revoke "+key.ID)
}

// step is a message and the verdict wanted for it: "" for a fact, else a
// substring of the reason it is rejected.
type step struct {
	m    vmsg
	want string
}

func facts(ms ...vmsg) []step {
	var out []step
	for _, m := range ms {
		out = append(out, step{m: m})
	}
	return out
}

func rejected(why string, m vmsg) []step { return []step{{m: m, want: why}} }

func steps(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestValidatorCheck feeds hand-built message sequences to a Validator in
// stream order and checks each verdict and the exact Rejected() list.
func TestValidatorCheck(t *testing.T) {
	a, b, c := fixedKey(t, 1), fixedKey(t, 2), fixedKey(t, 3)
	const m1, m2, m3 = "ledger.c1.matter.m1", "ledger.c1.matter.m2", "ledger.c1.matter.m3"

	// A request signed by a, stored once.
	orig := signedBy(a, unsigned(m1, "orig", 0, 1))
	// A request of three parts signed by a.
	three := request(a, "three", m1, m2, m3)
	// A signature over other headers, put on orig's.
	otherSig := signedBy(a, unsigned(m2, "other", 0, 1)).h.Get(eventstore.HeaderWriterSig)
	badSig := orig.clone()
	badSig.h.Set(eventstore.HeaderWriterSig, otherSig)
	malformedSig := orig.clone()
	malformedSig.h.Set(eventstore.HeaderWriterSig, "not base64!")
	// A payload changed after signing (its header left as signed).
	changed := orig.clone()
	changed.data = []byte(`{"title":"篡改"}`)
	changedHeadersOnly := changed.clone()
	changedHeadersOnly.data = nil
	// A pre-published unsigned message with the victim's idempotency
	// headers, and the victim's real request.
	decoy := unsigned("ledger.c1.matter.decoy", "victim", 0, 1)
	victim := signedBy(a, unsigned(m1, "victim", 0, 1))
	// b's key id with c's public key.
	mismatch := "register " + b.ID + " " + c.Public()

	tests := []struct {
		name    string
		steps   []step
		legacy  uint64
		genesis uint64
		active  []string
		revoked []string
	}{
		{
			name: "legacy messages before the genesis are facts",
			steps: steps(
				facts(unsigned(m1, "old-1", 0, 1), unsigned(m2, "old-2", 0, 2), unsigned(m3, "old-2", 1, 2)),
				facts(register(a, a)),
				facts(request(a, "new", m1)...),
			),
			legacy: 3, genesis: 4, active: []string{a.ID},
		},
		{
			name:   "a new log begins with a self-signed genesis",
			steps:  facts(append([]vmsg{register(a, a)}, three...)...),
			legacy: 0, genesis: 1, active: []string{a.ID},
		},
		{
			name: "unsigned message after the genesis",
			steps: steps(
				facts(unsigned(m1, "old", 0, 1), register(a, a)),
				rejected("no writer signature", unsigned(m2, "forged", 0, 1)),
				facts(orig),
			),
			legacy: 1, genesis: 2, active: []string{a.ID},
		},
		{
			name: "an unsigned pre-published decoy does not take the victim's idempotency key",
			steps: steps(
				facts(register(a, a)),
				rejected("no writer signature", decoy),
				facts(victim),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			name: "signed by an unregistered key",
			steps: steps(
				facts(register(a, a)),
				rejected("signed by writer key "+b.ID+", which is not registered", signedBy(b, unsigned(m1, "b", 0, 1))),
			),
			genesis: 1, active: []string{a.ID}, revoked: []string{b.ID},
		},
		{
			name: "a signed message before any genesis is not legacy",
			steps: steps(
				rejected("which is not registered", signedBy(a, unsigned(m1, "early", 0, 1))),
				// a registering b is not a genesis: only a self-signed one is.
				rejected("which is not registered", register(a, b)),
				facts(register(b, b)),
			),
			genesis: 3, active: []string{b.ID}, revoked: []string{a.ID},
		},
		{
			name: "a second key registered by the first, then used",
			steps: facts(register(a, a), register(a, b),
				signedBy(b, unsigned(m1, "b-1", 0, 1)), signedBy(a, unsigned(m2, "a-1", 0, 1))),
			genesis: 1, active: []string{a.ID, b.ID},
		},
		{
			name: "a revoked key: its messages before the revocation stay facts, later ones are rejected",
			steps: steps(
				facts(register(a, a), register(a, b), signedBy(b, unsigned(m1, "b-1", 0, 1)), revoke(a, b)),
				rejected("signed by writer key "+b.ID+", revoked at sequence 4", signedBy(b, unsigned(m2, "b-2", 0, 1))),
				// b can no longer register a key either.
				rejected("revoked at sequence 4", register(b, c)),
				facts(signedBy(a, unsigned(m3, "a-1", 0, 1))),
			),
			genesis: 1, active: []string{a.ID}, revoked: []string{b.ID, c.ID},
		},
		{
			name: "a key revoking itself",
			steps: steps(
				facts(register(a, a), register(a, b), revoke(b, b)),
				rejected("revoked at sequence 3", signedBy(b, unsigned(m1, "b-1", 0, 1))),
			),
			genesis: 1, active: []string{a.ID}, revoked: []string{b.ID},
		},
		{
			name: "bad signatures",
			steps: steps(
				facts(register(a, a)),
				rejected("writer signature of key "+a.ID+" does not verify", badSig),
				rejected("malformed writer signature", malformedSig),
				facts(orig),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			// The key operation is signed as written: another spelling that
			// parses the same is still not what the writer signed.
			name: "a key operation respelled after signing",
			steps: steps(
				facts(register(a, a)),
				rejected("writer signature of key "+a.ID+" does not verify", func() vmsg {
					m := register(a, b)
					m.h.Set(eventstore.HeaderKeyOp, "register  "+b.ID+"\t"+b.Public())
					return m
				}()),
				rejected("which is not registered", signedBy(b, unsigned(m1, "b-1", 0, 1))),
			),
			genesis: 1, active: []string{a.ID}, revoked: []string{b.ID},
		},
		{
			name: "a payload that does not match its signed SHA-256",
			steps: steps(
				facts(register(a, a)),
				rejected("payload does not match its recorded SHA-256", changed),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			// Headers only (the start-up pre-pass): the payload is not
			// there to compare; the tree and verify catch the change.
			name:    "a changed payload read headers-only is judged by its headers",
			steps:   facts(register(a, a), changedHeadersOnly),
			genesis: 1, active: []string{a.ID},
		},
		{
			name: "an unsigned legacy message whose payload does not match",
			steps: steps(
				rejected("payload does not match", func() vmsg { m := unsigned(m1, "old", 0, 1); m.data = []byte("x"); return m }()),
				facts(register(a, a)),
			),
			genesis: 2, active: []string{a.ID},
		},
		{
			name: "a second self-signed genesis",
			steps: steps(
				facts(register(a, a)),
				rejected("signed by writer key "+b.ID+", which is not registered", register(b, b)),
				rejected("which is not registered", signedBy(b, unsigned(m1, "b-1", 0, 1))),
			),
			genesis: 1, active: []string{a.ID}, revoked: []string{b.ID},
		},
		{
			name: "a copy of a signed message at another sequence",
			steps: steps(
				facts(register(a, a), orig, signedBy(a, unsigned(m2, "between", 0, 1))),
				rejected("copy of part 0 of the request stored at sequence 2", orig.clone()),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			name: "a copy stored right after the original",
			steps: steps(
				facts(register(a, a), orig),
				rejected("copy of part 0 of the request stored at sequence 2", orig.clone()),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			name: "a copy of the last part stored right after the request",
			steps: steps(
				facts(register(a, a)),
				facts(three...),
				rejected("copy of part 2 of the request stored at sequence 2", three[2].clone()),
				rejected("copy of part 0 of the request stored at sequence 2", three[0].clone()),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			// Two attempts at one request (same idempotency key and
			// fingerprint) decided into different numbers of events: the
			// second part of the unstored attempt, put right after the
			// stored one, is pinned out by its n.
			name: "a part of another attempt at the same request stored right after it",
			steps: steps(
				facts(register(a, a)),
				facts(request(a, "retry", m1)...),
				rejected("copy of part 1 of the request stored at sequence 2", request(a, "retry", m1, m2)[1]),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			name: "a part of a request with the same idempotency key but another fingerprint",
			steps: steps(
				facts(register(a, a), request(a, "mix", m1, m2)[0]),
				rejected("copy of part 1 of the request stored at sequence 2", func() vmsg {
					m := unsigned(m2, "mix", 1, 2)
					m.h.Set(eventstore.HeaderRequest, "another request")
					return signedBy(a, m)
				}()),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			name: "a part after the first without the first",
			steps: steps(
				facts(register(a, a)),
				rejected("part 1 of 3 of a request whose first part is not in the log", three[1]),
				// The first part after it starts the request, whose
				// other parts must follow it directly.
				facts(three[0]),
				rejected("copy of part 2 of the request stored at sequence 3", three[2]),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			name: "signed message without a valid part",
			steps: steps(
				facts(register(a, a)),
				rejected("without a valid part", func() vmsg {
					m := unsigned(m1, "bad-part", 0, 1)
					m.h.Set(eventstore.HeaderPart, "2/2")
					return signedBy(a, m)
				}()),
				rejected("without a valid part", func() vmsg {
					m := unsigned(m1, "no-idem", 0, 1)
					m.h.Del(eventstore.HeaderIdempotency)
					return signedBy(a, m)
				}()),
			),
			genesis: 1, active: []string{a.ID},
		},
		{
			name: "key operations on the wrong subject",
			steps: steps(
				facts(register(a, a)),
				rejected("writer key event on the wrong subject", keyOpOn(a, writerSubject(c.ID), "register "+b.ID+" "+b.Public())),
				rejected("writer key event on the wrong subject", keyOpOn(a, m1, "register "+b.ID+" "+b.Public())),
				rejected("writer key event on the wrong subject", keyOpOn(a, m1, "revoke "+a.ID)),
				rejected("on a writer key subject without a key operation", signedBy(a, unsigned(writerSubject(b.ID), "plain", 0, 1))),
				rejected("which is not registered", signedBy(b, unsigned(m1, "b-1", 0, 1))),
				facts(signedBy(a, unsigned(m2, "a-1", 0, 1))),
			),
			genesis: 1, active: []string{a.ID}, revoked: []string{b.ID},
		},
		{
			name: "a key operation whose id does not match its public key",
			steps: steps(
				rejected("key id does not match the public key", keyOpOn(b, writerSubject(b.ID), mismatch)),
				rejected("key id does not match the public key", keyOpOn(c, writerSubject(b.ID), mismatch)),
				facts(register(a, a)),
				rejected("key id does not match the public key", keyOpOn(a, writerSubject(b.ID), mismatch)),
				rejected("writer key event: bad public key", keyOpOn(a, writerSubject(b.ID), "register "+b.ID+" AAAA")),
				rejected("writer key event: bad key operation", keyOpOn(a, writerSubject(b.ID), "rotate "+b.ID)),
				rejected("which is not registered", signedBy(c, unsigned(m1, "c-1", 0, 1))),
			),
			genesis: 3, active: []string{a.ID}, revoked: []string{b.ID, c.ID},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := eventstore.NewValidator()
			var want []eventstore.Rejection
			for i, s := range tt.steps {
				seq := uint64(i + 1)
				got := v.Check(seq, s.m.subject, s.m.h, s.m.data)
				if (got == "") != (s.want == "") || !strings.Contains(got, s.want) {
					t.Errorf("Check(%d, %s) = %q, want %q", seq, s.m.subject, got, s.want)
				}
				if s.want != "" {
					want = append(want, eventstore.Rejection{Seq: seq, Subject: s.m.subject,
						Community: strings.Split(s.m.subject, ".")[1], Reason: s.want})
				}
			}
			got := v.Rejected()
			if len(got) != len(want) {
				t.Fatalf("Rejected() = %+v, want %d rejections at %+v", got, len(want), want)
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.Seq != w.Seq || g.Subject != w.Subject || g.Community != w.Community || !strings.Contains(g.Reason, w.Reason) {
					t.Errorf("Rejected()[%d] = %+v, want %+v (reason containing %q)", i, g, w, w.Reason)
				}
			}
			if v.Legacy() != tt.legacy {
				t.Errorf("Legacy() = %d, want %d", v.Legacy(), tt.legacy)
			}
			if v.Genesis() != tt.genesis {
				t.Errorf("Genesis() = %d, want %d", v.Genesis(), tt.genesis)
			}
			for _, id := range tt.active {
				if !v.Active(id) {
					t.Errorf("Active(%s) = false, want true", id)
				}
			}
			for _, id := range tt.revoked {
				if v.Active(id) {
					t.Errorf("Active(%s) = true, want false", id)
				}
			}
		})
	}
}

// Writers reports each key's registration and revocation sequences.
func TestValidatorWriters(t *testing.T) {
	a, b := fixedKey(t, 1), fixedKey(t, 2)
	v := eventstore.NewValidator()
	for i, m := range []vmsg{unsigned("ledger.c1.matter.m1", "old", 0, 1), register(a, a), register(a, b),
		signedBy(b, unsigned("ledger.c1.matter.m2", "b-1", 0, 1)), revoke(a, b)} {
		if r := v.Check(uint64(i+1), m.subject, m.h, m.data); r != "" {
			t.Fatalf("Check(%d) = %q, want a fact", i+1, r)
		}
	}
	got := v.Writers()
	want := map[string][2]uint64{a.ID: {2, 0}, b.ID: {3, 5}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Writers() = %v, want %v", got, want)
	}
}

// fuzzLog builds a valid log from shape: a's genesis, a's registration of
// b, then one request per byte of shape (at most 6) of 1 to 3 parts,
// signed by a or b.
func fuzzLog(t *testing.T, shape []byte) []vmsg {
	a, b := fixedKey(t, 1), fixedKey(t, 2)
	log := []vmsg{register(a, a), register(a, b)}
	for i, s := range shape[:min(len(shape), 6)] {
		key := a
		if s&4 != 0 {
			key = b
		}
		var subjects []string
		for j := range 1 + int(s)%3 {
			subjects = append(subjects, fmt.Sprintf("ledger.c%d.matter.m%d-%d", s>>4, i, j))
		}
		log = append(log, request(key, fmt.Sprintf("key-%d-%d", i, s), subjects...)...)
	}
	return log
}

// FuzzValidator: in a log of valid signed messages every message is a
// fact; changing any one byte of a signed header value, of the subject, of
// the writer id or signature, or of the payload (when it is read) makes
// that message not a fact and leaves the verdicts of the messages before
// it alone (and of all other messages, unless it was a key event or the
// first part of a request); and a message with arbitrary headers appended
// to the log is never a fact and never makes Check panic.
func FuzzValidator(f *testing.F) {
	f.Add([]byte{0, 1, 2, 4, 5, 6}, uint8(3), uint8(0), uint16(5), byte(1), true, "x", "y", "0/1", "", "ledger.c1.matter.m1")
	f.Add([]byte{2}, uint8(0), uint8(6), uint16(0), byte(0x20), false, "", "", "", "revoke x", "ledger._gongkai.writer.x")
	f.Add([]byte{6, 1}, uint8(1), uint8(9), uint16(87), byte(0x80), true, "0101010101010101", "AAAA", "1/2", "register a b", "")
	f.Add([]byte{5, 0x13}, uint8(4), uint8(8), uint16(3), byte(0xff), true, "\x00", "====", "/", "register", "..")
	// The space after "register" in b's registration made a tab.
	f.Add([]byte{1}, uint8(1), uint8(8), uint16(8), byte(' '^'\t'), false, "", "", "", "", "")
	f.Fuzz(func(t *testing.T, shape []byte, which, field uint8, pos uint16, xor byte, withData bool,
		junkWriter, junkSig, junkPart, junkOp, junkSubject string) {
		log := fuzzLog(t, shape)
		data := func(m vmsg) []byte {
			if withData {
				return m.data
			}
			return nil
		}

		// All valid: every message is a fact.
		base := eventstore.NewValidator()
		for i, m := range log {
			if r := base.Check(uint64(i+1), m.subject, m.h, data(m)); r != "" {
				t.Fatalf("valid message %d (%s) rejected: %s", i+1, m.subject, r)
			}
		}

		// One byte changed in one message.
		target := int(which) % len(log)
		mutated := log[target].clone()
		fields := []string{"subject", eventstore.HeaderPayloadSHA256, eventstore.HeaderIdempotency, eventstore.HeaderRequest,
			eventstore.HeaderCommand, eventstore.HeaderPart, eventstore.HeaderWriter, eventstore.HeaderWriterSig}
		if mutated.h.Get(eventstore.HeaderKeyOp) != "" {
			fields = append(fields, eventstore.HeaderKeyOp)
		}
		if withData {
			fields = append(fields, "payload")
		}
		name := fields[int(field)%len(fields)]
		flip := func(s []byte) []byte {
			s = bytes.Clone(s)
			s[int(pos)%len(s)] ^= max(xor, 1)
			return s
		}
		switch name {
		case "subject":
			mutated.subject = string(flip([]byte(mutated.subject)))
		case "payload":
			mutated.data = flip(mutated.data)
		default:
			mutated.h.Set(name, string(flip([]byte(mutated.h.Get(name)))))
		}
		// Standard base64 decoding ignores the unused bits of the last
		// character: such a change leaves the signature as it was.
		if name == eventstore.HeaderWriterSig {
			was, _ := base64.StdEncoding.DecodeString(log[target].h.Get(name))
			now, err := base64.StdEncoding.DecodeString(mutated.h.Get(name))
			if err == nil && bytes.Equal(was, now) {
				t.Skip("the change does not change the decoded signature")
			}
		}
		keyEventOrFirst := mutated.h.Get(eventstore.HeaderKeyOp) != "" || strings.HasPrefix(log[target].h.Get(eventstore.HeaderPart), "0/") &&
			log[target].h.Get(eventstore.HeaderPart) != "0/1"
		v := eventstore.NewValidator()
		for i, m := range log {
			if i == target {
				m = mutated
			}
			r := v.Check(uint64(i+1), m.subject, m.h, data(m))
			switch {
			case i == target && r == "":
				t.Fatalf("message %d with one byte of %s changed (%q -> %q) is a fact", i+1, name,
					fieldOf(log[i], name), fieldOf(m, name))
			case i < target && r != "":
				t.Fatalf("message %d before the changed one rejected: %s", i+1, r)
			case i > target && !keyEventOrFirst && r != "":
				t.Fatalf("message %d rejected after a change to message %d's %s: %s", i+1, target+1, name, r)
			}
		}

		// A message with arbitrary headers after the valid log is never a
		// fact (after the changed one it may be legacy history, if the
		// genesis was the message changed, but Check must not panic).
		v.Check(uint64(len(log)+1), junkSubject, nats.Header{eventstore.HeaderWriter: {junkWriter}, eventstore.HeaderPart: {junkPart},
			eventstore.HeaderKeyOp: {junkOp}, eventstore.HeaderWriterSig: {junkSig}}, []byte(junkSig))
		v = base
		h := nats.Header{}
		for k, val := range map[string]string{eventstore.HeaderWriter: junkWriter, eventstore.HeaderWriterSig: junkSig,
			eventstore.HeaderPart: junkPart, eventstore.HeaderKeyOp: junkOp,
			eventstore.HeaderIdempotency: log[len(log)-1].h.Get(eventstore.HeaderIdempotency)} {
			if val != "" {
				h.Set(k, val)
			}
		}
		seq := uint64(len(log) + 1)
		if r := v.Check(seq, junkSubject, h, []byte(junkSig)); r == "" {
			t.Fatalf("a message with arbitrary headers %v on %q is a fact", h, junkSubject)
		}
		rej := v.Rejected()
		if len(rej) == 0 || rej[len(rej)-1].Seq != seq || rej[len(rej)-1].Reason == "" {
			t.Fatalf("Rejected() = %+v, want the last at %d with a reason", rej, seq)
		}
		for i := 1; i < len(rej); i++ {
			if rej[i].Seq <= rej[i-1].Seq {
				t.Fatalf("Rejected() not in stream order: %+v", rej)
			}
		}
	})
}

func fieldOf(m vmsg, name string) string {
	switch name {
	case "subject":
		return m.subject
	case "payload":
		return string(m.data)
	}
	return m.h.Get(name)
}
