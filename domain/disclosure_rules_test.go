package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

func TestDefaultDisclosureRules(t *testing.T) {
	// Finance quarterly within 15 days, the budget within 15 days, its
	// execution within 31, a resolution within 5, a result within 15,
	// posted at least 7 days, questions answered within 10.
	want := domain.DisclosureRules{FinancePeriod: "quarter", FinanceDays: 15, BudgetDays: 15, ExecutionDays: 31,
		ResolutionDays: 5, ResultDays: 15, PostingDays: 7, AnswerDays: 10}
	if d := diff(want, domain.DefaultDisclosureRules()); d != "" {
		t.Errorf("DefaultDisclosureRules():%s", d)
	}
	// A rule set without a disclosure block has the default catalogue.
	if d := diff(want, domain.DefaultRuleSet().DisclosureRules()); d != "" {
		t.Errorf("DefaultRuleSet().DisclosureRules():%s", d)
	}
	rs := catalogue()
	if got := rs.DisclosureRules().PostingDays; got != 10 {
		t.Errorf("catalogue().DisclosureRules().PostingDays = %d, want 10", got)
	}
	if s, ok := rs.DisclosureRules().SpecialItem("relief-2025"); !ok || s.Title != "2025年救灾款物发放" {
		t.Errorf("SpecialItem(relief-2025) = %+v, %v; want the catalogue's item", s, ok)
	}
	if s, ok := rs.DisclosureRules().SpecialItem("land"); ok {
		t.Errorf("SpecialItem(land) = %+v, true; want false", s)
	}
	// The test catalogue, with a special item, is a valid rule set.
	data := `{"rule_set":` + show(catalogue()) + `}`
	if _, err := domain.DecodeCommand(domain.CmdAdoptRuleSet, []byte(data)); err != nil {
		t.Errorf("DecodeCommand(adopt catalogue()): %v", err)
	}
}

