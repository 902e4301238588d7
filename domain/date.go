package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Date is a civil date (year, month, day) in China Standard Time, such as a
// meeting date or a voucher date. It has no time of day and no zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ErrDate is wrapped by every date parse error.
var ErrDate = errors.New("invalid date")

// Shanghai is the zone in which civil dates are reckoned (UTC+8, no DST).
var Shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// ParseDate parses "2006-01-02" strictly: the date must exist.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil || len(s) != 10 {
		return Date{}, fmt.Errorf("%w: %q must be a real date written YYYY-MM-DD", ErrDate, s)
	}
	if t.Year() < 1949 || t.Year() > 9999 {
		return Date{}, fmt.Errorf("%w: %q is out of range", ErrDate, s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// DateOf returns the civil date of t in China Standard Time.
func DateOf(t time.Time) Date {
	t = t.In(Shanghai)
	return Date{t.Year(), t.Month(), t.Day()}
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is before e (the zero date is before every
// other; compared as numbers, not as text: deciding compares dates often).
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// After reports whether d is after e.
func (d Date) After(e Date) bool { return e.Before(d) }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// MarshalJSON writes "YYYY-MM-DD", or null for the zero date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: write the date as a string YYYY-MM-DD", ErrDate)
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
