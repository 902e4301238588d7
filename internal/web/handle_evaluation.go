package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math/big"
	"net/http"
	"slices"
	"strconv"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/projections"
)

// The town's evaluation (年度考核) of a year: each community of the town
// with the indicators computed from the log (each linking the events it
// rests on), its entered scores and appraisal once published (or to the
// town's evaluators before), its total, rank and stars under the plan in
// force, and a chart. Evaluators send the evaluation's commands through
// POST /api/v1/towns/{town}/evaluation/{year}/commands; the close is
// filled with the values the read model computes, as a disclosure's draft
// is.

func (s *Server) evaluationRoutes() {
	s.mux.HandleFunc("GET /town/{town}/evaluation/{year}", s.handleEvaluationPage)
	s.mux.HandleFunc("GET /api/v1/towns/{town}/evaluation/{year}", s.handleEvaluationJSON)
	s.mux.HandleFunc("POST /api/v1/towns/{town}/evaluation/{year}/commands", s.handleEvaluationCommand)
}

// evalRow is one community of an evaluation.
type evalRow struct {
	Community string                       `json:"community"`
	Name      string                       `json:"name"`
	Values    []projections.IndicatorValue `json:"values"`
	// Points, Total and Stars under the plan (absent without a plan);
	// Missing lists entered indicators or the appraisal without data.
	Points  map[string]string `json:"points,omitempty"`
	Total   string            `json:"total,omitempty"`
	Stars   int               `json:"stars"`
	Rank    int               `json:"rank,omitempty"`
	Missing []string          `json:"missing,omitempty"`
	// Scores and Appraisal are shown once the evaluation is published (or
	// to the town's evaluators).
	Scores    map[string]domain.EnteredScore `json:"scores,omitempty"`
	Appraisal *domain.Appraisal              `json:"appraisal,omitempty"`
	total     *big.Rat
}

// evalPage is a town's evaluation of a year.
type evalPage struct {
	Town    string                 `json:"town"`
	Year    int                    `json:"year"`
	Today   domain.Date            `json:"today"`
	Plan    *domain.EvaluationPlan `json:"plan,omitempty"`
	Version int                    `json:"version"`
	Closed  bool                   `json:"closed"`
	// Unpublished is set when scores not yet published are shown (to the
	// town's evaluators).
	Unpublished bool          `json:"unpublished,omitempty"`
	Rows        []evalRow     `json:"communities"`
	Sort        string        `json:"sort"`
	Chart       template.HTML `json:"-"`
	// Names maps the plan's indicator ids to their Chinese names.
	Names map[string]string `json:"-"`
}

// evaluationOf reads the town's evaluation state.
func (s *Server) evaluationOf(town string, year int) *domain.Evaluation {
	st, _ := s.Commands.State(domain.SystemCommunity, domain.AggregateEvaluation, domain.EvaluationID(year, town))
	e, _ := st.(*domain.Evaluation)
	return e
}

// computedValues maps each computed indicator of the plan to its value in
// set: a share or ratio Num/Den. A value with no basis (NA: no
// resolutions, no payments above the threshold, no budget, no income the
// year before, nothing due, no questions) earns full marks, as nothing was
// done wrong, except meetings per quarter, which earns nothing.
func computedValues(plan domain.EvaluationPlan, set projections.IndicatorSet) map[string]*big.Rat {
	out := map[string]*big.Rat{}
	for _, ind := range plan.Indicators {
		if ind.Kind != domain.IndicatorComputed {
			continue
		}
		v := big.NewRat(0, 1)
		for _, x := range set.Values {
			if x.ID != ind.Rule || x.Line != "" {
				continue
			}
			switch {
			case x.NA && ind.Rule == projections.IndicatorMeetings:
			case x.NA || x.Den == 0:
				v = big.NewRat(1, 1)
			default:
				v = big.NewRat(x.Num, x.Den)
			}
		}
		out[ind.ID] = v
	}
	return out
}

