package procelem

import (
	"sync"
	"sync/atomic"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// output is one worker output: a source pad of the processed media type.
type output struct {
	desc string
	pad  *media.SourcePad
	ssrc uint32 // the element's own SSRC on this pad

	keyframe atomic.Bool // a receiver asked for a keyframe
	lastKF   int64       // clock time of the last request sent (control loop only)

	mu  sync.Mutex // guards rw and pkt; serialises pushes of an old and a new worker element
	rw  rtpx.Rewriter
	pkt media.Packet

	pushed atomic.Uint64
}

// push sends one packet of worker element st out of the pad, with the
// element's SSRC and sequence numbers and timestamps continuing across
// worker elements (each has its own SSRC, so the rewriter sees a new
// source). It runs on st's delivery goroutine; b is valid during the call.
func (out *output) push(e *Element, st *stage, j int, b []byte) {
	out.mu.Lock()
	defer out.mu.Unlock()
	p := &out.pkt
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
	codec := st.out[j]
	out.rw.Rewrite(&p.Header, codec.ClockRate, e.core.Pipeline().Now())
	p.Header.SSRC = out.ssrc
	p.Codec = codec
	p.EnteredAt = e.core.Pipeline().EntryTime()
	out.pad.Push(p)
	out.pushed.Add(1)
	p.Payload = nil
}
