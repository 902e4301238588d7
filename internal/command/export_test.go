package command

import (
	"context"

	"github.com/gongkai/gongkai/eventstore"
)

// SetAfterRead sets a function a load calls after reading an aggregate's
// subject and before folding what it read (to store an event meanwhile).
func SetAfterRead(s *Service, f func()) { s.cache.afterRead = f }

// FeedPos is the last stream sequence the service's feed applied.
func FeedPos(s *Service) uint64 {
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	return s.cache.pos
}

// Forget drops an aggregate from the service's cache.
func Forget(s *Service, community, aggType, id string) {
	s.cache.drop(eventstore.Subject(community, aggType, id))
}

// Plant caches an aggregate as it was at version upTo, whatever the log
// holds after it (a stale state).
func Plant(s *Service, community, aggType, id string, upTo uint64) {
	stored, _, err := s.store.Load(context.Background(), community, aggType, id)
	if err != nil {
		panic(err)
	}
	subject := eventstore.Subject(community, aggType, id)
	s.cache.drop(subject)
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	for _, st := range stored {
		if st.Seq <= upTo {
			s.cache.foldLocked(st)
		}
	}
}

// Kept is kept, for a table test.
var Kept = kept
