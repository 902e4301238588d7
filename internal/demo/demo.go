// Package demo loads the demo community 文化路社区 (wenhualu): a small
// community in 阿勒泰地区 with a party branch of 6 members, 5 full-time
// staff and 560 residents (see DESIGN.md section 1), and several matters at
// different stages of 四议两公开.
package demo

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
)

// Community is the demo community's id.
const Community = "wenhualu"

type cmd struct {
	typ, id, date string
	data          any
}

func votes(expected, present, yes, no, abstain int) map[string]int {
	return map[string]int{"expected": expected, "present": present, "for": yes, "against": no, "abstain": abstain}
}

// Commands returns the demo's commands, in order.
func Commands() []command.Command {
	party := votes(6, 6, 6, 0, 0)
	list := []cmd{
		{"community.register", Community, "2023-01-05", map[string]string{"name": "文化路社区", "kind": "社区", "town": "示例镇", "county": "阿勒泰地区示例县"}},
		{"community.appoint_officer", Community, "2023-01-05", map[string]string{"person_id": "p-wang", "name": "王建华", "role": "secretary"}},
		{"community.appoint_officer", Community, "2023-01-05", map[string]string{"person_id": "p-zhang", "name": "张丽", "role": "director"}},
		{"community.appoint_officer", Community, "2023-01-05", map[string]string{"person_id": "p-li", "name": "李娜", "role": "clerk"}},
		{"community.appoint_officer", Community, "2023-01-05", map[string]string{"person_id": "p-zhao", "name": "赵敏", "role": "accountant"}},
		{"community.appoint_officer", Community, "2023-01-05", map[string]string{"person_id": "p-chen", "name": "陈刚", "role": "cashier"}},
		{"community.appoint_officer", Community, "2023-01-05", map[string]string{"person_id": "p-sun", "name": "孙卫东", "role": "supervisor"}},
		{"community.set_contacts", Community, "2023-01-05", map[string]string{"supervision_phone": "0906-2123456"}},

		// Passed and carried out: the office building.
		{"matter.register", "m-2024-01", "2024-02-20", map[string]string{"title": "接收原水管所二层办公楼（320平方米）作为社区办公场所", "category": "资产", "description": "镇党委、政府将原水管所一栋320平方米的二层办公楼划归文化路社区，作为社区办公和服务场所。"}},
		{"matter.propose", "m-2024-01", "2024-02-22", map[string]string{"summary": "社区党支部提议接收并使用该办公楼。"}},
		{"matter.consult", "m-2024-01", "2024-02-26", map[string]string{"summary": "两委会商议同意，并提出按“六个好”要求完善办公设施。"}},
		{"matter.review", "m-2024-01", "2024-03-01", map[string]any{"votes": party}},
		{"matter.resolve", "m-2024-01", "2024-03-05", map[string]any{"votes": votes(15, 14, 14, 0, 0), "text": "同意接收原水管所办公楼作为社区办公场所。"}},
		{"matter.disclose_resolution", "m-2024-01", "2024-03-06", map[string]any{"channels": []string{"社区公开栏"}, "summary": "决议在社区公开栏公示7天。"}},
		{"matter.report_implementation", "m-2024-01", "2024-04-15", map[string]string{"summary": "办公楼完成移交，社区迁入办公。"}},
		{"matter.disclose_result", "m-2024-01", "2024-04-20", map[string]any{"channels": []string{"社区公开栏"}, "summary": "办公楼已投入使用。"}},

		// Passed, being carried out: office equipment from a special fund.
		{"matter.register", "m-2024-02", "2024-05-10", map[string]string{"title": "使用上级专项经费购置社区办公设备", "category": "财务", "amount": "23500.00"}},
		{"matter.propose", "m-2024-02", "2024-05-12", map[string]string{}},
		{"matter.consult", "m-2024-02", "2024-05-15", map[string]string{}},
		{"matter.review", "m-2024-02", "2024-05-20", map[string]any{"votes": votes(6, 5, 5, 0, 0)}},
		{"matter.resolve", "m-2024-02", "2024-05-24", map[string]any{"votes": votes(15, 12, 11, 0, 1)}},
		{"matter.disclose_resolution", "m-2024-02", "2024-05-25", map[string]any{"channels": []string{"社区公开栏", "微信群"}}},
		{"matter.report_implementation", "m-2024-02", "2024-06-30", map[string]string{"summary": "已购置电脑2台、打印机1台。"}},

		// Resolved with its vote: collective economy.
		{"matter.register", "m-2025-01", "2025-03-03", map[string]string{"title": "出租社区临街门面发展集体经济", "category": "集体经济", "amount": "14000.00", "description": "以“三级联创”为平台，出租临街门面，年租金约1.4万元。"}},
		{"matter.propose", "m-2025-01", "2025-03-05", map[string]string{}},
		{"matter.consult", "m-2025-01", "2025-03-10", map[string]string{}},
		{"matter.review", "m-2025-01", "2025-03-14", map[string]any{"votes": votes(6, 6, 5, 1, 0)}},
		{"matter.resolve", "m-2025-01", "2025-03-20", map[string]any{"votes": votes(15, 13, 11, 1, 1), "text": "同意出租临街门面，租期三年，租金纳入集体经济收入。"}},

		// Failed at the assembly.
		{"matter.register", "m-2025-02", "2025-06-02", map[string]string{"title": "在小区内收取停车管理费", "category": "公共事务"}},
		{"matter.propose", "m-2025-02", "2025-06-04", map[string]string{}},
		{"matter.consult", "m-2025-02", "2025-06-06", map[string]string{}},
		{"matter.review", "m-2025-02", "2025-06-10", map[string]any{"votes": votes(6, 5, 4, 1, 0)}},
		{"matter.resolve", "m-2025-02", "2025-06-16", map[string]any{"votes": votes(15, 12, 5, 6, 1)}},
		{"matter.disclose_resolution", "m-2025-02", "2025-06-17", map[string]any{"channels": []string{"社区公开栏"}, "summary": "表决未通过，不收取停车管理费。"}},

		// Under review, proposed, withdrawn.
		{"matter.register", "m-2025-03", "2025-09-01", map[string]string{"title": "社区文化活动室改造", "category": "基础设施", "amount": "8600.00"}},
		{"matter.propose", "m-2025-03", "2025-09-03", map[string]string{}},
		{"matter.consult", "m-2025-03", "2025-09-08", map[string]string{}},
		{"matter.review", "m-2025-03", "2025-09-12", map[string]any{"votes": votes(6, 5, 5, 0, 0)}},
		{"matter.register", "m-2025-04", "2025-10-09", map[string]string{"title": "增设社区便民服务点", "category": "民生服务"}},
		{"matter.propose", "m-2025-04", "2025-10-11", map[string]string{}},
		{"matter.register", "m-2025-05", "2025-10-20", map[string]string{"title": "更换小区主干道路灯", "category": "基础设施", "amount": "4200.00"}},
		{"matter.withdraw", "m-2025-05", "2025-10-28", map[string]string{"reason": "已由镇里统一安排更换，社区不再另行实施。"}},

		// The 2025 budget and the equipment purchase, both passed.
		{"matter.register", "m-2025-00", "2024-12-02", map[string]string{"title": "2025年度社区收支预算", "category": "财务", "amount": "75980.00"}},
		{"matter.propose", "m-2025-00", "2024-12-04", map[string]string{}},
		{"matter.consult", "m-2025-00", "2024-12-09", map[string]string{}},
		{"matter.review", "m-2025-00", "2024-12-13", map[string]any{"votes": party}},
		{"matter.resolve", "m-2025-00", "2024-12-20", map[string]any{"votes": votes(15, 14, 13, 0, 1), "text": "通过2025年度社区收支预算。"}},
		{"matter.disclose_resolution", "m-2025-00", "2024-12-21", map[string]any{"channels": []string{"社区公开栏"}}},
		{"matter.register", "m-2025-06", "2025-04-01", map[string]string{"title": "使用上级专项经费购置便民服务设备", "category": "财务", "amount": "23500.00"}},
		{"matter.propose", "m-2025-06", "2025-04-02", map[string]string{}},
		{"matter.consult", "m-2025-06", "2025-04-03", map[string]string{}},
		{"matter.review", "m-2025-06", "2025-04-07", map[string]any{"votes": votes(6, 6, 6, 0, 0)}},
		{"matter.resolve", "m-2025-06", "2025-04-10", map[string]any{"votes": votes(15, 13, 12, 0, 1)}},
		{"matter.disclose_resolution", "m-2025-06", "2025-04-11", map[string]any{"channels": []string{"社区公开栏"}}},
	}
	list = append(list, demoBooks()...)
	out := make([]command.Command, len(list))
	for i, c := range list {
		data, err := json.Marshal(c.data)
		if err != nil {
			panic(err)
		}
		out[i] = command.Command{Type: c.typ, AggregateID: c.id, EffectiveDate: c.date, Data: data}
	}
	return out
}

// Load records the demo as one atomic batch. It is idempotent: loading it
// twice records it once.
func Load(ctx context.Context, svc *command.Service) error {
	_, err := svc.Execute(ctx, command.Request{Community: Community, IdempotencyKey: "demo-wenhualu-v3", Actor: domain.Actor{ID: "demo", Name: "示例数据", Root: true}, Commands: Commands()})
	if err != nil {
		return fmt.Errorf("load demo: %w", err)
	}
	return nil
}
