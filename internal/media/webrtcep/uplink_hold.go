package webrtcep

import "time"

// The uplink hold. After a congested uplink's cap (uplinkQueued,
// watchUplink) lapsed, the publisher's own estimator used to take over,
// and Chrome's (GCC over our transport-cc feedback) then saws on a
// drop-tail link: up until the queue grows, down to ~80 % of what got
// through, one tooth every 3–4 s. In issue 15's drop to 600 kbit/s its
// estimate went 460 → 590 → 460 kbit/s, and 77–84 % of the link carried
// RTP (the check: 80 %). Now the congestion's onset also measures the
// link: while the uplink's queue is full it drains at the link's rate, so
// what arrived at most in two monitor ticks (every packet's bytes on the
// wire: audio, video, retransmissions; Endpoint.arrived) from
// uplinkQueuedBefore the onset until its cap lapses is the link's rate
// (the delay watch sees a queue once packets ≥ 100 ms late have arrived
// for 100 ms: the link has been full since 200 ms before). Then the REMB
// holds the publisher at uplinkHoldShare of it, so its own estimate stays
// above the REMB and its queue empty. uplinkProbeFirst after it began,
// then every uplinkHoldFor, the hold probes:
// for uplinkProbeFor the cap is uplinkProbeShare of the link; if nearly
// all of that came through (uplinkFull of it, two ticks), the link got
// better and the cap is gone (the publisher's estimator finds the rest);
// otherwise the hold goes on. A probe costs ~2 s at ~80 % of the link
// (Chrome backs off on the queue it builds): every 15 s, ~1–2 % of it.
// The first comes early because the onset can under-measure: Chrome
// starves the link for part of it (its pacer stalls behind its
// retransmissions); one browser run measured 460 kbit/s on the ~575 kbit/s
// link and held Chrome there (68 % used). What arrives during a probe is
// at most the link's rate, so when it is more than uplinkRaise of the
// link, the link is raised to it and the next probe comes as early.
//
// Only the onset measures: later, the publisher's send rate is its own
// (it keeps to the REMB, its encoder lags a probe, it backs off on its
// own queue), not the link's. In the browser, a version measuring queued
// runs later held Chrome at the room's 300 kbit/s floor, and one measuring
// the probes at 452 kbit/s: what Chrome sent, not what the link took.
const (
	uplinkHoldShare    = 0.95
	uplinkQueuedBefore = 200 * time.Millisecond
	uplinkProbeFirst   = 3 * time.Second
	uplinkHoldFor      = 15 * time.Second
	uplinkProbeFor     = 2 * time.Second
	uplinkProbeShare   = 1.25
	uplinkFull         = 0.97
	uplinkRaise        = 1.03
	udpIPv4            = 28 // header bytes of a packet on the wire beyond the SRTP packet
	srtpTag            = 10 // the SRTP packet beyond the RTP one (AES_CM_128_HMAC_SHA1_80)
)

// uplinkHoldState is the hold's part of uplinkWatch (guarded by its mutex).
type uplinkHoldState struct {
	from, to int64  // the onset's measurement: two ticks that start and end within (to 0: none yet)
	link     uint64 // the link's rate (bps; 0: not measured)
	until    int64  // the hold (uplinkHoldShare of link) until then, a probe after
	probe    uint64 // the most that arrived in two ticks of the probe (bps)
	tickFrom int64  // the last tick's start and end
	tickAt   int64
	tick     uint64 // what arrived in it (bps)
	sent     uint64 // the cap at the last holdMoved
}

// congestedLocked records a congestion's onset at now: the link is
// measured until its cap lapses (a congestion that goes on, as the loss
// watch's lossy ticks, is one onset).
func (h *uplinkHoldState) congestedLocked(now int64) {
	if h.to != 0 && now <= h.to {
		return
	}
	h.from, h.to, h.link, h.until, h.probe = now-int64(uplinkQueuedBefore), now+int64(uplinkHold), 0, 0, 0
}

// arrivedLocked records what arrived from the last tick to now (bps).
func (h *uplinkHoldState) arrivedLocked(now int64, rate uint64) {
	pairFrom, prev := h.tickFrom, h.tick
	h.tickFrom, h.tickAt, h.tick = h.tickAt, now, rate
	pair := (rate + prev) / 2
	switch {
	case h.to == 0 || pairFrom == 0:
	case now <= h.to: // measuring: two whole ticks of the full queue
		if pairFrom >= h.from {
			h.link = max(h.link, pair)
		}
	case h.link != 0 && h.until != 0 && pairFrom >= h.until && now <= h.until+int64(uplinkProbeFor): // probing
		h.probe = max(h.probe, pair)
		if float64(pair) >= uplinkFull*uplinkProbeShare*float64(h.link) {
			h.link = 0 // the link got better
		}
	}
}

// capLocked is the hold's REMB cap at now (0: none).
func (h *uplinkHoldState) capLocked(now int64) uint64 {
	switch {
	case h.link == 0 || now <= h.to:
		return 0
	case h.until == 0: // measured
		h.until = now + int64(uplinkProbeFirst)
	case now > h.until+int64(uplinkProbeFor): // the probe is over
		h.until = now + int64(uplinkHoldFor)
		if float64(h.probe) > uplinkRaise*float64(h.link) { // the link is more than measured
			h.link, h.until = h.probe, now+int64(uplinkProbeFirst)
		}
		h.probe = 0
	case now > h.until:
		return uint64(uplinkProbeShare * float64(h.link))
	}
	return max(uint64(uplinkHoldShare*float64(h.link)), minREMB)
}

// holdMoved reports whether the hold's cap moved since the last call (a
// probe began or ended), so that a REMB goes out now.
func (w *Endpoint) holdMoved(now int64) bool {
	u := &w.uplink
	u.mu.Lock()
	defer u.mu.Unlock()
	c := u.hold.capLocked(now)
	moved := c != u.hold.sent
	u.hold.sent = c
	return moved
}
