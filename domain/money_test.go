package domain_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

func TestParseYuan(t *testing.T) {
	tests := []struct {
		in   string
		want domain.Fen
	}{
		{"12", 1200},
		{"12.3", 1230},
		{"12.30", 1230},
		{"12.03", 1203},
		{"0.01", 1},
		{"0", 0},
		{"0.0", 0},
		{"0.00", 0},
		{"007", 700},
		{"1234.56", 123456},
		{"999999999999.99", domain.MaxFen - 1},
		{"1000000000000", domain.MaxFen},
		{"1000000000000.00", domain.MaxFen},
	}
	for _, tc := range tests {
		got, err := domain.ParseYuan(tc.in)
		if got != tc.want || err != nil {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d, nil", tc.in, got, err, tc.want)
		}
	}
}

func TestParseYuanRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"12.345",
		"-1",
		"-0.01",
		"+1",
		"1e3",
		"１２",    // full-width digits
		"12．30", // full-width point
		"1,000",
		"1_000",
		" 1",
		"1 ",
		"1.",
		".5",
		".",
		"1.2.3",
		"1..2",
		"0x10",
		"1.-1",
		"1.+1",
		"NaN",
		"Inf",
		"¥12",
		"12元",
		"1000000000000.01",
		"1000000000001",
		"9999999999999.99",
		"99999999999999",
		"9223372036854775807",
		"92233720368547758.07",
	} {
		got, err := domain.ParseYuan(in)
		if err == nil || !errors.Is(err, domain.ErrAmount) {
			t.Errorf("ParseYuan(%q) = %d, %v; want an error wrapping ErrAmount", in, got, err)
		}
		if got != 0 {
			t.Errorf("ParseYuan(%q) = %d with error; want 0", in, got)
		}
	}
}

func TestFenString(t *testing.T) {
	tests := []struct {
		in   domain.Fen
		want string
	}{
		{0, "0.00"},
		{1, "0.01"},
		{10, "0.10"},
		{1230, "12.30"},
		{123456, "1234.56"},
		{domain.MaxFen, "1000000000000.00"},
		{-5, "-0.05"},
		{-123456, "-1234.56"},
	}
	for _, tc := range tests {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("Fen(%d).String() = %q, want %q", int64(tc.in), got, tc.want)
		}
		if tc.in < 0 {
			continue
		}
		back, err := domain.ParseYuan(tc.want)
		if back != tc.in || err != nil {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d, nil", tc.want, back, err, tc.in)
		}
	}
}

func TestFenJSON(t *testing.T) {
	for _, f := range []domain.Fen{0, 1, 1230, -150, domain.MaxFen, -domain.MaxFen} {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatalf("json.Marshal(Fen(%d)): %v", int64(f), err)
		}
		if want := `"` + f.String() + `"`; string(b) != want {
			t.Errorf("json.Marshal(Fen(%d)) = %s, want %s", int64(f), b, want)
		}
		var got domain.Fen
		if err := json.Unmarshal(b, &got); err != nil || got != f {
			t.Errorf("json.Unmarshal(%s) = %d, %v; want %d, nil", b, got, err, f)
		}
	}

	// Numbers never carry money; strings must parse as amounts.
	for _, in := range []string{`12.30`, `12`, `true`, `"1.234"`, `""`, `"--1"`, `"-"`, `"1e3"`, `"１２"`, `"1000000000000.01"`} {
		got := domain.Fen(7)
		if err := json.Unmarshal([]byte(in), &got); !errors.Is(err, domain.ErrAmount) {
			t.Errorf("json.Unmarshal(%s) = %d, %v; want an error wrapping ErrAmount", in, got, err)
		}
	}
}

// A Yuan is a non-empty JSON string or nothing: "" and numbers are not
// amounts, and null or a left-out member leaves it empty.
func TestYuanJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want domain.Yuan
	}{
		{`"12.30"`, "12.30"},
		{`"x"`, "x"}, // parsed by the command's Validate, which names the field
		{`null`, ""},
	} {
		var got domain.Yuan
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil || got != tc.want {
			t.Errorf("json.Unmarshal(%s) = %q, %v; want %q, nil", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`""`, `12.30`, `0`, `true`, `{}`, `["1"]`} {
		got := domain.Yuan("7")
		if err := json.Unmarshal([]byte(in), &got); !errors.Is(err, domain.ErrAmount) || got != "7" {
			t.Errorf("json.Unmarshal(%s) = %q, %v; want an error wrapping ErrAmount and no change", in, got, err)
		}
	}
}

// yuanRE is what every accepted amount looks like.
var yuanRE = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)

// FuzzParseYuan checks, for any input that ParseYuan accepts, that the
// input had the documented form, that the amount is in [0, MaxFen], and that
// formatting and parsing again, as text or as JSON, gives the same amount.
func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{
		"12", "12.3", "12.30", "0.01", "0", "007", "1000000000000.00", "999999999999.99",
		"12.345", "-1", "1e3", "１２", "", "1,000", " 1", "1.", ".5", "+1", "1000000000000.01",
		"99999999999999", "9223372036854775807", "1.2.3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := domain.ParseYuan(s)
		if err != nil {
			if !errors.Is(err, domain.ErrAmount) {
				t.Fatalf("ParseYuan(%q) error %v does not wrap ErrAmount", s, err)
			}
			if v != 0 {
				t.Fatalf("ParseYuan(%q) = %d with error %v; want 0", s, v, err)
			}
			return
		}
		if !yuanRE.MatchString(s) {
			t.Fatalf("ParseYuan(%q) = %d, want an error: not digits with at most two decimals", s, v)
		}
		if v < 0 || v > domain.MaxFen {
			t.Fatalf("ParseYuan(%q) = %d, out of [0, %d]", s, v, domain.MaxFen)
		}
		back, err := domain.ParseYuan(v.String())
		if back != v || err != nil {
			t.Fatalf("ParseYuan(%q) = %d; ParseYuan(%q) = %d, %v; want %d, nil", s, v, v.String(), back, err, v)
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(%d): %v", v, err)
		}
		var j domain.Fen
		if err := json.Unmarshal(b, &j); err != nil || j != v {
			t.Fatalf("json.Unmarshal(%s) = %d, %v; want %d, nil", b, j, err, v)
		}
	})
}
