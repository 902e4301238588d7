package workbench

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// receipt is what a receipt page shows, as its address carries it:
//
//	/c/{community}/desk/receipt?f=<form>&a=<aggregate id>&s=<stream sequences>&at=<unix time>[&r=1][&ref=<ref>]&sig=<signature>
//
// s lists sequences and ranges ("140,141-143"); r is set when the request
// had been recorded before (an idempotent replay); ref names what was
// recorded within the aggregate (a voucher id, a corrected stage, the
// number of commands of an import). sig is an HMAC-SHA256 of the rest,
// keyed with the session's CSRF token, so that a receipt shows only in the
// session that recorded it and cannot be made up.
type receipt struct {
	Form      string
	Community string
	Aggregate string
	Seqs      []uint64
	At        int64
	Replayed  bool
	Ref       string
}

func (rc receipt) canonical(actor string) string {
	return strings.Join([]string{"gongkai-receipt-v1", rc.Community, rc.Form, rc.Aggregate, seqsText(rc.Seqs),
		strconv.FormatInt(rc.At, 10), strconv.FormatBool(rc.Replayed), rc.Ref, actor}, "\n")
}

func (rc receipt) sign(s *session) string {
	m := hmac.New(sha256.New, []byte(s.csrf))
	m.Write([]byte(rc.canonical(s.actor.ID)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// url returns the receipt's address for the session.
func (rc receipt) url(s *session) string {
	q := url.Values{}
	q.Set("f", rc.Form)
	q.Set("a", rc.Aggregate)
	q.Set("s", seqsText(rc.Seqs))
	q.Set("at", strconv.FormatInt(rc.At, 10))
	if rc.Replayed {
		q.Set("r", "1")
	}
	if rc.Ref != "" {
		q.Set("ref", rc.Ref)
	}
	q.Set("sig", rc.sign(s))
	if s.lang == "en" {
		q.Set("lang", "en")
	}
	return "/c/" + rc.Community + "/desk/receipt?" + q.Encode()
}

// seqsText writes sequences as a list of numbers and ranges: 140,141-143.
func seqsText(seqs []uint64) string {
	var parts []string
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", seqs[i], seqs[j]))
		} else {
			parts = append(parts, strconv.FormatUint(seqs[i], 10))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// parseSeqs reads what seqsText writes; at most max sequences.
func parseSeqs(s string, limit int) ([]uint64, bool) {
	var out []uint64
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		lo, err := strconv.ParseUint(a, 10, 64)
		if err != nil || lo == 0 {
			return nil, false
		}
		hi := lo
		if isRange {
			if hi, err = strconv.ParseUint(b, 10, 64); err != nil || hi < lo || hi-lo >= uint64(limit) {
				return nil, false
			}
		}
		for x := lo; x <= hi; x++ {
			out = append(out, x)
			if len(out) > limit {
				return nil, false
			}
		}
	}
	return out, len(out) > 0
}

type (
	receiptView struct {
		Heading  string
		Replayed string
		What     []shownRow
		By       string
		At       string
		Seqs     []seqView
		More     string
		Links    []linkView
	}
	seqView struct {
		Seq   uint64
		Proof string
	}
)

func (w *Workbench) handleReceipt(rw http.ResponseWriter, r *http.Request, s *session) {
	d, ok := w.desk(rw, r, s)
	if !ok {
		return
	}
	l := s.lang
	q := r.URL.Query()
	rc := receipt{Form: q.Get("f"), Community: d.id, Aggregate: q.Get("a"), Replayed: q.Get("r") == "1", Ref: q.Get("ref")}
	var okSeqs bool
	rc.Seqs, okSeqs = parseSeqs(q.Get("s"), 20000)
	at, err := strconv.ParseInt(q.Get("at"), 10, 64)
	rc.At = at
	if !okSeqs || err != nil || !hmac.Equal([]byte(rc.sign(s)), []byte(q.Get("sig"))) {
		w.errorPage(rw, r, s, http.StatusBadRequest, txt{"此回执链接无效，或不属于当前登录会话。记录是否成功，请在工作台或公开栏查看。",
			"This receipt's address is not valid, or belongs to another session. See the workbench or the public board for what was recorded."},
			linkView{Href: link(l, "/c/"+d.id+"/desk"), Label: txt{"返回工作台", "Back to the workbench"}.in(l)})
		return
	}
	rv := receiptView{Heading: txt{"已记录", "Recorded"}.in(l), By: s.actor.Name + "（" + s.actor.ID + "）", At: timeText(l, time.Unix(at, 0))}
	if rc.Replayed {
		rv.Replayed = txt{"此内容此前已经记录，本次提交没有重复记录。以下是原记录。", "This had been recorded before; this submission recorded nothing again. This is the original record."}.in(l)
	}
	if rc.Form == "import" {
		rv.Heading = txt{"已导入", "Imported"}.in(l)
		if rc.Replayed {
			rv.Replayed = txt{"此文件已导入，未重复记录。", "This file was imported before; nothing was recorded again."}.in(l)
		}
	}
	rv.What = w.receiptWhat(s, d, rc)
	seqs := rc.Seqs
	if len(seqs) > 12 {
		rv.More = fmt.Sprintf(txt{"共 %d 条记录，日志序号 %s", "%d records, stream sequences %s"}.in(l), len(seqs), seqsText(seqs))
		seqs = []uint64{seqs[0], seqs[len(seqs)-1]}
	}
	for _, sq := range seqs {
		rv.Seqs = append(rv.Seqs, seqView{Seq: sq, Proof: w.d.ProofURL(r.Context(), sq)})
	}
	rv.Links = w.receiptLinks(s, d, rc)
	crumbs := []linkView{{Href: link(l, "/desk"), Label: txt{"我的工作台", "My desks"}.in(l)}, {Href: link(l, "/c/"+d.id+"/desk"), Label: d.name()}}
	w.render(rw, r, s, http.StatusOK, "receipt.html", rv.Heading, crumbs, rv)
}

// receiptWhat re-derives what was recorded from the current state.
func (w *Workbench) receiptWhat(s *session, d *desk, rc receipt) []shownRow {
	l := s.lang
	var out []shownRow
	title := rc.Form
	def := w.forms[rc.Form]
	if def != nil {
		title = def.title.in(l)
	} else if rc.Form == "import" {
		title = txt{"表格导入", "Spreadsheet import"}.in(l)
	}
	out = append(out, shownRow{Label: txt{"记录事项", "What"}.in(l), Value: title})
	if def == nil {
		if rc.Form == "import" {
			out = append(out, shownRow{Label: txt{"导入类型", "Kind"}.in(l), Value: rc.Aggregate})
			if rc.Ref != "" {
				out = append(out, shownRow{Label: txt{"指令条数", "Commands"}.in(l), Value: rc.Ref})
			}
		}
		return out
	}
	fc := &formCtx{w: w, s: s, desk: d, def: def, now: w.d.Now()}
	st, _ := w.d.Commands.State(d.id, def.aggType, rc.Aggregate)
	switch x := st.(type) {
	case *domain.Matter:
		out = append(out, shownRow{Label: txt{"事项", "Matter"}.in(l), Value: x.ID + " " + x.Title},
			shownRow{Label: txt{"当前程序", "Stage now"}.in(l), Value: stageText(l, x.Stage)})
		switch def.typ {
		case domain.CmdReviewMatter:
			if x.Review != nil {
				out = append(out, shownRow{Label: txt{"审议结果", "Outcome"}.in(l), Value: votesText(l, x.Review.Votes) + "；" + decisionText(l, *x.Review)})
			}
		case domain.CmdResolveMatter:
			if x.Resolution != nil {
				out = append(out, shownRow{Label: txt{"表决结果", "Outcome"}.in(l), Value: votesText(l, x.Resolution.Votes) + "；" + decisionText(l, *x.Resolution)})
			}
		case domain.CmdCorrectMatter:
			if n := len(x.Corrections); n > 0 {
				c := x.Corrections[n-1]
				out = append(out, shownRow{Label: txt{"原记录", "As recorded"}.in(l), Value: contentText(l, c.Original)},
					shownRow{Label: txt{"更正为", "Corrected to"}.in(l), Value: contentText(l, c.Corrected)},
					shownRow{Label: txt{"更正原因", "Reason"}.in(l), Value: c.Reason})
			}
		}
	case *domain.Budget:
		out = append(out, shownRow{Label: txt{"年度", "Year"}.in(l), Value: strconv.Itoa(x.Year)})
		if def.typ == domain.CmdRecordFunds && len(x.Received) > 0 {
			f := x.Received[len(x.Received)-1]
			out = append(out, shownRow{Label: txt{"最近到账", "Latest funds"}.in(l), Value: f.Document + " · " + yuanText(l, f.Amount), Words: f.Amount.Capital()})
		} else {
			out = append(out, budgetTotal(l, x.Lines))
		}
	case *domain.Books:
		if v := x.Vouchers[rc.Ref]; v != nil {
			out = append(out, shownRow{Label: txt{"凭证", "Voucher"}.in(l), Value: v.ID + " " + v.Summary},
				shownRow{Label: txt{"凭证日期", "Date"}.in(l), Value: dateText(l, v.Date)})
			out = append(out, fc.lineRows(v.Date.Year, v.Lines)...)
		}
		if def.typ == domain.CmdCloseMonth || def.typ == domain.CmdCloseYear {
			var ms []string
			for m := range x.ClosedMonths {
				ms = append(ms, m)
			}
			sort.Strings(ms)
			if len(ms) > 0 {
				out = append(out, shownRow{Label: txt{"已结账至", "Closed up to"}.in(l), Value: monthText(l, ms[len(ms)-1])})
			}
		}
	case *domain.Community:
		out = append(out, shownRow{Label: txt{"社区/村", "Community"}.in(l), Value: x.Name + "（" + d.id + "）"})
	case *domain.Disclosure:
		out = append(out, shownRow{Label: txt{"公开事项", "Item"}.in(l), Value: x.Item + " " + itemTitle(d.comm, fc.today(), x.Item)})
		if v := x.Latest(); v != nil {
			out = append(out, shownRow{Label: txt{"版本", "Version"}.in(l), Value: fmt.Sprintf(txt{"第%d版：%s", "version %d: %s"}.in(l), v.Version, statusText(l, v.Status))})
			out = append(out, versionRows(l, *v)...)
			for _, t := range v.Content.Totals {
				out = append(out, shownRow{Label: t.Label, Value: yuanText(l, t.Amount), Words: t.Amount.Capital()})
			}
		}
	}
	return out
}

// receiptLinks are where the clerk may go next.
func (w *Workbench) receiptLinks(s *session, d *desk, rc receipt) []linkView {
	l := s.lang
	var out []linkView
	if def := w.forms[rc.Form]; def != nil && def.aggType == domain.AggregateMatter {
		st, _ := w.d.Commands.State(d.id, domain.AggregateMatter, rc.Aggregate)
		if m, _ := st.(*domain.Matter); m != nil {
			row := projections.MatterRow{ID: m.ID, Stage: m.Stage, Review: m.Review, Resolution: m.Resolution}
			for _, sp := range nextSteps(row) {
				if lv, ok := w.formLink(s, d, sp.form, sp.query, sp.label); ok {
					out = append(out, lv)
				}
			}
		}
	}
	if def := w.forms[rc.Form]; def != nil && def.aggType == domain.AggregateDisclosure {
		out = append(out, linkView{Href: link(l, "/c/"+d.id+"/desk#d-"+rc.Aggregate), Label: txt{"查看公开事项", "See the disclosures"}.in(l)})
	}
	if rc.Form == "books-voucher" {
		out = append(out, w.links(s, d, linkSpec{form: "books-voucher", label: txt{"再记一张凭证", "Post another voucher"}})...)
	}
	return append(out,
		linkView{Href: link(l, "/c/"+d.id+"/desk"), Label: txt{"返回工作台", "Back to the workbench"}.in(l)},
		linkView{Href: link(l, "/c/"+d.id), Label: txt{"查看公开栏", "See the public board"}.in(l)})
}
