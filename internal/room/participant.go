package room

import (
	"context"
	"fmt"
	"sync"

	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

type candidate struct {
	Candidate     string `json:"candidate"`
	SdpMid        string `json:"sdpMid"`
	SdpMLineIndex int    `json:"sdpMLineIndex"`
}

// Participant is one member of a room. Its media: a publisher WebRtcEndpoint
// → optional filter → a PassThrough hub that feeds every subscriber, and one
// subscriber WebRtcEndpoint per publisher it watches.
type Participant struct {
	name         string
	room         *Room
	session      *Session
	dataChannels bool
	seq          int

	mu         sync.Mutex // guards the fields below
	publisher  *kurento.WebRtcEndpoint
	hub        *kurento.PassThrough
	filter     *kurento.MediaElement
	publishing bool
	busy       bool                     // a publish is in progress
	subs       map[string]*subscription // by publisher name
	pending    map[string][]candidate   // ICE candidates for endpoints that do not exist yet
	released   bool
}

type subscription struct {
	ep         *kurento.WebRtcEndpoint
	connecting bool
}

func newParticipant(r *Room, s *Session, name string, dataChannels bool, seq int) *Participant {
	return &Participant{name: name, room: r, session: s, dataChannels: dataChannels, seq: seq,
		subs: map[string]*subscription{}, pending: map[string][]candidate{}}
}

// Name returns the participant's user name.
func (p *Participant) Name() string { return p.name }

// Room returns the participant's room name.
func (p *Participant) Room() string { return p.room.name }

func (p *Participant) isPublishing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.publishing
}

// newEndpoint creates a WebRtcEndpoint with the room's bandwidth limits,
// relaying its ICE candidates (tagged endpointName) and errors to the
// participant.
func (p *Participant) newEndpoint(ctx context.Context, endpointName string) (*kurento.WebRtcEndpoint, error) {
	cfg := p.room.srv.cfg
	ep, err := p.room.pipeline.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{UseDataChannels: p.dataChannels})
	if err != nil {
		return nil, roomError(CodeMediaEndpoint, "Cannot create an endpoint: %v", err)
	}
	fail := func(err error) (*kurento.WebRtcEndpoint, error) {
		_ = ep.Release(context.Background())
		return nil, roomError(CodeMediaEndpoint, "Cannot configure an endpoint: %v", err)
	}
	for name, v := range map[string]int{"minVideoSendBandwidth": cfg.MinVideoKbps, "maxVideoSendBandwidth": cfg.MaxVideoKbps,
		"minVideoRecvBandwidth": cfg.MinVideoKbps, "maxVideoRecvBandwidth": cfg.MaxVideoKbps} {
		if err := ep.SetIntProperty(ctx, name, v); err != nil {
			return fail(err)
		}
	}
	if _, err := ep.OnIceCandidateFound(ctx, func(e wire.IceCandidateFound) {
		p.session.notify("iceCandidate", map[string]any{"endpointName": endpointName, "candidate": e.Candidate.Candidate,
			"sdpMid": e.Candidate.SdpMid, "sdpMLineIndex": e.Candidate.SdpMLineIndex})
	}); err != nil {
		return fail(err)
	}
	if _, err := ep.OnError(ctx, func(e wire.ErrorEvent) {
		p.session.notify("mediaError", map[string]any{"error": mediaErrorText(e.Type, e.Description, e.ErrorCode)})
	}); err != nil {
		return fail(err)
	}
	p.mu.Lock()
	queued := p.pending[endpointName]
	delete(p.pending, endpointName)
	p.mu.Unlock()
	for _, c := range queued {
		if err := ep.AddIceCandidate(ctx, c.Candidate, c.SdpMid, c.SdpMLineIndex); err != nil {
			p.room.srv.log.Debug("dropping queued candidate", "user", p.name, "err", err)
		}
	}
	return ep, nil
}

