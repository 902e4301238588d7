package demo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/disclose"
)

// The demo's disclosures are drafted from the read models once the books
// are in them, as a clerk's would be, so they load after the first batch:
// every quarter from 2023 to 2025-Q2 published on time after review; the
// 2025-Q2 draft returned once with an opinion; 2025-Q3 published late and
// then corrected; the 2025 budget published; 2025-Q4 and the quarters of
// 2026 not published (overdue). A resident's question about the rent was
// answered; one about 2025-Q3 was not (overdue).

// Reviewer is the demo's supervision committee member: a draft is never
// reviewed by who drafted it.
var Reviewer = domain.Actor{ID: "demo-jiandu", Name: "示例监督委员会", Root: true}

var drafter = domain.Actor{ID: "demo", Name: "示例数据", Root: true}

// step is one request of the disclosure stage.
type step struct {
	actor domain.Actor
	cmd   cmd
	// item, when set, makes cmd a draft whose content is generated.
	item string
	note string
}

func disclosureSteps() []step {
	var out []step
	quarter := func(y, q int, published string, returned bool) {
		id := domain.FinanceItemID(y, q, 0)
		it, _ := domain.ParseDisclosureItem(id)
		_, end := it.Period()
		d := func(n int) string { return end.AddDays(n).String() }
		out = append(out, step{actor: drafter, item: id, cmd: cmd{domain.CmdDraftDisclosure, id, d(3), nil}})
		v := 1
		if returned {
			out = append(out,
				step{actor: Reviewer, cmd: cmd{domain.CmdReturnDisclosure, id, d(5), map[string]any{"version": 1, "opinion": "请在说明中写明专项经费的用途和结余。"}}},
				step{actor: drafter, item: id, note: "专项经费23,500元用于购置便民服务设备，已全部支出，无结余。", cmd: cmd{domain.CmdDraftDisclosure, id, d(6), nil}})
			v = 2
		}
		out = append(out,
			step{actor: Reviewer, cmd: cmd{domain.CmdApproveDisclosure, id, d(7), map[string]any{"version": v, "opinion": "经核对凭证，同意公开。"}}},
			step{actor: drafter, cmd: cmd{domain.CmdPublishDisclosure, id, published, map[string]any{"version": v, "channels": []string{"社区公开栏", "网上公开栏"}}}})
	}
	for y := 2023; y <= 2025; y++ {
		for q := 1; q <= 4; q++ {
			switch {
			case y == 2025 && q == 2:
				quarter(y, q, "2025-07-09", true)
			case y == 2025 && q == 3:
				quarter(y, q, "2025-10-27", false) // due 2025-10-15: late
			case y == 2025 && q == 4:
			default:
				it, _ := domain.ParseDisclosureItem(domain.FinanceItemID(y, q, 0))
				_, end := it.Period()
				quarter(y, q, end.AddDays(8).String(), false)
			}
		}
	}
	// A correction of 2025-Q3: the note named the wrong fund.
	out = append(out,
		step{actor: drafter, item: "finance-2025-Q3", note: "本季度支出中的工作人员补贴由县财政拨付（原公示误写为镇拨）。",
			cmd: cmd{domain.CmdDraftDisclosure, "finance-2025-Q3", "2025-11-03", map[string]any{"reason": "说明中资金来源写错，予以更正"}}},
		step{actor: Reviewer, cmd: cmd{domain.CmdApproveDisclosure, "finance-2025-Q3", "2025-11-04", map[string]any{"version": 2}}},
		step{actor: drafter, cmd: cmd{domain.CmdPublishDisclosure, "finance-2025-Q3", "2025-11-05", map[string]any{"version": 2, "channels": []string{"社区公开栏", "网上公开栏"}, "posting_days": 10}}},
		// The 2025 budget, adopted 2025-01-10.
		step{actor: drafter, item: "budget-2025", cmd: cmd{domain.CmdDraftDisclosure, "budget-2025", "2025-01-12", nil}},
		step{actor: Reviewer, cmd: cmd{domain.CmdApproveDisclosure, "budget-2025", "2025-01-13", map[string]any{"version": 1}}},
		step{actor: drafter, cmd: cmd{domain.CmdPublishDisclosure, "budget-2025", "2025-01-14", map[string]any{"version": 1, "channels": []string{"社区公开栏"}}}},
		// Residents' questions.
		step{actor: domain.Actor{ID: domain.PublicActor}, cmd: cmd{domain.CmdAskQuestion, "q-demo-1", "2025-03-25",
			map[string]string{"about": "matter/m-2025-01", "text": "临街门面租给了谁？租金什么时候收，收了记在哪里？"}}},
		step{actor: drafter, cmd: cmd{domain.CmdAnswerQuestion, "q-demo-1", "2025-03-31",
			map[string]string{"text": "门面经公开招租出租，租期三年，年租金14,000元于每年4月收取，计入集体经济经营收入，见每季度财务收支公开。"}}},
		step{actor: domain.Actor{ID: domain.PublicActor}, cmd: cmd{domain.CmdAskQuestion, "q-demo-2", "2025-11-10",
			map[string]string{"about": "disclosure/finance-2025-Q3", "text": "第三季度的工作人员补贴每人每月多少钱？"}}},
	)
	return out
}

// DisclosureCount is the number of events the disclosure stage records.
func DisclosureCount() int { return len(disclosureSteps()) }

// Events returns the number of events the whole demo records: the first
// batch (one event per command), the disclosure stage and the town's two
// other communities.
func Events() int { return len(Commands()) + DisclosureCount() + TownEvents() }

// LoadDisclosures records the disclosure stage, drafting each item from
// the read models through gen (which waits for them to apply the first
// batch). Each step is one request with its own idempotency key.
func LoadDisclosures(ctx context.Context, svc *command.Service, gen disclose.Generator) error {
	return runSteps(ctx, svc, gen, Community, disclosureSteps())
}

// runSteps records steps in a community, one request each.
func runSteps(ctx context.Context, svc *command.Service, gen disclose.Generator, community string, steps []step) error {
	for i, s := range steps {
		data := s.cmd.data
		if s.item != "" {
			it, err := domain.ParseDisclosureItem(s.item)
			if err != nil {
				return err
			}
			content, err := gen.Content(ctx, community, it, "", s.note)
			if err != nil {
				return fmt.Errorf("demo disclosure %s: %w", s.item, err)
			}
			d := domain.DraftDisclosure{Content: content}
			if m, ok := data.(map[string]any); ok {
				d.Reason, _ = m["reason"].(string)
			}
			data = d
		}
		raw, err := json.Marshal(data)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("demo-wenhualu-disclosure-%d", i)
		if community != Community {
			key = fmt.Sprintf("demo-%s-step-%d", community, i)
		}
		_, err = svc.Execute(ctx, command.Request{Community: community, IdempotencyKey: key,
			Actor: s.actor, Commands: []command.Command{{Type: s.cmd.typ, AggregateID: s.cmd.id, EffectiveDate: s.cmd.date, Data: raw}}})
		if err != nil {
			return fmt.Errorf("demo %s step %d (%s %s): %w", community, i, s.cmd.typ, s.cmd.id, err)
		}
	}
	return nil
}
