package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/projections"
)

// Residents' questions (居民询问, issue 11): a resident asks about a
// published item from its page, without an account; the clerk answers on
// a signed-in page. The question and its answer are public and permanent
// (they are events); contact details, when given, are kept outside the
// log (Contacts) and the event holds only their reference, so that they
// can be deleted on request (个人信息保护法): by the resident with the
// one-time link of the reply page, or by the clerk.

// Contacts keeps residents' contact details outside the log (the
// eventstore's contacts bucket, provided by internal/app).
type Contacts interface {
	// Put stores c under a new random reference and returns it.
	Put(ctx context.Context, community string, c Contact) (ref string, err error)
	// Get returns the record of ref, and false when there is none (never
	// stored, or deleted).
	Get(ctx context.Context, community, ref string) (Contact, bool, error)
	// Delete removes the record of ref, keeping no revision of it;
	// deleting a missing record is not an error.
	Delete(ctx context.Context, community, ref string) error
}

// Contact is a resident's contact details. ForgetHash is the hex SHA-256
// of the one-time deletion token given to the resident.
type Contact struct {
	Name, Phone, Note string
	ForgetHash        string
}

// Limits of asking.
const (
	// MaxQuestionBody bounds the ask form's body; a larger one is refused
	// with 413 and changes nothing.
	MaxQuestionBody = 16 << 10
	// QuestionLimit questions from one address (an IPv6 /64) within
	// QuestionWindow of its first; QuestionGlobalLimit from everyone.
	QuestionLimit       = 5
	QuestionWindow      = 10 * time.Minute
	QuestionGlobalLimit = 200
	// Contact fields' lengths, in characters.
	maxContactName  = 50
	maxContactPhone = 30
	maxContactNote  = 200
)

// askLimits count questions per address and in all.
type askLimits struct {
	perAddress *throttle
	all        *keyedThrottle[struct{}]
}

func newAskLimits() *askLimits {
	// Real time, as the other throttles: under a test's fixed clock a
	// window would never end.
	return &askLimits{perAddress: newThrottle(QuestionLimit, QuestionWindow, maxThrottled, time.Now),
		all: newKeyedThrottle[struct{}](QuestionGlobalLimit, QuestionWindow, 1, time.Now)}
}

// take counts one attempt by client and returns 0, or, when the limit of
// its window is reached, how long until the window ends (the refused
// attempt is not counted). The check and the count are one step, so
// concurrent attempts cannot pass the limit together.
func (t *keyedThrottle[K]) take(client K) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.clients[client]
	if f != nil && now.Sub(f.start) >= t.window {
		f = nil
	}
	if f == nil {
		if _, ok := t.clients[client]; !ok && len(t.clients) >= t.max {
			t.evict(now)
		}
		f = &failures{start: now}
		t.clients[client] = f
	}
	if f.n >= t.limit {
		return max(f.start.Add(t.window).Sub(now), time.Second)
	}
	f.n++
	return 0
}

func (s *Server) questionRoutes() {
	s.asks = newAskLimits()
	s.mux.HandleFunc("POST /c/{community}/questions", s.handleAsk)
	s.mux.HandleFunc("GET /c/{community}/questions/{id}/forget", s.handleForgetForm)
	s.mux.HandleFunc("POST /c/{community}/questions/{id}/forget", s.handleForget)
	s.mux.HandleFunc("GET /c/{community}/questions", s.handleQuestionsPage)
	s.mux.HandleFunc("POST /c/{community}/questions/{id}/answer", s.handleAnswer)
	s.mux.HandleFunc("POST /c/{community}/questions/{id}/contact/delete", s.handleDeleteContact)
	s.mux.HandleFunc("GET /api/v1/communities/{community}/questions", s.handleQuestionsJSON)
}

