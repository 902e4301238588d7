package domain_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want domain.Date
	}{
		{"2024-02-29", domain.Date{Year: 2024, Month: time.February, Day: 29}},
		{"2000-02-29", domain.Date{Year: 2000, Month: time.February, Day: 29}},
		{"2025-01-02", domain.Date{Year: 2025, Month: time.January, Day: 2}},
		{"2025-12-31", domain.Date{Year: 2025, Month: time.December, Day: 31}},
		{"1949-01-01", domain.Date{Year: 1949, Month: time.January, Day: 1}},
		{"9999-12-31", domain.Date{Year: 9999, Month: time.December, Day: 31}},
	}
	for _, tc := range tests {
		got, err := domain.ParseDate(tc.in)
		if got != tc.want || err != nil {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, nil", tc.in, got, err, tc.want)
		}
		if s := got.String(); s != tc.in {
			t.Errorf("ParseDate(%q).String() = %q", tc.in, s)
		}
	}
}

func TestParseDateRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"2025-02-29", // not a leap year
		"1900-02-29", // nor is 1900
		"2025-04-31",
		"2025-13-01",
		"2025-00-10",
		"2025-01-00",
		"2025-01-32",
		"2025-1-2",
		"2025-01-2",
		"25-01-02",
		"2025/01/02",
		"20250102",
		" 2025-01-02",
		"2025-01-02 ",
		"2025-01-02T00:00:00Z",
		"２０２５-01-02",
		"1948-12-31", // before the range
		"0000-01-01",
		"+2025-01-02",
		"-2025-01-02",
	} {
		got, err := domain.ParseDate(in)
		if !errors.Is(err, domain.ErrDate) || !got.IsZero() {
			t.Errorf("ParseDate(%q) = %v, %v; want the zero Date and an error wrapping ErrDate", in, got, err)
		}
	}
}

func TestDateJSON(t *testing.T) {
	for _, tc := range []struct {
		d    domain.Date
		json string
	}{
		{domain.Date{Year: 2024, Month: time.February, Day: 29}, `"2024-02-29"`},
		{domain.Date{Year: 2025, Month: time.March, Day: 1}, `"2025-03-01"`},
		{domain.Date{}, `null`},
	} {
		b, err := json.Marshal(tc.d)
		if string(b) != tc.json || err != nil {
			t.Errorf("json.Marshal(%#v) = %s, %v; want %s, nil", tc.d, b, err, tc.json)
		}
		got := domain.Date{Year: 1999, Month: 9, Day: 9} // overwritten, even by null
		if err := json.Unmarshal(b, &got); got != tc.d || err != nil {
			t.Errorf("json.Unmarshal(%s) = %#v, %v; want %#v, nil", b, got, err, tc.d)
		}
	}

	// In a struct, as events carry dates.
	type withDate struct {
		Date domain.Date `json:"date"`
	}
	in := withDate{domain.Date{Year: 2025, Month: time.June, Day: 30}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out withDate
	if err := json.Unmarshal(b, &out); out != in || err != nil {
		t.Errorf("json round trip of %s = %#v, %v; want %#v", b, out, err, in)
	}

	for _, bad := range []string{`"2025-02-29"`, `"2025-1-2"`, `""`, `20250102`, `true`, `{}`} {
		var d domain.Date
		if err := json.Unmarshal([]byte(bad), &d); !errors.Is(err, domain.ErrDate) {
			t.Errorf("json.Unmarshal(%s) = %v, %v; want an error wrapping ErrDate", bad, d, err)
		}
	}
}

func TestDateOrder(t *testing.T) {
	d := func(s string) domain.Date { return mustDate(t, s) }
	tests := []struct {
		a, b          domain.Date
		before, after bool
	}{
		{d("2025-03-01"), d("2025-03-01"), false, false},
		{d("2025-03-01"), d("2025-03-02"), true, false},
		{d("2025-03-31"), d("2025-04-01"), true, false},
		{d("2024-12-31"), d("2025-01-01"), true, false},
		{d("2025-10-01"), d("2025-09-30"), false, true}, // two-digit months compare as numbers
		{d("2025-01-10"), d("2025-01-09"), false, true},
		{d("2026-01-01"), d("2025-12-31"), false, true},
		{domain.Date{}, d("1949-01-01"), true, false},
		{d("1949-01-01"), domain.Date{}, false, true},
		{domain.Date{}, domain.Date{}, false, false},
	}
	for _, tc := range tests {
		if got := tc.a.Before(tc.b); got != tc.before {
			t.Errorf("%v.Before(%v) = %v, want %v", tc.a, tc.b, got, tc.before)
		}
		if got := tc.a.After(tc.b); got != tc.after {
			t.Errorf("%v.After(%v) = %v, want %v", tc.a, tc.b, got, tc.after)
		}
	}
}

func TestDateOf(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		// Midnight in Beijing is 16:00 UTC the day before.
		{time.Date(2025, 1, 1, 15, 59, 59, 0, time.UTC), "2025-01-01"},
		{time.Date(2025, 1, 1, 16, 0, 0, 0, time.UTC), "2025-01-02"},
		{time.Date(2024, 12, 31, 16, 30, 0, 0, time.UTC), "2025-01-01"},
		{time.Date(2025, 6, 30, 23, 0, 0, 0, domain.Shanghai), "2025-06-30"},
		{time.Date(2025, 6, 30, 12, 0, 0, 0, time.FixedZone("UTC-10", -10*3600)), "2025-07-01"},
	}
	for _, tc := range tests {
		if got := domain.DateOf(tc.t); got != mustDate(t, tc.want) {
			t.Errorf("DateOf(%v) = %v, want %s", tc.t, got, tc.want)
		}
	}
}

func TestDateZero(t *testing.T) {
	var z domain.Date
	if !z.IsZero() || z.String() != "" {
		t.Errorf("zero Date: IsZero() = %v, String() = %q; want true, \"\"", z.IsZero(), z.String())
	}
	if d := mustDate(t, "2025-01-01"); d.IsZero() {
		t.Errorf("%v.IsZero() = true", d)
	}
}
