package entry

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/gongkai/gongkai/domain"
)

var (
	dateCN      = regexp.MustCompile(`^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]$`)
	dateSep     = regexp.MustCompile(`^(\d{4})([-/.])(\d{1,2})([-/.])(\d{1,2})$`)
	dateCompact = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`)
	// midnight is a time of day that spreadsheet exports add to a date.
	midnight   = regexp.MustCompile(`\s+0?0:00(:00)?$`)
	shortYear  = regexp.MustCompile(`^\d{2}[-/.]\d{1,2}[-/.]\d{1,2}$`)
	dayFirst   = regexp.MustCompile(`^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$`)
	excelEpoch = time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// Years accepted, as by domain.ParseDate.
const minYear, maxYear = 1949, 9999

func dateError(in, reason, reasonZH string) error {
	return &Error{Input: in, Reason: fmt.Sprintf("invalid date %q: %s", in, reason),
		ReasonZH: "日期" + quote(in) + "有误：" + reasonZH, Err: domain.ErrDate}
}

// ParseDate parses a date as people write it: "2026-11-12", "2026/11/12",
// "2026/1/5", "2026.11.12", "2026年11月12日" (or 号), "2026年1月5日" and
// "20261112", with full-width digits and punctuation allowed, and a time of
// day of midnight after it ("2026/11/12 0:00", as spreadsheet exports
// write dates) ignored. The year has four digits, then the month, then the
// day. The date must exist, in the years 1949 to 9999: 2026-02-30 is
// refused with a message that February 2026 has 28 days.
//
// A refused date is an *Error wrapping domain.ErrDate.
func ParseDate(in string) (domain.Date, error) {
	s := normalize(in)
	if s == "" {
		return domain.Date{}, &Error{Input: in, Reason: "the date is empty", ReasonZH: "请填写日期", Err: domain.ErrDate}
	}
	s = midnight.ReplaceAllString(s, "")
	var ys, ms, ds string
	if m := dateCN.FindStringSubmatch(s); m != nil {
		ys, ms, ds = m[1], m[2], m[3]
	} else if m := dateSep.FindStringSubmatch(s); m != nil && m[2] == m[4] {
		ys, ms, ds = m[1], m[3], m[5]
	} else if m := dateCompact.FindStringSubmatch(s); m != nil {
		ys, ms, ds = m[1], m[2], m[3]
	} else {
		hint, hintZH := "", ""
		switch {
		case shortYear.MatchString(s):
			hint, hintZH = " with a four-digit year", "，年份写四位数字"
		case dayFirst.MatchString(s):
			hint, hintZH = " with the year first", "，年份在前"
		}
		return domain.Date{}, dateError(in, "write it as 2026-11-12, 2026/11/12 or 2026年11月12日"+hint,
			"请写成 2026-11-12、2026/11/12 或 2026年11月12日"+hintZH)
	}
	y, _ := strconv.Atoi(ys)
	m, _ := strconv.Atoi(ms)
	d, _ := strconv.Atoi(ds)
	return civilDate(in, y, m, d)
}

// civilDate checks that y-m-d exists and is in range.
func civilDate(in string, y, m, d int) (domain.Date, error) {
	switch {
	case y < minYear || y > maxYear:
		return domain.Date{}, dateError(in, fmt.Sprintf("the year must be from %d to %d", minYear, maxYear),
			fmt.Sprintf("年份须在 %d 至 %d 之间", minYear, maxYear))
	case m < 1 || m > 12:
		return domain.Date{}, dateError(in, "the month must be from 1 to 12", "月份须在 1 至 12 之间")
	}
	n := daysIn(y, m)
	if d < 1 || d > n {
		return domain.Date{}, dateError(in,
			fmt.Sprintf("%s %d has %d days, there is no day %d", time.Month(m), y, n, d),
			fmt.Sprintf("%d年%d月只有%d天，没有%d日", y, m, n, d))
	}
	return domain.Date{Year: y, Month: time.Month(m), Day: d}, nil
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// ExcelSerialDate returns the date of a serial day number of Excel's 1900
// date system, as a cell formatted as a date stores it: serial 1 is
// 1900-01-01 and 46338 is 2026-11-12. Excel counts a 29 February 1900 that
// never was (serial 60, kept for compatibility with Lotus 1-2-3), so serials
// from 61 on are one more than the days since 1899-12-31; serial 60 itself
// is refused. A fraction (a time of day) is ignored. The result must lie in
// the years 1949 to 9999.
//
// A workbook in the 1904 date system (an option of old Mac workbooks)
// numbers days from 1904-01-01 = 0: add 1462 to its serials first.
//
// A refused serial is an *Error wrapping domain.ErrDate.
func ExcelSerialDate(serial float64) (domain.Date, error) {
	in := strconv.FormatFloat(serial, 'f', -1, 64)
	if math.IsNaN(serial) || math.IsInf(serial, 0) || serial < 1 || serial >= 2958466 {
		return domain.Date{}, dateError(in, "not a date serial number of a spreadsheet", "不是表格中的日期序号")
	}
	day := int(math.Floor(serial))
	if day == 60 {
		return domain.Date{}, dateError(in, "serial 60 is 1900-02-29, a day that did not exist", "序号 60 是不存在的 1900年2月29日")
	}
	if day > 60 {
		day--
	}
	t := excelEpoch.AddDate(0, 0, day)
	return civilDate(in, t.Year(), int(t.Month()), t.Day())
}
