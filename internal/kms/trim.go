package kms

import (
	"runtime/debug"
	"sync/atomic"
)

// memTrim decides when the memory of a load that has finished goes back to
// the operating system. The Go runtime keeps freed heap for reuse and
// collects only when the heap grows, so after 1000 endpoints are released
// (or a burst of requests' cached answers expires) an idle server would
// keep its peak RSS until the next forced collection and the scavenger's
// slow pace. Returning it right away costs one collection of what is still
// live; it is done only when the load has clearly dropped, never per
// request, and at most once per cache-expiry period (gcLoop).
type memTrim struct {
	released atomic.Int64 // objects released since the last trim
}

const (
	// trimMinReleased is the fewest objects released since the last trim
	// that can start one: at least as many as are still alive (half of
	// them, or more, are gone).
	trimMinReleased = 256
	// trimMinAnswers is the smallest expired burst of cached answers
	// (requestCache.drained) that starts a trim.
	trimMinAnswers = 4096
)

// trimMemory returns freed memory to the operating system when the load
// has dropped since the last time: many objects released and at most as
// many left, or a burst of cached answers expired.
func (s *Server) trimMemory() {
	if s.cfg.NoMemoryTrim {
		return
	}
	released := s.trim.released.Load()
	s.mu.Lock()
	live := int64(len(s.objects))
	s.mu.Unlock()
	objects := released >= trimMinReleased && live <= released
	answers := s.cache.drained(trimMinAnswers)
	if !objects && !answers {
		return
	}
	s.trim.released.Add(-released)
	s.log.Debug("returning freed memory to the operating system", "released", released, "live", live, "answersExpired", answers)
	debug.FreeOSMemory()
}
