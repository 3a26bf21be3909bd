package egress

import (
	"time"

	"github.com/gorento/gorento/internal/media"
)

// Holding a frame. A publisher sends a video frame as a burst of packets
// (~8 of ~1200 bytes at 720p), and the ingress pushes them one at a time:
// sent at once, each packet of a fan-out to N viewers becomes N datagrams
// of one sendmmsg, one per destination, and every one of them crosses the
// kernel's UDP/IP stack on its own. Held until the frame's last packet (the
// RTP marker bit) arrived, the frame leaves as one GSO message per viewer:
// the kernel builds and routes one large datagram per destination and only
// cuts it at the end. That is most of the send's cost per packet
// (docs/performance.md, G1).
//
// The hold never waits longer than Config.FrameHold after its first
// packet, and it ends as soon as no held video frame is incomplete, so
// audio and complete frames go at once. A lost marker costs one hold; a
// publisher whose pacer spreads a frame over several milliseconds (a
// browser under a low estimate) gets its packets out in groups, each late
// by at most the hold.

// frameHold is the worker's held packets: local[:n], of which open
// downtracks have an incomplete frame.
type frameHold struct {
	n     int   // packets held in worker.local
	open  int   // downtracks whose last held packet is a video packet without the marker
	until int64 // monotonic ns at which the held packets go whatever happens
}

// minHoldSleep bounds the worker's sleep when a hold is about to end (the
// runtime's timers are not finer in practice).
const minHoldSleep = 50 * time.Microsecond

// collect moves what is queued into worker.local (after what is held)
// and returns how many packets it took.
func (w *worker) collect() int {
	h := &w.hold
	start := h.n
	for h.n < len(w.local) {
		it, ok := w.in.pop()
		if !ok {
			break
		}
		w.local[h.n] = it
		h.n++
		if d := it.dt; d.kind == media.Video {
			marker := it.buf.Packet().Header.Marker
			switch {
			case !marker && !d.frameOpen:
				d.frameOpen = true
				h.open++
			case marker && d.frameOpen:
				d.frameOpen = false
				h.open--
			}
		}
	}
	if start == 0 && h.n > 0 && w.s.cfg.FrameHold > 0 {
		h.until = w.s.cfg.Now() + int64(w.s.cfg.FrameHold)
	}
	return h.n - start
}

// holding reports whether the held packets wait for the rest of a frame.
func (w *worker) holding() bool {
	h := &w.hold
	return h.open > 0 && w.s.cfg.FrameHold > 0 && h.n < len(w.local) && w.s.cfg.Now() < h.until
}

// wakes reports whether a packet just queued must wake the sleeping
// worker: not while it holds an incomplete frame, unless the packet ends a
// frame (the hold's timer bounds the rest). Waking it for every packet of
// a frame would cost a goroutine switch and a timer reset per packet, much
// of what the hold saves.
func (w *worker) wakes(endsFrame bool) bool {
	return !w.holdSleep.Load() || endsFrame
}

// endsVideoFrame reports whether it is the last packet of a video frame.
func endsVideoFrame(it item) bool {
	return it.buf.Packet().Header.Marker && it.dt.kind == media.Video
}

// sleepFor is how long the worker may sleep: until its next tick, or the
// end of the hold.
func (w *worker) sleepFor(now int64) time.Duration {
	d := time.Hour
	if len(w.owned) > 0 {
		d = max(time.Duration(w.nextTick-now), time.Millisecond)
	}
	if w.hold.n > 0 {
		d = min(d, max(time.Duration(w.hold.until-now), minHoldSleep))
	}
	return d
}
