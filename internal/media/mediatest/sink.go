package mediatest

import (
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// Received is what a Sink kept of one packet: a copy, never the packet.
type Received struct {
	MediaType media.MediaType
	Pad       string // the sink pad's description
	Header    rtp.Header
	Payload   []byte
	// Out is the header after the sink's rewriting (SinkOptions.Rewrite),
	// as an endpoint would send it.
	Out rtp.Header
}

// SinkOptions configure a Sink.
type SinkOptions struct {
	// Rewrite maps every source onto one continuous output stream per
	// media type, as an endpoint's sender does (rtpx.Rewriter).
	Rewrite bool
	// Estimate is the bitrate (bps) the sink reports upstream.
	Estimate uint64
	// Queue, when set, makes the sink consume through an input queue
	// (media.Core.UseQueue), as a slow element does.
	Queue *media.QueueConfig
	// Codecs, when set, are the only codecs the sink takes
	// (media.CodecSink); see also SetCodecs.
	Codecs []*media.Codec
}

// Sink is an element that records what reaches its sink pads. Block makes
// its Consume wait, as a decoder or a disk that cannot keep up would.
type Sink struct {
	core    media.Core
	opts    SinkOptions
	changes atomic.Int64
	codecs  atomic.Pointer[[]*media.Codec]

	gateMu sync.Mutex    // guards gate
	gate   chan struct{} // while non-nil, Consume waits for it to close

	mu       sync.Mutex // guards the fields below
	received []Received
	rw       [3]rtpx.Rewriter
	arrived  chan struct{}
}

var _ media.Element = (*Sink)(nil)

// NewSink creates a Sink in p.
func NewSink(p *media.Pipeline, opts SinkOptions, events media.EventHandler) (*Sink, error) {
	s := &Sink{opts: opts, arrived: make(chan struct{}, 1)}
	if opts.Codecs != nil {
		s.codecs.Store(&opts.Codecs)
	}
	if err := s.core.Init(p, s, s, events); err != nil {
		return nil, err
	}
	if opts.Queue != nil {
		s.core.UseQueue(*opts.Queue)
	}
	return s, nil
}

// Core implements media.Element.
func (s *Sink) Core() *media.Core { return &s.core }

// Release implements media.Element; it lets a blocked Consume return.
func (s *Sink) Release() {
	s.Unblock()
	s.core.Detach()
}

// Block makes Consume wait until Unblock.
func (s *Sink) Block() {
	s.gateMu.Lock()
	if s.gate == nil {
		s.gate = make(chan struct{})
	}
	s.gateMu.Unlock()
}

// Unblock lets Consume return again.
func (s *Sink) Unblock() {
	s.gateMu.Lock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
	s.gateMu.Unlock()
}

// SetCodecs changes the codecs the sink takes (nil: any) and re-plans its
// connections, as an endpoint does after negotiating.
func (s *Sink) SetCodecs(codecs []*media.Codec) {
	if codecs == nil {
		s.codecs.Store(nil)
	} else {
		s.codecs.Store(&codecs)
	}
	s.core.CodecsChanged()
}

// SinkCodecs implements media.CodecSink.
func (s *Sink) SinkCodecs(*media.SinkPad) []*media.Codec {
	if l := s.codecs.Load(); l != nil {
		return *l
	}
	return nil
}

// Received returns copies of the packets received so far, in order.
func (s *Sink) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Count returns how many packets were received.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

// Arrived is signalled (without blocking) after each packet received.
func (s *Sink) Arrived() <-chan struct{} { return s.arrived }

// SourceChanges returns how often a sink pad's source changed.
func (s *Sink) SourceChanges() int64 { return s.changes.Load() }

// Consume implements media.Handler: wait while blocked, then record a copy.
func (s *Sink) Consume(p *media.SinkPad, pkt *media.Packet) {
	s.gateMu.Lock()
	gate := s.gate
	s.gateMu.Unlock()
	if gate != nil {
		<-gate
	}
	r := Received{MediaType: p.MediaType(), Pad: p.Desc(), Header: copyHeader(&pkt.Header), Payload: append([]byte(nil), pkt.Payload...)}
	s.mu.Lock()
	r.Out = r.Header
	if s.opts.Rewrite {
		rate := uint32(90000)
		if pkt.Codec != nil {
			rate = pkt.Codec.ClockRate
		}
		s.rw[p.MediaType()].Rewrite(&r.Out, rate, s.core.Pipeline().Now())
	}
	s.received = append(s.received, r)
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

// RequestKeyframe implements media.Handler: a sink has no source pads in use.
func (s *Sink) RequestKeyframe(*media.SourcePad) {}

// BitrateEstimate implements media.Handler.
func (s *Sink) BitrateEstimate(*media.SinkPad) uint64 { return s.opts.Estimate }

// SourceChanged implements media.Handler: counted; the rewriter continues
// the output stream across the change.
func (s *Sink) SourceChanged(p *media.SinkPad) {
	s.changes.Add(1)
	s.mu.Lock()
	s.rw[p.MediaType()].Reanchor()
	s.mu.Unlock()
}

// Forwards implements media.Handler.
func (s *Sink) Forwards() bool { return false }

// copyHeader deep-copies h (its extensions are reachable only through
// marshalling).
func copyHeader(h *rtp.Header) rtp.Header {
	c := *h
	if b, err := h.Marshal(); err == nil {
		c = rtp.Header{}
		_, _ = c.Unmarshal(b)
		c.PaddingSize = h.PaddingSize
	}
	return c
}
