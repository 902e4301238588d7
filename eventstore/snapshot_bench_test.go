package eventstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// syntheticIndex returns an index through n messages, each its own
// request on its own subject in one of 8 communities, a tenth of them of
// a listed type, as after the genesis.
func syntheticIndex(n int) *index {
	x := newIndex([]string{"account"})
	v := x.v
	v.genesis = 1
	v.writers["w"] = &writerState{pub: make([]byte, 32), from: 1}
	var k idemKey
	for i := 1; i <= n; i++ {
		rand.Read(k[:])
		seq := uint64(i)
		v.keys.add(k, idxEntry{first: seq, n: 1})
		v.last[v.subjectHash("ledger.c1.matter.m-"+strconv.Itoa(i))] = seq
		c := "c" + strconv.Itoa(i%8)
		x.communities[c] = append(x.communities[c], seq)
		if i%10 == 0 {
			x.types["account"] = append(x.types["account"], seq)
		}
	}
	x.thru = uint64(n)
	return x
}

// BenchmarkSnapshot1M measures the parts of a snapshot of an index of
// 1,000,000 requests: copying its state under the index's lock (from an
// index built from the start, all in a map, and from one restored from a
// snapshot), encoding, writing the file (fsync), reading and decoding it,
// and restoring the index. Each is reported in ms.
func BenchmarkSnapshot1M(b *testing.B) {
	const n = 1_000_000
	x := syntheticIndex(n)
	path := filepath.Join(b.TempDir(), "verified")
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for b.Loop() {
		t0 := time.Now()
		sn := x.capture()
		tCapture := time.Since(t0)
		sn.stream, sn.created = "GONGKAI", 1
		t0 = time.Now()
		buf := sn.encode()
		tEncode := time.Since(t0)
		t0 = time.Now()
		if err := writeFileAtomic(path, buf); err != nil {
			b.Fatal(err)
		}
		tWrite := time.Since(t0)
		t0 = time.Now()
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		got, err := decodeSnapshot(raw)
		if err != nil {
			b.Fatal(err)
		}
		tRead := time.Since(t0)
		t0 = time.Now()
		y := newIndex([]string{"account"})
		if err := y.restore(got); err != nil {
			b.Fatal(err)
		}
		tRestore := time.Since(t0)
		t0 = time.Now()
		y.capture()
		tCaptureRestored := time.Since(t0)
		if y.len() != n {
			b.Fatalf("restored %d requests, want %d", y.len(), n)
		}
		b.ReportMetric(float64(len(buf))/1e6, "file-MB")
		b.ReportMetric(ms(tCapture), "lock-ms")
		b.ReportMetric(ms(tCaptureRestored), "lock-restored-ms")
		b.ReportMetric(ms(tEncode), "encode-ms")
		b.ReportMetric(ms(tWrite), "write-ms")
		b.ReportMetric(ms(tRead), "read-decode-ms")
		b.ReportMetric(ms(tRestore), "restore-ms")
	}
}

// BenchmarkOpenSnapshot measures Open (without IndexByFollow: it reads the
// stream into the index itself) on a stream of 200,000 signed one-message
// requests, from the start and from a snapshot taken at its end.
func BenchmarkOpenSnapshot(b *testing.B) {
	const n = 200_000
	_, js, k := testEmbedded(b)
	ctx := context.Background()
	if _, err := Open(ctx, js, Config{}); err != nil { // the stream, no genesis
		b.Fatal(err)
	}
	subjects, headers, data := benchMessages(b, k, n, true)
	for i := 0; i < len(subjects); i += 1000 {
		var batch []*nats.Msg
		for j := i; j < min(i+1000, len(subjects)); j++ {
			m := nats.NewMsg(subjects[j])
			m.Header, m.Data = headers[j], data[j]
			batch = append(batch, m)
		}
		if _, err := jetstreamext.PublishMsgBatch(ctx, js, batch); err != nil {
			b.Fatal(err)
		}
	}
	file := filepath.Join(b.TempDir(), "verified")
	saver, err := Open(ctx, js, Config{Writer: k, VerifiedFile: file})
	if err != nil {
		b.Fatal(err)
	}
	if len(saver.Rejected()) != 0 || saver.IndexedRequests() != n+1 {
		b.Fatalf("preload: %d requests, %d rejected", saver.IndexedRequests(), len(saver.Rejected()))
	}
	t0 := time.Now()
	if err := saver.SaveVerified(0); err != nil {
		b.Fatal(err)
	}
	save := time.Since(t0)
	fi, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		file string
	}{{"from-start", ""}, {"snapshot", file}} {
		b.Run(fmt.Sprintf("%s-%d", c.name, n), func(b *testing.B) {
			for b.Loop() {
				s, err := Open(ctx, js, Config{Writer: k, VerifiedFile: c.file})
				if err != nil {
					b.Fatal(err)
				}
				if s.IndexedRequests() != n+1 || (c.file != "") != (len(s.idx.v.keys.base) > 0) {
					b.Fatalf("%d requests, %d restored", s.IndexedRequests(), len(s.idx.v.keys.base))
				}
			}
			if c.file != "" {
				b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
				b.ReportMetric(float64(save.Microseconds())/1000, "save-ms")
			}
		})
	}
}
