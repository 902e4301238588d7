package workbench

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/projections"
)

// fakeCommands stands in for the command service in the rendering and
// parsing tests of this file's package: it decides with the pure domain
// and keeps the states in memory. The tests against a real server are in
// integration_test.go.
type fakeCommands struct {
	mu       sync.Mutex
	seq      uint64
	states   map[string]domain.State
	versions map[string]uint64
	done     map[string]command.Result
	// Requests are the requests Execute received.
	Requests []command.Request
	// Fail, when set, is returned by the next Execute.
	Fail error
}

func newFake() *fakeCommands {
	return &fakeCommands{states: map[string]domain.State{}, versions: map[string]uint64{}, done: map[string]command.Result{}}
}

func key(community, aggType, id string) string { return community + "/" + aggType + "/" + id }

func (f *fakeCommands) State(community, aggType, id string) (domain.State, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := key(community, aggType, id)
	return domain.CloneState(f.states[k]), f.versions[k]
}

func (f *fakeCommands) Execute(_ context.Context, req command.Request) (command.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Requests = append(f.Requests, req)
	if err := f.Fail; err != nil {
		f.Fail = nil
		return command.Result{}, err
	}
	if r, ok := f.done[req.Community+"/"+req.IdempotencyKey]; ok {
		r.Replayed = true
		return r, nil
	}
	var res command.Result
	for i, c := range req.Commands {
		k := key(req.Community, domain.AggregateType(c.Type), c.AggregateID)
		if i == 0 && req.IfMatch != nil && *req.IfMatch != f.versions[k] {
			return command.Result{}, &command.ConflictError{Subject: k, Expected: *req.IfMatch, Current: f.versions[k]}
		}
		ar, err := f.apply(req.Community, c)
		if err != nil {
			return command.Result{}, &command.Error{Index: i, Type: c.Type, Err: err}
		}
		res.Appends = append(res.Appends, ar)
	}
	f.done[req.Community+"/"+req.IdempotencyKey] = res
	return res, nil
}

// apply decides and applies one command; the caller holds mu.
func (f *fakeCommands) apply(community string, c command.Command) (command.AppendResult, error) {
	cmd, err := domain.DecodeCommand(c.Type, c.Data)
	if err != nil {
		return command.AppendResult{}, err
	}
	date, err := domain.ParseDate(c.EffectiveDate)
	if err != nil {
		return command.AppendResult{}, &domain.ValidationError{Fields: []domain.FieldError{{Field: "effective_date", Reason: "bad date", ReasonZH: "日期有误"}}}
	}
	aggType := domain.AggregateType(c.Type)
	k := key(community, aggType, c.AggregateID)
	comm, _ := f.states[key(community, domain.AggregateCommunity, community)].(*domain.Community)
	env := domain.EnvFor(domain.Env{Today: domain.DateOf(testNow), Date: date, CommunityID: community, Community: comm, AggregateID: c.AggregateID,
		LookupMatter: func(id string) *domain.Matter {
			m, _ := f.states[key(community, domain.AggregateMatter, id)].(*domain.Matter)
			return m
		},
		LookupBudget: func(y int) *domain.Budget {
			b, _ := f.states[key(community, domain.AggregateBudget, fmt.Sprint(y))].(*domain.Budget)
			return b
		},
	}, f.states[k])
	events, err := cmd.Decide(env)
	if err != nil {
		return command.AppendResult{}, err
	}
	ar := command.AppendResult{AggregateType: aggType, AggregateID: c.AggregateID}
	st := f.states[k]
	for _, e := range events {
		f.seq++
		st = domain.ApplyTo(st, aggType, c.AggregateID, e, date)
		ar.Events = append(ar.Events, command.EventRef{ID: fmt.Sprint("e", f.seq), Type: e.EventType(), Seq: f.seq})
	}
	f.states[k], f.versions[k], ar.Version = st, f.seq, f.seq
	return ar, nil
}

// board is the fake's matters as the board shows them.
type fakeBoard struct{ f *fakeCommands }

