package eventstore

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
)

// ownTestMsg builds part 0 of 1 of a request on subject, signed by key.
func ownTestMsg(key WriterKey, subject, ikey string, prev string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Data = []byte(`{"n":1,"key":"` + ikey + `"}`)
	sum := sha256.Sum256(m.Data)
	m.Header.Set(HeaderIdempotency, IdempotencyHash("c1", ikey))
	m.Header.Set(HeaderRequest, "fp-"+ikey)
	m.Header.Set(HeaderCommand, "0")
	m.Header.Set(HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
	m.Header.Set(HeaderPart, "0/1")
	m.Header.Set(HeaderPrev, prev)
	key.SignHeader(subject, m.Header)
	return m
}

// ownTestIndex returns an index whose log holds key's genesis and key's
// registrations of others, and the next sequence.
func ownTestIndex(t *testing.T, key WriterKey, others ...WriterKey) (*index, uint64) {
	t.Helper()
	x := newIndex(nil)
	seq := uint64(1)
	for _, k := range append([]WriterKey{key}, others...) {
		reg := nats.NewMsg(Subject(WriterCommunity, AggregateWriter, k.ID))
		reg.Data = []byte(`{}`)
		sum := sha256.Sum256(reg.Data)
		reg.Header.Set(HeaderIdempotency, IdempotencyHash(WriterCommunity, "register-"+k.ID))
		reg.Header.Set(HeaderRequest, "fp-"+k.ID)
		reg.Header.Set(HeaderCommand, "0")
		reg.Header.Set(HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
		reg.Header.Set(HeaderPart, "0/1")
		reg.Header.Set(HeaderKeyOp, "register "+k.ID+" "+k.Public())
		key.SignHeader(reg.Subject, reg.Header)
		x.observe(seq, reg.Subject, reg.Header, reg.Data, false)
		if why, _ := x.verdict(seq); why != "" {
			t.Fatalf("registration of %s rejected: %s", k.ID, why)
		}
		seq++
	}
	return x, seq
}

// A message that reaches the follower while its own append is in flight is
// recognised and not verified again, and only when it is exactly what the
// append signed: the same key id, signature and signing input. The check
// below makes the recognised signature one that would not verify, so a
// fact proves that verification was skipped, and a rejection that it was
// not.
func TestOwnMessagesSkipVerification(t *testing.T) {
	key, other := genKey(t), genKey(t)
	subject := Subject("c1", "test", "a1")

	// Recognised: the index takes the append's word for the signature.
	x, seq := ownTestIndex(t, key)
	m := ownTestMsg(key, subject, "k1", "0")
	input := signedMessageOf(m.Subject, m.Header).SigningInput()
	m.Header.Set(HeaderWriterSig, base64.StdEncoding.EncodeToString(make([]byte, 64))) // does not verify
	x.addOwn([]*nats.Msg{m}, [][]byte{input})
	x.observe(seq, m.Subject, m.Header, m.Data, false)
	if why, _ := x.verdict(seq); why != "" {
		t.Fatalf("own message verified again (rejected: %s)", why)
	}
	x.dropOwn([]*nats.Msg{m})
	if len(x.own) != 0 {
		t.Fatalf("%d own messages left after dropOwn", len(x.own))
	}

	for _, c := range []struct {
		name   string
		change func(h nats.Header)
		want   string
	}{
		{"forgotten after the append", nil, "does not verify"},
		{"another place in the log", func(h nats.Header) { h.Set(HeaderPrev, "7") }, "does not verify"},
		{"another writer key id", func(h nats.Header) { h.Set(HeaderWriter, other.ID) }, "does not verify"},
		{"another command of the request", func(h nats.Header) { h.Set(HeaderCommand, "1") }, "does not verify"},
	} {
		t.Run(c.name, func(t *testing.T) {
			x, seq := ownTestIndex(t, key, other)
			m := ownTestMsg(key, subject, "k1", "0")
			input := signedMessageOf(m.Subject, m.Header).SigningInput()
			m.Header.Set(HeaderWriterSig, base64.StdEncoding.EncodeToString(make([]byte, 64)))
			if c.change == nil {
				x.addOwn([]*nats.Msg{m}, [][]byte{input})
				x.dropOwn([]*nats.Msg{m})
			} else {
				x.addOwn([]*nats.Msg{m}, [][]byte{input})
				h := nats.Header{}
				for k, v := range m.Header {
					h[k] = append([]string(nil), v...)
				}
				c.change(h)
				m = &nats.Msg{Subject: m.Subject, Header: h, Data: m.Data}
			}
			x.observe(seq, m.Subject, m.Header, m.Data, false)
			why, _ := x.verdict(seq)
			if !strings.Contains(why, c.want) {
				t.Fatalf("verdict %q, want one with %q", why, c.want)
			}
		})
	}
}

func genKey(t *testing.T) WriterKey {
	t.Helper()
	k, err := GenerateWriterKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
