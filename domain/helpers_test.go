package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/gongkai/gongkai/domain"
)

// diff returns "" when want and got are deeply equal, and otherwise both
// values rendered on one line each, events with their stored type.
//
// It stands in for cmp.Diff: github.com/google/go-cmp is not a dependency of
// the module, and the domain tests need nothing beyond reflect.DeepEqual.
func diff(want, got any) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return fmt.Sprintf("\n-want %s\n+got  %s", show(want), show(got))
}

// show renders v for a failure message. Events are shown as
// type{json}, so that pointers inside slices print as their contents.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case []domain.Event:
		if v == nil {
			return "[]Event(nil)"
		}
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case domain.Event:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprintf("%#v", v)
		}
		return v.EventType() + string(b)
	case error:
		return v.Error()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// errSummary reduces an error returned by Decide or DecodeCommand to what a
// test compares: its kind and its stable identifiers.
//
//	nil                                  ""
//	*RuleError                           "rule code"
//	*NotFoundError                       "not found what id"
//	*ValidationError                     "invalid field1 field2 ..."
//	error wrapping ErrUnknownCommand     "unknown command"
func errSummary(err error) string {
	var (
		re *domain.RuleError
		nf *domain.NotFoundError
		ve *domain.ValidationError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &re):
		return "rule " + re.Code
	case errors.As(err, &nf):
		return "not found " + nf.What + " " + nf.ID
	case errors.As(err, &ve):
		return "invalid " + strings.Join(fieldNames(ve.Fields), " ")
	case errors.Is(err, domain.ErrUnknownCommand):
		return "unknown command"
	}
	return fmt.Sprintf("other %T: %v", err, err)
}

func fieldNames(fs []domain.FieldError) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Field
	}
	return names
}

// hasHan reports whether s contains a Chinese character.
func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// checkErrorTexts fails the test unless every typed error carries the texts
// the web layer shows: a field, an English reason and a Chinese one.
func checkErrorTexts(tb testing.TB, err error) {
	tb.Helper()
	var (
		re *domain.RuleError
		ve *domain.ValidationError
	)
	switch {
	case errors.As(err, &re):
		if re.Field == "" || re.Reason == "" || !hasHan(re.ReasonZH) {
			tb.Errorf("RuleError %q: Field %q, Reason %q, ReasonZH %q; want all three set, ReasonZH in Chinese",
				re.Code, re.Field, re.Reason, re.ReasonZH)
		}
	case errors.As(err, &ve):
		if len(ve.Fields) == 0 {
			tb.Errorf("ValidationError with no fields")
		}
		for _, f := range ve.Fields {
			if f.Field == "" || f.Reason == "" || !hasHan(f.ReasonZH) {
				tb.Errorf("FieldError %+v: want field, reason and Chinese reason set", f)
			}
		}
	}
}

