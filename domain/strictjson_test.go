package domain_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gongkai/gongkai/domain"
)

type strictInner struct {
	N int `json:"n"`
}

type strictEmbedded struct {
	Shared string `json:"shared"`
	Deep   string `json:"deep"`
}

type strictTarget struct {
	strictEmbedded
	Shared string                 `json:"shared"` // shadows the embedded one
	Name   string                 `json:"name"`
	Plain  string                 // no tag: the Go name
	Skip   string                 `json:"-"`
	Count  uint8                  `json:"count"`
	Ratio  float64                `json:"ratio"`
	On     bool                   `json:"on"`
	Inner  *strictInner           `json:"inner"`
	List   []strictInner          `json:"list"`
	Map    map[string]strictInner `json:"map"`
	Any    any                    `json:"any"`
	Amount domain.Yuan            `json:"amount"`
	Date   domain.Date            `json:"date"`
	Raw    json.RawMessage        `json:"raw"`
	hidden string
}

// strictPlain is strictTarget without the members that do not survive a
// round trip through json.Marshal (an empty Yuan, a nil RawMessage).
type strictPlain struct {
	strictEmbedded
	Shared string                 `json:"shared"`
	Name   string                 `json:"name"`
	Plain  string                 //
	Count  uint8                  `json:"count"`
	Ratio  float64                `json:"ratio"`
	On     bool                   `json:"on"`
	Inner  *strictInner           `json:"inner"`
	List   []strictInner          `json:"list"`
	Map    map[string]strictInner `json:"map"`
	Any    any                    `json:"any"`
	Date   domain.Date            `json:"date"`
}

func TestDecodeJSON(t *testing.T) {
	var got strictTarget
	in := `{"shared":"s","deep":"d","name":"n","Plain":"p","count":255,"ratio":1.5e3,"on":true,
		"inner":{"n":-1},"list":[{"n":1},{"n":2}],"map":{"a":{"n":3}},"any":{"X":[1,"a",{"A":1,"a":2}]},
		"amount":"12.30","date":"2025-02-01","raw":{"Anything":1}}`
	if err := domain.DecodeJSON([]byte(in), &got); err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	want := strictTarget{strictEmbedded: strictEmbedded{Deep: "d"}, Shared: "s", Name: "n", Plain: "p", Count: 255, Ratio: 1500, On: true,
		Inner: &strictInner{-1}, List: []strictInner{{1}, {2}}, Map: map[string]strictInner{"a": {3}},
		Any:    map[string]any{"X": []any{1.0, "a", map[string]any{"A": 1.0, "a": 2.0}}},
		Amount: "12.30", Date: domain.Date{Year: 2025, Month: 2, Day: 1}, Raw: json.RawMessage(`{"Anything":1}`)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeJSON(%s) =\n%+v\nwant\n%+v", in, got, want)
	}
}

func TestDecodeJSONRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in, path string
	}{
		{"name in another case", `{"NAME":"n"}`, "NAME"},
		{"Go name in lower case", `{"plain":"p"}`, "plain"},
		{"skipped field", `{"Skip":"x"}`, "Skip"},
		{"unexported field", `{"hidden":"x"}`, "hidden"},
		{"nested name in another case", `{"inner":{"N":1}}`, "inner.N"},
		{"name in a list element", `{"list":[{"n":1},{"m":2}]}`, "list[1].m"},
		{"name in a map value", `{"map":{"a":{"N":1}}}`, "map.a.N"},
		{"name given twice", `{"name":"a","name":"b"}`, "name"},
		{"name twice in a free object", `{"any":{"a":1,"a":2}}`, "any.a"},
		{"string for an int", `{"inner":{"n":"1"}}`, "inner.n"},
		{"fraction for an int", `{"inner":{"n":1.5}}`, "inner.n"},
		{"exponent for an int", `{"inner":{"n":1e2}}`, "inner.n"},
		{"uint8 overflow", `{"count":256}`, "count"},
		{"negative uint", `{"count":-1}`, "count"},
		{"number for a string", `{"name":1}`, "name"},
		{"object for a string", `{"name":{}}`, "name"},
		{"array for a struct", `{"inner":[]}`, "inner"},
		{"object for a list", `{"list":{}}`, "list"},
		{"string for a bool", `{"on":"true"}`, "on"},
		{"empty amount", `{"amount":""}`, "amount"},
		{"number amount", `{"amount":1}`, "amount"},
		{"bad date", `{"date":"2025-02-30"}`, "date"},
		{"not an object", `[]`, ""},
		{"truncated", `{"name":`, ""},
		{"trailing object", `{} {}`, ""},
		{"trailing brace", `{}}`, ""},
		{"empty input", ``, ""},
		{"lone surrogate", `{"name":"\ud800"}`, ""},
		{"invalid byte", "{\"name\":\"\x80\"}", ""},
		{"too deep", `{"any":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "any" + strings.Repeat("[0]", 64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strictTarget{Name: "untouched"}
			err := domain.DecodeJSON([]byte(tc.in), &got)
			var je *domain.JSONError
			if !errors.As(err, &je) {
				t.Fatalf("DecodeJSON(%s) = %v, want a *JSONError", tc.in, err)
			}
			if je.Path != tc.path || je.Reason == "" || je.ReasonZH == "" {
				t.Errorf("DecodeJSON(%s) = %+v, want path %q and reasons in both languages", tc.in, je, tc.path)
			}
			if got.Name != "untouched" || got.Inner != nil {
				t.Errorf("DecodeJSON(%s) changed its target to %+v", tc.in, got)
			}
		})
	}
}

func TestDecodeJSONNotUTF8(t *testing.T) {
	for _, in := range []string{
		"\"\xff\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xed\xbf\xbf\"", "\"\xf4\x90\x80\x80\"",
		`"\ud800"`, `"\udfff"`, `"\uD800\uD800"`, `"\ud800\n"`, `"\ud800`, `"\ud800\u00"`, `"a\ud800\udc00\udc00"`,
	} {
		var s string
		if err := domain.DecodeJSON([]byte(in), &s); !errors.Is(err, domain.ErrNotUTF8) {
			t.Errorf("DecodeJSON(%q) = %v, want an error wrapping ErrNotUTF8", in, err)
		}
	}
	for in, want := range map[string]string{
		`"\ud83d\ude00"`: "😀", `"\\ud800"`: `\ud800`, `"\\\ud83d\ude00"`: `\😀`, `"\u00e9\"\u4e2d"`: `é"中`, `"\uffff"`: "\uffff",
	} {
		var s string
		if err := domain.DecodeJSON([]byte(in), &s); err != nil || s != want {
			t.Errorf("DecodeJSON(%q) = %q, %v; want %q, nil", in, s, err, want)
		}
	}
}

// FuzzDecodeJSON checks that DecodeJSON accepts only what encoding/json
// accepts, with the same result, that what it accepts is valid UTF-8 with
// no U+FFFD that the input did not spell, and that encoding the result and
// decoding it again gives the same value.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"n","list":[{"n":1}],"map":{"a":{"n":2}}}`, `{"NAME":"n"}`, `{"name":"\ud800"}`, `{"any":{"a":[1,true,null]}}`,
		`{"name":"a","name":"b"}`, `{"count":255,"ratio":-0.5,"on":false}`, "{\"name\":\"\xff\"}", `{"date":"2025-01-31","inner":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var got strictPlain
		if domain.DecodeJSON(in, &got) != nil {
			return
		}
		var std strictPlain
		if err := json.Unmarshal(in, &std); err != nil {
			t.Fatalf("DecodeJSON accepted %q, encoding/json refused it: %v", in, err)
		}
		if !reflect.DeepEqual(got, std) {
			t.Fatalf("DecodeJSON(%q) = %+v, encoding/json gives %+v", in, got, std)
		}
		if !utf8.Valid(in) {
			t.Fatalf("DecodeJSON accepted invalid UTF-8 %q", in)
		}
		if strings.Contains(got.Name, "\ufffd") && !strings.Contains(string(in), "\ufffd") && !strings.Contains(strings.ToLower(string(in)), `\ufffd`) {
			t.Fatalf("DecodeJSON(%q) put U+FFFD in %q", in, got.Name)
		}
		out, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var again strictPlain
		if err := domain.DecodeJSON(out, &again); err != nil {
			t.Fatalf("DecodeJSON(Marshal(%+v)) = %v", got, err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Fatalf("round trip: %+v became %+v", got, again)
		}
	})
}
