package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/projections"
)

// voucherCommand is a 2-line voucher: office costs paid in cash.
func voucherCommand(number int) string {
	return fmt.Sprintf(`{"type":"books.post_voucher","aggregate_id":"books","effective_date":"2025-03-15","data":{"number":%d,"summary":"收到集体成员投资","lines":[{"account":"102","debit":"100.00"},{"account":"301","credit":"100.00"}],"preparer":"赵敏","reviewer":"李娜","approver":"张丽"}}`, number)
}

// voucherEvent is a books.voucher_posted event as the ledger stores it.
func voucherEvent(community string, date domain.Date, number int) eventstore.Event {
	data, _ := json.Marshal(domain.VoucherData{Number: number, Summary: "收到集体成员投资",
		Lines:    []domain.Line{{Account: "102", Debit: 100_00}, {Account: "301", Credit: 100_00}},
		Preparer: "赵敏", Reviewer: "李娜", Approver: "张丽"})
	return eventstore.Event{ID: uuid.NewString(), Type: domain.EvVoucherPosted, Schema: 1, Community: community,
		AggregateType: domain.AggregateBooks, AggregateID: domain.BooksID, EffectiveDate: date.String(), RecordedAt: time.Now().UTC(),
		IdempotencyKey: "v-" + strconv.Itoa(number), Actor: "admin", Data: data}
}

func register(url, community string) error {
	code, err := postTo(url, community, "reg-"+community, fmt.Sprintf(`{"type":"community.register","aggregate_id":%q,"effective_date":"2025-01-01","data":{"name":"基准社区","kind":"社区","town":"镇","county":"县"}}`, community))
	if err == nil && code/100 != 2 {
		err = fmt.Errorf("register %s: status %d", community, code)
	}
	return err
}

