package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/audit"
	"github.com/gongkai/gongkai/internal/projector"
	"github.com/gongkai/gongkai/projections"
)

// runAudit measures an auditor's year (issue 12): one community's 2025 as
// recorded on a date, out of a stream of stored events from communities
// communities, beside a full replay of the same stream into the same read
// models, in the same run.
func runAudit(stored, communities, runs int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gkbench-audit-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("# gkbench -audit %d events, %d communities, %s\n\n", stored, communities, time.Now().UTC().Format(time.RFC3339))
	phase("server")
	srv, err := start(ctx, dir)
	if err != nil {
		return err
	}
	defer func() { srv.stop() }()
	key, err := writerKeyOf(dir)
	if err != nil {
		return err
	}
	js, _ := jetstream.New(srv.nc)
	p, err := newPreloader(ctx, js, srv.store, key)
	if err != nil {
		return err
	}
	phase("preload")
	t0 := time.Now()
	// Each community's events are spread over 2025 and recorded on
	// their dates plus a few days, so that "as of" cuts through them.
	for i := range communities {
		c := fmt.Sprintf("c-%04d", i)
		data, _ := json.Marshal(map[string]string{"name": "基准社区 " + c, "kind": "社区", "town": "镇", "county": "县"})
		ev := eventstore.Event{ID: uuid.NewString(), Type: domain.EvCommunityRegistered, Schema: domain.SchemaVersion, Community: c,
			AggregateType: domain.AggregateCommunity, AggregateID: c, EffectiveDate: "2025-01-01",
			RecordedAt: time.Date(2025, 1, 1, 9, 0, 0, 0, domain.Shanghai).UTC(), Actor: "admin", Data: data}
		if _, err := p.add(ctx, ev, "k-"+c, true); err != nil {
			return err
		}
	}
	for i := range stored - communities {
		c := fmt.Sprintf("c-%04d", i%communities)
		id := fmt.Sprintf("m-%d", i/communities)
		day := domain.Date{Year: 2025, Month: 1, Day: 1}.AddDays((i / communities) % 365)
		data, _ := json.Marshal(map[string]string{"title": "基准测试事项 " + id, "description": "用于测量审计回放的事项，内容长度与真实事项相近。", "category": "基准", "amount": "1234.56"})
		ev := eventstore.Event{ID: uuid.NewString(), Type: domain.EvMatterRegistered, Schema: domain.SchemaVersion, Community: c,
			AggregateType: domain.AggregateMatter, AggregateID: id, EffectiveDate: day.String(),
			RecordedAt: time.Date(day.Year, day.Month, day.Day+3, 9, 0, 0, 0, domain.Shanghai).UTC(), Actor: "admin", Data: data}
		if _, err := p.add(ctx, ev, "k-"+c+"-"+id, true); err != nil {
			return err
		}
	}
	if err := p.flush(ctx); err != nil {
		return err
	}
	fmt.Printf("Preloaded %d events in %.1f s.\n", stored, time.Since(t0).Seconds())
	// Measure once the server has taken the preload in (its index and read
	// models), as a server that has been running would have.
	last, _ := srv.store.LastSeq(ctx)
	if err := checkFacts(srv, last); err != nil {
		return err
	}
	fmt.Printf("The server's index and read models applied all %d messages.\n\n", last)
	asOf := time.Date(2025, 7, 1, 0, 0, 0, 0, domain.Shanghai)
	fmt.Println("| run | one community's 2025 as of 2025-07-01 (read + replay + report) | events read | full replay of the stream into board and finance | events read | ratio |")
	fmt.Println("|---|---|---|---|---|---|")
	for r := 1; r <= runs+1; r++ {
		if r == runs+1 {
			// Once more on a restarted server (its NATS server's caches
			// empty), first thing once it is ready.
			srv.stop()
			phase("restart")
			if srv, err = start(ctx, dir); err != nil {
				return err
			}
			fmt.Println("| after a restart | | | | | |")
		}
		t := time.Now()
		h, err := audit.Load(ctx, projector.CommunityReader{Store: srv.store}, fmt.Sprintf("c-%04d", 7+r))
		if err != nil {
			return err
		}
		read := time.Since(t)
		rep, err := audit.Build(ctx, h, fmt.Sprintf("c-%04d", 7+r), audit.Options{Year: 2025, AsOf: asOf})
		if err != nil {
			return err
		}
		one := time.Since(t)
		t = time.Now()
		board, fin := projections.NewMemory(projections.BoardModel), projections.NewMemory(projections.FinanceModel)
		var batch []projections.Event
		n := 0
		apply := func() error {
			for _, rm := range []*projections.Memory{board, fin} {
				if err := rm.Apply(ctx, batch); err != nil {
					return err
				}
			}
			batch = batch[:0]
			return nil
		}
		err = srv.store.Read(ctx, 0, func(st eventstore.Stored) error {
			n++
			batch = append(batch, projector.Convert(st))
			if len(batch) == 1000 {
				return apply()
			}
			return nil
		})
		if err == nil {
			err = apply()
		}
		if err != nil {
			return err
		}
		full := time.Since(t)
		fmt.Printf("| %d | %.3f s (read %.3f s; %d matters in the report) | %d | %.1f s | %d | %.0f× |\n", r, one.Seconds(), read.Seconds(), len(rep.Matters), len(h), full.Seconds(), n, full.Seconds()/one.Seconds())
	}
	return nil
}
