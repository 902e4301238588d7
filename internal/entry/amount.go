package entry

import (
	"fmt"
	"strings"

	"github.com/gongkai/gongkai/domain"
)

// ParseAmount parses a non-negative amount of money in yuan as people write
// it, and returns it in fen. It accepts:
//
//   - digits with at most two decimals: "6800", "6800.5", "6800.50", ".5";
//   - thousands separators in their places: "6,800", "1,234,567.50";
//   - a currency sign or name before the number: "¥6,800.5", "￥1,234.50",
//     "人民币6800";
//   - 元 after the number, and 整 after 元 when there are no 角 and 分:
//     "6800元", "6,800.50元", "6800元整", "6800.00元整";
//   - full-width digits and punctuation ("６，８００．５０"), and white space
//     around the number and its sign or unit.
//
// It refuses, with an *Error wrapping domain.ErrAmount: empty input; more
// than two decimals ("1.234"); separators out of place ("6,80", "68,00");
// a sign (see ParseSignedAmount); letters or other characters; capital or
// Chinese numerals ("陆仟捌佰元", "六千八"), and 万 or 亿 as units ("1.2万"),
// since the amount must be written out in digits; 整 after 角 or 分
// ("6800.50元整"); and amounts over domain.MaxFen (one trillion yuan).
//
// An accepted amount round-trips: ParseAmount(f.String()) returns f.
func ParseAmount(s string) (domain.Fen, error) { return parseAmount(s, false) }

// ParseSignedAmount is ParseAmount that also accepts a leading minus sign,
// before or after the currency sign ("-6,800.00", "¥-12", "－１２"), for a
// balance on an account's other side. "-0" is zero.
func ParseSignedAmount(s string) (domain.Fen, error) { return parseAmount(s, true) }

// AmountWords returns the amount in Chinese capital numerals (大写) as
// vouchers and receipts write it, such as 陆仟捌佰元整. It is
// domain.Fen.Capital, named here beside the parsers so that a form finds
// both directions in one place.
func AmountWords(f domain.Fen) string { return f.Capital() }

// Characters that mean someone wrote the amount in words.
const (
	capitalNumerals = "零壹贰貳叁參肆伍陆陸柒捌玖拾佰仟圆角分"
	chineseNumerals = "〇一二三四五六七八九十百千两"
)

func amountError(in, reason, reasonZH string) error {
	return &Error{Input: in, Reason: "invalid amount " + fmt.Sprintf("%q", in) + ": " + reason,
		ReasonZH: "金额" + quote(in) + "有误：" + reasonZH, Err: domain.ErrAmount}
}

func parseAmount(in string, signed bool) (domain.Fen, error) {
	s := normalize(in)
	if s == "" {
		return 0, &Error{Input: in, Reason: "the amount is empty", ReasonZH: "请填写金额", Err: domain.ErrAmount}
	}
	if strings.ContainsAny(s, capitalNumerals+chineseNumerals) {
		return 0, amountError(in, "write the amount in Arabic digits, such as 6800.50, not in capital or Chinese numerals",
			"请用阿拉伯数字填写金额，如 6800.50，不要用大写或中文数字")
	}
	if strings.ContainsAny(s, "万亿") {
		return 0, amountError(in, "write the whole amount in yuan, such as 12000, without 万 or 亿",
			"请以元为单位写出完整数字，如 12000，不要用“万”“亿”")
	}

	// Sign and currency, in either order: "-¥12", "¥-12".
	signs := 0
	cutSign := func() {
		if rest, ok := strings.CutPrefix(s, "-"); ok {
			s, signs = strings.TrimSpace(rest), signs+1
		} else if rest, ok := strings.CutPrefix(s, "+"); ok {
			s, signs = strings.TrimSpace(rest), signs+2 // a plus is never right
		}
	}
	cutSign()
	for _, cur := range []string{"¥", "人民币", "RMB", "CNY"} {
		if rest, ok := strings.CutPrefix(s, cur); ok {
			s = strings.TrimSpace(rest)
			break
		}
	}
	cutSign()
	switch {
	case signs > 1:
		return 0, amountError(in, "write at most one minus sign and no plus sign", "只能有一个负号，不能写正号")
	case signs == 1 && !signed:
		return 0, amountError(in, "must not be negative", "金额不能为负数")
	}

	// Unit: 元, 元整.
	zheng := false
	if rest, ok := strings.CutSuffix(s, "整"); ok {
		zheng, s = true, strings.TrimSpace(rest)
		if !strings.HasSuffix(s, "元") {
			return 0, amountError(in, "整 is written only after 元, as in 6800元整", "“整”只能写在“元”之后，如 6800元整")
		}
	}
	s = strings.TrimSpace(strings.TrimSuffix(s, "元"))
	if s == "" {
		return 0, amountError(in, "there is no number", "没有数字")
	}

	whole, frac, hasDot := strings.Cut(s, ".")
	switch {
	case strings.Contains(frac, "."):
		return 0, amountError(in, "more than one decimal point", "小数点多于一个")
	case strings.Contains(frac, ","):
		return 0, amountError(in, "a thousands separator after the decimal point", "小数点后不能有千分位逗号")
	case hasDot && frac == "":
		return 0, amountError(in, "no digits after the decimal point; write 6800 or 6800.00", "小数点后没有数字，请写 6800 或 6800.00")
	case hasDot && allDigits(frac) && len(frac) > 2:
		return 0, amountError(in, "at most two decimals (fen)", "金额最多两位小数（到分）")
	}
	if whole == "" && hasDot {
		whole = "0"
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		ok := len(groups[0]) >= 1 && len(groups[0]) <= 3 && groups[0][0] != '0'
		for _, g := range groups[1:] {
			ok = ok && len(g) == 3
		}
		for _, g := range groups {
			ok = ok && allDigits(g)
		}
		if !ok && allDigits(strings.ReplaceAll(whole, ",", "")) {
			return 0, amountError(in, "thousands separators out of place; group digits by three, as in 6,800 or 1,234,567.50",
				"千分位逗号位置不对，应每三位一组，如 6,800 或 1,234,567.50")
		}
		whole = strings.ReplaceAll(whole, ",", "")
	}
	for _, part := range []string{whole, frac} {
		if part == "" {
			continue
		}
		if c := firstNonDigit(part); c == " " {
			return 0, amountError(in, "a space inside the number", "数字中间有空格")
		} else if c != "" {
			return 0, amountError(in, fmt.Sprintf("contains %q; write digits, such as 6800.50", c),
				"含有无法识别的字符“"+c+"”，请只写数字，如 6800.50")
		}
	}
	if whole == "" {
		return 0, amountError(in, "there is no number", "没有数字")
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	num := whole
	if frac != "" {
		num += "." + frac
	}
	if len(whole) > 13 {
		return 0, amountError(in, "over one trillion yuan", "超过一万亿元")
	}
	v, err := domain.ParseYuan(num)
	if err != nil {
		return 0, amountError(in, "over one trillion yuan", "超过一万亿元")
	}
	if zheng && v%100 != 0 {
		return 0, amountError(in, "元整 means no jiao and fen, but the amount has some", "“元整”表示没有角、分，但金额有角、分")
	}
	if signs == 1 {
		v = -v
	}
	return v, nil
}
