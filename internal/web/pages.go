package web

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/gongkai/gongkai/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"t":     translate,
	"stage": stageName,
	"yuan":  func(f domain.Fen) string { return f.String() },
	"dict":  func(lang, title string, d *domain.Decision) votesData { return votesData{lang, title, d} },
}).ParseFS(templateFS, "templates/*.html"))

type votesData struct {
	Lang  string
	Title string
	D     *domain.Decision
}

type pageData struct {
	Lang string
	Data any
}

func pageLang(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "zh"
}

func (s *Server) render(w http.ResponseWriter, status int, name, lang string, data any) {
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, pageData{Lang: lang, Data: data}); err != nil {
		s.Log.Error("render", "template", name, "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) errorPage(w http.ResponseWriter, lang string, p Problem) {
	s.render(w, p.Status, "error.html", lang, p)
}

func stageName(lang string, st domain.Stage) string {
	if lang == "en" {
		return strings.ReplaceAll(string(st), "_", " ")
	}
	return domain.StageZH(st)
}

var messages = map[string][2]string{ // key: {zh, en}
	"board":          {"公开栏", "Public board"},
	"matters":        {"事项（四议两公开）", "Matters (four deliberations, two disclosures)"},
	"no_matters":     {"暂无事项。", "No matters yet."},
	"stage":          {"当前程序", "Stage"},
	"amount":         {"涉及金额（元）", "Amount (yuan)"},
	"review":         {"党员大会审议", "Party members' meeting"},
	"resolution":     {"代表会议表决", "Representative assembly vote"},
	"expected":       {"应到", "Expected"},
	"present":        {"实到", "Present"},
	"for":            {"赞成", "For"},
	"against":        {"反对", "Against"},
	"abstain":        {"弃权", "Abstain"},
	"passed":         {"通过", "Passed"},
	"failed":         {"未通过", "Failed"},
	"not_quorate":    {"（未达法定人数）", " (no quorum)"},
	"dates":          {"程序记录", "Record of stages"},
	"implementation": {"实施情况", "Implementation"},
	"reason":         {"原因", "Reason"},
	"revoked_by":     {"撤销决议事项", "Revoked by matter"},
	"as_of":          {"数据截至日志序号", "As of stream sequence"},
	"seqs":           {"日志序号", "Stream sequences"},
	"other_lang":     {"English", "中文"},
	"json":           {"数据（JSON）", "Data (JSON)"},
	"town":           {"所属", "Town"},
	"intro":          {"gongkai 公开账本：社区重大事项决策与财务的永久公开记录。", "gongkai: the permanent public record of a community's decisions and finances."},
	"demo":           {"示例社区：文化路社区", "Demo community: 文化路社区 (Wenhualu)"},
	"error":          {"出错了", "Error"},
	"home":           {"首页", "Home"},
}

func translate(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}
