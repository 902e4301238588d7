package demo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/disclose"
)

// Two more communities of 示例镇, so that the town's views compare
// something: 胜利路社区 (shengli) keeps its books and publishes its
// disclosures, but late (its 2025 resolution disclosed 16 days after the
// vote; each quarter's finance published a month after it was due); 光明村
// (guangming) discloses on time but paid a contractor twice 9,000 yuan on
// one day for one job without a resolution, under the 10,000-yuan
// threshold (split payments).
const (
	Shengli   = "shengli"
	Guangming = "guangming"
)

type townCommunity struct {
	id   string
	cmds []cmd
	// steps are drafted and published after the community's batch.
	steps []step
}

func townCommunities() []townCommunity {
	register := func(id, name, kind string) []cmd {
		return []cmd{
			{"community.register", id, "2025-01-02", map[string]string{"name": name, "kind": kind, "town": "示例镇", "county": "阿勒泰地区示例县"}},
			{"community.set_contacts", id, "2025-01-02", map[string]string{"supervision_phone": "0906-2123400"}},
		}
	}
	matter := func(id, title, amount, resolved string, disclosed string) []cmd {
		d, _ := domain.ParseDate(resolved)
		day := func(n int) string { return d.AddDays(-n).String() }
		out := []cmd{
			{"matter.register", id, day(10), map[string]string{"title": title, "amount": amount, "category": "基础设施"}},
			{"matter.propose", id, day(8), map[string]string{}},
			{"matter.consult", id, day(6), map[string]string{}},
			{"matter.review", id, day(3), map[string]any{"votes": votes(5, 5, 5, 0, 0)}},
			{"matter.resolve", id, resolved, map[string]any{"votes": votes(13, 11, 10, 1, 0), "text": "同意" + title + "。"}},
		}
		if disclosed != "" {
			out = append(out, cmd{"matter.disclose_resolution", id, disclosed, map[string]any{"channels": []string{"公开栏"}}})
		}
		return out
	}
	v := func(id, date string, n int, summary, dr, cr, amount string) cmd {
		return cmd{"books.post_voucher", domain.BooksID, date, map[string]any{"number": n, "summary": summary, "preparer": "会计",
			"lines": []map[string]string{{"account": dr, "debit": amount}, {"account": cr, "credit": amount}}}}
	}
	quarterSteps := func(id string, lateDays int) []step {
		var out []step
		for q := 1; q <= 3; q++ {
			item := domain.FinanceItemID(2025, q, 0)
			it, _ := domain.ParseDisclosureItem(item)
			_, end := it.Period()
			d := end.AddDays(15 + lateDays - 5)
			out = append(out,
				step{actor: drafter, item: item, cmd: cmd{domain.CmdDraftDisclosure, item, d.String(), nil}},
				step{actor: Reviewer, cmd: cmd{domain.CmdApproveDisclosure, item, d.AddDays(2).String(), map[string]any{"version": 1}}},
				step{actor: drafter, cmd: cmd{domain.CmdPublishDisclosure, item, d.AddDays(5).String(), map[string]any{"version": 1, "channels": []string{"公开栏"}}}})
		}
		return out
	}
	shengli := append(register(Shengli, "胜利路社区", "社区"), matter("s-2025-01", "硬化小区道路", "30000.00", "2025-04-10", "2025-04-26")...)
	shengli = append(shengli,
		v(Shengli, "2025-01-10", 1, "收到镇拨工作经费", "102", "503", "60000.00"),
		v(Shengli, "2025-05-20", 1, "支付小区道路硬化工程款", "513", "102", "30000.00"),
	)
	shengli[len(shengli)-1].data.(map[string]any)["matter"] = "s-2025-01"
	guangming := append(register(Guangming, "光明村", "村"), matter("g-2025-01", "修缮村文化广场", "15000.00", "2025-03-12", "2025-03-14")...)
	guangming = append(guangming,
		v(Guangming, "2025-01-08", 1, "收到村集体土地承包费", "102", "501", "80000.00"),
		v(Guangming, "2025-03-28", 1, "支付文化广场修缮款", "513", "102", "15000.00"),
		v(Guangming, "2025-06-16", 1, "支付村道排水沟清理费", "513", "102", "9000.00"),
		v(Guangming, "2025-06-16", 2, "支付村道排水沟清理费", "513", "102", "9000.00"),
	)
	guangming[len(guangming)-3].data.(map[string]any)["matter"] = "g-2025-01"
	return []townCommunity{
		{id: Shengli, cmds: shengli, steps: quarterSteps(Shengli, 30)},
		{id: Guangming, cmds: guangming, steps: quarterSteps(Guangming, 0)},
	}
}

// TownEvents is the number of events the town's two other communities
// and its evaluation record.
func TownEvents() int {
	n := 0
	for _, c := range townCommunities() {
		n += len(c.cmds) + len(c.steps)
	}
	return n + len(evaluationSteps())
}

