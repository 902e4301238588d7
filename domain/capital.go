package domain

import "strings"

// capitalDigits are the capital numerals (大写数字) for 0 to 9.
var capitalDigits = [10]string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}

// Capital returns the amount in Chinese capital numerals (大写) as written on vouchers and receipts, such as 壹万肆仟元整 for 14000.00.
//
// It follows the usual convention of Chinese accounting (会计基础工作规范
// §52, 支付结算办法):
//
//   - The yuan part is written in sections of four digits with the units
//     拾佰仟 and the section names 万 and 亿. Above 亿 the number of 亿 is
//     itself written the same way, so one trillion yuan (MaxFen) is 壹万亿元整
//     and 1,000,100,000,000 yuan is 壹万零壹亿元整.
//   - A ten is always written with its digit, 壹拾元整 and 壹拾万元整, never
//     拾元整: the 壹拾 form is the one required on vouchers and cheques, so
//     that nothing can be written in front of it.
//   - A run of zeros inside the yuan part is written as one 零; zeros at the
//     end of a section, before 万 or 亿, are not written: 壹拾万零壹佰元整 for
//     100100, 壹仟万壹仟元整 for 10001000. When only the 万 digit or the 元
//     digit is zero the rules allow the 零 to be left out, and it is:
//     107000.53 is 壹拾万柒仟元伍角叁分, not 壹拾万零柒仟元零伍角叁分.
//   - 角 and 分 follow 元. When there is a yuan part and 角 is zero but 分 is
//     not, 零 is written after 元: 肆佰伍拾捌元零伍分. Without a yuan part 元
//     is left out: 伍分, 伍角陆分.
//   - 整 ends an amount with no 分, after 元 or after 角: 壹拾贰元整,
//     壹拾贰元叁角整. Zero is 零元整.
//   - A negative amount (a red-ink reversal, 红字) starts with 负.
//
// The currency name 人民币 is not included; add it where the form does not
// print it. Capital is defined for every Fen, including amounts beyond MaxFen,
// which no input accepts.
func (f Fen) Capital() string {
	var b strings.Builder
	n := uint64(f)
	if f < 0 {
		b.WriteString("负")
		n = -n // also right for the most negative Fen, whose negation overflows int64
	}
	yuan, jiao, fen := n/100, n/10%10, n%10
	if yuan > 0 {
		writeCapitalYuan(&b, yuan)
		b.WriteString("元")
	}
	switch {
	case jiao == 0 && fen == 0:
		if yuan == 0 {
			b.WriteString("零元")
		}
		b.WriteString("整")
	case jiao == 0:
		if yuan > 0 {
			b.WriteString("零")
		}
		b.WriteString(capitalDigits[fen] + "分")
	default:
		b.WriteString(capitalDigits[jiao] + "角")
		if fen == 0 {
			b.WriteString("整")
		} else {
			b.WriteString(capitalDigits[fen] + "分")
		}
	}
	return b.String()
}

// writeCapitalYuan writes n > 0 yuan without the 元. The number of 亿 is
// written by the same rules, so 10¹² is 壹万亿 and 10¹⁶ is 壹亿亿.
func writeCapitalYuan(b *strings.Builder, n uint64) {
	if n >= 1e8 {
		high, low := n/1e8, n%1e8
		writeCapitalYuan(b, high)
		b.WriteString("亿")
		if low == 0 {
			return
		}
		if low < 1e7 { // the rest starts with zeros: 壹亿零壹万
			b.WriteString("零")
		}
		n = low
	}
	if n >= 1e4 {
		high, low := n/1e4, n%1e4
		writeCapitalSection(b, high)
		b.WriteString("万")
		if low == 0 {
			return
		}
		if low < 1e3 { // 壹万零壹佰
			b.WriteString("零")
		}
		n = low
	}
	writeCapitalSection(b, n)
}

// writeCapitalSection writes 0 < n < 10000 with the units 仟佰拾. Zeros before
// the first digit and after the last are not written; a run of zeros between
// digits is written as one 零.
func writeCapitalSection(b *strings.Builder, n uint64) {
	units := [4]string{"仟", "佰", "拾", ""}
	started, zero := false, false
	for i, place := 0, uint64(1000); place > 0; i, place = i+1, place/10 {
		d := n / place % 10
		if d == 0 {
			zero = zero || started
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(capitalDigits[d] + units[i])
		started = true
	}
}
