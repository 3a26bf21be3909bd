package webrtcep

import (
	"sync"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// The REMB a publisher gets from us (issue 15.3). Its transport-cc
// feedback (Pion's TWCC sender, stamped where ingress reads the packet)
// already tells its congestion controller what we can receive; the REMB
// is a cap on top of that, which says what the receivers downstream can
// use. With the "best" policy (default) it follows the best-served
// receiver: the highest demand of the sinks behind the source, unbounded
// when one of them sets no limit or has given no estimate yet. So one
// viewer on a weak downlink does not drag the publisher (and every other
// viewer) down to its rate; that viewer is served by its own adaptation.
// The "lowest" policy relays the lowest receiver estimate, as KMS does.

// minREMB is the floor KMS applies to the REMB it sends (bps).
const minREMB = 30000

// publisherREMB is the REMB for the received video, in bps (0: send none).
func (w *Endpoint) publisherREMB() uint64 {
	src := w.core.Source(media.Video)
	ceiling := uint64(w.bw.maxVideoRecv.Load()) * 1000
	var want uint64
	if w.engine.cfg.Video.PublisherFeedback == PublisherFeedbackLowest {
		// As before issue 15: nothing while neither a limit nor an estimate is known.
		want = src.DownstreamBitrate()
		if ceiling > 0 && (want == 0 || want > ceiling) {
			want = ceiling
		}
		if want == 0 {
			return 0
		}
	} else {
		if ceiling == 0 {
			ceiling = uint64(w.engine.cfg.Video.CeilingKbps) * 1000
		}
		want = src.DownstreamDemand()
		if want == 0 || want > ceiling {
			want = ceiling
		}
	}
	now := w.now()
	if c := w.uplinkCap(now); c > 0 && c < want {
		want = c
	}
	if c := w.uplinkCeilingAt(now); c > 0 && c < want {
		want = c
	}
	if lo := uint64(w.bw.minVideoRecv.Load()) * 1000; want < lo {
		want = lo
	}
	return max(want, minREMB)
}

// The publisher's uplink filling up (issue 15, a link falling from clean to
// 600 kbit/s mid-call): a browser's own congestion control took ~1 s to cut
// its rate (Chrome's estimate fell from 4 Mbit/s to ~0.5 in 1–1.5 s), and
// meanwhile its queue dropped most of every layer, its lowest included, so
// viewers froze until it paused its large layers and their keyframes of a
// small one crossed. Losing most of what it sends is a clear signal we see
// at once: the REMB then caps it at 85 % of what got through (as GCC backs
// off to the acknowledged rate), sent at once, held while the loss goes on
// and uplinkHold after; its own estimator takes over from there.
const (
	uplinkLossy      = 0.35 // share of the packets of a tick lost
	uplinkMinPackets = 40   // expected in the tick, to tell (P(≥ 35 % of 40 lost) at 10 % random loss: ~1e-5)
	uplinkBackoff    = 0.85
	uplinkHold       = 2 * time.Second
	uplinkRepairHold = 500 * time.Millisecond // the layers above the lowest are not repaired (renewed each lossy tick)
	uplinkHeader     = 12 + 28                // RTP + UDP/IPv4 header bytes per packet, on top of the payload counted
)

// uplinkWatch is the state of the uplink's congestion watch.
type uplinkWatch struct {
	mu    sync.Mutex
	prev  map[uint32][3]int64 // ssrc → packets, lost, payload bytes at the last tick
	at    int64               // the last tick (monotonic ns)
	cap   uint64              // REMB cap in bps (0: none)
	until int64               // it holds until then

	ceiling uplinkCeiling // after a collapse (uplink_ceiling.go)
}

// watchUplink measures the loss of the received video since the last call
// (the monitor's 250 ms tick); it reports whether the REMB cap was set or
// lowered, so that a REMB goes out now.
func (w *Endpoint) watchUplink(now int64) bool {
	in, g := w.in[media.Video].Load(), w.stats.Load()
	if in == nil || g == nil {
		return false
	}
	u := &w.uplink
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.prev == nil {
		u.prev = map[uint32][3]int64{}
	}
	var recv, lost, bytes int64
	for _, ssrc := range w.videoSSRCs(in) {
		st, ok := g.Inbound(ssrc)
		if !ok {
			continue
		}
		cur := [3]int64{int64(st.Packets), st.PacketsLost, int64(st.Bytes)}
		prev, seen := u.prev[ssrc]
		u.prev[ssrc] = cur
		if seen {
			recv += cur[0] - prev[0]
			lost += max(cur[1]-prev[1], 0) // repairs make it go down
			bytes += cur[2] - prev[2]
		}
	}
	elapsed := now - u.at
	u.at = now
	if u.cap != 0 && now > u.until {
		u.cap = 0
	}
	if elapsed <= 0 || recv+lost < uplinkMinPackets || float64(lost) <= uplinkLossy*float64(recv+lost) {
		return false
	}
	// Its retransmissions would come first (Chrome's pacer sends them before
	// media): only the lowest layer is worth repairing while it lasts.
	w.holdUpperRepairs(now + int64(uplinkRepairHold))
	rate := uint64(float64((bytes+recv*uplinkHeader)*8) / (float64(elapsed) / 1e9) * uplinkBackoff)
	return w.capUplinkLocked(now, max(rate, minREMB))
}

// holdUpperRepairs holds the repairs of the simulcast layers above the
// lowest until then.
func (w *Endpoint) holdUpperRepairs(until int64) {
	if layers := w.inboundLayers(); len(layers) > 1 {
		src := w.core.Source(media.Video)
		for _, in := range layers[1:] {
			src.HistoryOf(uint8(in.layer)).HoldRepairs(until)
		}
	}
}

// capUplinkLocked caps the REMB at rate for uplinkHold; it reports
// whether the cap was set or lowered.
func (w *Endpoint) capUplinkLocked(now int64, rate uint64) bool {
	u := &w.uplink
	u.until = now + int64(uplinkHold)
	if u.cap != 0 && rate >= u.cap {
		return false
	}
	u.cap = rate
	return true
}

// uplinkCap is the REMB cap the uplink's congestion set (0: none).
func (w *Endpoint) uplinkCap(now int64) uint64 {
	u := &w.uplink
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.cap != 0 && now > u.until {
		u.cap = 0
	}
	return u.cap
}

// BitrateDemand implements media.DemandReporter: the most the remote
// receiver of our video can use: its estimate (bwe.go) within
// min/maxVideoSendBandwidth, or unbounded (0) before there is one, or
// when the source is simulcast (the receiver adapts by layer: every layer
// should be sent for the viewers that can take it).
func (w *Endpoint) BitrateDemand(p *media.SinkPad) uint64 {
	if p.MediaType() != media.Video {
		return 0
	}
	t := w.tracks[media.Video]
	if t.layers.Layer().Layers > 0 {
		return 0
	}
	return t.videoEstimate()
}
