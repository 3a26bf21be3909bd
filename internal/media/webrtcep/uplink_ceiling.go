package webrtcep

import (
	"math"
	"time"
)

// After its uplink collapsed, a publisher keeps running into the link's
// rate. Chrome's own congestion control (GCC on our transport-cc
// feedback) then saws: in issue 15's drop row, 600 kbit/s after 2.3
// Mbit/s, its estimate climbed from ~470 to ~580 kbit/s and was cut back
// to 85 % of what got through every 3–4 s, for as long as the call
// lasted. At some of those cuts its simulcast allocator paused the 360p
// layer or its encoder dropped 360p frames for half a second, and the
// viewers of 360p froze until a keyframe of 180p came (0.3–0.6 s, in 4 of
// 6 runs within 30 s of the drop).
//
// A REMB just below what the link carries keeps the estimate from running
// into it: the uplink ceiling, ceilingShare of the rate a standing queue
// drains at, set when the uplink collapses (uplinkQueued).
//   - It holds for ceilingHold, then grows by ceilingGrowth a second to
//     find a link that came back; once it has doubled the rate it was set
//     from it ends (the publisher's own estimator alone again, until the
//     next collapse).
//   - A queue of ceilingQueue standing for ceilingRun while it lasts (the
//     publisher met the link again) sets it back to where it started, or
//     higher when that queue drained faster (the link grew). A growth that
//     met the link doubles the next hold, up to ceilingHoldMax: each probe
//     costs one of the publisher's own cuts (growing 8 % a second, the
//     estimate met the link 2–3 s after the hold and was cut to 85 %, the
//     360p layer at 15 fps for a second once), hence also the slow growth.
//   - Only a collapse lowers it: a publisher's own pacer holding a
//     keyframe back at its target rate delays packets as a queue does, at
//     its own rate, and a ceiling set from such runs fell to 350 kbit/s on
//     the 600 kbit/s link within 3 s (the 360p layer paused).
const (
	ceilingShare   = 0.92
	ceilingQueue   = 40 * time.Millisecond
	ceilingRun     = 150 * time.Millisecond
	ceilingHold    = 10 * time.Second
	ceilingHoldMax = 40 * time.Second
	ceilingGrowth  = 1.04
	ceilingEnd     = 2
	ceilingRefill  = 0.85
)

// uplinkCeiling is the REMB ceiling of a publisher whose uplink
// collapsed (0: none). Guarded by uplinkWatch.mu.
type uplinkCeiling struct {
	rate uint64 // the ceiling when set (bps)
	from uint64 // the drain rate it was set from
	at   int64  // when (monotonic ns)
	hold int64  // how long it holds before it grows (ns; 0: ceilingHold)
}

// value is the ceiling at now (0: none, or ended).
func (c *uplinkCeiling) value(now int64) uint64 {
	if c.rate == 0 {
		return 0
	}
	r := float64(c.rate)
	if grown := now - c.at - c.holds(); grown > 0 {
		r *= math.Pow(ceilingGrowth, float64(grown)/float64(time.Second))
	}
	if r >= ceilingEnd*float64(c.from) {
		*c = uplinkCeiling{}
		return 0
	}
	return uint64(r)
}

// holds is how long the ceiling holds before it grows (ns).
func (c *uplinkCeiling) holds() int64 {
	if c.hold == 0 {
		return int64(ceilingHold)
	}
	return c.hold
}

// set sets the ceiling from a drain rate, held for ceilingHold; it
// reports whether it fell.
func (c *uplinkCeiling) set(now int64, drain uint64) bool {
	before := c.value(now)
	*c = uplinkCeiling{rate: max(uint64(float64(drain)*ceilingShare), minREMB), from: drain, at: now}
	return before == 0 || c.rate < before
}

// refill restarts a ceiling that lasts after the link filled again,
// drained at drain: from the rate it was set from, or from drain when
// higher; held twice as long as before when it had grown (its probe met
// the link). A queue that drained under ceilingRefill of the rate the
// ceiling came from is the publisher's own pacer, not the link: nothing
// changes (in the browser such a run held a ceiling set from a collapse
// measured low, 428 kbit/s of video on the 600 kbit/s link under load 4,
// for another 20 s, and its viewer on 180p). It reports whether the
// ceiling fell.
func (c *uplinkCeiling) refill(now int64, drain uint64) bool {
	v := c.value(now)
	if v == 0 || float64(drain) < ceilingRefill*float64(c.from) {
		return false
	}
	hold := c.holds()
	if v > c.rate {
		hold = min(2*hold, int64(ceilingHoldMax))
	}
	fell := c.set(now, max(c.from, drain))
	c.hold = hold
	return fell
}

// uplinkCeilingAt is the REMB ceiling at now (0: none).
func (w *Endpoint) uplinkCeilingAt(now int64) uint64 {
	w.uplink.mu.Lock()
	defer w.uplink.mu.Unlock()
	return w.uplink.ceiling.value(now)
}

// uplinkFull acts on a queue standing on the uplink (delayWatch) at now,
// drained at rate: a ceiling that lasts starts again (refill), and a REMB
// goes out at once when it fell. Without a ceiling nothing changes: a
// publisher whose uplink never collapsed keeps its own estimator (a
// keyframe crossing a busy link queues too).
func (w *Endpoint) uplinkFull(now int64, rate uint64) {
	w.uplink.mu.Lock()
	fell := w.uplink.ceiling.refill(now, rate)
	w.uplink.mu.Unlock()
	if fell {
		w.spawn(w.state.sendREMB)
	}
}
