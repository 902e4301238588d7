package eventstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
)

// benchMessages returns n one-message requests as gongkai stores them,
// signed by k (unsigned when sign is false), after a genesis when signed.
func benchMessages(b *testing.B, k WriterKey, n int, sign bool) (subjects []string, headers []nats.Header, data [][]byte) {
	b.Helper()
	add := func(subject string, h nats.Header, payload []byte) {
		sum := sha256.Sum256(payload)
		h.Set(HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
		if sign {
			h.Set(HeaderWriter, k.ID)
			h.Set(HeaderWriterSig, k.Sign(signedMessageOf(subject, h)))
		}
		subjects, headers, data = append(subjects, subject), append(headers, h), append(data, payload)
	}
	if sign {
		h := nats.Header{}
		h.Set(HeaderIdempotency, IdempotencyHash(WriterCommunity, "genesis"))
		h.Set(HeaderRequest, "genesis")
		h.Set(HeaderCommand, "0")
		h.Set(HeaderPart, "0/1")
		h.Set(HeaderKeyOp, "register "+k.ID+" "+k.Public())
		add(writerSubjectPrefix+k.ID, h, []byte(`{"type":"writer.key_registered"}`))
	}
	for i := range n {
		h := nats.Header{}
		h.Set(HeaderIdempotency, IdempotencyHash("c1", fmt.Sprint("key-", i)))
		h.Set(HeaderRequest, fmt.Sprintf("%064x", i))
		h.Set(HeaderCommand, "0")
		h.Set(HeaderPart, "0/1")
		add(fmt.Sprintf("ledger.c1.matter.m-%d", i), h, []byte(fmt.Sprintf(`{"id":"e-%d","type":"matter.registered","data":{"title":"事项 %d"}}`, i, i)))
	}
	return
}

// BenchmarkValidator measures deciding one stored message, as the start-up
// pre-pass (headers only) and the feed (with the payload) do: signed, and
// unsigned (legacy, which costs what the idempotency index cost before
// writer signatures: the baseline).
func BenchmarkValidator(b *testing.B) {
	k, err := GenerateWriterKey()
	if err != nil {
		b.Fatal(err)
	}
	const n = 10000
	for _, c := range []struct {
		name       string
		sign, data bool
	}{{"unsigned-headers-baseline", false, false}, {"signed-headers", true, false}, {"signed-with-payload", true, true}} {
		subjects, headers, data := benchMessages(b, k, n, c.sign)
		b.Run(c.name, func(b *testing.B) {
			var v *Validator
			for i := 0; i < b.N; i++ {
				j := i % len(subjects)
				if j == 0 {
					v = NewValidator()
				}
				var d []byte
				if c.data {
					d = data[j]
				}
				if r := v.Check(uint64(j+1), subjects[j], headers[j], d); r != "" {
					b.Fatalf("message %d rejected: %s", j+1, r)
				}
			}
		})
	}
}