// questionsBlock is the data of the template block "questions": the
// questions about one published item, oldest first, and the form to ask
// another. A page of an item includes it as {{template "questions" X}},
// X being what (*Server).questionsOf returns for that item. The block
// holds nothing about the visitor, so the page stays cacheable; a page
// that includes it renders with renderAskable (its form posts here).
type questionsBlock struct {
	Lang      string
	Community string
	// About is the item: "matter/<id>" or "disclosure/<item>".
	About    string
	Lines    []questionLine
	MaxRunes int
}

// questionLine is one question with its deadline's state on the day shown.
type questionLine struct {
	projections.QuestionRow
	// URL is the item's public page.
	URL string
	// Overdue: unanswered after its due date, or answered after it.
	Overdue bool
}

// questionsOf returns the block of the questions about one item of v.
func (s *Server) questionsOf(lang string, v projections.BoardView, about string) *questionsBlock {
	b := &questionsBlock{Lang: lang, Community: v.Community, About: about, MaxRunes: domain.MaxQuestionRunes}
	today := domain.DateOf(s.Now())
	for _, q := range v.Questions {
		if q.About == about {
			b.Lines = append(b.Lines, lineOf(v.Community, q, today))
		}
	}
	return b
}

func lineOf(community string, q projections.QuestionRow, today domain.Date) questionLine {
	dq := domain.Question{Due: q.Due, AnsweredOn: q.AnsweredOn}
	return questionLine{QuestionRow: q, URL: itemURL(community, q.About), Overdue: dq.Overdue(today)}
}

// renderAskable renders a public page that holds the ask form: as render,
// but its Content-Security-Policy lets forms post to this site.
func (s *Server) renderAskable(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.render(formActionSelf{w}, r, status, name, data)
}

// formActionSelf turns a page's form-action 'none' into 'self' as the
// page's header is written.
type formActionSelf struct{ http.ResponseWriter }

func (w formActionSelf) WriteHeader(status int) {
	h := w.Header()
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "form-action 'none'", "form-action 'self'", 1))
	w.ResponseWriter.WriteHeader(status)
}

// askReply is the page after asking (template "question_reply").
type askReply struct {
	Community string
	About     string
	ItemURL   string
	Text      string
	Due       domain.Date
	// ForgetURL is the one-time link that deletes the contact details,
	// set when some were given.
	ForgetURL string
	// Again says the same question was already received.
	Again bool
	// Problem is set when the question was not recorded.
	Problem *Problem
}

// itemURL is the public page of an item.
func itemURL(community, about string) string {
	kind, id, _ := strings.Cut(about, "/")
	if !domain.ValidAggregateID(id) {
		return "/c/" + community
	}
	if kind == "disclosure" {
		return "/c/" + community + "/disclosures/" + id
	}
	return "/c/" + community + "/matters/" + id
}

// askKey is the idempotency key of a question: a hash of the community,
// the item, the text and the day in Beijing, so that a double submit (or
// the same question sent twice the same day) is recorded once. It holds
// nothing about the resident: the key is in the public log forever, and
// the contact details must be deletable.
func askKey(community, about, text string, day domain.Date) string {
	h := sha256.Sum256([]byte("gongkai question v1\x00" + community + "\x00" + about + "\x00" + strings.TrimSpace(text) + "\x00" + day.String()))
	return hex.EncodeToString(h[:16])
}

