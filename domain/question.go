package domain

import (
	"regexp"
	"strings"
)

// Residents' questions (居民询问): a resident asks about a published item
// from its page, without an account; the clerk answers. The log holds the
// question, the answer and, when the resident left contact details, only
// an opaque reference to them: the details themselves are kept outside the
// immutable log so that they can be deleted on request (个人信息保护法 §47).

// AggregateQuestion is the aggregate type of a question; its id is chosen
// by the server.
const AggregateQuestion = "question"

// Command and event types of a question.
const (
	CmdAskQuestion     = "question.ask"
	CmdAnswerQuestion  = "question.answer"
	EvQuestionAsked    = "question.asked"
	EvQuestionAnswered = "question.answered"
)

// PublicActor is the actor of a question asked from a public page.
const PublicActor = "public"

// MaxQuestionRunes bounds a question's text.
const MaxQuestionRunes = 1000

var aboutRE = regexp.MustCompile(`^(matter|disclosure)/([A-Za-z0-9_-]{1,64})$`)
var contactRefRE = regexp.MustCompile(`^[a-f0-9]{32}$`)

// Question is the state of one question.
type Question struct {
	ID         string
	About      string // "matter/<id>" or "disclosure/<item>"
	Text       string
	HasContact bool
	ContactRef string
	AskedOn    Date
	Due        Date
	Answer     string
	AnsweredOn Date
	AnsweredBy string
}

// Answered reports whether the question has an answer.
func (q *Question) Answered() bool { return q != nil && !q.AnsweredOn.IsZero() }

// Overdue reports whether the question is unanswered after its due date,
// or was answered after it.
func (q *Question) Overdue(today Date) bool {
	if q.Answered() {
		return q.AnsweredOn.After(q.Due)
	}
	return today.After(q.Due)
}

// Events of a question.
type (
	// QuestionAsked records a question; ContactRef names the contact details
	// kept outside the log, if any; Due is the answer's deadline.
	QuestionAsked struct {
		About      string `json:"about"`
		Text       string `json:"text"`
		ContactRef string `json:"contact_ref,omitempty"`
		Due        Date   `json:"due"`
	}
	// QuestionAnswered records the clerk's answer.
	QuestionAnswered struct {
		Text       string `json:"text"`
		AnsweredBy string `json:"answered_by,omitempty"`
	}
)

func (*QuestionAsked) EventType() string    { return EvQuestionAsked }
func (*QuestionAnswered) EventType() string { return EvQuestionAnswered }

func (q *Question) apply(e Event, date Date) {
	switch e := e.(type) {
	case *QuestionAsked:
		q.About, q.Text, q.ContactRef, q.HasContact, q.AskedOn, q.Due = e.About, e.Text, e.ContactRef, e.ContactRef != "", date, e.Due
	case *QuestionAnswered:
		q.Answer, q.AnsweredOn, q.AnsweredBy = e.Text, date, e.AnsweredBy
	}
}

// Commands of a question.
type (
	// AskQuestion asks about a matter or a published disclosure.
	AskQuestion struct {
		About      string `json:"about"`
		Text       string `json:"text"`
		ContactRef string `json:"contact_ref,omitempty"`
	}
	// AnswerQuestion answers a question.
	AnswerQuestion struct {
		Text string `json:"text"`
	}
)

func (*AskQuestion) CommandType() string    { return CmdAskQuestion }
func (*AnswerQuestion) CommandType() string { return CmdAnswerQuestion }

func (c *AskQuestion) Validate() error {
	var fe fieldErrors
	if !aboutRE.MatchString(c.About) {
		fe.add("data.about", `"matter/<id>" or "disclosure/<item>"`, `须为 "matter/事项编号" 或 "disclosure/公开事项编号"`)
	}
	if strings.TrimSpace(c.Text) == "" {
		fe.add("data.text", "required", "请填写问题")
	} else {
		checkText(&fe, "data.text", c.Text, 1, MaxQuestionRunes, true)
	}
	if c.ContactRef != "" && !contactRefRE.MatchString(c.ContactRef) {
		fe.add("data.contact_ref", "32 lowercase hex digits", "须为32位小写十六进制数字")
	}
	return fe.err()
}

func (c *AnswerQuestion) Validate() error {
	var fe fieldErrors
	if strings.TrimSpace(c.Text) == "" {
		fe.add("data.text", "required", "请填写答复")
	} else {
		checkText(&fe, "data.text", c.Text, 1, 4000, true)
	}
	return fe.err()
}

func (c *AskQuestion) Decide(env Env) ([]Event, error) {
	if env.Community == nil {
		return nil, &NotFoundError{What: "community", ID: env.CommunityID}
	}
	if env.Question != nil {
		return nil, &RuleError{Code: "already_asked", Field: "aggregate_id",
			Reason: "a question with this id exists", ReasonZH: "该编号的询问已存在"}
	}
	if err := checkDate(env, Date{}); err != nil {
		return nil, err
	}
	kind, id, _ := strings.Cut(c.About, "/")
	switch kind {
	case "matter":
		if env.LookupMatter == nil || env.LookupMatter(id) == nil {
			return nil, &NotFoundError{What: "matter", ID: id}
		}
	case "disclosure":
		d := (*Disclosure)(nil)
		if env.LookupDisclosure != nil {
			d = env.LookupDisclosure(id)
		}
		if d.Published() == nil {
			return nil, &RuleError{Code: "not_published", Field: "data.about",
				Reason: "questions are asked about published items", ReasonZH: "只能就已公开的内容提问"}
		}
		if first := d.FirstPublished(); env.Date.Before(first) {
			return nil, &RuleError{Code: "date_before_previous_stage", Field: "effective_date",
				Reason:   "the question is dated before the item was published (" + first.String() + ")",
				ReasonZH: "提问日期早于该内容的公开日期（" + first.String() + "）"}
		}
	}
	days := env.Community.RuleSetAt(env.Date).DisclosureRules().AnswerDays
	return []Event{&QuestionAsked{About: c.About, Text: c.Text, ContactRef: c.ContactRef, Due: env.Date.AddDays(days)}}, nil
}

func (c *AnswerQuestion) Decide(env Env) ([]Event, error) {
	if env.Community == nil {
		return nil, &NotFoundError{What: "community", ID: env.CommunityID}
	}
	q := env.Question
	if q == nil {
		return nil, &NotFoundError{What: "question", ID: env.AggregateID}
	}
	if q.Answered() {
		return nil, &RuleError{Code: "already_answered", Field: "aggregate_id",
			Reason: "the question is already answered", ReasonZH: "该询问已答复"}
	}
	if err := checkDate(env, q.AskedOn); err != nil {
		return nil, err
	}
	return []Event{&QuestionAnswered{Text: c.Text, AnsweredBy: env.Actor}}, nil
}
