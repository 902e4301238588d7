package workbench

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// desk is the community a workbench page is for; id is "" on the pages
// outside any community.
type desk struct {
	id   string
	comm *domain.Community
	town string
}

func (d *desk) name() string {
	if d.comm != nil && d.comm.Name != "" {
		return d.comm.Name
	}
	return d.id
}

// desk returns the community of the request's path, after checking that it
// is registered and that the actor may record something in it; otherwise
// it answers 404 or 403 and returns false.
func (w *Workbench) desk(rw http.ResponseWriter, r *http.Request, s *session) (*desk, bool) {
	id := r.PathValue("community")
	if !domain.ValidCommunityID(id) {
		w.errorPage(rw, r, s, http.StatusNotFound, txt{"社区编号无效。", "Invalid community id."})
		return nil, false
	}
	st, _ := w.d.Commands.State(id, domain.AggregateCommunity, id)
	c, _ := st.(*domain.Community)
	if c == nil {
		var links []linkView
		if s.actor.IsAdministrator() {
			links = append(links, linkView{Href: link(s.lang, "/desk/new-community"), Label: txt{"登记社区/村", "Register a community"}.in(s.lang)})
		}
		w.errorPage(rw, r, s, http.StatusNotFound, txt{"社区 " + id + " 尚未登记。", "Community " + id + " is not registered."}, links...)
		return nil, false
	}
	d := &desk{id: id, comm: c, town: c.Town}
	if !w.mayRecordAny(s.actor, d) {
		w.errorPage(rw, r, s, http.StatusForbidden, txt{"您在" + d.name() + "没有记录权限。如需记录，请联系管理员授予文书或会计角色。",
			"You have no role to record anything in " + d.name() + ". Ask the administrator for the clerk's or the accountant's role."},
			linkView{Href: link(s.lang, "/c/"+id), Label: txt{"查看公开栏", "See the public board"}.in(s.lang)})
		return nil, false
	}
	return d, true
}

// mayRecordAny reports whether the actor may record any command in the
// community.
func (w *Workbench) mayRecordAny(a domain.Actor, d *desk) bool {
	for _, f := range w.forms {
		if f.typ != domain.CmdRegisterCommunity && w.mayUse(a, d, f) {
			return true
		}
	}
	return false
}

// Views of the desk pages.
type (
	sectionView struct {
		Title string
		// Note is a line below the title.
		Note    string
		Actions []linkView
		Items   []itemView
		Empty   string
	}
	itemView struct {
		Title, Meta, Badge, ID string
		// Alert is said in red (逾期N天未公开); Lines are more lines of
		// Meta (a disclosure's versions).
		Alert string
		Lines []string
		Links []linkView
	}
	homeView struct {
		Intro    string
		Sections []sectionView
	}
)

func (w *Workbench) handleDesks(rw http.ResponseWriter, r *http.Request, s *session) {
	l := s.lang
	sec := sectionView{Title: txt{"我可以记录的社区/村", "Communities I may record for"}.in(l),
		Empty: txt{"您还没有任何社区的记录权限。请联系管理员。", "You may not record for any community yet. Ask the administrator."}.in(l)}
	if s.actor.IsAdministrator() {
		sec.Actions = append(sec.Actions, linkView{Href: link(l, "/desk/new-community"), Label: txt{"登记新的社区/村", "Register a community"}.in(l)})
	}
	ids := w.d.Communities(r.Context())
	sort.Strings(ids)
	for _, id := range ids {
		st, _ := w.d.Commands.State(id, domain.AggregateCommunity, id)
		c, _ := st.(*domain.Community)
		if c == nil {
			continue
		}
		d := &desk{id: id, comm: c, town: c.Town}
		if !w.mayRecordAny(s.actor, d) {
			continue
		}
		sec.Items = append(sec.Items, itemView{Title: c.Name, Meta: c.County + " " + c.Town + " · " + id,
			Links: []linkView{{Href: link(l, "/c/"+id+"/desk"), Label: txt{"进入工作台", "Open the workbench"}.in(l)},
				{Href: link(l, "/c/"+id), Label: txt{"公开栏", "Public board"}.in(l)}}})
	}
	w.render(rw, r, s, http.StatusOK, "home.html", txt{"我的工作台", "My desks"}.in(l), nil, homeView{Sections: []sectionView{sec}})
}

func (w *Workbench) handleNewCommunity(rw http.ResponseWriter, r *http.Request, s *session) {
	if !s.actor.IsAdministrator() {
		w.errorPage(rw, r, s, http.StatusForbidden, txt{"只有管理员可以登记社区/村。", "Only an administrator may register a community."})
		return
	}
	w.serveForm(rw, r, s, &desk{}, w.forms["new-community"])
}

