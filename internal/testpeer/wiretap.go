package testpeer

import (
	"strings"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// wireTapFactory makes the interceptor next to the wire: it counts RTX
// packets sent and drops the video packets Options.DropVideo selects.
type wireTapFactory struct{ p *Peer }

func (f *wireTapFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &wireTap{p: f.p}, nil
}

type wireTap struct {
	interceptor.NoOp
	p *Peer

	mu      sync.Mutex // guards dropped
	dropped map[uint16]bool
}

func (w *wireTap) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	if !strings.HasPrefix(strings.ToLower(info.MimeType), "video/") {
		return writer
	}
	media, rtx := info.SSRC, info.SSRCRetransmission
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		switch {
		case rtx != 0 && h.SSRC == rtx:
			w.p.rtxSent.Add(1)
		case h.SSRC == media && w.p.opts.DropVideo != nil && w.p.opts.DropVideo(h.SequenceNumber) && w.firstDrop(h.SequenceNumber):
			w.p.dropped.Add(1)
			return len(payload), nil
		}
		return writer.Write(h, payload, a)
	})
}

// firstDrop reports whether seq was not dropped before (a same-stream
// resend goes through).
func (w *wireTap) firstDrop(seq uint16) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dropped == nil {
		w.dropped = map[uint16]bool{}
	}
	if w.dropped[seq] {
		return false
	}
	w.dropped[seq] = true
	return true
}

// RTXSent is the number of retransmissions sent on the RTX SSRC.
func (p *Peer) RTXSent() int64 { return p.rtxSent.Load() }

// DroppedVideo is the number of video packets Options.DropVideo dropped.
func (p *Peer) DroppedVideo() int64 { return p.dropped.Load() }
