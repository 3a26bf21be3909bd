package testpeer

import (
	"encoding/binary"
	"strings"
	"sync"
	"time"

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

	mu      sync.Mutex // guards dropped and resent
	dropped map[uint16]bool
	resent  map[uint16]time.Time // original sequence number → last RTX resend (Options.ResendGap)
}

func (w *wireTap) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	if !strings.HasPrefix(strings.ToLower(info.MimeType), "video/") {
		return writer
	}
	media, rtx := info.SSRC, info.SSRCRetransmission
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		switch {
		case rtx != 0 && h.SSRC == rtx:
			if len(payload) >= 2 && !w.mayResend(binary.BigEndian.Uint16(payload)) {
				w.p.rtxHeld.Add(1)
				return len(payload), nil
			}
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

// mayResend applies Options.ResendGap to a resend of the packet osn.
func (w *wireTap) mayResend(osn uint16) bool {
	gap := w.p.opts.ResendGap
	if gap <= 0 {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.resent == nil {
		w.resent = map[uint16]time.Time{}
	}
	now := time.Now()
	if last, ok := w.resent[osn]; ok && now.Sub(last) < gap {
		return false
	}
	w.resent[osn] = now
	return true
}

// RTXHeld is the number of RTX resends Options.ResendGap held back.
func (p *Peer) RTXHeld() int64 { return p.rtxHeld.Load() }

// RTXSent is the number of retransmissions sent on the RTX SSRC.
func (p *Peer) RTXSent() int64 { return p.rtxSent.Load() }

// DroppedVideo is the number of video packets Options.DropVideo dropped.
func (p *Peer) DroppedVideo() int64 { return p.dropped.Load() }