func (fakeBoard) Name() string                                     { return "board" }
func (fakeBoard) Position(context.Context) (uint64, error)         { return 0, nil }
func (fakeBoard) Apply(context.Context, []projections.Event) error { return nil }

func (b fakeBoard) Board(_ context.Context, community string) (projections.BoardView, error) {
	b.f.mu.Lock()
	defer b.f.mu.Unlock()
	v := projections.BoardView{Community: community}
	var ids []string
	for k := range b.f.states {
		if id, ok := strings.CutPrefix(k, key(community, domain.AggregateMatter, "")); ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		m := b.f.states[key(community, domain.AggregateMatter, id)].(*domain.Matter)
		row := projections.MatterRow{ID: id, Title: m.Title, Amount: m.Amount, Stage: m.Stage, Review: m.Review, Resolution: m.Resolution}
		row.Dates = append(row.Dates, projections.StageDate{Stage: m.Stage, Date: m.LastDate})
		v.Matters = append(v.Matters, row)
	}
	var items []string
	for k := range b.f.states {
		if id, ok := strings.CutPrefix(k, key(community, domain.AggregateDisclosure, "")); ok {
			items = append(items, id)
		}
	}
	sort.Strings(items)
	for _, id := range items {
		d := b.f.states[key(community, domain.AggregateDisclosure, id)].(*domain.Disclosure)
		v.Disclosures = append(v.Disclosures, projections.DisclosureRow{Item: id, Versions: d.Clone().Versions})
	}
	return v, nil
}

// seed records commands directly, as if recorded before the test.
func (f *fakeCommands) seed(t *testing.T, community string, cmds ...command.Command) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range cmds {
		if _, err := f.apply(community, c); err != nil {
			t.Fatalf("seed %s %s: %v", c.Type, c.AggregateID, err)
		}
	}
}

// seedEvent applies one stored event as a log written by an earlier
// version of gongkai holds it, without deciding it.
func (f *fakeCommands) seedEvent(community, aggType, id, date string, e domain.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, _ := domain.ParseDate(date)
	k := key(community, aggType, id)
	f.seq++
	f.states[k] = domain.ApplyTo(f.states[k], aggType, id, e, d)
	f.versions[k] = f.seq
}

func cmd(typ, id, date string, data any) command.Command {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	return command.Command{Type: typ, AggregateID: id, EffectiveDate: date, Data: b}
}

// testNow is the clock of the tests: 2026-11-30 23:56 in Beijing.
var testNow = time.Date(2026, 11, 30, 23, 56, 0, 0, domain.Shanghai)

const testCSRF = "csrf-token-of-the-session"

// testBench is a workbench over a fake command service, with a clerk
// signed in.
type testBench struct {
	t     *testing.T
	w     *Workbench
	fake  *fakeCommands
	actor domain.Actor
	// signedIn false: no session.
	signedIn bool
	ids      int
}

func newBench(t *testing.T) *testBench {
	t.Helper()
	b := &testBench{t: t, fake: newFake(), signedIn: true,
		actor: domain.Actor{ID: "lina", Name: "李娜", Grants: []domain.Grant{
			{Role: domain.AccessClerk, Scope: domain.CommunityScope("wenhualu")},
			{Role: domain.AccessAdministrator, Scope: domain.CommunityScope("wenhualu")}}}}
	b.w = New(Deps{
		Commands: b.fake,
		SignedIn: func(*http.Request) (domain.Actor, string, bool) { return b.actor, testCSRF, b.signedIn },
		CheckCSRF: func(r *http.Request, token string) bool {
			return token == testCSRF
		},
		Now:         func() time.Time { return testNow },
		NewID:       func() string { b.ids++; return fmt.Sprintf("id-%04d", b.ids) },
		Communities: func(context.Context) []string { return []string{"wenhualu"} },
		Board:       fakeBoard{b.fake},
	})
	b.fake.seed(t, "wenhualu",
		cmd(domain.CmdRegisterCommunity, "wenhualu", "2024-01-08", map[string]string{"name": "文化路社区", "kind": "社区", "town": "示例镇", "county": "示例县"}),
		cmd(domain.CmdAppointOfficer, "wenhualu", "2024-01-08", map[string]string{"person_id": "p-wang", "name": "王建华", "role": "secretary"}),
	)
	return b
}