// publish starts publishing: it returns the answer and the participants to
// notify; ICE gathering starts after the answer was sent (gatherPublisher).
func (p *Participant) publish(ctx context.Context, offer string, loopback bool) (string, []*Participant, error) {
	p.mu.Lock()
	switch {
	case p.released:
		p.mu.Unlock()
		return "", nil, roomError(CodeUserClosed, "User '%s' is leaving", p.name)
	case p.publishing || p.busy:
		p.mu.Unlock()
		return "", nil, roomError(CodeMediaSDP, "User '%s' is already publishing", p.name)
	}
	p.busy = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.busy = false
		p.mu.Unlock()
	}()
	ep, err := p.newEndpoint(ctx, p.name)
	if err != nil {
		return "", nil, err
	}
	hub, err := p.room.pipeline.CreatePassThrough(ctx)
	if err != nil {
		_ = ep.Release(context.Background())
		return "", nil, roomError(CodeMediaEndpoint, "Cannot create the publisher hub: %v", err)
	}
	release := func() {
		_ = ep.Release(context.Background())
		_ = hub.Release(context.Background())
	}
	if err := ep.Connect(ctx, hub, kurento.ConnectOptions{}); err != nil {
		release()
		return "", nil, roomError(CodeMediaEndpoint, "Cannot connect the publisher: %v", err)
	}
	answer, err := ep.ProcessOffer(ctx, offer)
	if err != nil {
		release()
		return "", nil, roomError(CodeMediaSDP, "Cannot answer the offer: %v", err)
	}
	if loopback {
		if err := hub.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
			release()
			return "", nil, roomError(CodeMediaEndpoint, "Cannot set up the loopback: %v", err)
		}
	}
	targets, ok := p.room.setPublishing(p, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.released {
			return false
		}
		p.publisher, p.hub, p.publishing = ep, hub, true
		return true
	})
	if !ok {
		release()
		return "", nil, roomError(CodeUserClosed, "User '%s' left while publishing", p.name)
	}
	return answer, targets, nil
}

// gatherPublisher starts ICE gathering of the publisher endpoint.
func (p *Participant) gatherPublisher() {
	p.mu.Lock()
	ep := p.publisher
	p.mu.Unlock()
	if ep == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if err := ep.GatherCandidates(ctx); err != nil {
		p.session.notify("mediaError", map[string]any{"error": mediaErrorText("ICE_GATHER", err.Error(), 40400)})
	}
}

// unpublish stops publishing: every subscriber endpoint fed by it and the
// publisher's own endpoint, filter and hub are released. It returns the
// participants to notify.
func (p *Participant) unpublish(ctx context.Context) ([]*Participant, error) {
	var ep *kurento.WebRtcEndpoint
	var hub *kurento.PassThrough
	var filter *kurento.MediaElement
	targets, ok := p.room.setPublishing(p, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.publishing {
			return false
		}
		ep, hub, filter = p.publisher, p.hub, p.filter
		p.publisher, p.hub, p.filter, p.publishing = nil, nil, nil, false
		return true
	})
	if !ok {
		return nil, roomError(CodeUserNotStreaming, "User '%s' is not publishing media", p.name)
	}
	for _, o := range targets {
		o.unsubscribe(ctx, p.name)
	}
	releaseAll(ctx, mediaObjects(filter, hub, ep))
	return targets, nil
}

// subscribe connects pub's hub to a new endpoint of p answering offer.
func (p *Participant) subscribe(ctx context.Context, pub *Participant, offer string) (string, *subscription, error) {
	pub.mu.Lock()
	hub, publishing := pub.hub, pub.publishing
	pub.mu.Unlock()
	if !publishing {
		return "", nil, roomError(CodeUserNotStreaming, "User '%s' is not publishing media", pub.name)
	}
	p.mu.Lock()
	old := p.subs[pub.name]
	if old != nil && old.connecting {
		p.mu.Unlock()
		return "", nil, roomError(CodeMediaSDP, "Already subscribing to '%s'", pub.name)
	}
	sub := &subscription{connecting: true}
	p.subs[pub.name] = sub
	p.mu.Unlock()
	if old != nil && old.ep != nil {
		_ = old.ep.Release(ctx)
	}
	fail := func(ep *kurento.WebRtcEndpoint, err error) (string, *subscription, error) {
		if ep != nil {
			_ = ep.Release(context.Background())
		}
		p.mu.Lock()
		if p.subs[pub.name] == sub {
			delete(p.subs, pub.name)
		}
		p.mu.Unlock()
		return "", nil, err
	}
	ep, err := p.newEndpoint(ctx, pub.name)
	if err != nil {
		return fail(nil, err)
	}
	answer, err := ep.ProcessOffer(ctx, offer)
	if err != nil {
		return fail(ep, roomError(CodeMediaSDP, "Cannot answer the offer: %v", err))
	}
	if err := hub.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
		return fail(ep, roomError(CodeMediaSDP, "Publisher '%s' went away while connecting: %v", pub.name, err))
	}
	p.mu.Lock()
	if p.released || p.subs[pub.name] != sub {
		p.mu.Unlock()
		return fail(ep, roomError(CodeUserClosed, "The subscription to '%s' was cancelled", pub.name))
	}
	sub.ep, sub.connecting = ep, false
	p.mu.Unlock()
	return answer, sub, nil
}

