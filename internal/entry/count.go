package entry

import (
	"strconv"
	"strings"
)

// MaxNumber is the largest count or number the parsers accept.
const MaxNumber = 9_999_999

// ParseCount parses a head count or a number of votes: a whole number, not
// negative, in ASCII or full-width digits, optionally followed by 人, 名, 位
// or 票: "12", "12人", "１２ 人", "0". It refuses empty input, signs,
// decimals, separators, words ("十二") and counts over MaxNumber, with an
// *Error wrapping ErrCount.
func ParseCount(in string) (int, error) {
	s := normalize(in)
	for _, unit := range []string{"人", "名", "位", "票"} {
		if rest, ok := strings.CutSuffix(s, unit); ok {
			s = strings.TrimSpace(rest)
			break
		}
	}
	return parseNumber(in, s)
}

// ParseNumber parses a whole number, not negative, written in ASCII or
// full-width digits with nothing else but white space around it, such as a
// voucher number or a year: "7", "０７", "2026". It refuses what ParseCount
// refuses, and units.
func ParseNumber(in string) (int, error) { return parseNumber(in, normalize(in)) }

func parseNumber(in, s string) (int, error) {
	fail := func(reason, reasonZH string) (int, error) {
		return 0, &Error{Input: in, Reason: "invalid number " + strconv.Quote(in) + ": " + reason,
			ReasonZH: "数字" + quote(in) + "有误：" + reasonZH, Err: ErrCount}
	}
	switch {
	case s == "":
		return 0, &Error{Input: in, Reason: "the number is empty", ReasonZH: "请填写数字", Err: ErrCount}
	case strings.ContainsAny(s, capitalNumerals+chineseNumerals):
		return fail("write it in Arabic digits, such as 12", "请用阿拉伯数字填写，如 12")
	case strings.HasPrefix(s, "-"):
		return fail("must not be negative", "不能为负数")
	case strings.Contains(s, "."):
		return fail("must be a whole number", "须为整数")
	case !allDigits(s):
		return fail("write digits only, such as 12", "请只写数字，如 12")
	}
	t := strings.TrimLeft(s, "0")
	n, err := strconv.Atoi("0" + t)
	if err != nil || len(t) > 7 || n > MaxNumber {
		return fail("too large", "数字过大")
	}
	return n, nil
}
