package mediatest

import (
	"sync/atomic"

	"github.com/gorento/gorento/internal/media"
)

// Source is an element that pushes what the test gives it out of its
// source pads, and counts the keyframes asked of it. It forwards nothing:
// what reaches its sink pads is dropped.
type Source struct {
	core      media.Core
	keyframes [3]atomic.Int64 // requests per media type
	codecs    [3]atomic.Pointer[media.Codec]
}

var _ media.Element = (*Source)(nil)

// NewSource creates a Source in p.
func NewSource(p *media.Pipeline, events media.EventHandler) (*Source, error) {
	s := &Source{}
	if err := s.core.Init(p, s, s, events); err != nil {
		return nil, err
	}
	return s, nil
}

// Core implements media.Element.
func (s *Source) Core() *media.Core { return &s.core }

// Release implements media.Element.
func (s *Source) Release() { s.core.Detach() }

// Push pushes pkt out of the default source pad of mt.
func (s *Source) Push(mt media.MediaType, pkt *media.Packet) { s.core.Source(mt).Push(pkt) }

// SetCodec declares the codec the source emits on mt (media.CodecSource)
// and re-plans its connections.
func (s *Source) SetCodec(mt media.MediaType, c *media.Codec) {
	s.codecs[mt].Store(c)
	s.core.CodecsChanged()
}

// SourceCodec implements media.CodecSource.
func (s *Source) SourceCodec(p *media.SourcePad) *media.Codec { return s.codecs[p.MediaType()].Load() }

// KeyframeRequests returns how many keyframes were asked of source pads of mt.
func (s *Source) KeyframeRequests(mt media.MediaType) int64 { return s.keyframes[mt].Load() }

// Consume implements media.Handler: dropped.
func (s *Source) Consume(*media.SinkPad, *media.Packet) {}

// RequestKeyframe implements media.Handler: counted.
func (s *Source) RequestKeyframe(p *media.SourcePad) { s.keyframes[p.MediaType()].Add(1) }

// BitrateEstimate implements media.Handler: unknown.
func (s *Source) BitrateEstimate(*media.SinkPad) uint64 { return 0 }

// SourceChanged implements media.Handler.
func (s *Source) SourceChanged(*media.SinkPad) {}

// Forwards implements media.Handler.
func (s *Source) Forwards() bool { return false }
