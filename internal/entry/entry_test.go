package entry_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/entry"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want domain.Fen
	}{
		{"6800", 6800_00},
		{"6,800", 6800_00},
		{"6800元", 6800_00},
		{"6,800.50", 6800_50},
		{"6,800.5", 6800_50},
		{"¥6,800.5", 6800_50},
		{"￥1,234.50", 1234_50},
		{"1,234.50元", 1234_50},
		{"６，８００", 6800_00},
		{"６８００．５", 6800_50},
		{"  6800  ", 6800_00},
		{"\u30006800\u3000", 6800_00}, // ideographic spaces
		{"6800.00元整", 6800_00},
		{"6800元整", 6800_00},
		{"6800 元", 6800_00},
		{"¥ 6,800", 6800_00},
		{"人民币6800元", 6800_00},
		{"1,234,567.89", 1234567_89},
		{"0", 0},
		{"0.01", 1},
		{".5", 50},
		{"007", 700},
		{"1000000000000", domain.MaxFen},
		{"1,000,000,000,000.00", domain.MaxFen},
	}
	for _, tc := range tests {
		got, err := entry.ParseAmount(tc.in)
		if got != tc.want || err != nil {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d, nil", tc.in, got, err, tc.want)
		}
	}
}

func TestParseAmountRefuses(t *testing.T) {
	tests := []struct {
		in     string
		wantZH string // a piece of the Chinese reason
	}{
		{"", "请填写金额"},
		{"   ", "请填写金额"},
		{"1.234", "最多两位小数"},
		{"6,80", "千分位逗号位置不对"},
		{"68,00", "千分位逗号位置不对"},
		{"6800,5", "千分位逗号位置不对"},
		{"0,800", "千分位逗号位置不对"},
		{"1,234.5,6", "小数点后不能有千分位逗号"},
		{"1.2.3", "小数点多于一个"},
		{"6800.", "小数点后没有数字"},
		{"-6800", "不能为负数"},
		{"¥-5", "不能为负数"},
		{"+6800", "负号"},
		{"--5", "负号"},
		{"abc", "无法识别的字符“a”"},
		{"6800USD", "无法识别的字符“U”"},
		{"1e3", "无法识别的字符“e”"},
		{"6 800", "数字中间有空格"},
		{"¥", "没有数字"},
		{"元整", "没有数字"},
		{"6800整", "“整”只能写在“元”之后"},
		{"6800.50元整", "“元整”表示没有角、分"},
		{"陆仟捌佰元整", "请用阿拉伯数字填写金额"},
		{"六千八百", "请用阿拉伯数字填写金额"},
		{"6800元5角", "请用阿拉伯数字填写金额"},
		{"1.2万", "不要用“万”“亿”"},
		{"1000000000000.01", "超过一万亿元"},
		{"99999999999999", "超过一万亿元"},
	}
	for _, tc := range tests {
		got, err := entry.ParseAmount(tc.in)
		var e *entry.Error
		if !errors.As(err, &e) || !errors.Is(err, domain.ErrAmount) {
			t.Errorf("ParseAmount(%q) = %d, %v; want an *entry.Error wrapping domain.ErrAmount", tc.in, got, err)
			continue
		}
		if !strings.Contains(e.ReasonZH, tc.wantZH) || e.Reason == "" {
			t.Errorf("ParseAmount(%q) reason = %q / %q; want it to say %q", tc.in, e.ReasonZH, e.Reason, tc.wantZH)
		}
		if !strings.HasPrefix(err.Error(), e.ReasonZH) {
			t.Errorf("ParseAmount(%q).Error() = %q; want the Chinese reason first", tc.in, err)
		}
	}
}

