package command_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/projector"
)

// feedService starts a command service of the test's own on srv's log,
// holding at most maxCached aggregates of the types not kept whole, and
// waits until it is ready.
func feedService(t *testing.T, srv *apptest.Server, maxCached int) *command.Service {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := command.New(srv.Store, time.Now, func() string { return uuid.Must(uuid.NewV7()).String() }, log)
	svc.LimitCache(maxCached)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- projector.Feed(ctx, srv.Store, log, svc) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	deadline := time.Now().Add(30 * time.Second)
	for !svc.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("command service not ready within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return svc
}

var clerk = domain.Actor{ID: "clerk-1", Name: "文书", Grants: []domain.Grant{{Role: domain.AccessClerk, Scope: domain.CommunityScope("dongfeng")}}}

// stage sends one matter command to dongfeng through svc.
func stage(t *testing.T, svc *command.Service, typ, id, date, data string) {
	t.Helper()
	_, err := svc.Execute(context.Background(), command.Request{Community: "dongfeng", IdempotencyKey: uuid.NewString(), Actor: clerk,
		Commands: []command.Command{{Type: typ, AggregateID: id, EffectiveDate: date, Data: json.RawMessage(data)}}})
	if err != nil {
		t.Fatalf("%s %s: %v", typ, id, err)
	}
}

// stageHTTP sends one matter command to dongfeng through srv's API (the
// server's own command service: another instance as far as svc goes).
func stageHTTP(t *testing.T, srv *apptest.Server, typ, id, date, data string) {
	t.Helper()
	body := fmt.Sprintf(`{"type":%q,"aggregate_id":%q,"effective_date":%q,"data":%s}`, typ, id, date, data)
	if r := srv.Command(t, "dongfeng", uuid.NewString(), body); r.Status != http.StatusCreated {
		t.Fatalf("%s %s over HTTP: %d %s", typ, id, r.Status, r.Body)
	}
}

// TestBoundedCache: a service that holds at most 4 matters takes commands
// on 30, each needing the matter's state (its stage), loading what it
// dropped from the log; every matter's state and version then equal those
// a service with room for all reads from the log.
func TestBoundedCache(t *testing.T) {
	srv := startServer(t)
	small := feedService(t, srv, 4)
	const n = 30
	id := func(i int) string { return fmt.Sprintf("m-%02d", i) }
	for i := range n {
		stage(t, small, domain.CmdRegisterMatter, id(i), "2025-03-01", fmt.Sprintf(`{"title":"事项%d"}`, i))
	}
	for i := range n {
		stage(t, small, domain.CmdProposeMatter, id(i), "2025-03-02", `{}`)
	}
	for i := range n {
		// Every other one from the server: the small service must see it.
		if i%2 == 0 {
			stageHTTP(t, srv, domain.CmdConsultMatter, id(i), "2025-03-03", `{}`)
		} else {
			stage(t, small, domain.CmdConsultMatter, id(i), "2025-03-03", `{}`)
		}
	}
	f := small.Figures()
	if f.Loads == 0 || f.Evictions == 0 {
		t.Errorf("figures %+v: want loads and evictions", f)
	}
	// Kept whole: 2 communities (+ nothing else here); at most 4 others.
	if f.Aggregates > 2+4 {
		t.Errorf("%d aggregates cached, want at most 6", f.Aggregates)
	}
	full := feedService(t, srv, n*10)
	last, err := srv.Store.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitFeed(t, small, last)
	waitFeed(t, full, last)
	for i := range n {
		s1, v1 := small.State("dongfeng", domain.AggregateMatter, id(i))
		s2, v2 := full.State("dongfeng", domain.AggregateMatter, id(i))
		if v1 == 0 || v1 != v2 || !reflect.DeepEqual(s1, s2) {
			t.Errorf("%s: bounded %d %+v, read from the log %d %+v", id(i), v1, s1, v2, s2)
		}
		if m, _ := s1.(*domain.Matter); m == nil || m.Stage != domain.StageConsulted {
			t.Errorf("%s: state %+v, want consulted", id(i), s1)
		}
	}
}

// TestLoadKeepsFeedEvents: an event stored on a matter while the service
// reads that matter from the log reaches the cached state (the feed's
// copy waits for the load), so the next command decides on it.
func TestLoadKeepsFeedEvents(t *testing.T) {
	srv := startServer(t)
	stageHTTP(t, srv, domain.CmdRegisterMatter, "m-race", "2025-03-01", `{"title":"事项"}`)
	svc := feedService(t, srv, 4)
	once := false
	command.SetAfterRead(svc, func() {
		if once {
			return
		}
		once = true
		stageHTTP(t, srv, domain.CmdProposeMatter, "m-race", "2025-03-02", `{}`)
		last, err := srv.Store.LastSeq(context.Background())
		if err != nil {
			t.Error(err)
			return
		}
		waitFeed(t, svc, last)
	})
	st, v := svc.State("dongfeng", domain.AggregateMatter, "m-race")
	if m, _ := st.(*domain.Matter); m == nil || m.Stage != domain.StageProposed {
		t.Fatalf("after a load with an event stored meanwhile: %+v at %d, want proposed", st, v)
	}
	if !once {
		t.Fatal("the load did not read the matter")
	}
	// And the next command decides on it: consult follows propose.
	stage(t, svc, domain.CmdConsultMatter, "m-race", "2025-03-03", `{}`)
}

// TestStaleCacheRecovers: should a state the cache holds miss an event
// (none is known to: this plants one), the append's conflict makes the
// service read the aggregate again and decide on what the log holds.
func TestStaleCacheRecovers(t *testing.T) {
	srv := startServer(t)
	svc := feedService(t, srv, 100)
	stage(t, svc, domain.CmdRegisterMatter, "m-stale", "2025-03-01", `{"title":"事项"}`)
	command.Forget(svc, "dongfeng", domain.AggregateMatter, "m-stale")
	stageHTTP(t, srv, domain.CmdProposeMatter, "m-stale", "2025-03-02", `{}`)
	last, err := srv.Store.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitFeed(t, svc, last)
	// A stale state by hand: registered only, at the registration's
	// version. Withdrawing is allowed in both stages.
	command.Plant(svc, "dongfeng", domain.AggregateMatter, "m-stale", last-1)
	stage(t, svc, domain.CmdWithdrawMatter, "m-stale", "2025-03-03", `{"reason":"取消"}`)
	st, v := svc.State("dongfeng", domain.AggregateMatter, "m-stale")
	m, _ := st.(*domain.Matter)
	if m == nil || m.Stage != domain.StageWithdrawn || v != last+1 {
		t.Fatalf("state %+v at %d, want withdrawn at %d", st, v, last+1)
	}
	if _, ok := m.Dates.Lookup(domain.StageProposed); !ok {
		t.Errorf("the state decided on missed the proposal: %+v", m)
	}
}

func waitFeed(t *testing.T, svc *command.Service, seq uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for command.FeedPos(svc) < seq {
		if time.Now().After(deadline) {
			t.Fatalf("feed at %d, want %d", command.FeedPos(svc), seq)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startServer runs a real server with dongfeng registered.
func startServer(t *testing.T) *apptest.Server {
	t.Helper()
	srv := apptest.Start(t, app.Config{})
	body := `{"type":"community.register","aggregate_id":"dongfeng","effective_date":"2025-01-02","data":{"name":"东风社区","kind":"社区","town":"示例镇","county":"青山县"}}`
	if r := srv.Command(t, "dongfeng", "register-dongfeng", body); r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	return srv
}

// TestRestartReadsWhatIsNew: a server restarted on its data restores the
// index from its snapshot, reads the kept aggregates (communities, tokens)
// from their own messages and follows the stream only after the snapshot;
// a community token issued before the restart still signs in, and a
// command on a matter recorded before it (read from the log on demand)
// decides on its recorded stage.
func TestRestartReadsWhatIsNew(t *testing.T) {
	cfg := app.Config{DataDir: t.TempDir()}
	srv, _ := apptest.StartLogged(t, cfg)
	body := `{"type":"community.register","aggregate_id":"dongfeng","effective_date":"2025-01-02","data":{"name":"东风社区","kind":"社区","town":"示例镇","county":"青山县"}}`
	if r := srv.Command(t, "dongfeng", "register-dongfeng", body); r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	r := apptest.Do(t, http.MethodPost, srv.URL+"/api/v1/tokens", []byte(`{"community":"dongfeng","label":"文书"}`),
		map[string]string{"Authorization": "Bearer " + apptest.AdminToken})
	var issued struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(r.Body, &issued); r.Status != http.StatusCreated || err != nil || issued.Token == "" {
		t.Fatalf("issue a clerk token: %d %s", r.Status, r.Body)
	}
	for i := range 20 {
		id := fmt.Sprintf("m-%02d", i)
		stageHTTP(t, srv, domain.CmdRegisterMatter, id, "2025-03-01", `{"title":"事项"}`)
		stageHTTP(t, srv, domain.CmdProposeMatter, id, "2025-03-02", `{}`)
	}
	last, err := srv.Store.LastSeq(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)

	srv, logs := apptest.StartLogged(t, cfg)
	out := string(logs.Bytes())
	for _, want := range []string{
		fmt.Sprintf(`msg="index restored from snapshot" through_seq=%d`, last),
		fmt.Sprintf(`through_seq=%d from_seq=%d`, last, last+1),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("restart log lacks %q:\n%s", want, out)
		}
	}
	body = `{"type":"matter.consult","aggregate_id":"m-07","effective_date":"2025-03-03","data":{}}`
	r = apptest.Do(t, http.MethodPost, srv.URL+"/api/v1/communities/dongfeng/commands", []byte(body),
		map[string]string{"Authorization": "Bearer " + issued.Token, "Idempotency-Key": "consult-7"})
	if r.Status != http.StatusCreated {
		t.Fatalf("consult with the token after the restart: %d %s", r.Status, r.Body)
	}
	// A command service started on the restored store reads the kept
	// aggregates from their own messages and starts after the snapshot,
	// whatever the read models need (here they are in memory and start
	// at 1, so the server's own feed passes everything again).
	svc := command.New(srv.Store, time.Now, func() string { return uuid.Must(uuid.NewV7()).String() }, slog.New(slog.DiscardHandler))
	tokens := 0
	svc.Observe = append(svc.Observe, func(f command.Fact) {
		if f.AggregateType == domain.AggregateToken {
			tokens++
		}
	})
	indexed := srv.Store.Indexed()
	from, err := svc.Start(context.Background(), indexed)
	if err != nil || from != indexed+1 || from <= last || !svc.Ready() {
		t.Fatalf("Start = %d, %v (ready %v); want %d, ready", from, err, svc.Ready(), indexed+1)
	}
	if st, _ := svc.State("dongfeng", domain.AggregateCommunity, "dongfeng"); st == nil || tokens != 1 || !slices.Equal(svc.Communities(), []string{"dongfeng"}) {
		t.Fatalf("kept aggregates after Start: community %+v, %d token facts observed, communities %v", st, tokens, svc.Communities())
	}
	stage(t, svc, domain.CmdConsultMatter, "m-09", "2025-03-03", `{}`)
	if f := svc.Figures(); f.Loads != 1 {
		t.Errorf("figures %+v: want the one matter loaded", f)
	}
	// Proposing again is refused: the matter read from the log is proposed.
	body = `{"type":"matter.propose","aggregate_id":"m-08","effective_date":"2025-03-03","data":{}}`
	if r := srv.Command(t, "dongfeng", "propose-8-again", body); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusConflict {
		t.Errorf("proposing m-08 again after the restart: %d %s, want a refusal", r.Status, r.Body)
	}
}

// TestLoadPassesOverForgeries: messages on a matter's subject that are not
// facts (unsigned, published with the server's own NATS rights: bytes that
// are not an event, and an event that claims another aggregate type) do
// not stop the matter from being read from the log: its state ignores
// them, and the next command decides at the version after them.
func TestLoadPassesOverForgeries(t *testing.T) {
	srv := startServer(t)
	svc := feedService(t, srv, 100)
	stage(t, svc, domain.CmdRegisterMatter, "m-f", "2025-03-01", `{"title":"事项"}`)
	js, err := jetstream.New(srv.Conn)
	if err != nil {
		t.Fatal(err)
	}
	// Dropped from the cache first: the forgeries reach a matter the
	// service does not hold. The second claims to be of a type the cache
	// keeps whole; the subject, not the claim, decides.
	command.Forget(svc, "dongfeng", domain.AggregateMatter, "m-f")
	if _, err := js.Publish(context.Background(), "ledger.dongfeng.matter.m-f", []byte("{not an event")); err != nil {
		t.Fatal(err)
	}
	claim := `{"id":"x","type":"community.registered","schema":1,"community":"dongfeng","aggregate_type":"community","aggregate_id":"m-f",` +
		`"effective_date":"2025-03-01","recorded_at":"2025-03-01T00:00:00Z","idempotency_key":"x","data":{"name":"假"}}`
	ack, err := js.Publish(context.Background(), "ledger.dongfeng.matter.m-f", []byte(claim))
	if err != nil {
		t.Fatal(err)
	}
	waitFeed(t, svc, ack.Sequence)
	stage(t, svc, domain.CmdProposeMatter, "m-f", "2025-03-02", `{}`)
	st, v := svc.State("dongfeng", domain.AggregateMatter, "m-f")
	if m, _ := st.(*domain.Matter); m == nil || m.Stage != domain.StageProposed || v != ack.Sequence+1 {
		t.Fatalf("state %+v at %d, want proposed at %d", st, v, ack.Sequence+1)
	}
}
