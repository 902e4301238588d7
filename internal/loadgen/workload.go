package loadgen

import (
	"encoding/json"
	"fmt"
	"sync"
)

// A write is one command as a clerk sends it: the community, the
// idempotency key and the command envelope. The same write becomes one
// event for the baselines (event), with the command's data as its payload.
type write struct {
	kind      Kind
	community string
	key       string
	envelope  envelope
}

// envelope is the command envelope of docs/api.md §3.1.
type envelope struct {
	Type          string          `json:"type"`
	AggregateID   string          `json:"aggregate_id"`
	EffectiveDate string          `json:"effective_date"`
	Data          json.RawMessage `json:"data"`
}

// aggregateType is the part of the command type before the dot.
func (e envelope) aggregateType() string {
	for i := range len(e.Type) {
		if e.Type[i] == '.' {
			return e.Type[:i]
		}
	}
	return e.Type
}

// matterDate is the effective date of every stage of the bench's matters:
// stages may share a date, and it is never in the future.
const matterDate = "2025-06-01"

// stage is one of the eight stages of a matter through 四议两公开, with
// the data a clerk sends for it and the type of the event it records.
type stage struct {
	command, event string
	data           func(id string) string
}

var stages = []stage{
	{"matter.register", "matter.registered", func(id string) string {
		return fmt.Sprintf(`{"title":"基准测试事项 %s（bench data）","description":"用于测量写入速率的事项，内容长度与真实事项相近：更换老年活动室暖气管道和散热器，费用由镇财政拨付。","category":"基础设施","amount":"36800.00"}`, id)
	}},
	{"matter.propose", "matter.proposed", func(string) string {
		return `{"summary":"党支部提议对老年活动室供暖设施进行改造，提交两委会商议。"}`
	}},
	{"matter.consult", "matter.consulted", func(string) string {
		return `{"summary":"两委会商议同意改造方案，提交党员大会审议。"}`
	}},
	{"matter.review", "matter.reviewed", func(string) string {
		return `{"votes":{"expected":6,"present":6,"for":6,"against":0,"abstain":0}}`
	}},
	{"matter.resolve", "matter.resolved", func(string) string {
		return `{"votes":{"expected":15,"present":13,"for":12,"against":0,"abstain":1},"text":"同意对老年活动室供暖设施进行改造，预算36800元，由镇财政拨付，11月底前完工。"}`
	}},
	{"matter.disclose_resolution", "matter.resolution_disclosed", func(string) string {
		return `{"channels":["社区公开栏","居民微信群"],"summary":"决议及表决结果在社区公开栏公示7天。"}`
	}},
	{"matter.report_implementation", "matter.implementation_reported", func(string) string {
		return `{"summary":"已更换暖气管道120米、散热器18组，试压合格，恢复供暖。"}`
	}},
	{"matter.disclose_result", "matter.result_disclosed", func(string) string {
		return `{"channels":["社区公开栏"],"summary":"改造已完工，实际支出36500元，结余300元退回镇财政。"}`
	}},
}

// eventType is the type of the (first) event a command records.
func eventType(command string) string {
	for _, s := range stages {
		if s.command == command {
			return s.event
		}
	}
	switch command {
	case "books.post_voucher":
		return "books.voucher_posted"
	case "community.register":
		return "community.registered"
	}
	return command
}

// books is one community's books as the bench keeps them: vouchers are
// numbered without gaps within a month (docs/api.md §7.20), so the
// vouchers of one community are posted one at a time, as by its one
// accountant; the lock is held from choosing the number until the reply.
type books struct {
	mu     sync.Mutex
	month  int // months back from 2025-12
	number int // the last number used in month
	// version is the books subject's last stream sequence, for the
	// baselines' expected-last-subject-sequence check.
	version uint64
}

// next returns the next voucher's date and number. A failed voucher gives
// its number back with release(false); an unanswered one (it may or may not
// be recorded) moves the books to a fresh month with release(true).
func (b *books) next() (date string, number int) {
	b.number++
	y, m := 2025-b.month/12, 12-b.month%12
	return fmt.Sprintf("%04d-%02d-15", y, m), b.number
}

func (b *books) release(recorded, unknown bool) {
	switch {
	case unknown:
		b.month++
		b.number = 0
	case !recorded:
		b.number--
	}
}

// voucherData is a two-line voucher: office costs paid from the bank.
func voucherData(number int) string {
	return fmt.Sprintf(`{"number":%d,"summary":"购买办公用品（打印纸、墨盒），基准测试数据","lines":[{"account":"102","debit":"100.00"},{"account":"301","credit":"100.00"}],"preparer":"赵敏","reviewer":"李娜","approver":"王建华"}`, number)
}

// clerk is one client's writing state: the matter it is taking through its
// stages, in its own community.
type clerk struct {
	run     string
	client  int
	seq     int // commands made, for idempotency keys
	matters int // matters started
	matter  string
	stage   int
	version uint64   // the matter subject's last stream sequence (baselines)
	done    []string // matters this clerk took through every stage
}

func (c *clerk) key() string {
	c.seq++
	return fmt.Sprintf("bench-%s-c%d-%d", c.run, c.client, c.seq)
}

// matterWrite is the next stage of the clerk's matter, a new matter after
// the last stage.
func (c *clerk) matterWrite(community string) write {
	if c.matter == "" {
		c.matters++
		c.matter = fmt.Sprintf("b%s-c%d-%d", c.run, c.client, c.matters)
		c.stage = 0
		c.version = 0
	}
	s := stages[c.stage]
	return write{kind: KindMatter, community: community, key: c.key(), envelope: envelope{
		Type: s.command, AggregateID: c.matter, EffectiveDate: matterDate, Data: json.RawMessage(s.data(c.matter)),
	}}
}

// matterDone moves the clerk's matter on after its stage was recorded
// (ok), or abandons it after a failure, since its state is then unknown.
func (c *clerk) matterDone(ok bool, version uint64) {
	if !ok {
		c.matter = ""
		return
	}
	c.version = version
	c.stage++
	if c.stage == len(stages) {
		c.done = append(c.done, c.matter)
		c.matter = ""
	}
}

func (c *clerk) voucherWrite(community, date string, number int) write {
	return write{kind: KindVoucher, community: community, key: c.key(), envelope: envelope{
		Type: "books.post_voucher", AggregateID: "books", EffectiveDate: date, Data: json.RawMessage(voucherData(number)),
	}}
}
