package hub

import (
	"errors"
	"sync"

	"github.com/gorento/gorento/internal/media"
)

// Errors of hub operations.
var (
	ErrReleased  = errors.New("hub: released")
	ErrOtherHub  = errors.New("hub: the port belongs to another hub")
	ErrMediaType = errors.New("hub: media type not supported by this operation")
)

// kind is what a hub does with the media of its ports.
type kind interface {
	// added is called when p joins the hub (p's core is initialised).
	added(p *Port) error
	// removed is called when p leaves the hub (p is detached).
	removed(p *Port)
	// consume gets what reaches one of p's sink pads (no lock held, must not block).
	consume(p *Port, pad *media.SinkPad, pkt *media.Packet)
	// keyframe is asked of p's source pad by its receivers.
	keyframe(p *Port, pad *media.SourcePad)
	// sourceChanged is called when what feeds p's sink pad changed.
	sourceChanged(p *Port, pad *media.SinkPad)
	// codec is the codec leaving p's source pad (nil: unknown); lock-free.
	codec(p *Port, pad *media.SourcePad) *media.Codec
	// estimate is the bitrate the receivers behind p's sink pad take.
	estimate(p *Port, pad *media.SinkPad) uint64
	// connected is called after something was connected to p's source pads.
	connected(p *Port)
	// close stops what the hub runs (after its ports left).
	close()
}

// Hub is one hub. Its methods are safe for concurrent use.
type Hub struct {
	pipeline *media.Pipeline
	kind     kind

	mu       sync.Mutex // guards the fields below
	ports    []*Port    // in creation order
	nextID   int
	released bool
}

func newHub(p *media.Pipeline, k kind) *Hub { return &Hub{pipeline: p, kind: k} }

// Base returns the hub itself (the common part of every hub type).
func (h *Hub) Base() *Hub { return h }

// Pipeline returns the hub's pipeline.
func (h *Hub) Pipeline() *media.Pipeline { return h.pipeline }

// Ports returns the live ports, in creation order.
func (h *Hub) Ports() []*Port {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Port(nil), h.ports...)
}

// Release releases every port, then what the hub runs. Idempotent.
func (h *Hub) Release() {
	h.mu.Lock()
	if h.released {
		h.mu.Unlock()
		return
	}
	h.released = true
	ports := append([]*Port(nil), h.ports...)
	h.mu.Unlock()
	for _, p := range ports {
		p.Release()
	}
	h.kind.close()
}

// own checks that p is a live port of h.
func (h *Hub) own(p *Port) error {
	if p == nil || p.hub != h {
		return ErrOtherHub
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.released {
		return ErrReleased
	}
	for _, q := range h.ports {
		if q == p {
			return nil
		}
	}
	return media.ErrReleased
}
