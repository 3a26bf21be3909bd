package hub

import (
	"github.com/gorento/gorento/internal/media"
)

// Port is a HubPort: an element connecting its hub to the graph.
type Port struct {
	core media.Core
	hub  *Hub
	id   int // unique in the hub, in creation order (KMS's handler id)

	route router  // the dispatchers' and the Mixer's video routes
	mix   portMix // the decoding hubs' inputs and outputs
}

var (
	_ media.Element     = (*Port)(nil)
	_ media.CodecSource = (*Port)(nil)
	_ media.CodecRelay  = (*Port)(nil)
)

// NewPort creates a port of h in h's pipeline.
func NewPort(h *Hub, events media.EventHandler) (*Port, error) {
	h.mu.Lock()
	if h.released {
		h.mu.Unlock()
		return nil, ErrReleased
	}
	p := &Port{hub: h, id: h.nextID}
	h.nextID++
	h.mu.Unlock()
	// No worker input yet. Set before the port is listed: a decoding hub's
	// control loop may look at it before added, and took the zero index for
	// input 0, another port's, and removed it from the worker.
	p.mix.in[media.Audio].index, p.mix.in[media.Video].index = -1, -1
	// A receiver connected to the port may want an output made for it.
	watch := func(e media.Event) {
		if _, ok := e.(media.ElementConnected); ok {
			h.kind.connected(p)
		}
		if events != nil {
			events(e)
		}
	}
	if err := p.core.Init(h.pipeline, p, p, watch); err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.released {
		h.mu.Unlock()
		p.core.Detach()
		return nil, ErrReleased
	}
	h.ports = append(h.ports, p)
	h.mu.Unlock()
	if err := h.kind.added(p); err != nil {
		p.Release()
		return nil, err
	}
	return p, nil
}

// Core implements media.Element.
func (p *Port) Core() *media.Core { return &p.core }

// ID returns the port's id in its hub (0, 1, … in creation order).
func (p *Port) ID() int { return p.id }

// Hub returns the port's hub.
func (p *Port) Hub() *Hub { return p.hub }

// Release disconnects the port and takes it out of its hub. Idempotent.
func (p *Port) Release() {
	if !p.core.Detach() {
		return
	}
	h := p.hub
	h.mu.Lock()
	for i, q := range h.ports {
		if q == p {
			h.ports = append(h.ports[:i:i], h.ports[i+1:]...)
			break
		}
	}
	h.mu.Unlock()
	h.kind.removed(p)
}

// Consume implements media.Handler: into the hub.
func (p *Port) Consume(pad *media.SinkPad, pkt *media.Packet) { p.hub.kind.consume(p, pad, pkt) }

// RequestKeyframe implements media.Handler.
func (p *Port) RequestKeyframe(pad *media.SourcePad) { p.hub.kind.keyframe(p, pad) }

// BitrateEstimate implements media.Handler.
func (p *Port) BitrateEstimate(pad *media.SinkPad) uint64 { return p.hub.kind.estimate(p, pad) }

// SourceChanged implements media.Handler.
func (p *Port) SourceChanged(pad *media.SinkPad) { p.hub.kind.sourceChanged(p, pad) }

// SourceCodec implements media.CodecSource: what the hub sends out of pad.
func (p *Port) SourceCodec(pad *media.SourcePad) *media.Codec { return p.hub.kind.codec(p, pad) }

// RelayedPads implements media.CodecRelay: the outputs of the ports
// routed from p, whose codec is that of p's input.
func (p *Port) RelayedPads(pad *media.SinkPad) []*media.SourcePad {
	mt := pad.MediaType()
	if !routable(mt) || pad.Desc() != media.DefaultPad {
		return nil
	}
	var out []*media.SourcePad
	for _, d := range deref(p.route.dests[mt].Load()) {
		out = append(out, d.core.Source(mt))
	}
	return out
}

// Forwards implements media.Handler: what enters a port leaves from
// others, never from its own source pads, so the graph's loop check and
// codec tracing do not look through it (the hub tells ports whose output
// codec changed).
func (p *Port) Forwards() bool { return false }
