package projector

import (
	"sync"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// decoder decodes each event once for the runners of one feed. Feed hands
// an event to its handlers one after another, and the next event only
// after all of them, so the decoder keeps only the last event it decoded:
// the first runner that wants an event decodes it, the others get the same
// value.
//
// Sharing one domain.Event between read models is only correct while no
// read model changes anything reachable from it, nor later changes a part
// of it that it keeps (projections.State.Apply). Checked for the memory
// read models (2026-12, issue 14):
//
//   - board (boardState.Apply, and domain.Matter.Apply, Matter.correct,
//     Disclosure.apply, Question.apply it calls): copies strings and
//     values; keeps pointers into the event (Matter.Review and
//     Matter.Resolution point at the event's Decision; a disclosure
//     version keeps the event's Content with its Tables; the community
//     keeps the RuleSet with its Votes map, Disclosure pointer and Special
//     slice) and never writes through them: a correction or a new vote
//     replaces the pointer, a version's status is written to the board's
//     own Versions slice, Channels are cloned (slices.Clone).
//   - finance (finState.Apply, voucher, defineSub, retireSub,
//     budgetRec.set, and the queries in vouchers.go, statements.go,
//     cashbook.go, forms.go, accounts.go over what it keeps): keeps a
//     voucher's Lines, Attachments and Moves and a closing's Lines as the
//     event has them; they are only read (the red-ink case of forms.go
//     builds new lines, sorts are of slices the queries build, appends go
//     to the read model's own or new slices); budget lines are cloned;
//     FundsReceived and sub-accounts are copied by value.
//   - evaluation (evalState.Apply, voucher, budget, books, and
//     domain.Chart.Payment): reads a voucher's Lines, clones budget lines,
//     keeps the RuleSet as the board does, only read (ruleSetAt,
//     RuleSet.DisclosureRules); no map of the event is written.
//
// What two read models keep of the same event is the RuleSet (board and
// evaluation) and strings; both only read it.
type decoder struct {
	mu     sync.Mutex
	decode func(typ string, schema int, data []byte) (domain.Event, error)
	seq    uint64
	ev     domain.Event
}

// event returns e's data decoded, decoding it only if it is not the event
// decoded last.
func (d *decoder) event(e projections.Event) (domain.Event, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ev != nil && d.seq == e.Seq && d.ev.EventType() == e.Type {
		return d.ev, nil
	}
	ev, err := d.decode(e.Type, e.Schema, e.Data)
	if err != nil {
		return nil, err
	}
	d.seq, d.ev = e.Seq, ev
	return ev, nil
}
