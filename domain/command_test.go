package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

// validData holds well-formed data for every command type.
var validData = map[string]string{
	domain.CmdRegisterCommunity:     `{"name":"东风社区","kind":"社区","town":"城关镇","county":"青山县"}`,
	domain.CmdAppointOfficer:        `{"person_id":"p-wang","name":"王芳","role":"secretary"}`,
	domain.CmdRemoveOfficer:         `{"person_id":"p-wang","role":"secretary","reason":"换届"}`,
	domain.CmdAdoptRuleSet:          `{"rule_set":` + show(domain.DefaultRuleSet()) + `}`,
	domain.CmdRegisterMatter:        `{"title":"修缮村道","description":"说明","category":"基础设施","amount":"12.30"}`,
	domain.CmdProposeMatter:         `{"summary":"提议","joint":false}`,
	domain.CmdConsultMatter:         `{"summary":"商议"}`,
	domain.CmdReviewMatter:          `{"votes":` + votesPassJSON + `}`,
	domain.CmdResolveMatter:         `{"votes":` + votesPassJSON + `,"text":"决议"}`,
	domain.CmdDiscloseResolution:    `{"channels":["公开栏"],"summary":"公开"}`,
	domain.CmdReportImplementation:  `{"summary":"已开工"}`,
	domain.CmdDiscloseResult:        `{"channels":["公开栏"],"summary":"已完工"}`,
	domain.CmdWithdrawMatter:        `{"reason":"取消"}`,
	domain.CmdRevokeMatter:          `{"by_matter":"m2","reason":"新决议"}`,
	domain.CmdAdoptBudget:           `{"resolution":"m1","lines":[{"line":"office","name":"办公经费","source":"town","amount":"20000.00"}]}`,
	domain.CmdAdjustBudget:          `{"resolution":"m1","reason":"追加","lines":[{"line":"office","name":"办公经费","source":"town","amount":"25000.00"}]}`,
	domain.CmdRecordFunds:           `{"source":"town","document":"示财〔2025〕3号","line":"office","amount":"20000.00"}`,
	domain.CmdAdoptChart:            `{"chart":"cn-village-2004"}`,
	domain.CmdPostVoucher:           `{"number":1,"summary":"收到镇拨工作经费","lines":[{"account":"102","debit":"20000.00"},{"account":"522","credit":"20000.00"}],"preparer":"赵敏"}`,
	domain.CmdReverseVoucher:        `{"voucher":"2025-03-001","number":2,"reason":"金额记错","preparer":"赵敏"}`,
	domain.CmdPostCorrection:        `{"number":1,"summary":"更正","lines":[{"account":"541","debit":"10.00"},{"account":"101","credit":"10.00"}],"preparer":"赵敏","corrects":"2024-12-003","reason":"漏记"}`,
	domain.CmdAssertBalance:         `{"account":"102","balance":"20000.00","evidence":{"kind":"bank_statement","reference":"2025年3月对账单"}}`,
	domain.CmdCloseMonth:            `{"month":"2025-03"}`,
	domain.CmdCloseYear:             `{"year":2025}`,
	domain.CmdCorrectMatter:         `{"stage":"resolved","reason":"实到人数录入错误","votes":` + votesPassJSON + `}`,
	domain.CmdDefineAccount:         `{"code":"11201","parent":"112","name_zh":"张三"}`,
	domain.CmdOpenBalances:          `{"year":2024,"lines":[{"account":"101","debit":"100.00"},{"account":"301","credit":"100.00"}],"source":"2023年度资产负债表","preparer":"赵敏"}`,
	domain.CmdTransition:            `{"year":2024,"preparer":"赵敏"}`,
	domain.CmdRegisterAsset:         `{"asset":"fa-001","name":"办公电脑","category":"电子设备","acquisition":"posted","voucher":"2025-04-008","cost":"6000.00","method":"straight_line","useful_life_months":36,"residual_rate":"5%","accounts":{"expense":"513"}}`,
	domain.CmdPostDepreciation:      `{"month":"2025-05","preparer":"赵敏"}`,
	domain.CmdDisposeAsset:          `{"asset":"fa-001","reason":"损坏报废","proceeds":"200.00","proceeds_account":"101","preparer":"赵敏"}`,
	domain.CmdDraftDisclosure:       `{"content":{"title":"2025年第2季度财务收支公开","tables":[{"caption":"收支明细","columns":["日期","摘要"],"rows":[["2025-04-01","收到拨款"]]}],"totals":[{"label":"收入合计","amount":"100.00"}],"as_of_seq":12}}`,
	domain.CmdApproveDisclosure:     `{"version":1,"opinion":"同意公开"}`,
	domain.CmdReturnDisclosure:      `{"version":1,"opinion":"第3行摘要不清"}`,
	domain.CmdPublishDisclosure:     `{"version":1,"channels":["公开栏","网上"],"posting_days":7}`,
	domain.CmdSetContacts:           `{"supervision_phone":"0571-8888 1234"}`,
	domain.CmdAskQuestion:           `{"about":"matter/m1","text":"路什么时候修好？"}`,
	domain.CmdAnswerQuestion:        `{"text":"预计6月完工。"}`,
	domain.CmdPublishEvaluationPlan: planJSON,
	domain.CmdEnterScore:            `{"community":"dongfeng","indicator":"work","score":"8.5","evidence":"完成"}`,
	domain.CmdRecordAppraisal:       `{"community":"dongfeng","entitled":20,"tallies":{"satisfied":12,"basic":5}}`,
	domain.CmdCloseEvaluation:       `{}`,
}

