package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (分), one hundredth of a yuan. Amounts are
// never floats.
type Fen int64

// MaxFen is the largest amount accepted from input: one trillion yuan.
const MaxFen Fen = 1_000_000_000_000 * 100

// ErrAmount is wrapped by every amount parse error.
var ErrAmount = errors.New("invalid amount")

// ParseYuan parses a non-negative amount in yuan written with ASCII digits and
// at most two decimals: "12", "12.3", "12.30", "0.01". It rejects signs,
// exponents, grouping, full-width digits, empty input and amounts over MaxFen.
func ParseYuan(s string) (Fen, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrAmount)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && (frac == "" || len(frac) > 2)) {
		return 0, fmt.Errorf("%w: %q must look like 1234.56 (at most two decimals)", ErrAmount, s)
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, fmt.Errorf("%w: %q contains %q; use ASCII digits only", ErrAmount, s, part[i:i+1])
			}
		}
	}
	if len(whole) > 13 {
		return 0, fmt.Errorf("%w: %q is over one trillion yuan", ErrAmount, s)
	}
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrAmount, s)
	}
	var f int64
	if frac != "" {
		if len(frac) == 1 {
			frac += "0"
		}
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	v := Fen(y*100 + f)
	if v > MaxFen {
		return 0, fmt.Errorf("%w: %q is over one trillion yuan", ErrAmount, s)
	}
	return v, nil
}

// String formats the amount in yuan with two decimals: "1234.56".
func (f Fen) String() string {
	sign := ""
	v := int64(f)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MarshalJSON writes the amount as a JSON string in yuan, "1234.56".
func (f Fen) MarshalJSON() ([]byte, error) { return json.Marshal(f.String()) }

// UnmarshalJSON reads an amount written as a JSON string in yuan; numbers are
// refused so that no float ever carries money, and so is the empty string.
func (f *Fen) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: write the amount as a string such as \"1234.56\"", ErrAmount)
	}
	neg := strings.HasPrefix(s, "-")
	v, err := ParseYuan(strings.TrimPrefix(s, "-"))
	if err != nil {
		return err
	}
	if neg {
		v = -v
	}
	*f = v
	return nil
}

// Yuan is an amount in yuan as a command carries it, such as "1234.56",
// before the command's Validate parses it with ParseYuan. Its JSON value must
// be a string, and not an empty one: an empty string is not an amount. A
// member left out (or null) leaves the Yuan empty, which an optional amount
// takes for "no amount".
type Yuan string

// UnmarshalJSON accepts a non-empty JSON string or null; anything else is an
// error wrapping ErrAmount.
func (y *Yuan) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &s) != nil {
		return fmt.Errorf("%w: write the amount as a string such as \"1234.56\"", ErrAmount)
	}
	if s == "" {
		return fmt.Errorf("%w: an empty string is not an amount; leave the member out for none", ErrAmount)
	}
	*y = Yuan(s)
	return nil
}
