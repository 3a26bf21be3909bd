package room

import (
	"context"
	"errors"
	"net/http"

	"github.com/gorento/gorento/internal/metrics"
)

// RoomStats counts rooms, participants, publishers and subscriptions and
// tells which media servers are reachable (metrics.RoomSource).
func (s *Server) RoomStats() metrics.RoomStats {
	var st metrics.RoomStats
	for _, r := range s.openRooms() {
		info, ok := r.info()
		if !ok {
			continue
		}
		st.Rooms++
		st.Participants += int64(len(info.Participants))
		st.Publishers += int64(len(info.Publishers))
		for _, p := range r.members() {
			p.mu.Lock()
			st.Subscriptions += int64(len(p.subs))
			p.mu.Unlock()
		}
	}
	for _, l := range s.pool.loads() {
		st.MediaServers = append(st.MediaServers, metrics.MediaServerState{URI: l.URI, Up: l.Up, Rooms: l.Rooms})
	}
	return st
}

func (s *Server) openRooms() []*Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		out = append(out, r)
	}
	return out
}

// Evict removes a participant: the others get participantLeft, it gets
// participantEvicted and its socket is closed. False if there is no such
// participant.
func (s *Server) Evict(room, user string) bool {
	r := s.lookup(room)
	if r == nil {
		return false
	}
	p := r.participant(user)
	if p == nil {
		return false
	}
	s.log.Info("evicting participant (HTTP API)", "room", room, "user", user)
	p.session.evict()
	return true
}

// Ready reports whether the room server can take joins: not shutting down
// and at least one media server reachable (for /readyz).
func (s *Server) Ready() error {
	s.mu.Lock()
	draining := s.draining || s.closed
	s.mu.Unlock()
	if draining {
		return errors.New("shutting down")
	}
	return s.pool.reachable()
}

// Shutdown drains the room server: new sockets and joins are refused,
// every room is closed — its participants get roomClosed — and its media
// released, then each socket is closed once its last frames are out. It
// returns when every socket is gone or ctx ends; Close must follow.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	for _, r := range s.openRooms() {
		r.close(ctx, true)
	}
	s.mu.Lock()
	sessions := make([]*Session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.mu.Lock()
		w := ss.sock
		ss.mu.Unlock()
		if w != nil {
			w.conn.CloseAfterFlush(1001, "server shutting down")
		}
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refuseDraining answers new sockets during shutdown.
func (s *Server) refuseDraining(w http.ResponseWriter) bool {
	s.mu.Lock()
	draining := s.draining || s.closed
	s.mu.Unlock()
	if draining {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "the room server is shutting down", http.StatusServiceUnavailable)
	}
	return draining
}