// handleAsk records a resident's question. Its body is at most
// MaxQuestionBody, its text at most domain.MaxQuestionRunes characters,
// and an address asks at most QuestionLimit times per QuestionWindow;
// whatever is refused changes nothing. Contact details, if any, are stored
// first, outside the log, and only their reference goes in the command.
func (s *Server) handleAsk(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxQuestionBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.renderPrivate(w, r, http.StatusRequestEntityTooLarge, "error.html", Problem{Status: http.StatusRequestEntityTooLarge,
				Title: "Too large", TitleZH: "内容过长", Code: "too_large",
				Detail:   fmt.Sprintf("A question is at most %d characters; nothing was recorded.", domain.MaxQuestionRunes),
				DetailZH: fmt.Sprintf("问题最多 %d 个字，未记录任何内容。", domain.MaxQuestionRunes)})
			return
		}
		s.errorPage(w, r, badRequest("bad_form", "The form could not be read; nothing was recorded.", "无法读取表单，未记录任何内容。"))
		return
	}
	c := r.PathValue("community")
	if !domain.ValidCommunityID(c) {
		s.errorPage(w, r, badRequest("bad_community", "The community id must be 1 to 64 characters of a-z, 0-9 and -.",
			"社区编号须为 1 至 64 个小写字母、数字或 -。"))
		return
	}
	if wait := s.asks.perAddress.take(clientOf(r)); wait > 0 {
		s.tooManyQuestions(w, r, wait, false)
		return
	}
	if wait := s.asks.all.take(struct{}{}); wait > 0 {
		s.tooManyQuestions(w, r, wait, true)
		return
	}
	f := r.PostForm
	about, text := f.Get("about"), strings.TrimSpace(f.Get("text"))
	contact := Contact{Name: strings.TrimSpace(f.Get("name")), Phone: strings.TrimSpace(f.Get("phone")), Note: strings.TrimSpace(f.Get("note"))}
	reply := askReply{Community: c, About: about, ItemURL: itemURL(c, about), Text: text}
	var fields []domain.FieldError
	if utf8.RuneCountInString(contact.Name) > maxContactName || !utf8.ValidString(contact.Name) {
		fields = append(fields, domain.FieldError{Field: "name", Reason: fmt.Sprintf("at most %d characters", maxContactName), ReasonZH: fmt.Sprintf("最多 %d 个字", maxContactName)})
	}
	if utf8.RuneCountInString(contact.Phone) > maxContactPhone || !utf8.ValidString(contact.Phone) {
		fields = append(fields, domain.FieldError{Field: "phone", Reason: fmt.Sprintf("at most %d characters", maxContactPhone), ReasonZH: fmt.Sprintf("最多 %d 个字", maxContactPhone)})
	}
	if utf8.RuneCountInString(contact.Note) > maxContactNote || !utf8.ValidString(contact.Note) {
		fields = append(fields, domain.FieldError{Field: "note", Reason: fmt.Sprintf("at most %d characters", maxContactNote), ReasonZH: fmt.Sprintf("最多 %d 个字", maxContactNote)})
	}
	if len(fields) > 0 {
		p := Problem{Status: http.StatusUnprocessableEntity, Title: "Invalid question", TitleZH: "内容有误", Code: "validation",
			Detail: "Nothing was recorded.", DetailZH: "未记录任何内容。", Errors: fields}
		s.askFailed(w, r, reply, p)
		return
	}
	key := askKey(c, about, text, domain.DateOf(s.Now()))
	id := "q-" + key[:24]
	if _, v := s.Commands.State(c, domain.AggregateQuestion, id); v > 0 {
		reply.Again = true
		s.renderPrivate(w, r, http.StatusOK, "question_reply", reply)
		return
	}
	ask := domain.AskQuestion{About: about, Text: text}
	req := command.Request{Community: c, IdempotencyKey: "ask:" + key, Actor: domain.Actor{ID: domain.PublicActor}}
	// Decide first, storing nothing: a question refused leaves no
	// contact details behind.
	if contact != (Contact{}) {
		ask.ContactRef = strings.Repeat("0", 32)
	}
	req.Commands = []command.Command{s.cmd(domain.CmdAskQuestion, id, ask)}
	req.DryRun = true
	if _, err := s.Commands.Execute(r.Context(), req); err != nil {
		s.askFailed(w, r, reply, problemFor(err))
		return
	}
	var ref string
	if contact != (Contact{}) {
		if s.Contacts == nil {
			s.askFailed(w, r, reply, Problem{Status: http.StatusServiceUnavailable, Title: "Contact details cannot be kept", TitleZH: "暂不能保存联系方式",
				Code: "contacts_unavailable", Detail: "This server keeps no contact details now: ask without them, or try again later. Nothing was recorded.",
				DetailZH: "本服务器暂时不能保存联系方式：请不填联系方式提问，或稍后再试。未记录任何内容。"})
			return
		}
		token := rand.Text() + rand.Text()
		sum := sha256.Sum256([]byte(token))
		contact.ForgetHash = hex.EncodeToString(sum[:])
		var err error
		if ref, err = s.Contacts.Put(r.Context(), c, contact); err != nil {
			s.Log.Error("store contact details", "community", c, "err", err)
			s.askFailed(w, r, reply, Problem{Status: http.StatusServiceUnavailable, Title: "Not recorded", TitleZH: "未能记录", Code: "unavailable",
				Detail: "The contact details could not be stored; nothing was recorded. Try again later.", DetailZH: "联系方式未能保存，未记录任何内容。请稍后再试。"})
			return
		}
		reply.ForgetURL = s.PublicURL + "/c/" + c + "/questions/" + id + "/forget?token=" + url.QueryEscape(token)
		ask.ContactRef = ref
	}
	req.Commands = []command.Command{s.cmd(domain.CmdAskQuestion, id, ask)}
	req.DryRun = false
	res, err := s.Commands.Execute(r.Context(), req)
	if err != nil {
		if ref != "" {
			// Not recorded (or recorded by a concurrent double submit
			// without these details): keep nothing.
			if derr := s.Contacts.Delete(context.WithoutCancel(r.Context()), c, ref); derr != nil {
				s.Log.Error("delete contact details of a refused question", "community", c, "err", derr)
			}
		}
		var re *domain.RuleError
		if errors.Is(err, command.ErrIdempotencyMismatch) || (errors.As(err, &re) && re.Code == "already_asked") {
			reply.Again, reply.ForgetURL = true, ""
			s.renderPrivate(w, r, http.StatusOK, "question_reply", reply)
			return
		}
		s.askFailed(w, r, reply, problemFor(err))
		return
	}
	if st, _ := s.Commands.State(c, domain.AggregateQuestion, id); st != nil {
		if q, ok := st.(*domain.Question); ok && q != nil {
			reply.Due = q.Due
		}
	}
	if res.Replayed && ref != "" {
		// An earlier identical request was recorded without these
		// details; they are not kept.
		reply.ForgetURL = ""
	}
	s.Log.Info("question asked", "community", c, "question", id, "about", about)
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.renderPrivate(w, r, http.StatusCreated, "question_reply", reply)
}

