// Package entry parses what people type into forms and spreadsheets: amounts
// such as "¥6,800.50", "６，８００" or "6800元整", dates such as "2026/1/5" or
// "2026年1月5日", and head counts such as "12人".
//
// The JSON API stays strict (domain.ParseYuan, domain.ParseDate); this
// package is for the doors where a clerk types, or pastes from Excel or WPS.
// Every parser accepts full-width digits and punctuation and surrounding
// white space (ideographic spaces included), and refuses anything it cannot
// read with certainty: a refused input is an *Error that says why, in Chinese
// and in English.
package entry

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// ErrCount is wrapped by the *Error of a refused count or number; refused
// amounts wrap domain.ErrAmount and refused dates domain.ErrDate.
var ErrCount = errors.New("invalid number")

// Error is input that a parser of this package refuses.
type Error struct {
	// Input is the text as given.
	Input string
	// Reason and ReasonZH say what is wrong, in English and Chinese.
	Reason, ReasonZH string
	// Err is domain.ErrAmount, domain.ErrDate or ErrCount.
	Err error
}

// Error returns the Chinese reason, then the English one in brackets.
func (e *Error) Error() string { return e.ReasonZH + "（" + e.Reason + "）" }

func (e *Error) Unwrap() error { return e.Err }

// Normalize maps full-width forms to ASCII (“６，８００．５０” to
// "6,800.50", “ｍ－０１” to "m-01"), the full-width yen sign to ¥, the minus
// sign U+2212 to '-', and trims white space, including the ideographic space
// U+3000. The parsers of this package normalize their input first; use it
// for codes and ids typed with a Chinese input method.
func Normalize(s string) string { return normalize(s) }

func normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		case r == 0xFFE5: // ￥
			r = '¥'
		case r == 0x2212: // −
			r = '-'
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// quote shows an input in a message, shortened if it is long.
func quote(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		s = string(r[:40]) + "…"
	}
	return "“" + s + "”"
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// firstNonDigit returns the first rune of s that is not an ASCII digit.
func firstNonDigit(s string) string {
	for _, r := range s {
		if r < '0' || r > '9' {
			return string(r)
		}
	}
	return ""
}
