package eventstore

import "github.com/nats-io/nats.go"

// SignHeader signs a message the way an append does: it sets HeaderWriter
// to k's id and HeaderWriterSig to k's signature over the SigningInput of
// subject and the headers already in h (HeaderPayloadSHA256,
// HeaderIdempotency, HeaderRequest, HeaderCommand, HeaderPart, HeaderPrev
// and HeaderKeyOp). Headers set after it are not covered.
func (k WriterKey) SignHeader(subject string, h nats.Header) {
	h.Set(HeaderWriter, k.ID)
	h.Set(HeaderWriterSig, k.Sign(signedMessageOf(subject, h)))
}
