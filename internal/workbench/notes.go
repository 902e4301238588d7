package workbench

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
)

// decisionText says a vote's outcome: "达到法定人数，表决通过（规则集 cn-national-2018）".
func decisionText(lang string, d domain.Decision) string {
	q := txt{"达到法定人数", "quorate"}
	if !d.Quorate {
		q = txt{"未达到法定人数", "not quorate"}
	}
	p := txt{"表决通过", "passed"}
	if !d.Passed {
		p = txt{"未通过", "failed"}
	}
	return fmt.Sprintf(txt{"%s，%s（规则集 %s）", "%s, %s (rule set %s)"}.in(lang), q.in(lang), p.in(lang), d.RuleSet)
}

func votesText(lang string, v domain.Votes) string {
	return fmt.Sprintf(txt{"应到 %d人，实到 %d人，赞成 %d人，反对 %d人，弃权 %d人", "expected %d, present %d, for %d, against %d, abstain %d"}.in(lang),
		v.Expected, v.Present, v.For, v.Against, v.Abstain)
}

// accountName names an account as the year's chart and the books'
// sub-accounts have it: "513 管理费用", "11201 应收款—张三".
func (fc *formCtx) accountName(year int, code string) string {
	if t, ok := accountLabel(fc.books(), year, code); ok {
		return t.in(fc.lang())
	}
	return code
}

// lineRows shows the lines of a voucher of the year.
func (fc *formCtx) lineRows(year int, lines []domain.Line) []shownRow {
	l := fc.lang()
	var out []shownRow
	for _, ln := range lines {
		side, amt := txt{"借方", "debit"}, ln.Debit
		if ln.Credit != 0 {
			side, amt = txt{"贷方", "credit"}, ln.Credit
		}
		out = append(out, shownRow{Label: fc.accountName(year, ln.Account), Value: side.in(l) + " " + yuanText(l, amt), Words: amt.Capital()})
	}
	return out
}

func contentText(lang string, c domain.StageContent) string {
	var parts []string
	if !c.Date.IsZero() {
		parts = append(parts, dateText(lang, c.Date))
	}
	if c.Decision != nil {
		parts = append(parts, votesText(lang, c.Decision.Votes), decisionText(lang, *c.Decision))
		if c.Decision.Text != "" {
			parts = append(parts, c.Decision.Text)
		}
	}
	if len(c.Channels) > 0 {
		parts = append(parts, strings.Join(c.Channels, "、"))
	}
	if c.Summary != "" {
		parts = append(parts, c.Summary)
	}
	return strings.Join(parts, "；")
}

// eventNotes shows what the command would record beyond what was typed:
// a vote's outcome, a voucher's id, the lines of a red-ink voucher, a
// month's totals, a correction's before and after.
func eventNotes(fc *formCtx, pr *prepared) []shownRow {
	l := fc.lang()
	out := []shownRow{{Label: txt{"记录人", "Recorded by"}.in(l), Value: fc.s.actor.Name + "（" + fc.s.actor.ID + "）"}}
	for _, e := range pr.events {
		switch e := e.(type) {
		case *domain.MatterProposed:
			if e.Joint {
				out = append(out, shownRow{Label: txt{"合并记录", "Recorded together"}.in(l),
					Value: txt{"党组织提议与两委会商议同时记录（一肩挑）", "The proposal and the two committees' consultation are recorded together"}.in(l)})
			}
		case *domain.MatterReviewed:
			out = append(out, shownRow{Label: txt{"审议结果", "Outcome"}.in(l), Value: decisionText(l, e.Decision)})
		case *domain.MatterResolved:
			out = append(out, shownRow{Label: txt{"表决结果", "Outcome"}.in(l), Value: decisionText(l, e.Decision)})
		case *domain.StageCorrected:
			out = append(out, shownRow{Label: txt{"原记录", "As recorded"}.in(l), Value: contentText(l, e.Original)},
				shownRow{Label: txt{"更正为", "Corrected to"}.in(l), Value: contentText(l, e.Corrected)})
		case *domain.VoucherPosted:
			out = append(out, shownRow{Label: txt{"凭证编号", "Voucher id"}.in(l), Value: domain.VoucherID(pr.date, e.Number)})
			out = append(out, fc.overdrafts(pr.date, e.Lines)...)
		case *domain.CorrectionPosted:
			out = append(out, shownRow{Label: txt{"凭证编号", "Voucher id"}.in(l), Value: domain.VoucherID(pr.date, e.Number)})
			out = append(out, fc.overdrafts(pr.date, e.Lines)...)
		case *domain.AccountDefined:
			b := fc.books()
			out = append(out, shownRow{Label: txt{"明细科目", "Sub-account"}.in(l), Value: fc.subName(e.SubAccount, b.ChartFor(pr.date.Year))})
			if b.IsLeaf(e.Parent) {
				out = append(out, shownRow{Label: txt{"上级科目", "Account above"}.in(l),
					Value: fmt.Sprintf(txt{"设置后，凭证不能再直接记入 %s，请记入其明细科目。", "From now on vouchers post to the sub-accounts of %s, not to it."}.in(l),
						fc.accountName(pr.date.Year, e.Parent))})
			}
		case *domain.BalancesOpened:
			out = append(out, shownRow{Label: txt{"期初日期", "Opening date"}.in(l), Value: dateText(l, domain.Date{Year: e.Year, Month: 1, Day: 1})})
		case *domain.ChartTransitioned:
			out = append(out, fc.transitionRows(e)...)
		case *domain.VoucherReversed:
			out = append(out, shownRow{Label: txt{"红字凭证编号", "Red-ink voucher id"}.in(l), Value: domain.VoucherID(pr.date, e.Number)},
				shownRow{Label: txt{"摘要", "Summary"}.in(l), Value: e.Summary})
			out = append(out, fc.lineRows(pr.date.Year, e.Lines)...)
		case *domain.MonthClosed:
			out = append(out,
				shownRow{Label: txt{"本月借方发生额", "Debits of the month"}.in(l), Value: yuanText(l, e.Debits), Words: e.Debits.Capital()},
				shownRow{Label: txt{"本月贷方发生额", "Credits of the month"}.in(l), Value: yuanText(l, e.Credits), Words: e.Credits.Capital()})
		case *domain.YearClosed:
			out = append(out, shownRow{Label: txt{"本年收益", "Net income of the year"}.in(l), Value: yuanText(l, e.NetIncome), Words: e.NetIncome.Capital()})
			out = append(out, fc.lineRows(e.Year, e.Lines)...)
		case *domain.BalanceAsserted:
			out = append(out, shownRow{Label: txt{"核对结果", "Check"}.in(l), Value: txt{"账面余额与证据一致", "The books agree with the evidence"}.in(l)})
		case *domain.BudgetAdopted:
			out = append(out, budgetTotal(l, e.Lines))
		case *domain.BudgetAdjusted:
			out = append(out, budgetTotal(l, e.Lines))
		case *domain.ChartAdopted:
			out = append(out, shownRow{Label: txt{"科目表版本", "Chart version"}.in(l), Value: e.Chart + " v" + strconv.Itoa(e.Version)})
		}
	}
	return out
}