// TestDisclosureRulesValidation checks the disclosure block of a rule set
// through the command that carries it. The fields are compared sorted: the
// day counts are checked in the order of a map.
func TestDisclosureRulesValidation(t *testing.T) {
	rule := `{"quorum":{"num":2,"den":3},"majority":{"num":1,"den":2},"majority_of":"present"}`
	head := `"id":"dongfeng-2025","effective_from":"2025-01-01","votes":{"party_members_meeting":` + rule + `,"representative_assembly":` + rule + `}`
	// block returns a disclosure block with the default days and the
	// changes given, "key":value each.
	block := func(changes ...string) string {
		fields := map[string]string{"finance_period": `"quarter"`, "finance_days": "15", "budget_days": "15", "execution_days": "31",
			"resolution_days": "5", "result_days": "15", "posting_days": "7", "answer_days": "10"}
		order := []string{"finance_period", "finance_days", "budget_days", "execution_days", "resolution_days", "result_days", "posting_days", "answer_days"}
		var extra []string
		for _, c := range changes {
			k, v, _ := strings.Cut(c, ":")
			k = strings.Trim(k, `"`)
			if _, ok := fields[k]; ok {
				fields[k] = v
			} else {
				extra = append(extra, c)
			}
		}
		var parts []string
		for _, k := range order {
			parts = append(parts, `"`+k+`":`+fields[k])
		}
		return `{` + strings.Join(append(parts, extra...), ",") + `}`
	}
	p := "data.rule_set.disclosure."
	special := func(items ...string) string { return `"special":[` + strings.Join(items, ",") + `]` }
	tests := []struct {
		name, block string
		wantFields  []string // nil: valid
	}{
		{"the default days", block(), nil},
		{"monthly", block(`"finance_period":"month"`), nil},
		{"0 days everywhere it is allowed", block(`"finance_days":0`, `"budget_days":0`, `"execution_days":0`, `"resolution_days":0`, `"result_days":0`), nil},
		{"366 days everywhere", block(`"finance_days":366`, `"budget_days":366`, `"execution_days":366`, `"resolution_days":366`, `"result_days":366`, `"posting_days":366`, `"answer_days":366`), nil},
		{"posting 1 day, answered within 1", block(`"posting_days":1`, `"answer_days":1`), nil},
		{"special items", block(special(`{"id":"relief-2025","title":"救灾款物","due":"2025-09-30"}`, `{"id":"land_2025","title":"土地承包","due":"2025-12-31"}`)), nil},

		{"finance period by year", block(`"finance_period":"year"`), []string{p + "finance_period"}},
		{"finance period in capitals", block(`"finance_period":"Quarter"`), []string{p + "finance_period"}},
		{"finance period missing", `{"finance_days":15,"budget_days":15,"execution_days":31,"resolution_days":5,"result_days":15,"posting_days":7,"answer_days":10}`,
			[]string{p + "finance_period"}},
		{"negative finance days", block(`"finance_days":-1`), []string{p + "finance_days"}},
		{"negative budget days", block(`"budget_days":-1`), []string{p + "budget_days"}},
		{"negative execution days", block(`"execution_days":-1`), []string{p + "execution_days"}},
		{"negative resolution days", block(`"resolution_days":-5`), []string{p + "resolution_days"}},
		{"negative result days", block(`"result_days":-1`), []string{p + "result_days"}},
		{"367 result days", block(`"result_days":367`), []string{p + "result_days"}},
		{"several negative days", block(`"finance_days":-1`, `"budget_days":-2`, `"execution_days":-3`),
			[]string{p + "budget_days", p + "execution_days", p + "finance_days"}},
		{"posting 0 days", block(`"posting_days":0`), []string{p + "posting_days"}},
		{"posting -7 days", block(`"posting_days":-7`), []string{p + "posting_days"}},
		{"posting 367 days", block(`"posting_days":367`), []string{p + "posting_days"}},
		{"answered within 0 days", block(`"answer_days":0`), []string{p + "answer_days"}},
		{"an empty block", `{}`, []string{p + "answer_days", p + "finance_period", p + "posting_days"}},
		{"duplicate special ids", block(special(`{"id":"relief","title":"救灾款物","due":"2025-09-30"}`, `{"id":"relief","title":"救灾款物二","due":"2025-10-31"}`)),
			[]string{p + "special[1].id"}},
		{"special id in Chinese", block(special(`{"id":"救灾","title":"救灾款物","due":"2025-09-30"}`)), []string{p + "special[0].id"}},
		{"special id missing", block(special(`{"title":"救灾款物","due":"2025-09-30"}`)), []string{p + "special[0].id"}},
		{"special id too long", block(special(`{"id":"` + strings.Repeat("a", 51) + `","title":"救灾款物","due":"2025-09-30"}`)), []string{p + "special[0].id"}},
		{"special title missing", block(special(`{"id":"relief","due":"2025-09-30"}`)), []string{p + "special[0].title"}},
		{"script in a special title", block(special(`{"id":"relief","title":"<script>","due":"2025-09-30"}`)), []string{p + "special[0].title"}},
		{"special due missing", block(special(`{"id":"relief","title":"救灾款物"}`)), []string{p + "special[0].due"}},
		{"special due not a date", block(special(`{"id":"relief","title":"救灾款物","due":"2025-02-30"}`)), []string{p + "special[0].due"}},
	}
	for _, tc := range tests {
		data := `{"rule_set":{` + head + `,"disclosure":` + tc.block + `}}`
		_, err := domain.DecodeCommand(domain.CmdAdoptRuleSet, []byte(data))
		var got []string
		if err != nil {
			var ve *domain.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: DecodeCommand(%s) = %v, want a *ValidationError", tc.name, data, err)
				continue
			}
			got = fieldNames(ve.Fields)
			slices.Sort(got)
		}
		if d := diff(tc.wantFields, got); d != "" {
			t.Errorf("%s: DecodeCommand(%q, %s) fields:%s", tc.name, domain.CmdAdoptRuleSet, data, d)
		}
		checkErrorTexts(t, err)
	}
}