func (s *Server) askFailed(w http.ResponseWriter, r *http.Request, reply askReply, p Problem) {
	reply.Problem = &p
	s.renderPrivate(w, r, p.Status, "question_reply", reply)
}

func (s *Server) tooManyQuestions(w http.ResponseWriter, r *http.Request, wait time.Duration, all bool) {
	mins := int((wait + time.Minute - 1) / time.Minute)
	w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	p := Problem{Status: http.StatusTooManyRequests, Title: "Too many questions", TitleZH: "提问过于频繁", Code: "too_many_questions",
		Detail:   fmt.Sprintf("At most %d questions from one address in %d minutes; try again in %d minutes. Nothing was recorded.", QuestionLimit, int(QuestionWindow/time.Minute), mins),
		DetailZH: fmt.Sprintf("同一地址 %d 分钟内最多提问 %d 次，请 %d 分钟后再试。未记录任何内容。", int(QuestionWindow/time.Minute), QuestionLimit, mins)}
	if all {
		p.Detail = fmt.Sprintf("This server takes at most %d questions in %d minutes; try again in %d minutes. Nothing was recorded.", QuestionGlobalLimit, int(QuestionWindow/time.Minute), mins)
		p.DetailZH = fmt.Sprintf("本服务器 %d 分钟内最多受理 %d 个问题，请 %d 分钟后再试。未记录任何内容。", int(QuestionWindow/time.Minute), QuestionGlobalLimit, mins)
	}
	s.renderPrivate(w, r, http.StatusTooManyRequests, "error.html", p)
}