// overdrafts notes each bank account a voucher leaves below zero on its
// date: an overdraft (透支) the rule set in force allows, or the domain
// would have refused it.
func (fc *formCtx) overdrafts(d domain.Date, lines []domain.Line) []shownRow {
	b := fc.books()
	ch := b.ChartFor(d.Year)
	var out []shownRow
	seen := map[string]bool{}
	for _, ln := range lines {
		code := ln.Account
		a, ok := b.AccountOf(d.Year, code)
		if seen[code] || !ok || !a.Cash || rootOf(b, code) == ch.CashCodes[0] {
			continue
		}
		seen[code] = true
		bal := b.Balance(code, d)
		for _, x := range lines {
			if x.Account == code {
				bal += x.Debit - x.Credit
			}
		}
		if bal < 0 {
			out = append(out, shownRow{Label: txt{"银行透支", "Bank overdraft"}.in(fc.lang()),
				Value: fmt.Sprintf(txt{"记账后 %s 余额为 %s（透支，现行规则集允许）", "After this voucher %s stands at %s (overdrawn, as the rule set in force allows)"}.in(fc.lang()),
					fc.accountName(d.Year, code), yuanText(fc.lang(), bal))})
		}
	}
	return out
}

// rootOf returns the chart account a sub-account is under.
func rootOf(b *domain.Books, code string) string {
	for range 10 {
		sub, ok := b.Subs[code]
		if !ok {
			break
		}
		code = sub.Parent
	}
	return code
}

// subName names a sub-account about to be defined, under its parent.
func (fc *formCtx) subName(sub domain.SubAccount, ch *domain.Chart) string {
	b := fc.books()
	t, ok := chartLabel(ch, func(c string) (domain.SubAccount, bool) {
		if c == sub.Code {
			return sub, true
		}
		s, ok := b.Subs[c]
		return s, ok
	}, sub.Code)
	if !ok {
		return sub.Code + " " + sub.NameZH
	}
	return t.in(fc.lang())
}

