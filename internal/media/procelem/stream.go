package procelem

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// The two ends of a worker stream, used by Element and by the elements
// whose worker streams come and go (the hubs' ports, the transcoder).

// inputSSRC is the SSRC of every stream written to the worker: whatever
// feeds an input is one continuous stream for its depayloader.
const inputSSRC = 0x67726e74

// StreamIn writes what reaches a sink pad to one input of a worker element
// as one continuous stream (rtpx.Rewriter): a source change is not a jump
// for the worker's depayloader. Write runs on one goroutine at a time (an
// input queue's); Reanchor may be called from any.
type StreamIn struct {
	reanchor atomic.Bool

	rw  rtpx.Rewriter
	hdr rtp.Header
	buf []byte

	written, dropped atomic.Uint64
}

// Reanchor makes the next packet continue the stream (the pad's source changed).
func (s *StreamIn) Reanchor() { s.reanchor.Store(true) }

// Drop counts a packet not written.
func (s *StreamIn) Drop() { s.dropped.Add(1) }

// Counts returns the packets written and dropped.
func (s *StreamIn) Counts() (written, dropped uint64) { return s.written.Load(), s.dropped.Load() }

// Write sends pkt to input index of w with payload type pt, without
// blocking: when the worker does not keep up the packet is dropped (its
// depayloader asks for a keyframe after the gap). now is the pipeline
// clock. It returns w's failure, if that is why the write failed.
func (s *StreamIn) Write(w *process.Element, index int, pt uint8, pkt *media.Packet, now int64) error {
	if s.reanchor.Swap(false) {
		s.rw.Reanchor()
	}
	h := &s.hdr
	*h = pkt.Header
	h.Extension, h.Extensions, h.ExtensionProfile, h.CSRC = false, nil, 0, nil
	h.Padding, h.PaddingSize = false, 0
	s.rw.Rewrite(h, pkt.Codec.ClockRate, now)
	h.SSRC, h.PayloadType = inputSSRC, pt
	need := h.MarshalSize() + len(pkt.Payload)
	if cap(s.buf) < need {
		s.buf = make([]byte, (need+511)&^511)
	}
	b := s.buf[:need]
	n, err := h.MarshalTo(b)
	if err != nil {
		s.dropped.Add(1)
		return nil
	}
	copy(b[n:], pkt.Payload)
	switch err := w.WriteRTP(index, b); {
	case err == nil:
		s.written.Add(1)
	case errors.Is(err, process.ErrBackpressure):
		s.dropped.Add(1)
	default:
		s.dropped.Add(1)
		return w.Err()
	}
	return nil
}

// StreamOut pushes one output of worker elements out of a source pad with
// its own SSRC and sequence numbers and timestamps that continue across
// worker elements (each has its own SSRC, so the rewriter sees a new
// source). It keeps the pad's keyframe requests, rate-limited.
type StreamOut struct {
	pad  *media.SourcePad
	ssrc uint32

	keyframe atomic.Bool // a receiver asked for a keyframe
	lastKF   int64       // clock time of the last request taken (one goroutine)

	mu  sync.Mutex // guards rw and pkt; serialises pushes of an old and a new worker element
	rw  rtpx.Rewriter
	pkt media.Packet

	pushed atomic.Uint64
}

// NewStreamOut returns the output stream of pad, with a random SSRC.
func NewStreamOut(pad *media.SourcePad) *StreamOut {
	return &StreamOut{pad: pad, ssrc: rand.Uint32()}
}

// Pad returns the source pad.
func (s *StreamOut) Pad() *media.SourcePad { return s.pad }

// Pushed returns the packets pushed.
func (s *StreamOut) Pushed() uint64 { return s.pushed.Load() }

// AskKeyframe records a receiver's keyframe request.
func (s *StreamOut) AskKeyframe() { s.keyframe.Store(true) }

// TakeKeyframe reports whether a keyframe was asked and may be sent now
// (at most one per keyframeInterval); it clears the request when so. Call
// it from one goroutine.
func (s *StreamOut) TakeKeyframe(now int64) bool {
	if !s.keyframe.Load() || now-s.lastKF < int64(keyframeInterval) {
		return false
	}
	s.keyframe.Store(false)
	s.lastKF = now
	return true
}

// Push sends one packet b (valid during the call) of codec out of the pad.
func (s *StreamOut) Push(b []byte, codec *media.Codec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.pkt
	n, err := p.Header.Unmarshal(b)
	if err != nil {
		return
	}
	end := len(b)
	if p.Header.Padding {
		if end <= n || int(b[end-1]) > end-n {
			return
		}
		end -= int(b[end-1])
	}
	p.Header.Padding, p.Header.PaddingSize = false, 0
	p.Header.Extension, p.Header.Extensions = false, nil
	p.Payload = b[n:end]
	pipe := s.pad.Owner().Core().Pipeline()
	s.rw.Rewrite(&p.Header, codec.ClockRate, pipe.Now())
	p.Header.SSRC = s.ssrc
	p.Codec = codec
	p.EnteredAt = pipe.EntryTime()
	s.pad.Push(p)
	s.pushed.Add(1)
	p.Payload = nil
}