func TestCommandTypes(t *testing.T) {
	types := domain.CommandTypes()
	if len(types) != len(validData) {
		t.Errorf("CommandTypes() has %d types, want %d", len(types), len(validData))
	}
	seen := map[string]bool{}
	for _, typ := range types {
		if seen[typ] {
			t.Errorf("CommandTypes() lists %q twice", typ)
		}
		seen[typ] = true
		switch a := domain.AggregateType(typ); a {
		case domain.AggregateCommunity, domain.AggregateMatter, domain.AggregateBudget, domain.AggregateBooks,
			domain.AggregateDisclosure, domain.AggregateQuestion, domain.AggregateEvaluation:
		default:
			t.Errorf("AggregateType(%q) = %q, want community, matter, budget, books, disclosure, question or evaluation", typ, a)
		}
		data, ok := validData[typ]
		if !ok {
			t.Errorf("no test data for command type %q", typ)
			continue
		}
		cmd, err := domain.DecodeCommand(typ, []byte(data))
		if err != nil {
			t.Errorf("DecodeCommand(%q, %s): %v", typ, data, err)
			continue
		}
		if got := cmd.CommandType(); got != typ {
			t.Errorf("DecodeCommand(%q, ...).CommandType() = %q", typ, got)
		}
		if err := cmd.Validate(); err != nil {
			t.Errorf("DecodeCommand(%q, ...).Validate() = %v, want nil", typ, err)
		}
	}
}