// buildEvaluation lays out the evaluation of town's year for actor (whose
// grants decide whether unpublished scores show).
func (s *Server) buildEvaluation(r *http.Request, town string, year int, actor domain.Actor, signedIn bool) (evalPage, error) {
	e := s.evaluationOf(town, year)
	page := evalPage{Town: town, Year: year, Today: domain.DateOf(s.Now()), Sort: r.URL.Query().Get("sort")}
	if e != nil && e.Closed() {
		page.Today = e.ClosedOn
	}
	page.Names = map[string]string{}
	if e != nil && e.Version > 0 {
		plan := e.Plan
		page.Plan, page.Version, page.Closed = &plan, e.Version, e.Closed()
		for _, ind := range plan.Indicators {
			page.Names[ind.ID] = ind.NameZH
		}
	}
	show := e.Published() || (signedIn && actor.MayReadUnpublished(e))
	page.Unpublished = show && !e.Published()
	ids := s.communitiesIn(town)
	for _, c := range ids {
		set, err := s.Evaluations.Indicators(r.Context(), c, year, page.Today)
		if errors.Is(err, projections.ErrNotFound) {
			continue
		}
		if err != nil {
			return page, err
		}
		row := evalRow{Community: c, Name: set.Name, Values: set.Values}
		if page.Plan != nil {
			sc, err := e.Score(c, computedValues(*page.Plan, set))
			if err != nil {
				return page, err
			}
			row.total, row.Stars, row.Missing = sc.Total, sc.Stars, sc.Missing
			row.Points = map[string]string{}
			for id, p := range sc.Points {
				row.Points[id] = p.FloatString(2)
			}
			row.Total = sc.TotalString()
			if show {
				row.Scores = e.Scores[c]
				if a, ok := e.Appraisals[c]; ok {
					row.Appraisal = &a
				}
			} else {
				// Before publication only the computed part is public.
				row.Total, row.Stars, row.total, row.Missing = "", 0, nil, nil
				for _, ind := range page.Plan.Indicators {
					if ind.Kind != domain.IndicatorComputed {
						delete(row.Points, ind.ID)
					}
				}
			}
		}
		page.Rows = append(page.Rows, row)
	}
	// Ranks by exact total, equal totals sharing a rank; then the order
	// asked for (score by default).
	ranked := slices.Clone(page.Rows)
	slices.SortStableFunc(ranked, byTotal)
	rank := map[string]int{}
	for i, x := range ranked {
		switch {
		case x.total == nil:
		case i > 0 && ranked[i-1].total != nil && ranked[i-1].total.Cmp(x.total) == 0:
			rank[x.Community] = rank[ranked[i-1].Community]
		default:
			rank[x.Community] = i + 1
		}
	}
	for i := range page.Rows {
		page.Rows[i].Rank = rank[page.Rows[i].Community]
	}
	switch page.Sort {
	case "name":
		slices.SortStableFunc(page.Rows, func(a, b evalRow) int { return cmp.Compare(a.Community, b.Community) })
	case "stars":
		slices.SortStableFunc(page.Rows, func(a, b evalRow) int { return cmp.Compare(b.Stars, a.Stars) })
	default:
		page.Sort = "score"
		slices.SortStableFunc(page.Rows, byTotal)
	}
	if len(rank) > 0 {
		var labels []string
		var vals []domain.Fen
		for _, x := range page.Rows {
			labels = append(labels, x.Name)
			f, _ := new(big.Rat).Mul(x.total, big.NewRat(100, 1)).Float64()
			vals = append(vals, domain.Fen(f+0.5))
		}
		page.Chart = barChart(town+fmt.Sprint(year)+"年度考核得分", labels, []barSeries{{Name: "得分", Class: "s1", Values: vals}})
	}
	return page, nil
}

// byTotal orders rows by total, highest first; rows without one keep
// their place.
func byTotal(a, b evalRow) int {
	if a.total == nil || b.total == nil {
		return 0
	}
	return b.total.Cmp(a.total)
}