// mustDate parses s or fails the test.
func mustDate(tb testing.TB, s string) domain.Date {
	tb.Helper()
	d, err := domain.ParseDate(s)
	if err != nil {
		tb.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

// at is an event effective on a date, as stored in the log.
type at struct {
	date  string
	event domain.Event
}

// community folds events into a community with id communityID, as the
// command service does; no events means an unregistered community (nil).
func community(tb testing.TB, events ...domain.Event) *domain.Community {
	tb.Helper()
	if len(events) == 0 {
		return nil
	}
	c := &domain.Community{ID: communityID}
	for _, e := range events {
		c.Apply(e)
	}
	return c
}

// matter folds dated events into a matter with the given id; no events means
// a matter that does not exist (nil).
func matter(tb testing.TB, id string, events ...at) *domain.Matter {
	tb.Helper()
	if len(events) == 0 {
		return nil
	}
	m := &domain.Matter{ID: id}
	for _, e := range events {
		m.Apply(e.event, mustDate(tb, e.date))
	}
	return m
}

const (
	communityID = "dongfeng"
	matterID    = "m-2025-001"
	today       = "2025-06-30"
)

// Votes used throughout: 15 representatives expected.
var (
	// votesPass: 12 present, 10 for: quorate and passed.
	votesPass = domain.Votes{Expected: 15, Present: 12, For: 10, Against: 1, Abstain: 1}
	// votesFail: 12 present, 6 for: quorate, not more than half.
	votesFail = domain.Votes{Expected: 15, Present: 12, For: 6, Against: 5, Abstain: 1}
	// votesNoQuorum: 9 of 15 present, all for: not quorate.
	votesNoQuorum = domain.Votes{Expected: 15, Present: 9, For: 9}
)

const (
	votesPassJSON     = `{"expected":15,"present":12,"for":10,"against":1,"abstain":1}`
	votesFailJSON     = `{"expected":15,"present":12,"for":6,"against":5,"abstain":1}`
	votesNoQuorumJSON = `{"expected":15,"present":9,"for":9}`
)

func decided(v domain.Votes, text string) domain.Decision {
	q, p := domain.DefaultRuleSet().Votes[domain.BodyRepresentatives].Outcome(v)
	return domain.Decision{Votes: v, Quorate: q, Passed: p, RuleSet: "cn-national-2018", Text: text}
}

// Community histories.
var (
	registered = &domain.CommunityRegistered{Name: "东风社区", Kind: "社区", Town: "城关镇", County: "青山县"}
	// Secretary and director are two people.
	secretaryWang = &domain.OfficerAppointed{PersonID: "p-wang", Name: "王芳", Role: domain.RoleSecretary}
	directorLi    = &domain.OfficerAppointed{PersonID: "p-li", Name: "李强", Role: domain.RoleDirector}
	// Wang is both secretary and director (一肩挑).
	directorWang = &domain.OfficerAppointed{PersonID: "p-wang", Name: "王芳", Role: domain.RoleDirector}
)

// Matter histories, one stage per step, each a few days after the last.
var (
	mRegistered   = at{"2025-03-01", &domain.MatterRegistered{Title: "修缮村道", Category: "基础设施", Amount: 12_000_00}}
	mProposed     = at{"2025-03-05", &domain.MatterProposed{Summary: "党组织提议修缮村道"}}
	mConsulted    = at{"2025-03-10", &domain.MatterConsulted{Summary: "两委会商议同意"}}
	mReviewed     = at{"2025-03-15", &domain.MatterReviewed{Decision: decided(votesPass, "")}}
	mReviewFailed = at{"2025-03-15", &domain.MatterReviewed{Decision: decided(votesFail, "")}}
	mResolved     = at{"2025-03-20", &domain.MatterResolved{Decision: decided(votesPass, "同意修缮")}}
	mResolveFail  = at{"2025-03-20", &domain.MatterResolved{Decision: decided(votesFail, "")}}
	mDisclosed    = at{"2025-03-25", &domain.ResolutionDisclosed{Channels: []string{"公开栏"}}}
	mImplemented  = at{"2025-04-01", &domain.ImplementationReported{Summary: "已开工"}}
	mResultDiscl  = at{"2025-05-01", &domain.ResultDisclosed{Channels: []string{"公开栏"}, Summary: "已完工"}}
	mWithdrawn    = at{"2025-03-12", &domain.MatterWithdrawn{Reason: "资金另有安排"}}
)

// history returns the events of a matter up to and including the named
// stage of the happy path.
func history(last domain.Stage) []at {
	all := []struct {
		stage domain.Stage
		ev    at
	}{
		{domain.StageRegistered, mRegistered},
		{domain.StageProposed, mProposed},
		{domain.StageConsulted, mConsulted},
		{domain.StageReviewed, mReviewed},
		{domain.StageResolved, mResolved},
		{domain.StageResolutionDisclosed, mDisclosed},
		{domain.StageImplementing, mImplemented},
		{domain.StageResultDisclosed, mResultDiscl},
	}
	var h []at
	for _, s := range all {
		h = append(h, s.ev)
		if s.stage == last {
			return h
		}
	}
	panic("history: unknown stage " + string(last))
}

// plus returns h followed by more, without sharing h's backing array.
func plus(h []at, more ...at) []at {
	return append(slices.Clone(h), more...)
}
