package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"

	"github.com/gongkai/gongkai/domain"
)

// barSeries is one colour of bars in a chart.
type barSeries struct {
	Name   string
	Class  string // CSS class: fill colour, patterned for print
	Values []domain.Fen
}

// barChart draws grouped vertical bars as inline SVG, on the server, with
// every label escaped. It needs no script and prints in black and white
// (the second series is hatched).
func barChart(title string, labels []string, series []barSeries) template.HTML {
	const w, h, top, bottom, left = 640, 240, 24, 40, 8
	var maxV domain.Fen = 1
	for _, s := range series {
		for _, v := range s.Values {
			maxV = max(maxV, v)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, w, h, html.EscapeString(title))
	b.WriteString(`<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#333" stroke-width="3"/></pattern></defs>`)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	plotH := h - top - bottom
	n := max(len(labels), 1)
	group := float64(w-left*2) / float64(n)
	barW := group * 0.8 / float64(max(len(series), 1))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`, left, h-bottom, w-left, h-bottom)
	for i, label := range labels {
		x0 := float64(left) + group*float64(i) + group*0.1
		for j, s := range series {
			if i >= len(s.Values) || s.Values[i] <= 0 {
				continue
			}
			bh := float64(plotH) * float64(s.Values[i]) / float64(maxV)
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s %s: %s</title></rect>`,
				html.EscapeString(s.Class), x0+barW*float64(j), float64(h-bottom)-bh, barW, bh,
				html.EscapeString(label), html.EscapeString(s.Name), s.Values[i])
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="16" text-anchor="middle">%s</text>`, x0+group*0.4, h-bottom+16, html.EscapeString(label))
	}
	for j, s := range series {
		x := left + j*200
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="2" width="16" height="16"/><text x="%d" y="16" font-size="16">%s</text>`,
			html.EscapeString(s.Class), x, x+16, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every piece of text above is escaped
}