// evalTarget reads the town and year of an evaluation request.
func evalTarget(r *http.Request) (string, int, *Problem) {
	town := r.PathValue("town")
	y, err := strconv.Atoi(r.PathValue("year"))
	if badTownName(town) || err != nil || y < 1949 || y > 9999 {
		p := badRequest("bad_query", "Give a town's name and a four-digit year.", "请给出乡镇名称和四位数年度。")
		return "", 0, &p
	}
	return town, y, nil
}

func (s *Server) handleEvaluationPage(w http.ResponseWriter, r *http.Request) {
	town, year, bad := evalTarget(r)
	if bad != nil {
		s.errorPage(w, r, *bad)
		return
	}
	if len(s.communitiesIn(town)) == 0 {
		s.errorPage(w, r, Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
			Detail: "No community is registered in " + town + ".", DetailZH: "没有登记在" + town + "的社区或村。"})
		return
	}
	a, _, signedIn := s.SignedIn(r)
	page, err := s.buildEvaluation(r, town, year, a, signedIn)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	if page.Unpublished {
		s.renderPrivate(w, r, http.StatusOK, "evaluation.html", page)
		return
	}
	s.render(w, r, http.StatusOK, "evaluation.html", page)
}

func (s *Server) handleEvaluationJSON(w http.ResponseWriter, r *http.Request) {
	town, year, bad := evalTarget(r)
	if bad != nil {
		writeProblem(w, *bad)
		return
	}
	var a domain.Actor
	authed := false
	if r.Header.Get("Authorization") != "" {
		if a, authed = s.authenticate(w, r); !authed {
			return
		}
	}
	page, err := s.buildEvaluation(r, town, year, a, authed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// handleEvaluationCommand records one evaluation command of a town's year
// for an evaluator (the command service checks the grant). The close is
// filled with every community's computed values as the read model gives
// them, so the log records each result.
func (s *Server) handleEvaluationCommand(w http.ResponseWriter, r *http.Request) {
	town, year, bad := evalTarget(r)
	if bad != nil {
		writeProblem(w, *bad)
		return
	}
	a, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 200 {
		writeProblem(w, badRequest("idempotency_key_required", "Writes need an Idempotency-Key header (1 to 200 characters).",
			"写入请求须带 Idempotency-Key 请求头（1 至 200 个字符）。"))
		return
	}
	var c command.Command
	if !decodeBody(w, r, MaxCommandBody, &c) {
		return
	}
	if domain.AggregateType(c.Type) != domain.AggregateEvaluation {
		writeProblem(w, badRequest("bad_type", "Only evaluation commands are sent here.", "此处只接受考核指令。",
			domain.FieldError{Field: "type", Reason: "not an evaluation command", ReasonZH: "不是考核指令"}))
		return
	}
	c.AggregateID = domain.EvaluationID(year, town)
	if c.EffectiveDate == "" {
		c.EffectiveDate = domain.DateOf(s.Now()).String()
	}
	if c.Type == domain.CmdCloseEvaluation {
		e := s.evaluationOf(town, year)
		if e != nil && e.Version > 0 {
			computed := map[string]map[string]string{}
			today, _ := domain.ParseDate(c.EffectiveDate)
			for _, id := range s.communitiesIn(town) {
				set, err := s.Evaluations.Indicators(r.Context(), id, year, today)
				if err != nil {
					continue
				}
				vals := map[string]string{}
				for ind, v := range computedValues(e.Plan, set) {
					vals[ind] = v.RatString()
				}
				computed[id] = vals
			}
			data, err := json.Marshal(domain.CloseEvaluation{Computed: computed})
			if err != nil {
				s.fail(w, r, err)
				return
			}
			c.Data = data
		}
	}
	res, err := s.Commands.Execute(r.Context(), command.Request{Community: domain.SystemCommunity, IdempotencyKey: key, Actor: a,
		Commands: []command.Command{c}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status(res), commandReply{res.Appends[0], res.Replayed})
}