// forgetPage confirms, then reports, the deletion of contact details with
// the resident's one-time link (template "question_forget").
type forgetPage struct {
	Community, ID, Token string
	// Done: deleted now; Gone: there are none (deleted before).
	Done, Gone bool
}

// forgetTarget checks the link of the request: the question, its contact
// reference and the token. It writes the refusal and returns false when
// the link is not good.
func (s *Server) forgetTarget(w http.ResponseWriter, r *http.Request, token string) (c, id, ref string, gone, ok bool) {
	c, id = r.PathValue("community"), r.PathValue("id")
	w.Header().Set("Referrer-Policy", "no-referrer")
	notFound := Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
		Detail: "This deletion link is not valid.", DetailZH: "此删除链接无效。"}
	if !domain.ValidCommunityID(c) || !domain.ValidAggregateID(id) || token == "" || len(token) > 200 {
		s.renderPrivate(w, r, http.StatusNotFound, "error.html", notFound)
		return
	}
	st, _ := s.Commands.State(c, domain.AggregateQuestion, id)
	q, _ := st.(*domain.Question)
	if q == nil || q.ContactRef == "" || s.Contacts == nil {
		s.renderPrivate(w, r, http.StatusNotFound, "error.html", notFound)
		return
	}
	ct, found, err := s.Contacts.Get(r.Context(), c, q.ContactRef)
	if err != nil {
		s.Log.Error("read contact details", "community", c, "question", id, "err", err)
		s.renderPrivate(w, r, http.StatusServiceUnavailable, "error.html", Problem{Status: http.StatusServiceUnavailable, Title: "Unavailable", TitleZH: "暂不可用", Code: "unavailable",
			Detail: "Try again later.", DetailZH: "请稍后再试。"})
		return
	}
	if !found {
		return c, id, q.ContactRef, true, true
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(ct.ForgetHash)) != 1 {
		s.renderPrivate(w, r, http.StatusNotFound, "error.html", notFound)
		return
	}
	return c, id, q.ContactRef, false, true
}

// handleForgetForm asks the resident to confirm the deletion (a link
// opened by a preview or a scanner deletes nothing).
func (s *Server) handleForgetForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	c, id, _, gone, ok := s.forgetTarget(w, r, token)
	if !ok {
		return
	}
	s.renderPrivate(w, r, http.StatusOK, "question_forget", forgetPage{Community: c, ID: id, Token: token, Gone: gone})
}

// handleForget deletes the contact details of a question with the
// resident's one-time token.
func (s *Server) handleForget(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	_ = r.ParseForm()
	token := r.PostForm.Get("token")
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	c, id, ref, gone, ok := s.forgetTarget(w, r, token)
	if !ok {
		return
	}
	if !gone {
		if err := s.Contacts.Delete(r.Context(), c, ref); err != nil {
			s.Log.Error("delete contact details", "community", c, "question", id, "err", err)
			s.renderPrivate(w, r, http.StatusServiceUnavailable, "error.html", Problem{Status: http.StatusServiceUnavailable, Title: "Not deleted", TitleZH: "未能删除",
				Code: "unavailable", Detail: "The contact details could not be deleted now; try again later.", DetailZH: "联系方式暂时未能删除，请稍后再试。"})
			return
		}
		s.Log.Info("contact details deleted by the resident", "community", c, "question", id)
	}
	s.renderPrivate(w, r, http.StatusOK, "question_forget", forgetPage{Community: c, ID: id, Done: !gone, Gone: gone})
}

// clerkQuestions is the signed-in list of a community's questions
// (template "questions.html").
type clerkQuestions struct {
	Actor     domain.Actor
	CSRF      string
	Idem      string
	Community string
	Name      string
	// Clerk: the actor may answer and see contact details.
	Clerk  bool
	Lines  []clerkLine
	Notice string
	Error  string
}