func (w *Workbench) handleForm(rw http.ResponseWriter, r *http.Request, s *session) {
	def := w.forms[r.PathValue("form")]
	if def == nil || def.typ == domain.CmdRegisterCommunity {
		w.errorPage(rw, r, s, http.StatusNotFound, txt{"没有这个表单。", "There is no such form."})
		return
	}
	d, ok := w.desk(rw, r, s)
	if !ok {
		return
	}
	w.serveForm(rw, r, s, d, def)
}

// formLink returns the link to a form, if the actor may use it.
func (w *Workbench) formLink(s *session, d *desk, name, query string, label txt) (linkView, bool) {
	f := w.forms[name]
	if f == nil || !w.mayUse(s.actor, d, f) {
		return linkView{}, false
	}
	href := "/c/" + d.id + "/desk/" + name
	if query != "" {
		href += "?" + query
	}
	if label.ZH == "" {
		label = f.title
	}
	return linkView{Href: link(s.lang, href), Label: label.in(s.lang)}, true
}

func (w *Workbench) links(s *session, d *desk, specs ...linkSpec) []linkView {
	var out []linkView
	for _, sp := range specs {
		if lv, ok := w.formLink(s, d, sp.form, sp.query, sp.label); ok {
			out = append(out, lv)
		}
	}
	return out
}

type linkSpec struct {
	form, query string
	label       txt
}

// nextSteps are the steps a matter at its stage may take next.
func nextSteps(m projections.MatterRow) []linkSpec {
	q := "id=" + urlEscape(m.ID)
	st := func(form string) linkSpec { return linkSpec{form: form, query: q} }
	passed := m.Resolution != nil && m.Resolution.Passed
	again := func(form string, label txt) linkSpec { return linkSpec{form: form, query: q, label: label} }
	var out []linkSpec
	switch m.Stage {
	case domain.StageRegistered:
		out = []linkSpec{st("matter-propose"), st("matter-withdraw")}
	case domain.StageProposed:
		out = []linkSpec{st("matter-consult"), st("matter-withdraw")}
	case domain.StageConsulted:
		out = []linkSpec{st("matter-review"), st("matter-withdraw")}
	case domain.StageReviewed:
		if m.Review != nil && m.Review.Passed {
			out = []linkSpec{st("matter-resolve")}
		} else {
			out = []linkSpec{again("matter-review", txt{"重新审议", "Review again"})}
		}
		out = append(out, st("matter-withdraw"))
	case domain.StageResolved:
		out = []linkSpec{st("matter-disclose-resolution")}
		if passed {
			out = append(out, st("matter-revoke"))
		} else {
			out = append(out, again("matter-resolve", txt{"重新表决", "Vote again"}), st("matter-withdraw"))
		}
	case domain.StageResolutionDisclosed:
		if passed {
			out = []linkSpec{st("matter-report-implementation"), st("matter-revoke")}
		} else {
			out = []linkSpec{again("matter-resolve", txt{"重新表决", "Vote again"}), st("matter-withdraw")}
		}
	case domain.StageImplementing:
		out = []linkSpec{st("matter-report-implementation"), st("matter-disclose-result"), st("matter-revoke")}
	case domain.StageResultDisclosed:
		out = []linkSpec{st("matter-revoke")}
	}
	if m.Stage != domain.StageRegistered {
		out = append(out, linkSpec{form: "matter-correct", query: q, label: txt{"更正记录", "Correct a record"}})
	}
	return out
}

// boardMatters returns the community's matters from the board.
func (fc *formCtx) boardMatters() []projections.MatterRow {
	return fc.w.boardMatters(fc.ctx, fc.desk)
}

func (w *Workbench) boardMatters(ctx context.Context, d *desk) []projections.MatterRow {
	if w.d.Board == nil || d.id == "" {
		return nil
	}
	b, err := w.d.Board.Board(ctx, d.id)
	if err != nil {
		return nil
	}
	return b.Matters
}