// LoadTown records the town's two other communities, each as one batch,
// then their disclosures, drafted from the read models through gen.
func LoadTown(ctx context.Context, svc *command.Service, gen disclose.Generator) error {
	for _, c := range townCommunities() {
		cmds := make([]command.Command, len(c.cmds))
		for i, x := range c.cmds {
			data, err := json.Marshal(x.data)
			if err != nil {
				return err
			}
			cmds[i] = command.Command{Type: x.typ, AggregateID: x.id, EffectiveDate: x.date, Data: data}
		}
		if _, err := svc.Execute(ctx, command.Request{Community: c.id, IdempotencyKey: "demo-" + c.id + "-v1", Actor: drafter, Commands: cmds}); err != nil {
			return fmt.Errorf("load demo %s: %w", c.id, err)
		}
		if err := runSteps(ctx, svc, gen, c.id, c.steps); err != nil {
			return err
		}
	}
	return nil
}

// Evaluator is the demo town's evaluator (考核), who publishes the plan and
// records the scores and the appraisal.
var Evaluator = domain.Actor{ID: "demo-kaohe", Name: "示例镇考核组", Root: true}

// evaluationSteps are the town's finished evaluation of 2025: a plan of
// five indicators computed from the record, the work scored by the
// evaluator and the representatives' appraisal, closed on 2026-01-20.
func evaluationSteps() []cmd {
	id := domain.EvaluationID(2025, "示例镇")
	linear := map[string]string{"kind": "linear", "full_at": "1", "zero_at": "0"}
	ind := func(id, name, rule string, weight int) map[string]any {
		return map[string]any{"id": id, "name_zh": name, "weight": weight, "kind": "computed", "rule": rule, "scoring": linear}
	}
	plan := map[string]any{"town": "示例镇", "year": 2025,
		"indicators": []map[string]any{
			ind("resolutions", "决议按期公开率", "resolutions_disclosed_on_time", 20),
			ind("payments", "大额支出经决议率", "payments_backed_by_resolution", 15),
			ind("disclosures", "财务等按期公开率", "disclosures_on_time", 20),
			ind("questions", "居民询问按期答复率", "questions_answered_on_time", 5),
			ind("meetings", "代表会议（每季度至少一次）", "meetings_per_quarter", 10),
			{"id": "work", "name_zh": "工作实绩（考核组评分）", "weight": 15, "kind": "entered"},
			{"id": "appraisal", "name_zh": "民主测评", "weight": 15, "kind": "appraisal"},
		},
		"appraisal": map[string]any{"entitled_kind": "representatives", "options": []map[string]any{
			{"id": "satisfied", "label_zh": "满意", "score": 100}, {"id": "fair", "label_zh": "基本满意", "score": 60}, {"id": "dissatisfied", "label_zh": "不满意", "score": 0}}},
		"rating": map[string]any{"bands": []map[string]int{{"min_score": 60, "stars": 1}, {"min_score": 75, "stars": 2}, {"min_score": 85, "stars": 3}}},
	}
	out := []cmd{{domain.CmdPublishEvaluationPlan, id, "2026-01-05", plan}}
	var appraisals []cmd
	for _, s := range []struct {
		c, score, evidence string
		entitled           int
		tallies            map[string]int
	}{
		{Community, "12", "年终走访：办公楼“六个好”建设到位，集体经济收入增加", 15, map[string]int{"satisfied": 10, "fair": 4, "dissatisfied": 1}},
		{Shengli, "11", "年终走访：道路硬化工程完成，公开多次逾期", 13, map[string]int{"satisfied": 6, "fair": 5, "dissatisfied": 2}},
		{Guangming, "10", "年终走访：文化广场修缮完成，排水沟清理款分两笔支付", 20, map[string]int{"satisfied": 12, "fair": 6, "dissatisfied": 2}},
	} {
		out = append(out, cmd{domain.CmdEnterScore, id, "2026-01-12", map[string]any{"community": s.c, "indicator": "work", "score": s.score, "evidence": s.evidence}})
		appraisals = append(appraisals, cmd{domain.CmdRecordAppraisal, id, "2026-01-15", map[string]any{"community": s.c, "entitled": s.entitled, "tallies": s.tallies}})
	}
	out = append(out, appraisals...)
	return append(out, cmd{domain.CmdCloseEvaluation, id, "2026-01-20", map[string]any{}})
}

// LoadEvaluation records the town's evaluation of 2025, one request a
// step, in the system community.
func LoadEvaluation(ctx context.Context, svc *command.Service) error {
	for i, c := range evaluationSteps() {
		data, err := json.Marshal(c.data)
		if err != nil {
			return err
		}
		_, err = svc.Execute(ctx, command.Request{Community: domain.SystemCommunity, IdempotencyKey: fmt.Sprintf("demo-evaluation-2025-%d", i),
			Actor: Evaluator, Commands: []command.Command{{Type: c.typ, AggregateID: c.id, EffectiveDate: c.date, Data: data}}})
		if err != nil {
			return fmt.Errorf("demo evaluation step %d (%s): %w", i, c.typ, err)
		}
	}
	return nil
}