// transitionRows show what a change of chart moves: each closing balance
// from its account of the old chart to its account of the new, with the
// mapping's note, and the sub-accounts it carries over.
func (fc *formCtx) transitionRows(e *domain.ChartTransitioned) []shownRow {
	l := fc.lang()
	b := fc.books()
	from, to := domain.Charts()[e.From], domain.Charts()[e.To]
	chartName := func(c *domain.Chart, id string) string {
		if c == nil {
			return id
		}
		return txt{c.NameZH + "（" + id + "）", c.NameEN + " (" + id + ")"}.in(l)
	}
	out := []shownRow{
		{Label: txt{"原科目表", "Old chart"}.in(l), Value: chartName(from, e.From)},
		{Label: txt{"新科目表", "New chart"}.in(l), Value: chartName(to, e.To) + " v" + strconv.Itoa(e.ToVersion)},
		{Label: txt{"衔接对照表", "Mapping"}.in(l), Value: e.Mapping},
		{Label: txt{"衔接凭证日期", "Voucher date"}.in(l), Value: dateText(l, domain.Date{Year: e.Year, Month: 1, Day: 1})},
	}
	if len(e.Moves) == 0 {
		return append(out, shownRow{Label: txt{"转入新科目", "Moves"}.in(l),
			Value: txt{"没有需要转入新科目的余额：各科目在两个科目表中相同。", "No balance moves: every account is the same in both charts."}.in(l)})
	}
	oldSubs := func(c string) (domain.SubAccount, bool) { s, ok := b.Subs[c]; return s, ok }
	newSubs := func(c string) (domain.SubAccount, bool) {
		for _, s := range e.NewSubs {
			if s.Code == c {
				return s, true
			}
		}
		return oldSubs(c)
	}
	name := func(ch *domain.Chart, subs func(string) (domain.SubAccount, bool), code string) string {
		if ch == nil {
			return code
		}
		if t, ok := chartLabel(ch, subs, code); ok {
			return t.in(l)
		}
		return code
	}
	for _, m := range e.Moves {
		v := yuanText(l, m.Amount)
		if m.NoteZH != "" && l == "zh" {
			v += "；" + m.NoteZH
		}
		out = append(out, shownRow{Label: name(from, oldSubs, m.From) + " → " + name(to, newSubs, m.To), Value: v, Words: m.Amount.Capital()})
	}
	for _, s := range e.NewSubs {
		out = append(out, shownRow{Label: txt{"随之设置明细科目", "Sub-account carried over"}.in(l), Value: name(to, newSubs, s.Code)})
	}
	return append(out, shownRow{Label: txt{"其余科目", "Other accounts"}.in(l),
		Value: txt{"编码和余额方向在新旧科目表中相同，余额不动（名称可能不同）。", "Same code and side in both charts: their balances stay (the name may differ)."}.in(l)})
}

func budgetTotal(lang string, lines []domain.BudgetLine) shownRow {
	var sum domain.Fen
	for _, l := range lines {
		sum += l.Amount
	}
	return shownRow{Label: txt{"预算合计", "Budget total"}.in(lang), Value: yuanText(lang, sum), Words: sum.Capital()}
}

// current summarises the target's current state, for a form whose record
// changed meanwhile.
func (fc *formCtx) current() []shownRow {
	l := fc.lang()
	switch s := fc.state.(type) {
	case *domain.Matter:
		out := []shownRow{{Label: txt{"事项", "Matter"}.in(l), Value: s.ID + " " + s.Title},
			{Label: txt{"当前程序", "Stage"}.in(l), Value: stageText(l, s.Stage) + " · " + dateText(l, s.LastDate)}}
		if s.Review != nil {
			out = append(out, shownRow{Label: txt{"党员大会审议", "Party members' meeting"}.in(l), Value: votesText(l, s.Review.Votes) + "；" + decisionText(l, *s.Review)})
		}
		if s.Resolution != nil {
			out = append(out, shownRow{Label: txt{"代表会议表决", "Assembly vote"}.in(l), Value: votesText(l, s.Resolution.Votes) + "；" + decisionText(l, *s.Resolution)})
		}
		for i, im := range s.Implementations {
			out = append(out, shownRow{Label: fmt.Sprintf(txt{"实施情况（第%d次）", "Implementation %d"}.in(l), i+1), Value: dateText(l, im.Date) + " " + im.Summary})
		}
		if n := len(s.Corrections); n > 0 {
			out = append(out, shownRow{Label: txt{"更正", "Corrections"}.in(l), Value: strconv.Itoa(n)})
		}
		return out
	case *domain.Budget:
		out := []shownRow{{Label: txt{"年度", "Year"}.in(l), Value: strconv.Itoa(s.Year)}}
		for _, ln := range s.Lines {
			out = append(out, shownRow{Label: ln.Line + " " + ln.Name, Value: yuanText(l, ln.Amount), Words: ln.Amount.Capital()})
		}
		return append(out, shownRow{Label: txt{"到账笔数", "Funds received"}.in(l), Value: strconv.Itoa(len(s.Received))})
	case *domain.Books:
		var out []shownRow
		t := fc.today()
		for _, m := range []string{domain.Month(t), domain.Month(domain.DateOf(fc.now.AddDate(0, -1, 0)))} {
			out = append(out, shownRow{Label: fmt.Sprintf(txt{"%s 最后凭证号", "Last voucher number of %s"}.in(l), monthText(l, m)),
				Value: strconv.Itoa(s.LastNumber[m])})
		}
		return append(out, shownRow{Label: txt{"凭证总数", "Vouchers"}.in(l), Value: strconv.Itoa(len(s.Vouchers))})
	case *domain.Community:
		out := []shownRow{{Label: txt{"名称", "Name"}.in(l), Value: s.Name}}
		for _, o := range officers(s) {
			var rs []string
			for _, r := range o.Roles {
				rs = append(rs, roleText(l, r))
			}
			out = append(out, shownRow{Label: o.Name, Value: strings.Join(rs, "、")})
		}
		return out
	}
	return nil
}