func TestAggregateType(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"matter.resolve", "matter"},
		{"community.register", "community"},
		{"matter.a.b", "matter"},
		{"nodot", "nodot"},
		{"", ""},
	} {
		if got := domain.AggregateType(tc.in); got != tc.want {
			t.Errorf("AggregateType(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValidIDs(t *testing.T) {
	tests := []struct {
		in                   string
		community, aggregate bool
	}{
		{"dongfeng", true, true},
		{"dong-feng-2", true, true},
		{strings.Repeat("a", 64), true, true},
		{strings.Repeat("a", 65), false, false},
		{"m_2025_001", false, true},
		{"Matter-1", false, true},
		{"", false, false},
		{"a.b", false, false}, // a dot would split a NATS subject
		{"a b", false, false},
		{"a*", false, false},
		{"a>", false, false},
		{"东风", false, false},
		{"dongfeng\n", false, false},
	}
	for _, tc := range tests {
		if got := domain.ValidCommunityID(tc.in); got != tc.community {
			t.Errorf("ValidCommunityID(%q) = %v, want %v", tc.in, got, tc.community)
		}
		if got := domain.ValidAggregateID(tc.in); got != tc.aggregate {
			t.Errorf("ValidAggregateID(%q) = %v, want %v", tc.in, got, tc.aggregate)
		}
	}
}

func TestDecodeCommandStrict(t *testing.T) {
	rm := domain.CmdRegisterMatter
	title200 := strings.Repeat("议", 200)
	tests := []struct {
		name, typ, data string
		wantErr         string
	}{
		{"valid", rm, `{"title":"修缮村道"}`, ""},
		{"trailing whitespace", rm, "{\"title\":\"修缮村道\"}\n\t ", ""},
		{"empty data is an empty object", domain.CmdProposeMatter, "", ""},
		{"blank data is an empty object", domain.CmdProposeMatter, " \n", ""},

		// Unknown fields.
		{"unknown field", rm, `{"title":"修缮村道","colour":"red"}`, "invalid data.colour"},
		{"unknown field only", domain.CmdProposeMatter, `{"urgent":true}`, "invalid data.urgent"},

		// Wrong types.
		{"title a number", rm, `{"title":5}`, "invalid data.title"},
		{"amount a number", rm, `{"title":"修缮村道","amount":12.3}`, "invalid data.amount"},
		{"joint a string", domain.CmdProposeMatter, `{"joint":"yes"}`, "invalid data.joint"},
		{"channels a string", domain.CmdDiscloseResolution, `{"channels":"公开栏"}`, "invalid data.channels"},
		{"votes an array", domain.CmdResolveMatter, `{"votes":[15,12,10]}`, "invalid data.votes"},
		{"data an array", rm, `[]`, "invalid data"},
		{"data a string", rm, `"修缮村道"`, "invalid data"},
		{"data a number", rm, `5`, "invalid data"},

		// Malformed and trailing data.
		{"truncated", rm, `{"title":`, "invalid data"},
		{"not JSON", rm, `title=修缮村道`, "invalid data"},
		{"second object", rm, `{"title":"修缮村道"} {"title":"又一个"}`, "invalid data"},
		{"trailing word", rm, `{"title":"修缮村道"} x`, "invalid data"},
		{"trailing brace", rm, `{"title":"修缮村道"}}`, "invalid data"},
		{"trailing bracket", rm, `{"title":"修缮村道"}]`, "invalid data"},
		{"trailing comma", rm, `{"title":"修缮村道"},`, "invalid data"},

		// Member names match exactly and once; encoding/json alone would
		// fill "title" from "TITLE" and "kind" from "\u212aind" (Kelvin sign).
		{"name in upper case", rm, `{"TITLE":"修缮村道"}`, "invalid data.TITLE"},
		{"name capitalised", rm, `{"Title":"修缮村道"}`, "invalid data.Title"},
		{"name with Kelvin sign", domain.CmdRegisterCommunity, `{"name":"东风","Kind":"village","town":"城关镇","county":"青山县"}`, "invalid data.Kind"},
		{"nested name in another case", domain.CmdResolveMatter, `{"votes":{"Expected":15,"present":12,"for":10}}`, "invalid data.votes.Expected"},
		{"name given twice", rm, `{"title":"修缮村道","title":"又一个"}`, "invalid data.title"},

		// Text that is not UTF-8 is refused, never replaced by U+FFFD.
		{"invalid byte", rm, "{\"title\":\"修缮\xff村道\"}", "invalid data"},
		{"overlong slash", rm, "{\"title\":\"\xc0\xaf\"}", "invalid data"},
		{"encoded surrogate", rm, "{\"title\":\"\xed\xa0\x80\"}", "invalid data"},
		{"escaped lone high surrogate", rm, `{"title":"\ud800"}`, "invalid data"},
		{"escaped lone low surrogate", rm, `{"title":"\udc00x"}`, "invalid data"},
		{"escaped high surrogate then a letter", rm, `{"title":"\ud800\u0041"}`, "invalid data"},
		{"escaped lone surrogate in a name", rm, `{"title":"修缮村道","\uDBFF":1}`, "invalid data"},
		{"escaped surrogate pair", rm, `{"title":"\ud83d\ude00 修缮村道"}`, ""},
		{"escaped backslash before u", rm, `{"title":"a\\ud800"}`, ""},

		// Titles.
		{"title missing", rm, `{}`, "invalid data.title"},
		{"title empty", rm, `{"title":""}`, "invalid data.title"},
		{"title 200 runes", rm, `{"title":"` + title200 + `"}`, ""},
		{"title 201 runes", rm, `{"title":"` + title200 + `路"}`, "invalid data.title"},
		{"title with NUL", rm, `{"title":"修缮\u0000村道"}`, "invalid data.title"},
		{"title with newline", rm, `{"title":"修缮\n村道"}`, "invalid data.title"},
		{"title with tab", rm, `{"title":"修缮\t村道"}`, "invalid data.title"},
		{"title with carriage return", rm, `{"title":"修缮\r村道"}`, "invalid data.title"},
		{"title with escape", rm, `{"title":"\u001b[31m修缮村道"}`, "invalid data.title"},
		{"title with DEL", rm, `{"title":"修缮\u007f村道"}`, "invalid data.title"},
		{"title with C1 control", rm, `{"title":"修缮\u0085村道"}`, "invalid data.title"},
		{"description may have lines", rm, `{"title":"修缮村道","description":"第一行\n第二行\r\n\t缩进"}`, ""},
		{"description with NUL", rm, `{"title":"修缮村道","description":"a\u0000b"}`, "invalid data.description"},
		{"description 5001 runes", rm, `{"title":"修缮村道","description":"` + strings.Repeat("a", 5001) + `"}`, "invalid data.description"},
		{"category 51 runes", rm, `{"title":"修缮村道","category":"` + strings.Repeat("类", 51) + `"}`, "invalid data.category"},

		// Amounts.
		{"amount 12.30", rm, `{"title":"修缮村道","amount":"12.30"}`, ""},
		{"amount three decimals", rm, `{"title":"修缮村道","amount":"1.234"}`, "invalid data.amount"},
		{"amount negative", rm, `{"title":"修缮村道","amount":"-1"}`, "invalid data.amount"},
		{"amount full-width", rm, `{"title":"修缮村道","amount":"１２"}`, "invalid data.amount"},
		{"amount over one trillion", rm, `{"title":"修缮村道","amount":"1000000000000.01"}`, "invalid data.amount"},
		{"amount grouped", rm, `{"title":"修缮村道","amount":"1,000"}`, "invalid data.amount"},
		{"amount empty", rm, `{"title":"修缮村道","amount":""}`, "invalid data.amount"},
		{"amount null is no amount", rm, `{"title":"修缮村道","amount":null}`, ""},

		// Every bad field is reported, in order.
		{"two bad fields", rm, `{"title":"","amount":"x"}`, "invalid data.title data.amount"},

		// Other commands' fields.
		{"community kind", domain.CmdRegisterCommunity, `{"name":"东风","kind":"镇","town":"城关镇","county":"青山县"}`, "invalid data.kind"},
		{"community fields missing", domain.CmdRegisterCommunity, `{}`, "invalid data.name data.kind data.town data.county"},
		{"person id with space", domain.CmdAppointOfficer, `{"person_id":"p wang","name":"王芳","role":"secretary"}`, "invalid data.person_id"},
		{"unknown role", domain.CmdAppointOfficer, `{"person_id":"p-wang","name":"王芳","role":"mayor"}`, "invalid data.role"},
		{"officer name 51 runes", domain.CmdAppointOfficer, `{"person_id":"p-wang","name":"` + strings.Repeat("王", 51) + `","role":"clerk"}`, "invalid data.name"},
		{"remove without person", domain.CmdRemoveOfficer, `{"role":"clerk"}`, "invalid data.person_id"},
		{"remove unknown role", domain.CmdRemoveOfficer, `{"person_id":"p-wang","role":"boss"}`, "invalid data.role"},
		{"remove reason may have lines", domain.CmdRemoveOfficer, `{"person_id":"p-wang","role":"clerk","reason":"换届\n调任"}`, ""},
		{"implementation summary required", domain.CmdReportImplementation, `{}`, "invalid data.summary"},
		{"withdraw reason required", domain.CmdWithdrawMatter, `{}`, "invalid data.reason"},
		{"revoke by_matter required", domain.CmdRevokeMatter, `{"reason":"新决议"}`, "invalid data.by_matter"},
		{"revoke by_matter not an id", domain.CmdRevokeMatter, `{"by_matter":"m.2","reason":"新决议"}`, "invalid data.by_matter"},
		{"eleven channels", domain.CmdDiscloseResult, `{"channels":["1","2","3","4","5","6","7","8","9","10","11"]}`, "invalid data.channels"},
		{"empty channel", domain.CmdDiscloseResolution, `{"channels":[""]}`, "invalid data.channels"},
		{"proposal summary 2001 runes", domain.CmdProposeMatter, `{"summary":"` + strings.Repeat("a", 2001) + `"}`, "invalid data.summary"},
		{"resolution text with NUL", domain.CmdResolveMatter, `{"votes":` + votesPassJSON + `,"text":"\u0000"}`, "invalid data.text"},

		// Unknown types, whatever the data.
		{"unknown type", "matter.approve", `{}`, "unknown command"},
		{"empty type", "", `{}`, "unknown command"},
		{"type in another case", "Matter.Resolve", `{"votes":` + votesPassJSON + `}`, "unknown command"},
		{"type with space", "matter.resolve ", `{"votes":` + votesPassJSON + `}`, "unknown command"},
		{"unknown type and bad data", "matter.approve", `{`, "unknown command"},
	}
	for _, tc := range tests {
		cmd, err := domain.DecodeCommand(tc.typ, []byte(tc.data))
		if got := errSummary(err); got != tc.wantErr {
			t.Errorf("%s: DecodeCommand(%q, %s) error = %q (%v), want %q", tc.name, tc.typ, tc.data, got, err, tc.wantErr)
		}
		if err != nil && cmd != nil {
			t.Errorf("%s: DecodeCommand(%q, %s) returned a command with error %v", tc.name, tc.typ, tc.data, err)
		}
		checkErrorTexts(t, err)
	}
}

// TestDecodeCommandNestedUnknownField checks that an unknown field inside a
// nested object is refused and named by its whole path.
func TestDecodeCommandNestedUnknownField(t *testing.T) {
	data := `{"votes":{"expected":15,"present":12,"yes":7}}`
	_, err := domain.DecodeCommand(domain.CmdResolveMatter, []byte(data))
	fields, ok := domain.AsValidation(err)
	if !ok || len(fields) != 1 || fields[0].Field != "data.votes.yes" {
		t.Errorf("DecodeCommand(%q, %s) error = %v, want one field error on data.votes.yes", domain.CmdResolveMatter, data, err)
	}
}

func TestDecodeCommandAmount(t *testing.T) {
	// The amount reaches the event as fen, exactly.
	for _, tc := range []struct {
		amount string
		want   domain.Fen
	}{
		{"0", 0},
		{"12.3", 1230},
		{"0.01", 1},
		{"1000000000000.00", domain.MaxFen},
	} {
		data := `{"title":"修缮村道","amount":"` + tc.amount + `"}`
		cmd, err := domain.DecodeCommand(domain.CmdRegisterMatter, []byte(data))
		if err != nil {
			t.Errorf("DecodeCommand(%s): %v", data, err)
			continue
		}
		got, err := cmd.Decide(decideCase{community: []domain.Event{registered}, typ: domain.CmdRegisterMatter}.env(t))
		want := []domain.Event{&domain.MatterRegistered{Title: "修缮村道", Amount: tc.want}}
		if d := diff(want, got); d != "" || err != nil {
			t.Errorf("Decide(%s) = %s, %v; want %s, nil", data, show(got), err, show(want))
		}
	}
}

func TestErrors(t *testing.T) {
	ve := &domain.ValidationError{Fields: []domain.FieldError{
		{Field: "data.title", Reason: "required", ReasonZH: "必填"},
		{Field: "data.amount", Reason: "bad", ReasonZH: "错"},
	}}
	if got, want := ve.Error(), "invalid command: data.title: required; data.amount: bad"; got != want {
		t.Errorf("ValidationError.Error() = %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("command 2: %w", ve)
	fields, ok := domain.AsValidation(wrapped)
	if !ok || diff(ve.Fields, fields) != "" {
		t.Errorf("AsValidation(wrapped) = %v, %v; want %v, true", fields, ok, ve.Fields)
	}
	for _, err := range []error{nil, errors.New("x"), &domain.RuleError{Code: "c"}, &domain.NotFoundError{What: "matter", ID: "m1"}} {
		if fields, ok := domain.AsValidation(err); ok || fields != nil {
			t.Errorf("AsValidation(%v) = %v, %v; want nil, false", err, fields, ok)
		}
	}
	if got, want := (&domain.NotFoundError{What: "matter", ID: "m1"}).Error(), "matter m1 not found"; got != want {
		t.Errorf("NotFoundError.Error() = %q, want %q", got, want)
	}
	if got, want := (&domain.RuleError{Code: "not_passed", Reason: "only a passed resolution"}).Error(), "rule not_passed: only a passed resolution"; got != want {
		t.Errorf("RuleError.Error() = %q, want %q", got, want)
	}
	_, err := domain.DecodeCommand("matter.approve", nil)
	if !errors.Is(err, domain.ErrUnknownCommand) || !strings.Contains(err.Error(), "matter.approve") {
		t.Errorf(`DecodeCommand("matter.approve") error = %v, want ErrUnknownCommand naming the type`, err)
	}
}
