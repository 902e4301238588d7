package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/web"
)

// The contacts bucket, as internal/app opens it (eventstore.ContactsBucket).
const contactsStream = "KV_GONGKAI_CONTACTS"

// setupQuestions registers c1 with the matter m1 and two accounts: the
// clerk lina and the supervisor zhao.
func setupQuestions(t *testing.T, cfg app.Config) *apptest.Server {
	t.Helper()
	s := setup(t, cfg)
	mustCommands(t, s, "q-setup", register("m1", "2025-01-03"))
	s.CreateAccount(t, "lina", "李娜", "Pw-Li-2026-qz!", "clerk", "community:c1")
	s.CreateAccount(t, "zhao", "赵监督", "Pw-Zh-2026-qz!", "supervisor", "community:c1")
	waitSeq(t, s, "/api/v1/communities/c1/board", s.LastSeq(t))
	return s
}

func ask(t *testing.T, b *apptest.Browser, text string, extra ...string) apptest.Response {
	t.Helper()
	f := url.Values{"about": {"matter/m1"}, "text": {text}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return b.PostForm(t, "/c/c1/questions", f)
}

// questionsAsked returns the question.asked events in the stream.
func questionsAsked(t *testing.T, s *apptest.Server) []apptest.Event {
	t.Helper()
	var out []apptest.Event
	for _, e := range s.EventsAfter(t, 0) {
		if e.Type == domain.EvQuestionAsked {
			out = append(out, e)
		}
	}
	return out
}

// messagesOf returns every message of a stream, its subject, headers and
// data, as bytes.
func messagesOf(t *testing.T, s *apptest.Server, stream string) [][]byte {
	t.Helper()
	ctx := context.Background()
	js, err := jetstream.New(s.Conn)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("%s seq %d: %v", stream, seq, err)
		}
		var b bytes.Buffer
		b.WriteString(m.Subject)
		for k, vs := range m.Header {
			b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
		}
		b.Write(m.Data)
		out = append(out, b.Bytes())
	}
	return out
}

var forgetLink = regexp.MustCompile(`/c/c1/questions/([A-Za-z0-9_-]+)/forget\?token=([A-Z0-9]+)`)

