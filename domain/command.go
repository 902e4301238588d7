package domain

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Command is a clerk's request to change one aggregate. Its type string is
// part of the API and never changes.
type Command interface {
	CommandType() string
	// Validate checks the command's own fields, without any state. It returns
	// a *ValidationError or nil.
	Validate() error
	// Decide returns the events that record the command in env's state, or a
	// *RuleError, *ValidationError or *NotFoundError. It does no I/O.
	Decide(env Env) ([]Event, error)
}

// Env is everything a command may look at when it is decided.
type Env struct {
	// Today is the current civil date, from the injected clock.
	Today Date
	// Date is the command's effective (business) date.
	Date Date
	// CommunityID is the community the command is sent to.
	CommunityID string
	// Community is the community's state, nil before it is registered.
	Community *Community
	// AggregateID is the id of the target aggregate.
	AggregateID string
	// Matter, Budget and Books are the target's state when it is one, nil
	// if it does not exist yet.
	Matter *Matter
	Budget *Budget
	Books  *Books
	// LookupMatter returns another matter of the community, or nil.
	LookupMatter func(id string) *Matter
	// LookupBudget returns the community's budget of a fiscal year, or nil.
	LookupBudget func(year int) *Budget
	// Account and Token are the target's state for access commands.
	Account *UserAccount
	Token   *Token
	// Disclosure and Question are the target's state for those aggregates.
	Disclosure *Disclosure
	Question   *Question
	// LookupDisclosure returns a disclosure item of the community, or nil.
	LookupDisclosure func(item string) *Disclosure
	// Evaluation is the target's state for an evaluation command.
	Evaluation *Evaluation
	// Actor is who sends the command (an account's login, a token's id,
	// "admin" or PublicActor).
	Actor string
	// LookupCommunity returns another community's state, or nil;
	// LookupAccount an account, or nil.
	LookupCommunity func(id string) *Community
	LookupAccount   func(login string) *UserAccount
}

// AggregateType returns the aggregate type that a command type addresses:
// the part before the first dot ("matter" for "matter.resolve").
func AggregateType(commandType string) string {
	t, _, _ := strings.Cut(commandType, ".")
	return t
}

// Aggregate types.
const (
	AggregateCommunity = "community"
	AggregateMatter    = "matter"
)

