package room

import (
	"context"
	"sort"
	"sync"

	"github.com/gorento/gorento/internal/names"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// Room is one room: its participants and its media pipeline on one media
// server. It is created on the first join and closed when the last
// participant leaves.
type Room struct {
	srv  *Server
	name string

	ready     chan struct{} // closed once create finished
	createErr error
	media     *mediaServer
	pipeline  *kurento.MediaPipeline

	mu           sync.Mutex              // guards participants, seq, closed, unusable
	participants map[string]*Participant // by names.Key of the user name
	seq          int
	closed       bool
	unusable     bool // its media server is unreachable
}

func newRoom(s *Server, name string) *Room {
	return &Room{srv: s, name: name, ready: make(chan struct{}), participants: map[string]*Participant{}}
}

// create places the room on a media server and makes its pipeline.
func (r *Room) create(ctx context.Context) {
	defer close(r.ready)
	r.media = r.srv.pool.place()
	if r.media == nil {
		r.createErr = roomError(CodeRoomCannotBeCreated, "Cannot create room '%s': no media server is reachable", r.name)
		r.srv.forget(r)
		return
	}
	p, err := r.media.client.CreatePipeline(ctx)
	if err != nil {
		r.createErr = roomError(CodeRoomCannotBeCreated, "Cannot create room '%s': media server %s: %v", r.name, r.media.uri, err)
		r.srv.pool.unplace(r.media)
		r.srv.forget(r)
		return
	}
	r.pipeline = p
	if _, err := p.OnError(ctx, func(e wire.ErrorEvent) {
		msg := mediaErrorText(e.Type, e.Description, e.ErrorCode)
		for _, m := range r.members() {
			m.session.notify("mediaError", map[string]any{"error": msg})
		}
	}); err != nil {
		r.srv.log.Warn("cannot watch pipeline errors", "room", r.name, "err", err)
	}
	r.srv.log.Info("room created", "room", r.name, "mediaServer", r.media.uri, "pipeline", p.ID())
}

func (r *Room) waitReady(ctx context.Context) error {
	select {
	case <-r.ready:
		return r.createErr
	case <-ctx.Done():
		return roomError(CodeRoomCannotBeCreated, "Timed out creating room '%s'", r.name)
	}
}

// member is a participant as a joiner sees it.
type member struct {
	p          *Participant
	publishing bool
}

// join adds a participant; it returns the participants already there, in
// the order they joined, with whether they publish. The snapshot is taken
// under the room lock, like publication changes (setPublishing), so a
// joiner learns of each publication exactly once: in this list or by
// notification.
func (r *Room) join(s *Session, user string, dataChannels bool) (*Participant, []member, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, nil, roomError(CodeRoomClosed, "Room '%s' is closing", r.name)
	}
	if r.unusable {
		return nil, nil, roomError(CodeRoomCannotBeCreated, "Room '%s' is unavailable: its media server %s is unreachable; try again later", r.name, r.media.uri)
	}
	key := names.Key(user)
	if o, taken := r.participants[key]; taken {
		if o.name == user {
			return nil, nil, roomError(CodeExistingUser, "User '%s' already exists in room '%s'", user, r.name)
		}
		return nil, nil, roomError(CodeExistingUser, "User name '%s' looks like '%s', who is already in room '%s'", user, o.name, r.name)
	}
	var others []member
	for _, o := range r.sortedLocked() {
		others = append(others, member{o, o.isPublishing()})
	}
	r.seq++
	p := newParticipant(r, s, user, dataChannels, r.seq)
	r.participants[key] = p
	return p, others, nil
}

// setPublishing changes p's publication under the room lock and returns the
// participants to tell about it.
func (r *Room) setPublishing(p *Participant, update func() bool) ([]*Participant, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !update() {
		return nil, false
	}
	var out []*Participant
	for _, o := range r.sortedLocked() {
		if o != p {
			out = append(out, o)
		}
	}
	return out, true
}

func (r *Room) sortedLocked() []*Participant {
	out := make([]*Participant, 0, len(r.participants))
	for _, p := range r.participants {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

// members returns every participant, in join order.
func (r *Room) members() []*Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sortedLocked()
}

// participant returns the participant with exactly that name, or nil.
func (r *Room) participant(name string) *Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.participants[names.Key(name)]; p != nil && p.name == name {
		return p
	}
	return nil
}

// setUsable marks the room usable or not (its media server reachable);
// it returns the previous state.
func (r *Room) setUsable(usable bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	was := !r.unusable
	r.unusable = !usable
	return was
}

// placedOn reports whether the room's pipeline is on that media server.
func (r *Room) placedOn(uri string) bool {
	select {
	case <-r.ready:
		return r.createErr == nil && r.media.uri == uri
	default:
		return false
	}
}

// leave removes p: the others drop their subscriptions to it, its media is
// released, they get participantLeft, and an empty room closes.
func (r *Room) leave(ctx context.Context, p *Participant) {
	key := names.Key(p.name)
	r.mu.Lock()
	if r.participants[key] != p {
		r.mu.Unlock()
		return
	}
	delete(r.participants, key)
	remaining := r.sortedLocked()
	empty := len(remaining) == 0
	if empty {
		r.closed = true
	}
	r.mu.Unlock()
	for _, o := range remaining {
		o.unsubscribe(ctx, p.name)
	}
	p.release(ctx)
	for _, o := range remaining {
		o.session.notify("participantLeft", map[string]any{"name": p.name})
	}
	if empty {
		r.dispose(ctx)
	}
}

// close closes the room at once (administration or shutdown): every
// participant is removed and, when notify, told with roomClosed.
func (r *Room) close(ctx context.Context, notify bool) {
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
		p.release(ctx)
		p.session.mu.Lock()
		if p.session.participant == p {
			p.session.participant = nil
		}
		p.session.mu.Unlock()
		if notify {
			p.session.notify("roomClosed", map[string]any{"room": r.name})
		}
	}
	r.dispose(ctx)
}

// dispose releases the pipeline and forgets the room.
func (r *Room) dispose(ctx context.Context) {
	r.srv.forget(r)
	<-r.ready
	if r.pipeline != nil {
		if err := r.pipeline.Release(ctx); err != nil {
			r.srv.log.Warn("releasing room pipeline", "room", r.name, "err", err)
		}
		r.srv.pool.unplace(r.media)
	}
	r.srv.log.Info("room closed", "room", r.name)
}

func (r *Room) info() (RoomInfo, bool) {
	select {
	case <-r.ready:
	default:
		return RoomInfo{}, false
	}
	if r.createErr != nil {
		return RoomInfo{}, false
	}
	r.mu.Lock()
	usable := !r.unusable
	r.mu.Unlock()
	info := RoomInfo{Name: r.name, Participants: []string{}, Publishers: []string{}, MediaServer: r.media.uri, Usable: usable}
	for _, p := range r.members() {
		info.Participants = append(info.Participants, p.name)
		if p.isPublishing() {
			info.Publishers = append(info.Publishers, p.name)
		}
	}
	return info, true
}