// gather starts ICE gathering of a subscription.
func (s *subscription) gather() {
	if s.ep == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	_ = s.ep.GatherCandidates(ctx)
}

// unsubscribe releases the subscription to a publisher, if any.
func (p *Participant) unsubscribe(ctx context.Context, publisher string) {
	p.mu.Lock()
	sub := p.subs[publisher]
	delete(p.subs, publisher)
	delete(p.pending, publisher)
	p.mu.Unlock()
	if sub != nil && sub.ep != nil {
		_ = sub.ep.Release(ctx)
	}
}

// addCandidate routes a browser candidate by endpointName: the own name is
// the publisher endpoint, another name the subscription to that publisher.
// Candidates for an endpoint that does not exist yet are queued.
func (p *Participant) addCandidate(ctx context.Context, endpointName string, c candidate) error {
	p.mu.Lock()
	var ep *kurento.WebRtcEndpoint
	if endpointName == p.name {
		ep = p.publisher
	} else if sub := p.subs[endpointName]; sub != nil {
		ep = sub.ep
	}
	if ep == nil {
		p.pending[endpointName] = append(p.pending[endpointName], c)
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	if err := ep.AddIceCandidate(ctx, c.Candidate, c.SdpMid, c.SdpMLineIndex); err != nil {
		return roomError(CodeMediaWebRtcEndpoint, "Cannot add the candidate: %v", err)
	}
	return nil
}

// release frees every media object of the participant.
func (p *Participant) release(ctx context.Context) {
	p.mu.Lock()
	if p.released {
		p.mu.Unlock()
		return
	}
	p.released = true
	objs := mediaObjects(p.filter, p.hub, p.publisher)
	for _, s := range p.subs {
		if s.ep != nil {
			objs = append(objs, s.ep)
		}
	}
	p.subs, p.pending = map[string]*subscription{}, map[string][]candidate{}
	p.publisher, p.hub, p.filter, p.publishing = nil, nil, nil, false
	p.mu.Unlock()
	releaseAll(ctx, objs)
}

// InsertFilter puts a filter created by make between the publisher
// endpoint and its hub, so every subscriber (and the loopback) sees it.
func (p *Participant) InsertFilter(ctx context.Context, make func(*kurento.MediaPipeline) (*kurento.MediaElement, error)) error {
	p.mu.Lock()
	ep, hub, has := p.publisher, p.hub, p.filter != nil
	p.mu.Unlock()
	switch {
	case ep == nil:
		return roomError(CodeUserNotStreaming, "User '%s' is not publishing media", p.name)
	case has:
		return roomError(CodeUnexpected, "User '%s' already has a filter", p.name)
	}
	f, err := make(p.room.pipeline)
	if err != nil {
		return err
	}
	if err := ep.Connect(ctx, f, kurento.ConnectOptions{}); err != nil {
		_ = f.Release(context.Background())
		return fmt.Errorf("connecting the filter: %w", err)
	}
	// Connecting the filter to the hub replaces the endpoint as its source.
	if err := f.Connect(ctx, hub, kurento.ConnectOptions{}); err != nil {
		_ = f.Release(context.Background())
		return fmt.Errorf("connecting the filter: %w", err)
	}
	p.mu.Lock()
	p.filter = f
	p.mu.Unlock()
	return nil
}

// RemoveFilter takes the filter out and reconnects the endpoint to the hub.
func (p *Participant) RemoveFilter(ctx context.Context) error {
	p.mu.Lock()
	ep, hub, f := p.publisher, p.hub, p.filter
	p.filter = nil
	p.mu.Unlock()
	if f == nil || ep == nil {
		return roomError(CodeUnexpected, "User '%s' has no filter", p.name)
	}
	if err := ep.Connect(ctx, hub, kurento.ConnectOptions{}); err != nil {
		return fmt.Errorf("reconnecting the publisher: %w", err)
	}
	return f.Release(ctx)
}

// releasable is any media object handle.
type releasable interface {
	Release(context.Context) error
}

// mediaObjects lists the participant's publishing objects that exist,
// filter first so media stops at the source.
func mediaObjects(filter *kurento.MediaElement, hub *kurento.PassThrough, ep *kurento.WebRtcEndpoint) []releasable {
	var out []releasable
	if filter != nil {
		out = append(out, filter)
	}
	if hub != nil {
		out = append(out, hub)
	}
	if ep != nil {
		out = append(out, ep)
	}
	return out
}

func releaseAll(ctx context.Context, objs []releasable) {
	for _, o := range objs {
		_ = o.Release(ctx)
	}
}
