package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/transparency"
)

// runTlog measures the verifiable log: leaves appended per second, proof
// generation and verification at 1M and 10M leaves, and a full `gongkai
// verify` of `stored` events beside a plain read of the same stream.
func runTlog(leaves, stored int, gongkaiBin string) error {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "gkbench-tlog-")
	defer os.RemoveAll(dir)
	fmt.Printf("# gkbench -tlog %d CPUs, %s\n\n", runtimeCPUs(), time.Now().UTC().Format(time.RFC3339))
	tree, err := transparency.OpenTree(dir + "/tree")
	if err != nil {
		return err
	}
	payload := envelope("P-0")
	fmt.Println("## Merkle tree")
	fmt.Println()
	fmt.Println("| leaves | append: leaves/s (leaf encode + SHA-256 + tree nodes to files) | inclusion proof: generate µs | verify µs | consistency proof (half→full): generate µs |")
	fmt.Println("|---|---|---|---|---|")
	t0 := time.Now()
	var done int
	for _, mark := range []int{1_000_000, leaves} {
		for ; done < mark; done++ {
			h := transparency.NewLeaf("gongkai/bench", "GONGKAI", uint64(done+1), "ledger.bench.matter.P", strconv.Itoa(done), payload).Hash()
			if err := tree.Append(h); err != nil {
				return err
			}
		}
		rate := float64(done) / time.Since(t0).Seconds()
		size := uint64(done)
		root, err := tree.RootAt(size)
		if err != nil {
			return err
		}
		const n = 1000
		var gen, ver time.Duration
		for range n {
			i := rand.Uint64N(size)
			g := time.Now()
			p, err := tree.InclusionProof(i, size)
			if err != nil {
				return err
			}
			gen += time.Since(g)
			lh, _ := tree.LeafHash(i)
			v := time.Now()
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, size, lh, p, root); err != nil {
				return err
			}
			ver += time.Since(v)
		}
		c := time.Now()
		if _, err := tree.ConsistencyProof(size/2, size); err != nil {
			return err
		}
		fmt.Printf("| %d | %.0f | %.1f | %.1f | %.1f |\n", size, rate, float64(gen.Microseconds())/n, float64(ver.Microseconds())/n, float64(time.Since(c).Microseconds()))
		if mark == leaves {
			break
		}
	}
	tree.Close()
	if stored == 0 || gongkaiBin == "" {
		return nil
	}

	// A stream of `stored` events, then verify beside a plain read.
	data := dir + "/data"
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: data})
	if err != nil {
		return err
	}
	js, _ := jetstream.New(e.Conn)
	p, err := openSigned(ctx, js, data)
	if err != nil {
		return err
	}
	for i := range stored {
		id := "P-" + strconv.Itoa(i)
		if _, err := p.add(ctx, matterEvent(id), "k-"+id, true); err != nil {
			return err
		}
	}
	if err := p.flush(ctx); err != nil {
		return err
	}
	stored = int(p.last) // and the genesis
	st, _ := js.Stream(ctx, "GONGKAI")
	cons, _ := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	it, _ := cons.Messages()
	t0 = time.Now()
	var bytes int
	for i := 0; i < stored; i++ {
		m, err := it.Next()
		if err != nil {
			return err
		}
		bytes += len(m.Data())
	}
	plain := time.Since(t0)
	it.Stop()
	e.Close()
	_, vkey, _ := transparency.GenerateKey("gongkai/gongkai")
	t0 = time.Now()
	out, err := exec.Command(gongkaiBin, "verify", "--data", data, "--key", vkey).CombinedOutput()
	if err != nil {
		return fmt.Errorf("verify: %v: %s", err, out)
	}
	full := time.Since(t0)
	fmt.Printf("\n## Full verify of %d events\n\n", stored)
	fmt.Println("| what | seconds | events/s |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| plain ordered-consumer read of the same stream (%d MB, no decoding) | %.1f | %.0f |\n", bytes>>20, plain.Seconds(), float64(stored)/plain.Seconds())
	fmt.Printf("| `gongkai verify --data` (process start, envelope decode, payload hash check, leaf hashes, tree) | %.1f | %.0f |\n", full.Seconds(), float64(stored)/full.Seconds())
	fmt.Printf("\nverify said: %s", out)
	return nil
}