type clerkLine struct {
	questionLine
	// Contact is shown to the clerk only; Gone says the details were
	// deleted.
	Contact *Contact
	Gone    bool
}

// hasRoleOver reports whether a holds any role over community.
func (s *Server) hasRoleOver(a domain.Actor, community string) bool {
	town := s.townOf(community)
	return slices.ContainsFunc(domain.AccessRoles(), func(r domain.AccessRole) bool { return a.Has(r, community, town) })
}

// handleQuestionsPage lists a community's questions for those with a role
// over it: unanswered first, by due date, then the answered, newest
// first. Contact details are shown to the clerk (and administrators) only.
func (s *Server) handleQuestionsPage(w http.ResponseWriter, r *http.Request) {
	s.clerkPage(w, r, http.StatusOK, r.URL.Query().Get("done"), "")
}

func (s *Server) clerkPage(w http.ResponseWriter, r *http.Request, status int, notice, errText string) {
	a, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	v, ok := s.board(w, r, func(p Problem) { s.renderPrivate(w, r, p.Status, "error.html", p) })
	if !ok {
		return
	}
	if !s.hasRoleOver(a, v.Community) {
		s.renderPrivate(w, r, http.StatusForbidden, "error.html", Problem{Status: http.StatusForbidden, Title: "Forbidden", TitleZH: "无权查看",
			Code: "forbidden", Detail: "Only accounts with a role over this community see this page.", DetailZH: "只有在本社区有角色的账户可以查看此页。"})
		return
	}
	page := clerkQuestions{Actor: a, CSRF: csrf, Idem: s.NewID(), Community: v.Community, Name: v.Name,
		Clerk: a.Has(domain.AccessClerk, v.Community, s.townOf(v.Community)), Notice: notice, Error: errText}
	today := domain.DateOf(s.Now())
	for _, q := range v.Questions {
		l := clerkLine{questionLine: lineOf(v.Community, q, today)}
		if page.Clerk && q.HasContact && s.Contacts != nil {
			st, _ := s.Commands.State(v.Community, domain.AggregateQuestion, q.ID)
			if dq, _ := st.(*domain.Question); dq != nil && dq.ContactRef != "" {
				ct, found, err := s.Contacts.Get(r.Context(), v.Community, dq.ContactRef)
				switch {
				case err != nil:
					s.Log.Error("read contact details", "community", v.Community, "question", q.ID, "err", err)
				case found:
					l.Contact = &Contact{Name: ct.Name, Phone: ct.Phone, Note: ct.Note}
				default:
					l.Gone = true
				}
			}
		}
		page.Lines = append(page.Lines, l)
	}
	sortQuestions(page.Lines)
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.renderPrivate(w, r, status, "questions.html", page)
}

// sortQuestions puts the unanswered first, earliest due first, then the
// answered, latest answered first.
func sortQuestions(ls []clerkLine) {
	slices.SortStableFunc(ls, func(a, b clerkLine) int {
		aa, ba := !a.AnsweredOn.IsZero(), !b.AnsweredOn.IsZero()
		switch {
		case aa != ba:
			if aa {
				return 1
			}
			return -1
		case !aa:
			return strings.Compare(a.Due.String(), b.Due.String())
		}
		return cmp.Compare(b.AnsweredOn.String(), a.AnsweredOn.String())
	})
}