var (
	slugRE = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	idRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// ValidCommunityID reports whether s is a community slug: [a-z0-9-], 1 to 64.
func ValidCommunityID(s string) bool { return slugRE.MatchString(s) }

// ValidAggregateID reports whether s can be an aggregate id: [A-Za-z0-9_-],
// 1 to 64, so that it is one NATS subject token.
func ValidAggregateID(s string) bool { return idRE.MatchString(s) }

// CommandTypes lists every command type, in the order of docs/api.md.
func CommandTypes() []string {
	return []string{
		CmdRegisterCommunity, CmdAppointOfficer, CmdRemoveOfficer, CmdAdoptRuleSet, CmdSetContacts,
		CmdRegisterMatter, CmdProposeMatter, CmdConsultMatter, CmdReviewMatter,
		CmdResolveMatter, CmdDiscloseResolution, CmdReportImplementation,
		CmdDiscloseResult, CmdWithdrawMatter, CmdRevokeMatter, CmdCorrectMatter,
		CmdAdoptBudget, CmdAdjustBudget, CmdRecordFunds,
		CmdAdoptChart, CmdPostVoucher, CmdReverseVoucher, CmdPostCorrection,
		CmdAssertBalance, CmdCloseMonth, CmdCloseYear,
		CmdDefineAccount, CmdOpenBalances, CmdTransition,
		CmdRegisterAsset, CmdPostDepreciation, CmdDisposeAsset,
		CmdDraftDisclosure, CmdApproveDisclosure, CmdReturnDisclosure, CmdPublishDisclosure,
		CmdAskQuestion, CmdAnswerQuestion,
		CmdPublishEvaluationPlan, CmdEnterScore, CmdRecordAppraisal, CmdCloseEvaluation,
	}
}

// AccessCommandTypes lists the command types of accounts and tokens. They
// are sent by the pages and endpoints for accounts and tokens, which hash
// passwords and make tokens; the commands endpoint takes CommandTypes only.
func AccessCommandTypes() []string {
	return []string{CmdCreateAccount, CmdSetPassword, CmdGrantRole, CmdRevokeRole, CmdDisableAccount,
		CmdEnableAccount, CmdEndSession, CmdIssueToken, CmdRevokeToken}
}

// DecodeCommand decodes the JSON data of a command of the given type,
// strictly: unknown fields, trailing data and wrong types are errors. It
// returns a *ValidationError for bad input and an error wrapping
// ErrUnknownCommand for an unknown type.
func DecodeCommand(typ string, data []byte) (Command, error) {
	var c Command
	switch typ {
	case CmdRegisterCommunity:
		c = &RegisterCommunity{}
	case CmdAppointOfficer:
		c = &AppointOfficer{}
	case CmdRemoveOfficer:
		c = &RemoveOfficer{}
	case CmdAdoptRuleSet:
		c = &AdoptRuleSet{}
	case CmdSetContacts:
		c = &SetContacts{}
	case CmdRegisterMatter:
		c = &RegisterMatter{}
	case CmdProposeMatter:
		c = &ProposeMatter{}
	case CmdConsultMatter:
		c = &ConsultMatter{}
	case CmdReviewMatter:
		c = &ReviewMatter{}
	case CmdResolveMatter:
		c = &ResolveMatter{}
	case CmdDiscloseResolution:
		c = &DiscloseResolution{}
	case CmdReportImplementation:
		c = &ReportImplementation{}
	case CmdDiscloseResult:
		c = &DiscloseResult{}
	case CmdWithdrawMatter:
		c = &WithdrawMatter{}
	case CmdRevokeMatter:
		c = &RevokeMatter{}
	case CmdCorrectMatter:
		c = &CorrectMatter{}
	case CmdAdoptBudget:
		c = &AdoptBudget{}
	case CmdAdjustBudget:
		c = &AdjustBudget{}
	case CmdRecordFunds:
		c = &RecordFunds{}
	case CmdAdoptChart:
		c = &AdoptChart{}
	case CmdPostVoucher:
		c = &PostVoucher{}
	case CmdReverseVoucher:
		c = &ReverseVoucher{}
	case CmdPostCorrection:
		c = &PostCorrection{}
	case CmdAssertBalance:
		c = &AssertBalance{}
	case CmdCloseMonth:
		c = &CloseMonth{}
	case CmdCloseYear:
		c = &CloseYear{}
	case CmdDefineAccount:
		c = &DefineAccount{}
	case CmdOpenBalances:
		c = &OpenBalances{}
	case CmdTransition:
		c = &Transition{}
	case CmdRegisterAsset:
		c = &RegisterAsset{}
	case CmdPostDepreciation:
		c = &PostDepreciation{}
	case CmdDisposeAsset:
		c = &DisposeAsset{}
	case CmdDraftDisclosure:
		c = &DraftDisclosure{}
	case CmdApproveDisclosure:
		c = &ApproveDisclosure{}
	case CmdReturnDisclosure:
		c = &ReturnDisclosure{}
	case CmdPublishDisclosure:
		c = &PublishDisclosure{}
	case CmdAskQuestion:
		c = &AskQuestion{}
	case CmdAnswerQuestion:
		c = &AnswerQuestion{}
	case CmdPublishEvaluationPlan:
		c = &PublishEvaluationPlan{}
	case CmdEnterScore:
		c = &EnterScore{}
	case CmdRecordAppraisal:
		c = &RecordAppraisal{}
	case CmdCloseEvaluation:
		c = &CloseEvaluation{}
	case CmdCreateAccount:
		c = &CreateAccount{}
	case CmdSetPassword:
		c = &SetPassword{}
	case CmdGrantRole:
		c = &GrantRole{}
	case CmdRevokeRole:
		c = &RevokeRole{}
	case CmdDisableAccount:
		c = &DisableAccount{}
	case CmdEnableAccount:
		c = &EnableAccount{}
	case CmdEndSession:
		c = &EndSession{}
	case CmdIssueToken:
		c = &IssueToken{}
	case CmdRevokeToken:
		c = &RevokeToken{}
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownCommand, typ)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("{}")
	}
	if err := decodeStrict(data, c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// ErrUnknownCommand is wrapped when a command type is not known.
var ErrUnknownCommand = errors.New("unknown command type")

// decodeStrict decodes a command's data into v with DecodeJSON and reports
// what it refuses as a *ValidationError on "data" or one of its members.
func decodeStrict(data []byte, v any) error {
	err := DecodeJSON(data, v)
	var je *JSONError
	if !errors.As(err, &je) {
		return err
	}
	field := "data"
	if je.Path != "" {
		field += "." + je.Path
	}
	return &ValidationError{Fields: []FieldError{{field, je.Reason, je.ReasonZH}}}
}

// checkText validates a piece of user text: valid UTF-8, no control
// characters (newlines and tabs allowed when multiline), min..max runes,
// and for one-line texts no angle brackets.
func checkText(fe *fieldErrors, field, s string, min, max int, multiline bool) {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		fe.add(field, "must be valid UTF-8", "必须是有效的 UTF-8 文本")
	case n < min && min == 1:
		fe.add(field, "required", "必填")
	case n < min:
		fe.add(field, fmt.Sprintf("must be at least %d characters", min), fmt.Sprintf("至少%d个字符", min))
	case n > max:
		fe.add(field, fmt.Sprintf("must be at most %d characters", max), fmt.Sprintf("最多%d个字符", max))
	case !multiline && strings.ContainsAny(s, "<>"):
		// A one-line label is never markup; longer texts may quote "<" and
		// are escaped wherever they are shown.
		fe.add(field, "must not contain < or > (no HTML markup in a one-line text)", "单行文本不能包含 < 或 >（不能含 HTML 标记）")
	default:
		for _, r := range s {
			if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
				fe.add(field, "must not contain control characters", "不能包含控制字符")
				return
			}
		}
	}
}