// Privacy: the contact details given with a question appear in no public
// page, no API reply and nowhere in the stream; the clerk alone sees them,
// and the resident's one-time link deletes them.
func TestQuestionContactPrivacy(t *testing.T) {
	const phone, name = "13912345678", "王秀英"
	s := setupQuestions(t, app.Config{})
	resident := apptest.NewBrowser(s.URL)
	r := ask(t, resident, "村口路灯什么时候修好？", "name", name, "phone", phone)
	if r.Status != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("ask: %d %q %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
	}
	body := string(r.Body)
	for _, w := range []string{"永久公开", "不公开", "public and permanent", "not public", "应于"} {
		if !strings.Contains(body, w) {
			t.Errorf("reply page lacks %q", w)
		}
	}
	link := forgetLink.FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("reply page has no deletion link:\n%s", body)
	}
	asked := questionsAsked(t, s)
	if len(asked) != 1 {
		t.Fatalf("%d questions recorded, want 1", len(asked))
	}
	waitSeq(t, s, "/api/v1/communities/c1/board", s.LastSeq(t))

	// Public pages and API replies.
	token := map[string]string{"Authorization": "Bearer " + apptest.AdminToken}
	paths := []string{"/c/c1", "/c/c1?lang=en", "/c/c1/matters/m1", "/c/c1/matters/m1?lang=en", "/c/c1/matters/m1/verify",
		"/api/v1/communities/c1/board", "/api/v1/communities/c1/questions", fmt.Sprintf("/api/v1/log/bundle?seq=%d", asked[0].Seq)}
	for _, p := range paths {
		r := apptest.Do(t, http.MethodGet, s.URL+p, nil, token)
		if r.Status != http.StatusOK && !strings.Contains(p, "bundle") {
			t.Errorf("GET %s: %d", p, r.Status)
		}
		for _, secret := range []string{phone, name} {
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Errorf("GET %s shows the contact detail %q", p, secret)
			}
		}
	}
	if page := get(t, s, "/c/c1/matters/m1"); !strings.Contains(page, "村口路灯什么时候修好？") {
		t.Errorf("matter page does not show the question")
	}
	// The matter page, with its form, is the same for everyone (it is
	// cached until the stream moves), and its policy lets the form post.
	m1 := resident.Get(t, "/c/c1/matters/m1")
	m2 := apptest.NewBrowserFrom(s.URL, "127.0.0.9").Get(t, "/c/c1/matters/m1")
	if !bytes.Equal(m1.Body, m2.Body) || m1.Header.Get("ETag") == "" || !strings.HasPrefix(m1.Header.Get("Cache-Control"), "public") ||
		!strings.Contains(m1.Header.Get("Content-Security-Policy"), "form-action 'self'") || !strings.Contains(string(m1.Body), `action="/c/c1/questions"`) {
		t.Errorf("matter page: differs between visitors %v, ETag %q, Cache-Control %q, CSP %q", !bytes.Equal(m1.Body, m2.Body),
			m1.Header.Get("ETag"), m1.Header.Get("Cache-Control"), m1.Header.Get("Content-Security-Policy"))
	}
	// Every message of the ledger stream, headers and all.
	for i, m := range messagesOf(t, s, "GONGKAI") {
		for _, secret := range []string{phone, name} {
			if bytes.Contains(m, []byte(secret)) {
				t.Errorf("ledger stream message %d holds %q", i, secret)
			}
		}
	}
	// The contacts bucket holds them, but not in clear.
	kvMsgs := messagesOf(t, s, contactsStream)
	if len(kvMsgs) != 1 {
		t.Errorf("contacts bucket holds %d messages, want 1", len(kvMsgs))
	}
	for _, m := range kvMsgs {
		for _, secret := range []string{phone, name} {
			if bytes.Contains(m, []byte(secret)) {
				t.Errorf("contacts bucket holds %q in clear", secret)
			}
		}
	}

	// The clerk sees them on a private page; a supervisor and strangers do not.
	clerk := s.SignIn(t, "lina", "Pw-Li-2026-qz!")
	cp := clerk.Get(t, "/c/c1/questions")
	if cp.Status != http.StatusOK || cp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(string(cp.Body), phone) {
		t.Errorf("clerk's questions page: %d %q, shows the phone: %v", cp.Status, cp.Header.Get("Cache-Control"), strings.Contains(string(cp.Body), phone))
	}
	sup := s.SignIn(t, "zhao", "Pw-Zh-2026-qz!")
	if sp := sup.Get(t, "/c/c1/questions"); sp.Status != http.StatusOK || strings.Contains(string(sp.Body), phone) || !strings.Contains(string(sp.Body), "村口路灯") {
		t.Errorf("supervisor's questions page: %d, shows the phone: %v", sp.Status, strings.Contains(string(sp.Body), phone))
	}
	if r := apptest.NewBrowser(s.URL).Get(t, "/c/c1/questions"); r.Status != http.StatusSeeOther {
		t.Errorf("questions page without a session: %d, want 303 to /login", r.Status)
	}

	// A wrong token deletes nothing; the link asks first, then deletes.
	if r := resident.PostForm(t, "/c/c1/questions/"+link[1]+"/forget", url.Values{"token": {"AAAA" + link[2][4:]}}); r.Status != http.StatusNotFound {
		t.Errorf("forget with a wrong token: %d, want 404", r.Status)
	}
	confirm := resident.Get(t, "/c/c1/questions/"+link[1]+"/forget?token="+link[2])
	if confirm.Status != http.StatusOK || confirm.Header.Get("Cache-Control") != "no-store" || !strings.Contains(string(confirm.Body), `name="token"`) {
		t.Fatalf("forget link: %d %s", confirm.Status, confirm.Body)
	}
	if cp := clerk.Get(t, "/c/c1/questions"); !strings.Contains(string(cp.Body), phone) {
		t.Errorf("opening the link deleted the details before confirming")
	}
	done := resident.PostForm(t, "/c/c1/questions/"+link[1]+"/forget", url.Values{"token": {link[2]}})
	if done.Status != http.StatusOK || !strings.Contains(string(done.Body), "已删除") {
		t.Fatalf("forget: %d %s", done.Status, done.Body)
	}
	if cp := clerk.Get(t, "/c/c1/questions"); strings.Contains(string(cp.Body), phone) || !strings.Contains(string(cp.Body), "联系方式已删除") {
		t.Errorf("after deletion the clerk's page still shows the phone, or does not say it was deleted")
	}
	// Only an empty purge marker is left: headers, no data.
	if left := messagesOf(t, s, contactsStream); len(left) != 1 || !bytes.Contains(left[0], []byte("KV-Operation: PURGE")) || !bytes.HasSuffix(left[0], []byte("\n")) {
		t.Errorf("after deletion the contacts bucket holds more than a purge marker: %q", left)
	}
	if again := resident.PostForm(t, "/c/c1/questions/"+link[1]+"/forget", url.Values{"token": {link[2]}}); again.Status != http.StatusOK || !strings.Contains(string(again.Body), "已经删除") {
		t.Errorf("forget again: %d", again.Status)
	}
}

