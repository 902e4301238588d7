package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// ErrNotFound is returned for a community the board does not know.
var ErrNotFound = errors.New("not found")

// BoardView is one community's public board (公开栏).
type BoardView struct {
	Community string `json:"community"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Town      string `json:"town"`
	County    string `json:"county"`
	// Matters are in order of registration.
	Matters []MatterRow `json:"matters"`
	// AsOfSeq is the last stream sequence the board has applied, and AsOf
	// the time the log recorded it.
	AsOfSeq uint64    `json:"as_of_seq"`
	AsOf    time.Time `json:"as_of"`
	// Seqs are the stream sequences of the community's own events.
	Seqs []uint64 `json:"stream_seqs"`
	// RuleSets are the rule sets the community adopted, in order (see
	// domain.Community.RuleSetAt), for saying which rule decided a vote.
	RuleSets []domain.RuleSet `json:"rule_sets,omitempty"`
	// Disclosures are the disclosure items (公开事项), every version, in
	// order of their first draft; Questions the residents' questions in
	// the order asked (contact details are never here: only whether some
	// were left).
	Disclosures []DisclosureRow `json:"disclosures,omitempty"`
	Questions   []QuestionRow   `json:"questions,omitempty"`
	// SupervisionPhone is the 监督电话 (community.set_contacts).
	SupervisionPhone string `json:"supervision_phone,omitempty"`
}

// DisclosureRow is one disclosure item with all its versions.
type DisclosureRow struct {
	Item     string                     `json:"item"`
	Versions []domain.DisclosureVersion `json:"versions"`
	// Seqs are the stream sequences of its events, for proofs.
	Seqs []uint64 `json:"stream_seqs"`
}

// Disclosure returns the row as the domain's state.
func (r DisclosureRow) Disclosure() *domain.Disclosure {
	return &domain.Disclosure{Item: r.Item, Versions: r.Versions}
}

// QuestionRow is one question and its answer.
type QuestionRow struct {
	ID         string      `json:"id"`
	About      string      `json:"about"`
	Text       string      `json:"text"`
	HasContact bool        `json:"has_contact"`
	AskedOn    domain.Date `json:"asked_on"`
	Due        domain.Date `json:"due"`
	Answer     string      `json:"answer,omitempty"`
	AnsweredOn domain.Date `json:"answered_on,omitzero"`
	AnsweredBy string      `json:"answered_by,omitempty"`
	// RecordedAt is when the log recorded the question.
	RecordedAt time.Time `json:"recorded_at"`
	Seqs       []uint64  `json:"stream_seqs"`
}

// MatterRow is one matter on the board.
type MatterRow struct {
	ID          string       `json:"id"`
	Title       string       `json:"title"`
	Description string       `json:"description,omitempty"`
	Category    string       `json:"category,omitempty"`
	Amount      domain.Fen   `json:"amount,omitempty"`
	Stage       domain.Stage `json:"stage"`
	Dates       []StageDate  `json:"dates"`
	// Proposal, Consultation, ResolutionDisclosure and ResultDisclosure
	// are what those stages recorded (summary; channels of a disclosure).
	Proposal             *domain.Record          `json:"proposal,omitempty"`
	Consultation         *domain.Record          `json:"consultation,omitempty"`
	ResolutionDisclosure *domain.Record          `json:"resolution_disclosure,omitempty"`
	ResultDisclosure     *domain.Record          `json:"result_disclosure,omitempty"`
	Review               *domain.Decision        `json:"review,omitempty"`
	Resolution           *domain.Decision        `json:"resolution,omitempty"`
	Implementations      []domain.Implementation `json:"implementations,omitempty"`
	Reason               string                  `json:"reason,omitempty"`
	RevokedBy            string                  `json:"revoked_by,omitempty"`
	// PastResolutions are the assembly's earlier votes, each failed and
	// followed by a new vote; Resolution is the latest.
	PastResolutions []PastVote `json:"past_resolutions,omitempty"`
	// Corrections are the corrections (更正) of recorded stages, each with
	// the content it replaced, in the order they were recorded.
	Corrections []domain.Correction `json:"corrections,omitempty"`
	// Seqs are the stream sequences this row was built from, for proofs.
	Seqs []uint64 `json:"stream_seqs"`
}

// PastVote is an earlier, failed vote of the assembly on a matter, held on
// Date; Round counts the matter's votes from 1 (第1次表决).
type PastVote struct {
	Round int         `json:"round"`
	Date  domain.Date `json:"date"`
	*domain.Decision
}

// StageDate is the date a stage was reached, or, when Corrects is set, the
// date a recorded stage was corrected.
type StageDate struct {
	Stage    domain.Stage `json:"stage"`
	Corrects domain.Stage `json:"corrects,omitempty"`
	Date     domain.Date  `json:"date"`
	Seq      uint64       `json:"stream_seq"`
	// Actor is who recorded it (see Event.Actor).
	Actor string `json:"actor,omitempty"`
	// RecordedAt is when the log recorded it; a stage recorded long after
	// Date was entered late (补录).
	RecordedAt time.Time `json:"recorded_at,omitzero"`
}

// StageCorrection is the Stage of a StageDate that records a correction:
// not a stage a matter reaches, but a label in its history.
const StageCorrection domain.Stage = "correction"

// Board is the read model of the public board for matters.
type Board interface {
	ReadModel
	// Board returns a community's board, or ErrNotFound.
	Board(ctx context.Context, community string) (BoardView, error)
}

// BoardModel is the board read model.
var BoardModel = Model{
	Name: "board",
	// Version 2: a matter's document keeps what each stage recorded,
	// earlier failed votes and corrections. Version 3: when each stage
	// was recorded, and the community's rule sets. Version 4: disclosure
	// items and questions.
	Version: 4,
	Wants: func(e Event) bool {
		switch e.AggregateType {
		case domain.AggregateCommunity, domain.AggregateMatter, domain.AggregateDisclosure, domain.AggregateQuestion:
			return true
		}
		return false
	},
	New: func(community string) State {
		return &boardState{Community: community, matters: map[string]*matterState{},
			disclosures: map[string]*disclosureState{}, questions: map[string]*questionState{}}
	},
}

// BoardOn serves Board queries from a backend of BoardModel.
type BoardOn struct{ Backend }

// MemoryBoard is the in-memory Board.
type MemoryBoard struct{ BoardOn }

// NewMemoryBoard returns an empty in-memory board.
func NewMemoryBoard() *MemoryBoard { return &MemoryBoard{BoardOn{NewMemory(BoardModel)}} }

// boardState is one community's board. Documents: ("community", "") and
// ("matter", id).
type boardState struct {
	Community string           `json:"-"`
	Name      string           `json:"name"`
	Kind      string           `json:"kind"`
	Town      string           `json:"town"`
	County    string           `json:"county"`
	Seqs      []uint64         `json:"seqs"`
	RuleSets  []domain.RuleSet `json:"rule_sets,omitempty"`
	// SupervisionPhone is the community's 监督电话.
	SupervisionPhone string `json:"supervision_phone,omitempty"`
	matters          map[string]*matterState
	order            []string
	// Disclosure items and questions, with the order first seen.
	disclosures     map[string]*disclosureState
	disclosureOrder []string
	questions       map[string]*questionState
	questionOrder   []string
}

type disclosureState struct {
	D    *domain.Disclosure `json:"disclosure"`
	Seqs []uint64           `json:"seqs"`
}

type questionState struct {
	Q          *domain.Question `json:"question"`
	RecordedAt time.Time        `json:"recorded_at"`
	Seqs       []uint64         `json:"seqs"`
}

type matterState struct {
	M     *domain.Matter `json:"matter"`
	Seqs  []uint64       `json:"seqs"`
	Dates []StageDate    `json:"dates"`
}

const (
	docCommunity  = "community"
	docMatter     = "matter"
	docDisclosure = "disclosure"
	docQuestion   = "question"
)

func (cs *boardState) Apply(e Event, ev domain.Event) ([]DocKey, error) {
	date, _ := domain.ParseDate(e.EffectiveDate)
	switch e.AggregateType {
	case domain.AggregateCommunity:
		if r, ok := ev.(*domain.CommunityRegistered); ok {
			cs.Name, cs.Kind, cs.Town, cs.County = r.Name, r.Kind, r.Town, r.County
		}
		if r, ok := ev.(*domain.RuleSetAdopted); ok {
			cs.RuleSets = append(cs.RuleSets, r.RuleSet)
		}
		if r, ok := ev.(*domain.ContactsSet); ok {
			cs.SupervisionPhone = r.SupervisionPhone
		}
		cs.Seqs = append(cs.Seqs, e.Seq)
		return []DocKey{{docCommunity, ""}}, nil
	case domain.AggregateMatter:
		ms := cs.matters[e.AggregateID]
		if ms == nil {
			ms = &matterState{M: &domain.Matter{ID: e.AggregateID}}
			cs.matters[e.AggregateID] = ms
			cs.order = append(cs.order, e.AggregateID)
		}
		ms.M.Apply(ev, date)
		ms.Seqs = append(ms.Seqs, e.Seq)
		switch ev := ev.(type) {
		case *domain.StageCorrected:
			ms.Dates = append(ms.Dates, StageDate{Stage: StageCorrection, Corrects: ev.Stage, Date: date, Seq: e.Seq, Actor: e.Actor, RecordedAt: e.RecordedAt})
		case *domain.ImplementationReported:
			if len(ms.M.Implementations) == 1 {
				ms.Dates = append(ms.Dates, StageDate{Stage: ms.M.Stage, Date: date, Seq: e.Seq, Actor: e.Actor, RecordedAt: e.RecordedAt})
			}
		default:
			ms.Dates = append(ms.Dates, StageDate{Stage: ms.M.Stage, Date: date, Seq: e.Seq, Actor: e.Actor, RecordedAt: e.RecordedAt})
		}
		return []DocKey{{docMatter, e.AggregateID}}, nil
	case domain.AggregateDisclosure:
		ds := cs.disclosures[e.AggregateID]
		if ds == nil {
			ds = &disclosureState{D: &domain.Disclosure{Item: e.AggregateID}}
			cs.disclosures[e.AggregateID] = ds
			cs.disclosureOrder = append(cs.disclosureOrder, e.AggregateID)
		}
		domain.ApplyTo(ds.D, domain.AggregateDisclosure, e.AggregateID, ev, date)
		ds.Seqs = append(ds.Seqs, e.Seq)
		return []DocKey{{docDisclosure, e.AggregateID}}, nil
	case domain.AggregateQuestion:
		qs := cs.questions[e.AggregateID]
		if qs == nil {
			qs = &questionState{Q: &domain.Question{ID: e.AggregateID}, RecordedAt: e.RecordedAt}
			cs.questions[e.AggregateID] = qs
			cs.questionOrder = append(cs.questionOrder, e.AggregateID)
		}
		domain.ApplyTo(qs.Q, domain.AggregateQuestion, e.AggregateID, ev, date)
		qs.Seqs = append(qs.Seqs, e.Seq)
		return []DocKey{{docQuestion, e.AggregateID}}, nil
	}
	return nil, nil
}

func (cs *boardState) Doc(k DocKey) ([]byte, error) {
	switch k.Kind {
	case docCommunity:
		return json.Marshal(cs)
	case docMatter:
		return json.Marshal(cs.matters[k.Key])
	case docDisclosure:
		return json.Marshal(cs.disclosures[k.Key])
	case docQuestion:
		return json.Marshal(cs.questions[k.Key])
	}
	return nil, fmt.Errorf("board: unknown document %v", k)
}

func (cs *boardState) Load(k DocKey, body []byte) error {
	switch k.Kind {
	case docCommunity:
		return json.Unmarshal(body, cs)
	case docMatter:
		ms := &matterState{}
		if err := json.Unmarshal(body, ms); err != nil {
			return err
		}
		if _, dup := cs.matters[k.Key]; !dup {
			cs.order = append(cs.order, k.Key)
		}
		cs.matters[k.Key] = ms
		return nil
	case docDisclosure:
		ds := &disclosureState{}
		if err := json.Unmarshal(body, ds); err != nil {
			return err
		}
		if _, dup := cs.disclosures[k.Key]; !dup {
			cs.disclosureOrder = append(cs.disclosureOrder, k.Key)
		}
		cs.disclosures[k.Key] = ds
		return nil
	case docQuestion:
		qs := &questionState{}
		if err := json.Unmarshal(body, qs); err != nil {
			return err
		}
		if _, dup := cs.questions[k.Key]; !dup {
			cs.questionOrder = append(cs.questionOrder, k.Key)
		}
		cs.questions[k.Key] = qs
		return nil
	}
	return fmt.Errorf("board: unknown document %v", k)
}

// Board returns a copy of a community's board.
func (b BoardOn) Board(ctx context.Context, community string) (BoardView, error) {
	var v BoardView
	err := b.View(ctx, community, func(st State, pos Position) error {
		cs, _ := st.(*boardState)
		if cs == nil || cs.Name == "" {
			return fmt.Errorf("community %s: %w", community, ErrNotFound)
		}
		v = BoardView{Community: community, Name: cs.Name, Kind: cs.Kind, Town: cs.Town, County: cs.County,
			AsOfSeq: pos.Seq, AsOf: pos.Time, Seqs: slices.Clone(cs.Seqs), RuleSets: slices.Clone(cs.RuleSets), Matters: make([]MatterRow, 0, len(cs.order)),
			SupervisionPhone: cs.SupervisionPhone}
		for _, id := range cs.order {
			v.Matters = append(v.Matters, row(cs.matters[id]))
		}
		for _, id := range cs.disclosureOrder {
			ds := cs.disclosures[id]
			v.Disclosures = append(v.Disclosures, DisclosureRow{Item: id, Versions: ds.D.Clone().Versions, Seqs: slices.Clone(ds.Seqs)})
		}
		for _, id := range cs.questionOrder {
			qs := cs.questions[id]
			q := qs.Q
			v.Questions = append(v.Questions, QuestionRow{ID: id, About: q.About, Text: q.Text, HasContact: q.HasContact,
				AskedOn: q.AskedOn, Due: q.Due, Answer: q.Answer, AnsweredOn: q.AnsweredOn, AnsweredBy: q.AnsweredBy,
				RecordedAt: qs.RecordedAt, Seqs: slices.Clone(qs.Seqs)})
		}
		return nil
	})
	return v, err
}

func row(ms *matterState) MatterRow {
	m := ms.M.Clone()
	r := MatterRow{
		ID: m.ID, Title: m.Title, Description: m.Description, Category: m.Category, Amount: m.Amount,
		Stage: m.Stage, Dates: slices.Clone(ms.Dates), Review: m.Review, Resolution: m.Resolution,
		Implementations: m.Implementations, Reason: m.Reason, RevokedBy: m.RevokedBy,
		Corrections: m.Corrections, Seqs: slices.Clone(ms.Seqs),
		Proposal: m.Proposal, Consultation: m.Consultation, ResolutionDisclosure: m.ResolutionDisclosure, ResultDisclosure: m.ResultDisclosure,
	}
	for i, p := range m.PastResolutions {
		r.PastResolutions = append(r.PastResolutions, PastVote{Round: i + 1, Date: p.Date, Decision: &p.Decision})
	}
	return r
}
