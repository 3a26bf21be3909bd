package procelem

import (
	"sync/atomic"

	"github.com/gorento/gorento/internal/media"
)

// input is one worker input: a sink pad of the processed media type.
type input struct {
	StreamIn
	index int
	desc  string
	pad   *media.SinkPad

	seen atomic.Pointer[media.Codec] // codec of the last packet that arrived
}

// consume writes one packet to the worker, on the input queue's goroutine.
// It never blocks: while the worker element is (re)created for a new
// codec, or when the worker does not keep up, the packet is dropped (the
// worker's depayloader asks for a keyframe after the gap).
func (in *input) consume(e *Element, pkt *media.Packet) {
	if pkt.Codec == nil {
		in.Drop()
		return
	}
	if in.seen.Swap(pkt.Codec) != pkt.Codec {
		e.poke() // maybe another codec: the control loop decides
	}
	st := e.cur.Load()
	if st == nil || !sameCodec(st.in[in.index], pkt.Codec) {
		in.Drop()
		return
	}
	if err := in.Write(st.el, in.index, st.inPT[in.index], pkt, e.core.Pipeline().Now()); err != nil {
		e.poke() // the worker element failed: the control loop reports it
	}
}
