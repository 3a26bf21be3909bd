package kms

import (
	"time"

	"github.com/google/uuid"
)

// session is a Kurento session: the objects a client references and the
// connection its events go to. Fields are guarded by Server.mu.
type session struct {
	id      string
	conn    *connState // bound connection or nil
	objects map[string]*Object
	inUse   bool // marked since the last garbage collection
	// credential is the Kurento credential of the connection that opened
	// the session ("" on an open port); only connections presenting the
	// same one may use it (scope.go).
	credential string
	opener     *connState // counts the session in its opened
}

// sessionLocked returns the session with id, creating it for connection c
// (with a fresh UUID when id is empty). KMS silently recreates a session for
// an unknown id; connState.admit has checked the limits before.
func (s *Server) sessionLocked(id string, c *connState) *session {
	if id == "" {
		id = uuid.NewString()
	}
	sess := s.sessions[id]
	if sess == nil {
		sess = &session{id: id, objects: map[string]*Object{}, inUse: true, credential: c.credential, opener: c}
		c.opened++
		s.sessions[id] = sess
		s.metrics.sessions.Add(1)
	}
	return sess
}

// bind binds connection c and session id to each other, replacing any older
// binding on either side.
func (s *Server) bind(c *connState, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[id]
	if sess == nil || c.session == sess && sess.conn == c {
		return
	}
	if old := c.session; old != nil && old.conn == c {
		old.conn = nil
		old.inUse = true
	}
	if prev := sess.conn; prev != nil && prev != c {
		prev.session = nil
	}
	c.session = sess
	sess.conn = c
	sess.inUse = true
}

// markInUse keeps a session from the next collection; false if unknown.
func (s *Server) markInUse(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[id]
	if sess == nil {
		return false
	}
	sess.inUse = true
	return true
}

// gcLoop is the KMS garbage collector: every period, sessions that were
// not in use since the previous run are dropped and the objects only they
// referenced are released. Sessions with a live connection are marked every
// quarter period.
func (s *Server) gcLoop() {
	defer s.wg.Done()
	quarter := s.cfg.GCPeriod / 4
	t := time.NewTicker(quarter)
	defer t.Stop()
	// Cached answers expire and the memory of a finished load goes back to
	// the operating system within a quarter of the cache TTL (trim.go).
	m := time.NewTicker(max(s.cfg.RequestCacheTTL/4, 100*time.Millisecond))
	defer m.Stop()
	for n := 1; ; {
		select {
		case <-s.stop:
			return
		case <-m.C:
			s.cache.expire(time.Now())
			s.trimMemory()
			continue
		case <-t.C:
		}
		s.markLive()
		if n%4 == 0 {
			s.collect()
		}
		n++
	}
}

func (s *Server) markLive() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.sessions {
		if sess.conn != nil {
			sess.inUse = true
		}
	}
}

// collect runs one garbage collection.
func (s *Server) collect() {
	s.mu.Lock()
	var dead []*session
	for _, sess := range s.sessions {
		if !sess.inUse {
			dead = append(dead, sess)
		}
		sess.inUse = false
	}
	s.mu.Unlock()
	for _, sess := range dead {
		s.log.Info("garbage-collecting session", "session", sess.id, "objects", len(sess.objects))
		s.dropSession(sess, false)
	}
}

// dropSession removes a session. With releaseAll its objects are released;
// otherwise only the objects no other session references.
func (s *Server) dropSession(sess *session, releaseAll bool) {
	s.mu.Lock()
	if s.sessions[sess.id] != sess {
		s.mu.Unlock()
		return
	}
	delete(s.sessions, sess.id)
	s.metrics.sessions.Add(-1)
	sess.opener.opened--
	if c := sess.conn; c != nil && c.session == sess {
		c.session = nil
	}
	sess.conn = nil
	var orphans []*Object
	for _, o := range sess.objects {
		delete(o.sessions, sess.id)
		if releaseAll || len(o.sessions) == 0 {
			orphans = append(orphans, o)
		}
	}
	sess.objects = map[string]*Object{}
	s.subs.dropSessionLocked(sess.id)
	s.mu.Unlock()
	s.manager.dropTagsOf(sess.id)
	for _, o := range orphans {
		s.release(o)
	}
}

// unrefObject removes o from sess and releases it when nothing references it.
func (s *Server) unrefObject(o *Object, sess *session) {
	s.mu.Lock()
	delete(o.sessions, sess.id)
	delete(sess.objects, o.id)
	orphan := len(o.sessions) == 0 && o != s.manager
	s.mu.Unlock()
	if orphan {
		s.release(o)
	}
}
