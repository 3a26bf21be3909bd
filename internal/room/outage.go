package room

import (
	"context"
	"time"
)

// A media server that becomes unreachable (its process died, the network
// broke) is noticed at once when its socket closes, or within about two
// keepalive intervals when it goes silent. Its rooms' participants get
// mediaError right away and the rooms refuse new joins; new rooms go to
// the other media servers. If it comes back with our session, the rooms
// work again; if it restarted, they are closed (mediaServerLost). If it
// stays away for the outage grace, they are closed too, so their
// participants can join again on another media server.

const mediaServerDownError = "MEDIA_SERVER_DOWN"

// mediaServerDown runs when the connection to a media server drops.
func (s *Server) mediaServerDown(uri string, err error) {
	for _, r := range s.roomsOn(uri) {
		if !r.setUsable(false) {
			continue
		}
		s.log.Warn("room unusable: its media server is unreachable", "room", r.name, "mediaServer", uri)
		msg := mediaErrorText(mediaServerDownError, "the media server is unreachable: this room's media stopped ("+err.Error()+")", 0)
		for _, m := range r.members() {
			m.session.notify("mediaError", map[string]any{"error": msg})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outages == nil {
		s.outages = map[string]*time.Timer{}
	}
	if t := s.outages[uri]; t != nil {
		t.Stop()
	}
	s.outages[uri] = time.AfterFunc(s.cfg.OutageGrace, func() { s.outageExpired(uri) })
}

// mediaServerUp runs when a media server is back with our session.
func (s *Server) mediaServerUp(uri string) {
	s.stopOutage(uri)
	s.pool.releaseOrphans(uri, s.log)
	for _, r := range s.roomsOn(uri) {
		r.setUsable(true)
	}
}

func (s *Server) stopOutage(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.outages[uri]; t != nil {
		t.Stop()
		delete(s.outages, uri)
	}
}

// outageExpired closes the rooms of a media server that stayed away.
func (s *Server) outageExpired(uri string) {
	s.mu.Lock()
	delete(s.outages, uri)
	s.mu.Unlock()
	if s.pool.isUp(uri) {
		return
	}
	for _, r := range s.roomsOn(uri) {
		s.log.Warn("closing room: its media server stayed unreachable", "room", r.name, "mediaServer", uri, "grace", s.cfg.OutageGrace)
		r.abandon()
	}
}

// abandon closes the room without calling its unreachable media server:
// participants get roomClosed; the pipeline (and every element in it) is
// released if the server comes back with our session.
func (r *Room) abandon() {
	r.mu.Lock()
	if r.closed && len(r.participants) == 0 {
		r.mu.Unlock()
		return
	}
	r.closed = true
	members := r.sortedLocked()
	r.participants = map[string]*Participant{}
	r.mu.Unlock()
	for _, p := range members {
		p.mu.Lock()
		p.released = true
		p.subs, p.pending = map[string]*subscription{}, map[string][]candidate{}
		p.publisher, p.hub, p.filter, p.publishing = nil, nil, nil, false
		p.mu.Unlock()
		p.session.mu.Lock()
		if p.session.participant == p {
			p.session.participant = nil
		}
		p.session.mu.Unlock()
		p.session.notify("roomClosed", map[string]any{"room": r.name})
	}
	r.srv.forget(r)
	if r.pipeline != nil {
		r.srv.pool.orphan(r.media, r.pipeline)
	}
}

// orphan keeps a pipeline to release when its server is back.
func (p *mediaPool) orphan(ms *mediaServer, obj releasable) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ms.rooms--
	ms.orphans = append(ms.orphans, obj)
}

// releaseOrphans releases the pipelines of rooms closed while the server
// was away.
func (p *mediaPool) releaseOrphans(uri string, log interface{ Warn(string, ...any) }) {
	p.mu.Lock()
	var objs []releasable
	for _, ms := range p.servers {
		if ms.uri == uri {
			objs, ms.orphans = ms.orphans, nil
		}
	}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, o := range objs {
		if err := o.Release(ctx); err != nil {
			log.Warn("releasing the pipeline of a room closed during an outage", "mediaServer", uri, "err", err)
		}
	}
}

// dropOrphans forgets the pipelines of a server that restarted (gone with it).
func (p *mediaPool) dropOrphans(uri string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ms := range p.servers {
		if ms.uri == uri {
			ms.orphans = nil
		}
	}
}

func (p *mediaPool) isUp(uri string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ms := range p.servers {
		if ms.uri == uri {
			return ms.up
		}
	}
	return false
}