func TestParseSignedAmount(t *testing.T) {
	tests := []struct {
		in   string
		want domain.Fen
	}{
		{"-6,800.00", -6800_00},
		{"¥-12", -12_00},
		{"-¥12", -12_00},
		{"－１２", -12_00},
		{"−12.5", -12_50},
		{"12", 12_00},
		{"-0", 0},
	}
	for _, tc := range tests {
		got, err := entry.ParseSignedAmount(tc.in)
		if got != tc.want || err != nil {
			t.Errorf("ParseSignedAmount(%q) = %d, %v; want %d, nil", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"--12", "+12", "-", "-1.234"} {
		if got, err := entry.ParseSignedAmount(in); err == nil {
			t.Errorf("ParseSignedAmount(%q) = %d, nil; want an error", in, got)
		}
	}
}

func TestAmountWords(t *testing.T) {
	if got, want := entry.AmountWords(6800_00), "陆仟捌佰元整"; got != want {
		t.Errorf("AmountWords(6800.00) = %q, want %q", got, want)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"6,800", "¥6,800.5", "６，８００", "6800.00元整", "1.234", "6,80", "-5", "陆仟", ".5",
		"1,000,000,000,000.00", "人民币 12 元", "\xff", "0,0", "¥-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := entry.ParseAmount(s)
		if err != nil {
			var e *entry.Error
			if !errors.As(err, &e) || !errors.Is(err, domain.ErrAmount) || e.ReasonZH == "" || e.Reason == "" {
				t.Fatalf("ParseAmount(%q) error %v is not a bilingual *entry.Error wrapping ErrAmount", s, err)
			}
		} else {
			if v < 0 || v > domain.MaxFen {
				t.Fatalf("ParseAmount(%q) = %d, out of range", s, v)
			}
			back, err := entry.ParseAmount(v.String())
			if err != nil || back != v {
				t.Fatalf("ParseAmount(%q) = %s; ParseAmount(%q) = %d, %v", s, v, v.String(), back, err)
			}
			if strict, err := domain.ParseYuan(v.String()); err != nil || strict != v {
				t.Fatalf("ParseAmount(%q) = %s; domain.ParseYuan of it = %d, %v", s, v, strict, err)
			}
		}
		sv, err := entry.ParseSignedAmount(s)
		if err == nil {
			back, err := entry.ParseSignedAmount(sv.String())
			if err != nil || back != sv {
				t.Fatalf("ParseSignedAmount(%q) = %s; ParseSignedAmount(%q) = %d, %v", s, sv, sv.String(), back, err)
			}
		}
	})
}

func date(y int, m time.Month, d int) domain.Date { return domain.Date{Year: y, Month: m, Day: d} }

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want domain.Date
	}{
		{"2026-11-12", date(2026, 11, 12)},
		{"2026/11/12", date(2026, 11, 12)},
		{"2026/1/5", date(2026, 1, 5)},
		{"2026-1-5", date(2026, 1, 5)},
		{"2026.11.12", date(2026, 11, 12)},
		{"2026年11月12日", date(2026, 11, 12)},
		{"2026年1月5日", date(2026, 1, 5)},
		{"2026年1月5号", date(2026, 1, 5)},
		{"2026 年 1 月 5 日", date(2026, 1, 5)},
		{"20261112", date(2026, 11, 12)},
		{"２０２６－１１－１２", date(2026, 11, 12)},
		{"２０２６年１１月１２日", date(2026, 11, 12)},
		{"２０２６／１／５", date(2026, 1, 5)},
		{" 2026-11-12 ", date(2026, 11, 12)},
		{"2026/11/12 0:00", date(2026, 11, 12)},
		{"2026-11-12 00:00:00", date(2026, 11, 12)},
		{"2024-02-29", date(2024, 2, 29)},
		{"1949-01-01", date(1949, 1, 1)},
	}
	for _, tc := range tests {
		got, err := entry.ParseDate(tc.in)
		if got != tc.want || err != nil {
			t.Errorf("ParseDate(%q) = %v, %v; want %v, nil", tc.in, got, err, tc.want)
		}
	}
}

