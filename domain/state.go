package domain

// State is the state of one aggregate: *Community, *Matter, *Budget,
// *Books, *UserAccount, *Token, *Disclosure, *Question or *Evaluation.
type State any

// ApplyTo folds an event of an aggregate of type aggType and id into s
// (nil for a new aggregate) and returns the state. It changes s in place.
func ApplyTo(s State, aggType, id string, e Event, date Date) State {
	switch aggType {
	case AggregateCommunity:
		c, _ := s.(*Community)
		if c == nil {
			c = &Community{ID: id}
		}
		c.Apply(e)
		return c
	case AggregateMatter:
		m, _ := s.(*Matter)
		if m == nil {
			m = &Matter{ID: id}
		}
		m.Apply(e, date)
		return m
	case AggregateBudget:
		b, _ := s.(*Budget)
		if b == nil {
			b = &Budget{Year: date.Year}
			if y, err := budgetYearOf(id); err == nil {
				b.Year = y
			}
		}
		b.apply(e)
		return b
	case AggregateBooks:
		b, _ := s.(*Books)
		if b == nil {
			b = NewBooks()
		}
		b.apply(e, date)
		return b
	case AggregateAccount:
		a, _ := s.(*UserAccount)
		if a == nil {
			a = &UserAccount{Login: id}
		}
		a.apply(e, date)
		return a
	case AggregateDisclosure:
		d, _ := s.(*Disclosure)
		if d == nil {
			d = &Disclosure{Item: id}
		}
		d.apply(e, date)
		return d
	case AggregateQuestion:
		q, _ := s.(*Question)
		if q == nil {
			q = &Question{ID: id}
		}
		q.apply(e, date)
		return q
	case AggregateEvaluation:
		ev, _ := s.(*Evaluation)
		if ev == nil {
			ev = &Evaluation{ID: id}
		}
		ev.apply(e, date)
		return ev
	case AggregateToken:
		t, _ := s.(*Token)
		if t == nil {
			t = &Token{ID: id}
		}
		t.apply(e)
		return t
	}
	return s
}

// CloneState returns a deep copy of s.
func CloneState(s State) State {
	switch s := s.(type) {
	case *Community:
		return s.Clone()
	case *Matter:
		return s.Clone()
	case *Budget:
		if s == nil {
			return s
		}
		return s.clone()
	case *Books:
		if s == nil {
			return s
		}
		return s.clone()
	case *UserAccount:
		return s.Clone()
	case *Disclosure:
		return s.Clone()
	case *Evaluation:
		return s.Clone()
	case *Question:
		if s == nil {
			return s
		}
		c := *s
		return &c
	case *Token:
		if s == nil {
			return s
		}
		c := *s
		return &c
	}
	return s
}

// EnvFor fills env's typed target field from the state of the target.
func EnvFor(env Env, target State) Env {
	switch t := target.(type) {
	case *Matter:
		env.Matter = t
	case *Budget:
		env.Budget = t
	case *Books:
		env.Books = t
	case *UserAccount:
		env.Account = t
	case *Token:
		env.Token = t
	case *Disclosure:
		env.Disclosure = t
	case *Question:
		env.Question = t
	case *Evaluation:
		env.Evaluation = t
	}
	return env
}