func (w *Workbench) handleHome(rw http.ResponseWriter, r *http.Request, s *session) {
	d, ok := w.desk(rw, r, s)
	if !ok {
		return
	}
	l := s.lang
	today := domain.DateOf(w.d.Now())
	var hv homeView
	hv.Intro = fmt.Sprintf(txt{"%s %s · 编号 %s", "%s %s · id %s"}.in(l), d.comm.County, d.comm.Town, d.id)

	// Matters.
	if acts := w.links(s, d, linkSpec{form: "matter-register"}); len(acts) > 0 || w.mayUse(s.actor, d, w.forms["matter-propose"]) {
		sec := sectionView{Title: txt{"事项（四议两公开）", "Matters (四议两公开)"}.in(l), Actions: acts,
			Empty: txt{"暂无事项。", "No matters yet."}.in(l)}
		ms := w.boardMatters(r.Context(), d)
		for i := len(ms) - 1; i >= 0; i-- { // newest first
			m := ms[i]
			it := itemView{ID: "m-" + m.ID, Title: m.Title, Badge: stageText(l, m.Stage), Meta: m.ID}
			if m.Amount > 0 {
				it.Meta += " · " + yuanText(l, m.Amount)
			}
			if len(m.Dates) > 0 {
				it.Meta += " · " + dateText(l, m.Dates[len(m.Dates)-1].Date)
			}
			for _, sp := range nextSteps(m) {
				if lv, ok := w.formLink(s, d, sp.form, sp.query, sp.label); ok {
					it.Links = append(it.Links, lv)
				}
			}
			sec.Items = append(sec.Items, it)
		}
		hv.Sections = append(hv.Sections, sec)
	}

	if sec, ok := w.disclosureSection(r.Context(), s, d, today); ok {
		hv.Sections = append(hv.Sections, sec)
	}

	// Budgets.
	if w.mayUse(s.actor, d, w.forms["budget-adopt"]) {
		sec := sectionView{Title: txt{"预算与资金到账", "Budgets and funds"}.in(l), Empty: txt{"暂无预算。", "No budget yet."}.in(l)}
		years := w.budgetYears(r.Context(), d, today)
		for _, y := range []int{today.Year, today.Year + 1} {
			if !containsInt(years, y) {
				sec.Actions = append(sec.Actions, w.links(s, d, linkSpec{form: "budget-adopt", query: "year=" + strconv.Itoa(y),
					label: txt{fmt.Sprintf("通过%d年度预算", y), fmt.Sprintf("Adopt the %d budget", y)}})...)
			}
		}
		for _, y := range years {
			st, _ := w.d.Commands.State(d.id, domain.AggregateBudget, strconv.Itoa(y))
			b, _ := st.(*domain.Budget)
			if b == nil {
				continue
			}
			var total, received domain.Fen
			for _, ln := range b.Lines {
				total += ln.Amount
			}
			for _, f := range b.Received {
				received += f.Amount
			}
			ys := strconv.Itoa(y)
			sec.Items = append(sec.Items, itemView{Title: fmt.Sprintf(txt{"%d年度预算", "Budget %d"}.in(l), y),
				Meta: fmt.Sprintf(txt{"%d个项目，合计 %s，已到账 %s，调整%d次", "%d lines, total %s, received %s, adjusted %d times"}.in(l),
					len(b.Lines), yuanText(l, total), yuanText(l, received), b.Adjustments),
				Links: w.links(s, d, linkSpec{form: "budget-funds", query: "year=" + ys}, linkSpec{form: "budget-adjust", query: "year=" + ys})})
		}
		hv.Sections = append(hv.Sections, sec)
	}

	// Books.
	if w.mayUse(s.actor, d, w.forms["books-voucher"]) {
		st, _ := w.d.Commands.State(d.id, domain.AggregateBooks, domain.BooksID)
		b, _ := st.(*domain.Books)
		if b == nil {
			b = domain.NewBooks()
		}
		specs := []linkSpec{{form: "books-voucher"}, {form: "books-reverse"}, {form: "books-correction"}, {form: "books-balance"},
			{form: "books-close-month"}, {form: "books-close-year"}, {form: "books-define-account"}}
		transition := needsTransition(b, today.Year)
		if transition {
			specs = append(specs, linkSpec{form: "books-transition"})
		}
		if b.FirstYear == 0 {
			specs = append(specs, linkSpec{form: "books-open-balances"})
		}
		if len(b.Vouchers) == 0 {
			specs = append(specs, linkSpec{form: "books-chart"})
		}
		sec := sectionView{Title: txt{"账簿（集体经济）", "Books (collective economy)"}.in(l), Actions: w.links(s, d, specs...),
			Empty: txt{"暂无凭证。", "No vouchers yet."}.in(l)}
		ch := b.ChartFor(today.Year)
		sec.Note = fmt.Sprintf(txt{"%d年度科目表：%s（%s）", "Chart of %d: %s (%s)"}.in(l), today.Year, txt{ch.NameZH, ch.NameEN}.in(l), ch.ID)
		if transition {
			law := domain.ChartInForce(today.Year)
			sec.Items = append(sec.Items, itemView{Title: fmt.Sprintf(txt{"%d年度须先办理新旧会计制度衔接", "%d needs the change of chart first"}.in(l), today.Year),
				Meta: fmt.Sprintf(txt{"账簿仍为 %s；自 %s 起执行 %s，记账前须先办理衔接。", "The books are on %s; from %s the chart is %s: record the change of chart before posting."}.in(l),
					ch.ID, dateText(l, law.EffectiveFrom), law.ID),
				Links: w.links(s, d, linkSpec{form: "books-transition"})})
		}
		vs := make([]*domain.Voucher, 0, len(b.Vouchers))
		for _, v := range b.Vouchers {
			vs = append(vs, v)
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i].ID > vs[j].ID })
		for i, v := range vs {
			if i == 20 {
				break
			}
			var total domain.Fen
			for _, ln := range v.Lines {
				total += ln.Debit
			}
			it := itemView{Title: v.ID + " " + v.Summary, Meta: dateText(l, v.Date) + " · " + yuanText(l, total)}
			switch {
			case v.Reverses != "":
				it.Badge = txt{"红字冲销 " + v.Reverses, "reverses " + v.Reverses}.in(l)
			case v.ReversedBy != "":
				it.Badge = txt{"已被 " + v.ReversedBy + " 冲销", "reversed by " + v.ReversedBy}.in(l)
			case v.Date.Year == today.Year && !strings.HasSuffix(v.ID, "-000"):
				// Not opening balances or a change of chart (number 0).
				it.Links = w.links(s, d, linkSpec{form: "books-reverse", query: "voucher=" + v.ID, label: txt{"红字冲销", "Reverse"}})
			}
			sec.Items = append(sec.Items, it)
		}
		var closed []string
		for m := range b.ClosedMonths {
			closed = append(closed, m)
		}
		sort.Strings(closed)
		if len(closed) > 0 {
			sec.Empty = ""
			sec.Items = append(sec.Items, itemView{Title: txt{"已结账至 ", "Closed up to "}.in(l) + monthText(l, closed[len(closed)-1])})
		}
		hv.Sections = append(hv.Sections, sec)
	}

	// The community itself.
	if acts := w.links(s, d, linkSpec{form: "officer-appoint"}, linkSpec{form: "rule-set"}); len(acts) > 0 {
		sec := sectionView{Title: txt{"社区信息：职务与规则集", "Officers and rule set"}.in(l), Actions: acts}
		for _, o := range officers(d.comm) {
			for _, ro := range o.Roles {
				sec.Items = append(sec.Items, itemView{Title: o.Name, Meta: roleText(l, ro) + " · " + o.PersonID,
					Links: w.links(s, d, linkSpec{form: "officer-remove", query: "post=" + urlEscape(o.PersonID+"|"+string(ro)), label: txt{"免去职务", "Remove"}})})
			}
		}
		rs := d.comm.RuleSetAt(today)
		sec.Items = append(sec.Items, itemView{Title: txt{"现行规则集 ", "Rule set in force: "}.in(l) + rs.ID,
			Meta: fmt.Sprintf(txt{"自 %s 起；支出超过 %s 须经决议", "from %s; payments above %s need a resolution"}.in(l),
				dateText(l, rs.EffectiveFrom), yuanText(l, rs.SpendingThreshold))})
		hv.Sections = append(hv.Sections, sec)
	}

	if w.mayUse(s.actor, d, w.forms["books-voucher"]) || w.mayUse(s.actor, d, w.forms["matter-register"]) {
		hv.Sections = append(hv.Sections, sectionView{Title: txt{"从表格导入", "Import from a spreadsheet"}.in(l),
			Actions: []linkView{{Href: link(l, "/c/"+d.id+"/desk/import"), Label: txt{"上传 Excel/CSV 文件", "Upload an Excel/CSV file"}.in(l)}}})
	}
	if w.mayUse(s.actor, d, w.forms["matter-register"]) {
		// Residents' questions are answered on their own page (internal/web).
		hv.Sections = append(hv.Sections, sectionView{Title: txt{"居民询问", "Residents' questions"}.in(l),
			Actions: []linkView{{Href: link(l, "/c/"+d.id+"/questions"), Label: txt{"查看并答复居民询问", "Read and answer residents' questions"}.in(l)}}})
	}
	crumbs := []linkView{{Href: link(l, "/desk"), Label: txt{"我的工作台", "My desks"}.in(l)}, {Href: link(l, "/c/"+d.id), Label: txt{"公开栏", "Public board"}.in(l)}}
	w.render(rw, r, s, http.StatusOK, "home.html", d.name()+txt{" · 工作台", " · workbench"}.in(l), crumbs, hv)
}

// needsTransition reports whether the books must record a change of
// chart before posting in year: they hold an earlier year, none records a
// chart for year, and the chart they go on was superseded by law.
func needsTransition(b *domain.Books, year int) bool {
	if b.FirstYear == 0 || b.FirstYear >= year || b.YearCharts[year] != nil {
		return false
	}
	have, law := b.ChartFor(year), domain.ChartInForce(year)
	return have.ID != law.ID && have.EffectiveFrom.Before(law.EffectiveFrom)
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
