package eventstore

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// With IndexByFollow, Open reads nothing: the caller's Follow from the
// start builds the same index (keys, verdicts) the pre-pass would have,
// and a retry that comes before the feed has read far enough reads what is
// missing itself and is still answered with the original result.
func TestIndexByFollow(t *testing.T) {
	ctx := context.Background()
	js, w := testServer(t)
	full, err := Open(ctx, js, Config{Writer: w})
	if err != nil {
		t.Fatal(err)
	}
	var first []Result
	for i := range 40 {
		res, err := full.Append(ctx, testRequest(fmt.Sprintf("k%d", i), 0, fmt.Sprintf("a%d", i), 1+i%2))
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, res)
	}
	last, _ := full.LastSeq(ctx)

	early, err := Open(ctx, js, Config{Writer: w, IndexByFollow: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := early.idx.through(); got != 0 {
		t.Fatalf("Open read the stream through %d with IndexByFollow", got)
	}
	res, err := early.Append(ctx, testRequest("k7", 0, "a7", 2))
	if err != nil || !res.Replayed || res.Appends[0].Version != first[7].Appends[0].Version {
		t.Fatalf("retry before the feed: %+v, %v; first %+v", res, err, first[7])
	}

	followed, err := Open(ctx, js, Config{Writer: w, IndexByFollow: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := followed.CheckWriter(); err != nil {
		t.Fatalf("CheckWriter before the index knows the writer keys: %v", err)
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = followed.Follow(fctx, 1, func(Stored) error { return nil }) }()
	deadline := time.Now().Add(30 * time.Second)
	for followed.idx.through() < last {
		if time.Now().After(deadline) {
			t.Fatalf("the feed indexed through %d of %d", followed.idx.through(), last)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if a, b := followed.idx.len(), full.idx.len(); a != b {
		t.Fatalf("the feed indexed %d keys, the pre-pass %d", a, b)
	}
	for seq := uint64(1); seq <= last; seq++ {
		a, _ := followed.idx.verdict(seq)
		b, _ := full.idx.verdict(seq)
		if a != b {
			t.Fatalf("verdict at %d: %q by the feed, %q by the pre-pass", seq, a, b)
		}
	}
	if err := followed.CheckWriter(); err != nil {
		t.Fatal(err)
	}
	if _, err := followed.Append(ctx, testRequest("new", 0, "b", 1)); err != nil {
		t.Fatal(err)
	}
}