func TestParseDateRefuses(t *testing.T) {
	tests := []struct {
		in, wantZH string
	}{
		{"", "请填写日期"},
		{"2026-02-30", "2026年2月只有28天，没有30日"},
		{"2025-02-29", "2025年2月只有28天，没有29日"},
		{"2026-04-31", "2026年4月只有30天，没有31日"},
		{"2026年13月1日", "月份须在 1 至 12 之间"},
		{"20260001", "月份须在 1 至 12 之间"},
		{"2026-11-00", "没有0日"},
		{"1900-01-01", "年份须在 1949 至 9999 之间"},
		{"26/11/12", "年份写四位数字"},
		{"12/11/2026", "年份在前"},
		{"2026-11/12", "请写成"},
		{"2026-11-12 08:30", "请写成"},
		{"二〇二六年十一月十二日", "请写成"},
		{"next tuesday", "请写成"},
		{"2026111", "请写成"},
	}
	for _, tc := range tests {
		got, err := entry.ParseDate(tc.in)
		var e *entry.Error
		if !errors.As(err, &e) || !errors.Is(err, domain.ErrDate) {
			t.Errorf("ParseDate(%q) = %v, %v; want an *entry.Error wrapping domain.ErrDate", tc.in, got, err)
			continue
		}
		if !strings.Contains(e.ReasonZH, tc.wantZH) || e.Reason == "" {
			t.Errorf("ParseDate(%q) reason = %q / %q; want it to say %q", tc.in, e.ReasonZH, e.Reason, tc.wantZH)
		}
	}
}

func TestExcelSerialDate(t *testing.T) {
	tests := []struct {
		serial float64
		want   domain.Date
	}{
		{46338, date(2026, 11, 12)},
		{46338.75, date(2026, 11, 12)}, // a time of day is ignored
		{46023, date(2026, 1, 1)},
		{45658, date(2025, 1, 1)},
		{47177, date(2029, 2, 28)},
		{17899, date(1949, 1, 1)},
		{2958465, date(9999, 12, 31)},
	}
	for _, tc := range tests {
		got, err := entry.ExcelSerialDate(tc.serial)
		if got != tc.want || err != nil {
			t.Errorf("ExcelSerialDate(%v) = %v, %v; want %v, nil", tc.serial, got, err, tc.want)
		}
	}
	// The serials agree with the calendar from 1 March 1900 on: day n is
	// 1899-12-30 plus n days.
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	for n := 17899; n < 2958466; n += 997 {
		d := base.AddDate(0, 0, n)
		want := date(d.Year(), d.Month(), d.Day())
		if got, err := entry.ExcelSerialDate(float64(n)); got != want || err != nil {
			t.Fatalf("ExcelSerialDate(%d) = %v, %v; want %v", n, got, err, want)
		}
	}
	for _, serial := range []float64{60, 0, -1, 1, 59, 61, 2958466, 1e300} {
		if got, err := entry.ExcelSerialDate(serial); !errors.Is(err, domain.ErrDate) {
			t.Errorf("ExcelSerialDate(%v) = %v, %v; want an error wrapping domain.ErrDate", serial, got, err)
		}
	}
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"12", 12}, {"12人", 12}, {"12 人", 12}, {"１２", 12}, {"１２人", 12}, {"0", 0}, {"13票", 13}, {"6名", 6}, {"007", 7},
	}
	for _, tc := range tests {
		got, err := entry.ParseCount(tc.in)
		if got != tc.want || err != nil {
			t.Errorf("ParseCount(%q) = %d, %v; want %d, nil", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "人", "-1", "12.5", "1,200", "十二", "12个", "abc", "99999999"} {
		if got, err := entry.ParseCount(in); !errors.Is(err, entry.ErrCount) {
			t.Errorf("ParseCount(%q) = %d, %v; want an error wrapping ErrCount", in, got, err)
		}
	}
	if got, err := entry.ParseNumber("12人"); err == nil {
		t.Errorf("ParseNumber(%q) = %d, nil; want an error", "12人", got)
	}
	if got, err := entry.ParseNumber("２０２６"); got != 2026 || err != nil {
		t.Errorf("ParseNumber(%q) = %d, %v; want 2026, nil", "２０２６", got, err)
	}
}