func runFinance(n, stored int, restartOnly bool) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gkbench-fin-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("# gkbench -finance %s, %d CPUs, %s\n\n", runtime.Version(), runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	srv, err := start(ctx, dir)
	if err != nil {
		return err
	}
	js, _ := jetstream.New(srv.nc)
	rawCfg := eventstore.StreamConfig("RAW", 1, 2*time.Minute)
	rawCfg.Subjects = []string{"rawledger.>"}
	if _, err := js.CreateStream(ctx, rawCfg); err != nil {
		return err
	}
	if !restartOnly {
		fmt.Println("## Posting 2-line vouchers with fsync on every write")
		fmt.Println()
		fmt.Println("| path | clients | vouchers | vouchers/s | p50 ms | p99 ms | ledger / raw |")
		fmt.Println("|---|---|---|---|---|---|---|")
		for _, clients := range []int{1, 16} {
			// Each client keeps the books of its own community: voucher
			// numbers run in sequence per community and month.
			comms := make([]string, clients)
			for c := range comms {
				comms[c] = fmt.Sprintf("fin%d-%d", clients, c)
				if err := register(srv.url, comms[c]); err != nil {
					return err
				}
			}
			var mu sync.Mutex
			last := map[string]uint64{}
			next := map[int]int{}
			rawRes := measure(n, clients, func(c, i int) error {
				subject := "rawledger." + comms[c] + ".books.books"
				mu.Lock()
				next[c]++
				num, exp := next[c], last[subject]
				mu.Unlock()
				m := baselineMsg(subject, voucherEvent(comms[c], domain.Date{Year: 2025, Month: 3, Day: 15}, num), fmt.Sprintf("v-%d", num))
				m.Header.Set(eventstore.HeaderPrev, strconv.FormatUint(exp, 10))
				m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(exp, 10))
				m.Header.Set(jetstream.MsgIDHeader, m.Header.Get(eventstore.HeaderIdempotency))
				ack, err := js.PublishMsg(ctx, m)
				if err == nil {
					mu.Lock()
					last[subject] = ack.Sequence
					mu.Unlock()
				}
				return err
			})
			led := measure(n, clients, func(c, i int) error {
				mu.Lock()
				next[100+c]++
				num := next[100+c]
				mu.Unlock()
				code, err := postTo(srv.url, comms[c], fmt.Sprintf("v-%s-%d", comms[c], num), voucherCommand(num))
				if err == nil && code != http.StatusCreated {
					err = fmt.Errorf("voucher %d: status %d", num, code)
				}
				return err
			})
			fmt.Printf("| raw JetStream sync publish (same payload and headers) | %d | %d | %.0f | %.2f | %.2f | |\n", clients, rawRes.n, rawRes.rate(), ms(rawRes.p(50)), ms(rawRes.p(99)))
			fmt.Printf("| ledger: HTTP API + command service (books.post_voucher) | %d | %d | %.0f | %.2f | %.2f | %.0f %% |\n", clients, led.n, led.rate(), ms(led.p(50)), ms(led.p(99)), 100*led.rate()/rawRes.rate())
		}
	}
	if stored == 0 {
		srv.stop()
		return nil
	}

	// Preload `stored` vouchers of one community, spread over 120 months.
	if err := register(srv.url, "fin"); err != nil {
		return err
	}
	key, err := writerKeyOf(dir)
	if err != nil {
		return err
	}
	p, err := newPreloader(ctx, js, srv.store, key)
	if err != nil {
		return err
	}
	t0 := time.Now()
	perMonth := (stored + 119) / 120
	for i := range stored {
		date := domain.Date{Year: 2015 + i/perMonth/12, Month: time.Month(i/perMonth%12 + 1), Day: 15}
		if _, err := p.add(ctx, voucherEvent("fin", date, i%perMonth+1), "fin-"+strconv.Itoa(i), false); err != nil {
			return err
		}
	}
	if err := p.flush(ctx); err != nil {
		return err
	}
	fmt.Printf("\nPreloaded %d vouchers (one community, %d a month over 120 months) with atomic batches of 1000 in %.1f s.\n", stored, perMonth, time.Since(t0).Seconds())
	if err := checkFacts(srv, p.last); err != nil {
		return err
	}
	srv.stop()

	t0 = time.Now()
	srv, err = start(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Printf("\nRestart of `gongkai serve` until /readyz is 200 (command cache with the books of %d vouchers, board, finance): %.1f s.\n", stored, time.Since(t0).Seconds())
	lat := measure(min(n, 1000), 1, func(c, i int) error {
		code, err := postTo(srv.url, "fin", fmt.Sprintf("after-%d", i), fmt.Sprintf(`{"type":"books.post_voucher","aggregate_id":"books","effective_date":"2025-03-15","data":{"number":%d,"summary":"收到集体成员投资","lines":[{"account":"102","debit":"100.00"},{"account":"301","credit":"100.00"}],"preparer":"赵敏"}}`, i+1))
		if err == nil && code != http.StatusCreated {
			err = fmt.Errorf("status %d", code)
		}
		return err
	})
	fmt.Printf("\nPosting into those books afterwards (1 client): %.0f vouchers/s, p50 %.2f ms, p99 %.2f ms.\n", lat.rate(), ms(lat.p(50)), ms(lat.p(99)))
	srv.stop()
	runtime.GC()

	// Rebuild the finance read model alone, beside a plain read.
	fin := projections.NewMemoryFinance()
	var tb projections.TrialBalance
	var tbDur time.Duration
	r, err := replay(ctx, dir, fin, func() (err error) {
		t := time.Now()
		tb, err = fin.TrialBalance(ctx, "fin", "2024-12")
		tbDur = time.Since(t)
		return err
	})
	if err != nil {
		return err
	}
	r.print("Rebuild of the finance read model", "finance")
	fmt.Printf("Trial balance of 2024-12 over all %d vouchers: %.0f ms (totals %s / %s).\n", stored, float64(tbDur.Microseconds())/1000, tb.Total.ClosingDebit, tb.Total.ClosingCredit)
	return nil
}
