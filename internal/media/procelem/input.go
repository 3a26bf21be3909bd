package procelem

import (
	"errors"
	"sync/atomic"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// inputSSRC is the SSRC of every stream written to the worker: whatever
// feeds an input is one continuous stream for its depayloader.
const inputSSRC = 0x67726e74

// input is one worker input: a sink pad of the processed media type.
type input struct {
	index int
	desc  string
	pad   *media.SinkPad

	seen     atomic.Pointer[media.Codec] // codec of the last packet that arrived
	reanchor atomic.Bool                 // the pad's source changed

	// Owned by the input queue's goroutine (Consume).
	rw  rtpx.Rewriter
	hdr rtp.Header
	buf []byte

	written, dropped atomic.Uint64
}

// consume writes one packet to the worker, on the input queue's goroutine.
// It never blocks: while the worker element is (re)created for a new
// codec, or when the worker does not keep up, the packet is dropped (the
// worker's depayloader asks for a keyframe after the gap).
func (in *input) consume(e *Element, pkt *media.Packet) {
	if pkt.Codec == nil {
		in.dropped.Add(1)
		return
	}
	if in.seen.Swap(pkt.Codec) != pkt.Codec {
		e.poke() // maybe another codec: the control loop decides
	}
	st := e.cur.Load()
	if st == nil || !sameCodec(st.in[in.index], pkt.Codec) {
		in.dropped.Add(1)
		return
	}
	if in.reanchor.Swap(false) {
		in.rw.Reanchor()
	}
	h := &in.hdr
	*h = pkt.Header
	h.Extension, h.Extensions, h.ExtensionProfile, h.CSRC = false, nil, 0, nil
	h.Padding, h.PaddingSize = false, 0
	in.rw.Rewrite(h, pkt.Codec.ClockRate, e.core.Pipeline().Now())
	h.SSRC, h.PayloadType = inputSSRC, st.inPT[in.index]
	need := h.MarshalSize() + len(pkt.Payload)
	if cap(in.buf) < need {
		in.buf = make([]byte, (need+511)&^511)
	}
	b := in.buf[:need]
	n, err := h.MarshalTo(b)
	if err != nil {
		in.dropped.Add(1)
		return
	}
	copy(b[n:], pkt.Payload)
	switch err := st.el.WriteRTP(in.index, b); {
	case err == nil:
		in.written.Add(1)
	case errors.Is(err, process.ErrBackpressure):
		in.dropped.Add(1)
	default:
		in.dropped.Add(1)
		if st.el.Err() != nil {
			e.poke() // the worker element failed: the control loop reports it
		}
	}
}