// The clerk deletes contact details on request from the questions page.
func TestQuestionClerkDeletesContact(t *testing.T) {
	s := setupQuestions(t, app.Config{})
	if r := ask(t, apptest.NewBrowser(s.URL), "请公开修路费用明细", "phone", "13800001111"); r.Status != http.StatusCreated {
		t.Fatalf("ask: %d %s", r.Status, r.Body)
	}
	waitSeq(t, s, "/api/v1/communities/c1/board", s.LastSeq(t))
	id := questionsAsked(t, s)[0].AggregateID
	sup := s.SignIn(t, "zhao", "Pw-Zh-2026-qz!")
	page := sup.Get(t, "/c/c1/questions")
	if r := sup.PostForm(t, "/c/c1/questions/"+id+"/contact/delete", url.Values{"csrf": {apptest.CSRF(page.Body)}}); r.Status != http.StatusForbidden {
		t.Errorf("supervisor deletes contact details: %d, want 403", r.Status)
	}
	clerk := s.SignIn(t, "lina", "Pw-Li-2026-qz!")
	page = clerk.Get(t, "/c/c1/questions")
	if !strings.Contains(string(page.Body), "13800001111") {
		t.Fatalf("clerk's page does not show the phone")
	}
	if r := clerk.PostForm(t, "/c/c1/questions/"+id+"/contact/delete", url.Values{"csrf": {"forged"}}); r.Status != http.StatusForbidden {
		t.Errorf("delete with a forged CSRF token: %d, want 403", r.Status)
	}
	if r := clerk.PostForm(t, "/c/c1/questions/"+id+"/contact/delete", url.Values{"csrf": {apptest.CSRF(page.Body)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("clerk deletes contact details: %d %s", r.Status, r.Body)
	}
	if p := clerk.Get(t, "/c/c1/questions"); strings.Contains(string(p.Body), "13800001111") {
		t.Errorf("deleted contact details still shown")
	}
}

// Abuse: 1,000 questions from one address in a tight loop are limited to
// QuestionLimit; a 1 MiB question is refused with 413 and records
// nothing; a question with a script tag is shown escaped.
func TestQuestionAbuse(t *testing.T) {
	s := setupQuestions(t, app.Config{})
	b := apptest.NewBrowserFrom(s.URL, "127.0.0.2")
	counts := map[int]int{}
	for i := range 1000 {
		counts[ask(t, b, fmt.Sprintf("第 %d 个问题", i)).Status]++
	}
	if counts[http.StatusCreated] != web.QuestionLimit || counts[http.StatusTooManyRequests] != 1000-web.QuestionLimit {
		t.Errorf("1000 questions from one address: %v, want %d recorded and the rest 429", counts, web.QuestionLimit)
	}
	if n := len(questionsAsked(t, s)); n != web.QuestionLimit {
		t.Errorf("%d questions recorded, want %d", n, web.QuestionLimit)
	}
	r := ask(t, b, "再问一次")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "提问过于频繁") {
		t.Errorf("limited address: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}

	seq := s.LastSeq(t)
	huge := ask(t, apptest.NewBrowserFrom(s.URL, "127.0.0.3"), strings.Repeat("问", 1<<20/3+1))
	if huge.Status != http.StatusRequestEntityTooLarge || !strings.Contains(string(huge.Body), "内容过长") || !strings.Contains(string(huge.Body), "Too large") {
		t.Errorf("1 MiB question: %d %.300s, want 413 in both languages", huge.Status, huge.Body)
	}
	long := ask(t, apptest.NewBrowserFrom(s.URL, "127.0.0.3"), strings.Repeat("问", domain.MaxQuestionRunes+1))
	if long.Status != http.StatusUnprocessableEntity {
		t.Errorf("question of %d characters: %d, want 422", domain.MaxQuestionRunes+1, long.Status)
	}
	if s.LastSeq(t) != seq {
		t.Errorf("refused questions recorded something: LastSeq %d -> %d", seq, s.LastSeq(t))
	}
	if n := len(messagesOf(t, s, contactsStream)); n != 0 {
		t.Errorf("contacts bucket holds %d messages, want none", n)
	}

	// Asking about something that does not exist records nothing and keeps
	// no contact details.
	other := apptest.NewBrowserFrom(s.URL, "127.0.0.4")
	if r := other.PostForm(t, "/c/c1/questions", url.Values{"about": {"matter/nope"}, "text": {"这是什么？"}, "phone": {"13700000000"}}); r.Status != http.StatusNotFound {
		t.Errorf("question about a missing matter: %d, want 404", r.Status)
	}
	if n := len(messagesOf(t, s, contactsStream)); n != 0 || s.LastSeq(t) != seq {
		t.Errorf("a refused question left %d contact records, LastSeq %d -> %d", n, seq, s.LastSeq(t))
	}

	// A double submit records once.
	if r := ask(t, other, "同一个问题"); r.Status != http.StatusCreated {
		t.Fatalf("ask: %d %s", r.Status, r.Body)
	}
	seq = s.LastSeq(t)
	if r := ask(t, other, "同一个问题"); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "已收到") || s.LastSeq(t) != seq {
		t.Errorf("double submit: %d, LastSeq %d -> %d", r.Status, seq, s.LastSeq(t))
	}

	if r := ask(t, other, `<script>alert("x")</script> 是什么？`); r.Status != http.StatusCreated {
		t.Fatalf("ask: %d %s", r.Status, r.Body)
	}
	waitSeq(t, s, "/api/v1/communities/c1/board", s.LastSeq(t))
	page := get(t, s, "/c/c1/matters/m1")
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("matter page does not show the script tag escaped")
	}
}

// Concurrent questions from one address cannot pass the limit together.
func TestQuestionLimitConcurrent(t *testing.T) {
	s := setupQuestions(t, app.Config{})
	b := apptest.NewBrowserFrom(s.URL, "127.0.0.5")
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i := range 50 {
		wg.Go(func() {
			f := url.Values{"about": {"matter/m1"}, "text": {fmt.Sprintf("并发问题 %d", i)}}
			resp, err := b.Client.Post(s.URL+"/c/c1/questions", "application/x-www-form-urlencoded", strings.NewReader(f.Encode()))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated {
				mu.Lock()
				created++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if created != web.QuestionLimit || len(questionsAsked(t, s)) != web.QuestionLimit {
		t.Errorf("50 concurrent questions: %d created, %d recorded, want %d", created, len(questionsAsked(t, s)), web.QuestionLimit)
	}
}

// clock is a settable clock for a test server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// The deadline: a question asked on 2026-11-20 is due 2026-11-30 (ten
// days, the default rule set); it is not overdue at 23:30 Beijing time on
// the 30th, and is flagged from 2026-12-01; an answer then is flagged
// late. Supervisors cannot answer, the clerk can, once.
func TestQuestionDeadlineAndAnswer(t *testing.T) {
	bj := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, domain.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	c := &clock{t: bj("2026-11-20 10:00")}
	s := setupQuestions(t, app.Config{Now: c.Now})
	if r := ask(t, apptest.NewBrowser(s.URL), "今年的卫生费怎么收？"); r.Status != http.StatusCreated || !strings.Contains(string(r.Body), "2026年11月30日前答复") {
		t.Fatalf("ask: %d %s", r.Status, r.Body)
	}
	waitSeq(t, s, "/api/v1/communities/c1/board", s.LastSeq(t))
	id := questionsAsked(t, s)[0].AggregateID

	page := get(t, s, "/c/c1/matters/m1")
	if !strings.Contains(page, "应于 2026年11月30日前答复") || strings.Contains(page, "逾期") {
		t.Errorf("on 2026-11-20 the matter page does not show the due date, or flags it overdue")
	}
	if en := get(t, s, "/c/c1/matters/m1?lang=en"); !strings.Contains(en, "answer due by 2026-11-30") {
		t.Errorf("English matter page lacks the due date")
	}
	c.Set(bj("2026-11-30 23:30"))
	if page := get(t, s, "/c/c1/matters/m1"); strings.Contains(page, "逾期") {
		t.Errorf("at 2026-11-30 23:30 Beijing time the question is flagged overdue")
	}
	c.Set(bj("2026-12-01 00:10"))
	if page := get(t, s, "/c/c1/matters/m1"); !strings.Contains(page, "逾期未答复") {
		t.Errorf("on 2026-12-01 the question is not flagged overdue")
	}
	api := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/questions", nil, map[string]string{"Authorization": "Bearer " + apptest.AdminToken})
	qs, _ := mustStatus(t, api, http.StatusOK)["questions"].([]any)
	if len(qs) != 1 || qs[0].(map[string]any)["overdue"] != true || qs[0].(map[string]any)["due"] != "2026-11-30" {
		t.Errorf("API questions: %s", api.Body)
	}
	if r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/questions", nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("API questions without a token: %d, want 401", r.Status)
	}

	// Sessions began now, on the test's clock.
	sup := s.SignIn(t, "zhao", "Pw-Zh-2026-qz!")
	sp := sup.Get(t, "/c/c1/questions")
	if !strings.Contains(string(sp.Body), "逾期未答复") || strings.Contains(string(sp.Body), `name="text"`) {
		t.Errorf("supervisor's page: no overdue flag, or an answer form")
	}
	seq := s.LastSeq(t)
	if r := sup.PostForm(t, "/c/c1/questions/"+id+"/answer", url.Values{"csrf": {apptest.CSRF(sp.Body)}, "idem": {"sup-1"}, "text": {"监督委员会的答复"}}); r.Status != http.StatusForbidden || s.LastSeq(t) != seq {
		t.Errorf("supervisor answers: %d, LastSeq %d -> %d; want 403 and nothing recorded", r.Status, seq, s.LastSeq(t))
	}
	clerk := s.SignIn(t, "lina", "Pw-Li-2026-qz!")
	cp := clerk.Get(t, "/c/c1/questions")
	if r := clerk.PostForm(t, "/c/c1/questions/"+id+"/answer", url.Values{"csrf": {"forged"}, "text": {"答复"}}); r.Status != http.StatusForbidden {
		t.Errorf("answer with a forged CSRF token: %d, want 403", r.Status)
	}
	form := url.Values{"csrf": {apptest.CSRF(cp.Body)}, "idem": {"ans-1"}, "text": {"按每户每月5元收取，详见公示。"}}
	if r := clerk.PostForm(t, "/c/c1/questions/"+id+"/answer", form); r.Status != http.StatusSeeOther {
		t.Fatalf("clerk answers: %d %s", r.Status, r.Body)
	}
	seq = s.LastSeq(t)
	if r := clerk.PostForm(t, "/c/c1/questions/"+id+"/answer", form); r.Status != http.StatusSeeOther || s.LastSeq(t) != seq {
		t.Errorf("double submit of the answer: %d, LastSeq %d -> %d", r.Status, seq, s.LastSeq(t))
	}
	form.Set("idem", "ans-2")
	if r := clerk.PostForm(t, "/c/c1/questions/"+id+"/answer", form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "该询问已答复") {
		t.Errorf("answered again: %d, want 422 already answered", r.Status)
	}
	waitSeq(t, s, "/api/v1/communities/c1/board", s.LastSeq(t))
	page = get(t, s, "/c/c1/matters/m1")
	if !inOrder(page, "今年的卫生费怎么收？", "逾期答复", "答复（2026年12月1日）", "按每户每月5元收取") || strings.Contains(page, "逾期未答复") {
		t.Errorf("matter page after the late answer:\n%s", page)
	}
}