// handleAnswer records the clerk's answer (question.answer, with the
// session's actor: the command service checks the role).
func (s *Server) handleAnswer(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !s.CheckCSRF(r, r.PostForm.Get("csrf")) {
		s.csrfRefused(w, r)
		return
	}
	c, id := r.PathValue("community"), r.PathValue("id")
	if !domain.ValidCommunityID(c) || !domain.ValidAggregateID(id) {
		s.renderPrivate(w, r, http.StatusBadRequest, "error.html", badRequest("bad_id", "Bad community or question id.", "社区或询问编号有误。"))
		return
	}
	idem := r.PostForm.Get("idem")
	if idem == "" || len(idem) > 100 {
		idem = s.NewID()
	}
	_, err := s.Commands.Execute(r.Context(), command.Request{Community: c, IdempotencyKey: "page:" + idem, Actor: a,
		Commands: []command.Command{s.cmd(domain.CmdAnswerQuestion, id, domain.AnswerQuestion{Text: strings.TrimSpace(r.PostForm.Get("text"))})}})
	if err != nil {
		p := problemFor(err)
		msg := p.DetailZH + " " + p.Detail
		for _, e := range p.Errors {
			msg += " " + e.ReasonZH + " / " + e.Reason
		}
		s.clerkPage(w, r, p.Status, "", msg)
		return
	}
	http.Redirect(w, r, "/c/"+c+"/questions?done=answered", http.StatusSeeOther)
}

// handleDeleteContact deletes a question's contact details at the
// resident's request, by the clerk.
func (s *Server) handleDeleteContact(w http.ResponseWriter, r *http.Request) {
	a, _, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil || !s.CheckCSRF(r, r.PostForm.Get("csrf")) {
		s.csrfRefused(w, r)
		return
	}
	c, id := r.PathValue("community"), r.PathValue("id")
	if !domain.ValidCommunityID(c) || !a.Has(domain.AccessClerk, c, s.townOf(c)) {
		s.renderPrivate(w, r, http.StatusForbidden, "error.html", Problem{Status: http.StatusForbidden, Title: "Forbidden", TitleZH: "无权操作",
			Code: "forbidden", Detail: "Only the clerk deletes contact details.", DetailZH: "只有文书可以删除联系方式。"})
		return
	}
	st, _ := s.Commands.State(c, domain.AggregateQuestion, id)
	if q, _ := st.(*domain.Question); q != nil && q.ContactRef != "" && s.Contacts != nil {
		if err := s.Contacts.Delete(r.Context(), c, q.ContactRef); err != nil {
			s.Log.Error("delete contact details", "community", c, "question", id, "err", err)
			s.clerkPage(w, r, http.StatusServiceUnavailable, "", "联系方式暂时未能删除，请稍后再试。 The contact details could not be deleted now; try again later.")
			return
		}
		s.Log.Info("contact details deleted by the clerk", "community", c, "question", id, "actor", a.ID)
	}
	http.Redirect(w, r, "/c/"+c+"/questions?done=deleted", http.StatusSeeOther)
}

// questionJSON is one question in the API's reply: never contact details,
// only whether some were left.
type questionJSON struct {
	projections.QuestionRow
	Overdue bool `json:"overdue"`
}

// handleQuestionsJSON lists a community's questions for a token with a
// role over it.
func (s *Server) handleQuestionsJSON(w http.ResponseWriter, r *http.Request) {
	a, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	v, ok := s.board(w, r, func(p Problem) { writeProblem(w, p) })
	if !ok {
		return
	}
	if !s.hasRoleOver(a, v.Community) {
		writeProblem(w, Problem{Status: http.StatusForbidden, Title: "Forbidden", TitleZH: "无权操作", Code: "forbidden",
			Detail: "This token has no role over the community.", DetailZH: "此令牌在该社区没有角色。"})
		return
	}
	today := domain.DateOf(s.Now())
	out := struct {
		Community string         `json:"community"`
		AsOfSeq   uint64         `json:"as_of_seq"`
		Today     domain.Date    `json:"today"`
		Questions []questionJSON `json:"questions"`
	}{Community: v.Community, AsOfSeq: v.AsOfSeq, Today: today, Questions: []questionJSON{}}
	for _, q := range v.Questions {
		out.Questions = append(out.Questions, questionJSON{QuestionRow: q, Overdue: lineOf(v.Community, q, today).Overdue})
	}
	writeJSON(w, http.StatusOK, out)
}