func (b *testBench) get(path string) *httptest.ResponseRecorder {
	b.t.Helper()
	rr := httptest.NewRecorder()
	b.w.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, path, nil))
	return rr
}

func (b *testBench) post(path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rr := httptest.NewRecorder()
	b.w.ServeHTTP(rr, req)
	return rr
}

// submit fills the form at path (GET, to take its hidden fields and
// prefilled values), overrides values, and posts it with action.
func (b *testBench) submit(path string, vals map[string]string, action string) *httptest.ResponseRecorder {
	b.t.Helper()
	rr := b.get(path)
	if rr.Code != http.StatusOK {
		b.t.Fatalf("GET %s = %d\n%s", path, rr.Code, rr.Body)
	}
	form := hiddenAndValues(rr.Body.String())
	for k, v := range vals {
		form.Set(k, v)
	}
	form.Set("action", action)
	return b.post(strings.SplitN(path, "#", 2)[0], form)
}

// record submits a form, checks the confirmation, and confirms it.
func (b *testBench) record(path string, vals map[string]string) *httptest.ResponseRecorder {
	b.t.Helper()
	rr := b.submit(path, vals, "check")
	if rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), `value="confirm"`) {
		b.t.Fatalf("check %s = %d, want the confirmation\n%s", path, rr.Code, errorsOf(rr.Body.String()))
	}
	form := hiddenAndValues(rr.Body.String())
	form.Set("action", "confirm")
	return b.post(path, form)
}

var (
	inputRE    = regexp.MustCompile(`<input type="(?:hidden|text)"[^>]*? name="([^"]*)" value="([^"]*)"`)
	checkRE    = regexp.MustCompile(`<input type="checkbox" name="([^"]*)" value="([^"]*)" checked>`)
	textareaRE = regexp.MustCompile(`(?s)<textarea id="[^"]*" name="([^"]*)" rows="3">(.*?)</textarea>`)
	selectRE   = regexp.MustCompile(`(?s)<select id="[^"]*" name="([^"]*)">(.*?)</select>`)
	selectedRE = regexp.MustCompile(`<option value="([^"]*)" selected>`)
	errRE      = regexp.MustCompile(`(?s)<(?:div|span|p) class="err" id="e-([^"]*)" role="alert">(.*?)</(?:div|span|p)>|<li>(.*?)</li>`)
)

// hiddenAndValues reads a rendered form's fields as a browser would send
// them (without the buttons).
func hiddenAndValues(page string) url.Values {
	v := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(page, -1) {
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for _, m := range checkRE.FindAllStringSubmatch(page, -1) {
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for _, m := range textareaRE.FindAllStringSubmatch(page, -1) {
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for _, m := range selectRE.FindAllStringSubmatch(page, -1) {
		val := ""
		if s := selectedRE.FindStringSubmatch(m[2]); s != nil {
			val = s[1]
		} else if s := regexp.MustCompile(`<option value="([^"]*)"`).FindStringSubmatch(m[2]); s != nil {
			val = s[1]
		}
		v.Set(html.UnescapeString(m[1]), html.UnescapeString(val))
	}
	return v
}

// fieldErrors returns the errors a page shows: by field, and "" for those
// at the top.
func fieldErrors(page string) map[string][]string {
	out := map[string][]string{}
	for _, m := range errRE.FindAllStringSubmatch(page, -1) {
		switch {
		case m[1] != "":
			out[html.UnescapeString(m[1])] = append(out[html.UnescapeString(m[1])], html.UnescapeString(m[2]))
		case m[3] != "":
			out[""] = append(out[""], html.UnescapeString(m[3]))
		}
	}
	return out
}

func errorsOf(page string) string { return fmt.Sprint(fieldErrors(page)) }
