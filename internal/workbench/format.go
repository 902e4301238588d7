package workbench

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// grouped writes an amount with thousands separators: "6,800.00",
// "-1,234.50".
func grouped(f domain.Fen) string {
	s := f.String()
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	whole, frac := s[:len(s)-3], s[len(s)-3:]
	var out []byte
	for i := range len(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, whole[i])
	}
	return sign + string(out) + frac
}

// yuanText shows an amount in figures: "6,800.00 元".
func yuanText(lang string, f domain.Fen) string {
	if lang == "en" {
		return grouped(f) + " yuan"
	}
	return grouped(f) + " 元"
}

// dateText shows a date: "2026年11月12日" (English: "2026-11-12").
func dateText(lang string, d domain.Date) string {
	if d.IsZero() {
		return ""
	}
	if lang == "en" {
		return d.String()
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
}

// timeText shows a time in Beijing time: "2026年11月30日 23:56".
func timeText(lang string, t time.Time) string {
	t = t.In(domain.Shanghai)
	if lang == "en" {
		return t.Format("2006-01-02 15:04") + " (Beijing time)"
	}
	return fmt.Sprintf("%d年%d月%d日 %02d:%02d", t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

// countText shows a head count: "12人".
func countText(lang string, n int) string {
	if lang == "en" {
		return strconv.Itoa(n)
	}
	return strconv.Itoa(n) + "人"
}

// monthText shows a month "2026-11" as 2026年11月.
func monthText(lang, m string) string {
	if lang == "en" || len(m) != 7 {
		return m
	}
	mm, _ := strconv.Atoi(m[5:])
	return m[:4] + "年" + strconv.Itoa(mm) + "月"
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
