package domain_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

// capitalTests are amounts in fen written as yuan_fen, so 14000_00 is
// 14000.00 yuan; amounts below one yuan are plain fen (56 is 0.56 yuan), as a
// leading 0 would make the literal octal.
var capitalTests = []struct {
	fen  domain.Fen
	want string
}{
	{14000_00, "壹万肆仟元整"},
	{458_05, "肆佰伍拾捌元零伍分"},
	{0, "零元整"},
	{1, "壹分"},
	{10, "壹角整"},
	{1_00, "壹元整"},
	{10_00, "壹拾元整"},
	{15_00, "壹拾伍元整"},
	{100_00, "壹佰元整"},
	{101_00, "壹佰零壹元整"},
	{110_00, "壹佰壹拾元整"},
	{1010_00, "壹仟零壹拾元整"},
	{1001_00, "壹仟零壹元整"},
	{10000_00, "壹万元整"},
	{10001_00, "壹万零壹元整"},
	{10010_00, "壹万零壹拾元整"},
	{100100_00, "壹拾万零壹佰元整"},
	{23500_00, "贰万叁仟伍佰元整"},
	{1000001_00, "壹佰万零壹元整"},
	{10000000_00, "壹仟万元整"},
	{100000000_00, "壹亿元整"},
	{100010000_00, "壹亿零壹万元整"},
	{1234567890_12, "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"},
	{1000000000000_00, "壹万亿元整"},
	{-458_05, "负肆佰伍拾捌元零伍分"},
	{56, "伍角陆分"},
	{12_30, "壹拾贰元叁角整"},
	{12_03, "壹拾贰元零叁分"},

	// Further cases of the rules in the doc comment.
	{5, "伍分"},
	{50, "伍角整"},
	{10_05, "壹拾元零伍分"},
	{10_30, "壹拾元叁角整"}, // the optional 零 after a zero 元 digit is left out
	{1680_32, "壹仟陆佰捌拾元叁角贰分"},
	{100000_00, "壹拾万元整"},
	{107000_53, "壹拾万柒仟元伍角叁分"}, // the optional 零 after a zero 万 digit is left out
	{10001000_00, "壹仟万壹仟元整"},
	{10100000_00, "壹仟零壹拾万元整"},
	{100001000_00, "壹亿零壹仟元整"},
	{110000001_00, "壹亿壹仟万零壹元整"},
	{1000000000_05, "壹拾亿元零伍分"},
	{1000100000000_00, "壹万零壹亿元整"},
	{999999999999_99, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"},
	{-domain.MaxFen, "负壹万亿元整"},
	{-1, "负壹分"},
	{-50, "负伍角整"},
	// Beyond MaxFen: no input reaches these, but Capital is defined for every Fen.
	{10000000000000000_00, "壹亿亿元整"},
	{math.MaxInt64, "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零柒分"},
	{math.MinInt64, "负玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零捌分"},
}

func TestCapital(t *testing.T) {
	for _, tc := range capitalTests {
		if got := tc.fen.Capital(); got != tc.want {
			t.Errorf("Fen(%d).Capital() = %q, want %q", tc.fen, got, tc.want)
		}
	}
}

// TestCapitalRoundTrip checks the properties of checkCapital for every amount
// up to 2000 yuan, for every amount up to MaxFen with at most two non-zero
// digits or three digits from {1, 5, 9}, and for random amounts, each also
// negated.
func TestCapitalRoundTrip(t *testing.T) {
	var amounts []domain.Fen
	for f := domain.Fen(0); f <= 2000_00; f++ {
		amounts = append(amounts, f)
	}
	// Amounts with one, two or three non-zero digits in any of the 15 places
	// of MaxFen; three only with digits 1, 5 and 9.
	var pow [15]domain.Fen
	pow[0] = 1
	for i := 1; i < len(pow); i++ {
		pow[i] = pow[i-1] * 10
	}
	for i := range pow {
		for d := domain.Fen(1); d <= 9; d++ {
			amounts = append(amounts, d*pow[i])
			for j := range i {
				for e := domain.Fen(1); e <= 9; e++ {
					amounts = append(amounts, d*pow[i]+e*pow[j])
				}
			}
		}
		for j := range i {
			for k := range j {
				for _, d := range []domain.Fen{1, 5, 9} {
					for _, e := range []domain.Fen{1, 5, 9} {
						for _, g := range []domain.Fen{1, 5, 9} {
							amounts = append(amounts, d*pow[i]+e*pow[j]+g*pow[k])
						}
					}
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		amounts = append(amounts, domain.Fen(r.Int64N(int64(domain.MaxFen)+1)))
	}
	amounts = append(amounts, domain.MaxFen-1, domain.MaxFen)

	checked := 0
	for _, f := range amounts {
		if f > domain.MaxFen {
			continue // a digit other than a lone 1 in the highest place
		}
		checkCapital(t, f)
		checkCapital(t, -f)
		checked++
	}
	if checked < 200_000 {
		t.Fatalf("checked only %d amounts", checked)
	}
}

// FuzzCapital checks the properties of checkCapital for any Fen, and for the
// same input folded into [-MaxFen, MaxFen], the amounts that input accepts.
func FuzzCapital(f *testing.F) {
	for _, tc := range capitalTests {
		f.Add(int64(tc.fen))
	}
	f.Fuzz(func(t *testing.T, x int64) {
		checkCapital(t, domain.Fen(x))
		checkCapital(t, domain.Fen(x%(int64(domain.MaxFen)+1)))
	})
}

// capitalAlphabet holds every character Capital may write.
const capitalAlphabet = "负零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整"

// checkCapital checks that f.Capital() uses only capitalAlphabet and that
// parseCapital reads it back as f.
func checkCapital(t *testing.T, f domain.Fen) {
	t.Helper()
	s := f.Capital()
	for _, r := range s {
		if !strings.ContainsRune(capitalAlphabet, r) {
			t.Fatalf("Fen(%d).Capital() = %q contains %q", f, s, r)
		}
	}
	got, err := parseCapital(s)
	if err != nil {
		t.Fatalf("Fen(%d).Capital() = %q: %v", f, s, err)
	}
	if got != f {
		t.Fatalf("Fen(%d).Capital() = %q, which reads as %d", f, s, got)
	}
}

func TestParseCapital(t *testing.T) {
	for _, tc := range capitalTests {
		got, err := parseCapital(tc.want)
		if got != tc.fen || err != nil {
			t.Errorf("parseCapital(%q) = %d, %v; want %d, nil", tc.want, got, err, tc.fen)
		}
	}
}

// TestParseCapitalRejects shows that the reference parser is strict enough for
// the round trip to catch a misplaced 零, a bare 拾 or a missing 整.
func TestParseCapitalRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"整",
		"元整",
		"负零元整",
		"零元",
		"零分",
		"零角整",
		"拾元整",        // 壹拾 is required
		"壹拾万拾元整",     // likewise inside the number
		"壹元",         // missing 整
		"壹角",         // missing 整
		"壹元壹分整",      // 整 after 分
		"壹元零角伍分",     // 零角
		"壹元伍分",       // missing 零
		"零伍分",        // 零 without a yuan part
		"零壹元整",       // leading 零
		"壹拾零元整",      // trailing 零
		"壹佰零零壹元整",    // two 零
		"壹佰壹元整",      // missing 零
		"壹佰零壹拾元整",    // 零 where no zero is
		"壹万壹元整",      // missing 零 at the start of a section
		"壹万零壹仟元整",    // 零 where no zero is
		"壹仟万零壹仟元整",   // zeros at the end of a section are not written
		"壹亿壹万元整",     // missing 零
		"壹亿零壹仟万元整",   // 零 where no zero is
		"壹万亿零壹仟万元整",  // 零 where no zero is
		"壹佰壹仟元整",     // units out of order
		"壹壹元整",       // digit without a unit
		"壹万壹万元整",     // two 万 in one 亿 section
		"壹元元整",       // two 元
		"负负壹元整",      // two 负
		"壹亿亿亿亿亿元整",   // beyond int64
		"壹拾亿亿元整",     // beyond int64
		"壹拾贰元叁角整 ",   // trailing space
		"壹拾贰圆叁角整",    // 圆 is not written
		"人民币壹拾贰元整",   // the currency name is not part of the numeral
		"壹拾贰元叁角贰分贰厘", // 厘
		"壹拾贰元叁角零分",   // 零分
		"壹拾贰元叁角贰分零",  // trailing 零
		"壹拾贰元零叁角整",   // 零 before a non-zero 角 is left out
		"负玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌元零玖分", // below MinInt64
	} {
		if got, err := parseCapital(in); err == nil {
			t.Errorf("parseCapital(%q) = %d, nil; want an error", in, got)
		}
	}
}

var errCapital = errors.New("malformed capital amount")

// parseCapital is a reference parser for what Capital writes. It accepts
// exactly one spelling per amount, so a round trip through it checks where 零,
// 壹拾 and 整 are written as well as the value.
func parseCapital(s string) (domain.Fen, error) {
	if s == "零元整" {
		return 0, nil
	}
	rest, neg := strings.CutPrefix(s, "负")
	whole, small, hasYuan := strings.Cut(rest, "元")
	if !hasYuan {
		whole, small = "", rest
	}
	var yuan uint64
	if hasYuan {
		var err error
		if yuan, err = parseCapitalYuan(whole); err != nil {
			return 0, err
		}
	}
	fen, err := parseCapitalSmall(small, hasYuan)
	if err != nil {
		return 0, err
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	if yuan > (limit-fen)/100 {
		return 0, fmt.Errorf("%w: %q overflows int64", errCapital, s)
	}
	n := yuan*100 + fen
	if n == 0 {
		return 0, fmt.Errorf("%w: %q: zero is written 零元整", errCapital, s)
	}
	if neg {
		return domain.Fen(-n), nil
	}
	return domain.Fen(n), nil
}

// parseCapitalSmall parses what follows 元, or the whole amount when there is
// no 元: 整, 叁角整, 叁角贰分, 零贰分 after 元, or 贰分 without it.
func parseCapitalSmall(s string, hasYuan bool) (uint64, error) {
	r := []rune(s)
	digit := func(i int) uint64 { return capitalDigit(r[i]) }
	switch {
	case hasYuan && s == "整":
		return 0, nil
	case len(r) == 3 && digit(0) > 0 && r[1] == '角' && r[2] == '整':
		return digit(0) * 10, nil
	case len(r) == 4 && digit(0) > 0 && r[1] == '角' && digit(2) > 0 && r[3] == '分':
		return digit(0)*10 + digit(2), nil
	case hasYuan && len(r) == 3 && r[0] == '零' && digit(1) > 0 && r[2] == '分':
		return digit(1), nil
	case !hasYuan && len(r) == 2 && digit(0) > 0 && r[1] == '分':
		return digit(0), nil
	}
	return 0, fmt.Errorf("%w: %q after 元", errCapital, s)
}

// parseCapitalYuan parses a positive number of yuan. The number of 亿 is
// itself a number, so it splits at the last 亿.
func parseCapitalYuan(s string) (uint64, error) {
	i := strings.LastIndex(s, "亿")
	if i < 0 {
		return parseCapitalBelow(s, 1e8)
	}
	high, err := parseCapitalYuan(s[:i])
	if err != nil {
		return 0, err
	}
	low, err := parseCapitalTail(s[i+len("亿"):], 1e8)
	if err != nil {
		return 0, err
	}
	if high > math.MaxUint64/100_000_000 {
		return 0, fmt.Errorf("%w: %q overflows", errCapital, s)
	}
	return high*1e8 + low, nil
}

// parseCapitalTail parses what follows 亿 (limit 1e8) or 万 (limit 1e4):
// nothing for zero, otherwise a number below limit that starts with 零 exactly
// when its highest place, limit/10, is zero.
func parseCapitalTail(s string, limit uint64) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	body, zero := strings.CutPrefix(s, "零")
	n, err := parseCapitalBelow(body, limit)
	if err != nil {
		return 0, err
	}
	if zero != (n < limit/10) {
		return 0, fmt.Errorf("%w: 零 before %q", errCapital, body)
	}
	return n, nil
}

// parseCapitalBelow parses a number 0 < n < limit, limit 1e4 or 1e8, that
// does not start with 零.
func parseCapitalBelow(s string, limit uint64) (uint64, error) {
	if limit == 1e8 {
		if high, low, ok := strings.Cut(s, "万"); ok {
			h, err := parseCapitalSection(high)
			if err != nil {
				return 0, err
			}
			l, err := parseCapitalTail(low, 1e4)
			if err != nil {
				return 0, err
			}
			return h*1e4 + l, nil
		}
	}
	return parseCapitalSection(s)
}

// parseCapitalSection parses 0 < n < 10000 written with 仟佰拾: every digit
// but a last one in the ones place has a unit, the units descend, and one 零
// stands for each gap between written places and nowhere else.
func parseCapitalSection(s string) (uint64, error) {
	units := map[rune]uint64{'仟': 1000, '佰': 100, '拾': 10}
	r := []rune(s)
	var n uint64
	prev := uint64(0) // place of the previous digit, 0 before the first
	zero := false
	for i := 0; i < len(r); i++ {
		if r[i] == '零' {
			if prev == 0 || zero {
				return 0, fmt.Errorf("%w: 零 in %q", errCapital, s)
			}
			zero = true
			continue
		}
		d := capitalDigit(r[i])
		if d == 0 {
			return 0, fmt.Errorf("%w: %q in %q", errCapital, r[i], s)
		}
		place := uint64(1)
		if i+1 < len(r) && units[r[i+1]] > 0 {
			i++
			place = units[r[i]]
		}
		if prev != 0 && (place >= prev || zero != (place < prev/10)) {
			return 0, fmt.Errorf("%w: places out of order or 零 misplaced in %q", errCapital, s)
		}
		n += d * place
		prev, zero = place, false
	}
	if n == 0 || zero {
		return 0, fmt.Errorf("%w: section %q", errCapital, s)
	}
	return n, nil
}

// capitalDigit returns the value of a capital numeral 壹 to 玖, or 0 for any
// other rune, 零 included.
func capitalDigit(r rune) uint64 {
	for d, c := range []rune("零壹贰叁肆伍陆柒捌玖") {
		if c == r {
			return uint64(d)
		}
	}
	return 0
}
