package webrtcep

import (
	"time"

	"github.com/gorento/gorento/internal/media"
)

// The first sign of a publisher's uplink falling short is not loss but
// delay. In issue 15's drop to 600 kbit/s its htb queue (250 ms) filled
// within ~60 ms, and for the next 250 ms every packet that got in arrived
// that much later, at the link's rate, before the first gap could show
// (the packet after a loss crosses the same queue): the loss-based
// signals (burstLoss, the uplink watch) came 0.3–0.45 s after the drop,
// after the first 720p gaps had been asked for. delayWatch sees the queue
// from the packets' one-way delay, as the transit time of RFC 3550's
// jitter (arrival against RTP timestamp, per layer, so the capture clock
// offsets cancel), against its minimum of the last 2–4 s. A queue is
// standing when every packet over delayRun arrived delayHigh late or more,
// at less than half the rate of the second before: a stall of the
// server's reader or of the publisher's encoder delays packets too, but
// they then arrive in a burst, at a higher rate, not a lower one.
const (
	delayHigh   = 100 * time.Millisecond
	delayRun    = 100 * time.Millisecond
	delayBucket = 2 * time.Second // the minimum transit is of the last one or two buckets
	delaySlot   = 100 * time.Millisecond
	delaySlots  = 16
)

// delayWatch tracks the one-way delay of a simulcast publisher's layers.
// Not safe for concurrent use (the endpoint's push lock guards it).
type delayWatch struct {
	ref     [media.MaxLayers]struct{ at, ts int64 } // first packet of the layer (at 0: none yet)
	min     [media.MaxLayers][2]int64               // minimum transit, this bucket and the one before
	bucket  int64                                   // the bucket's number (arrival / delayBucket)
	runFrom int64                                   // arrival of the first packet of the run above delayHigh (0: none)
	runSize int64                                   // its bytes
	full    queueRun                                // the run above ceilingQueue (uplink_ceiling.go)
	slots   [delaySlots]struct{ n, bytes int64 }    // bytes per delaySlot of arrival, for the rate before a run
}

// packet records a packet of layer (RTP timestamp ts at 90 kHz, size
// bytes with headers) arrived at (ns); it reports a standing queue with
// the rate (bps) the run arrived at, and, once per run of packets
// ceilingQueue late or more that lasted ceilingRun, the rate that run
// arrived at as full (0: none).
func (d *delayWatch) packet(layer uint8, ts uint32, at int64, size int) (queue bool, rate, full uint64) {
	if layer >= media.MaxLayers || at <= 0 {
		return false, 0, 0
	}
	r := &d.ref[layer]
	if r.at == 0 {
		r.at, r.ts = at, int64(ts)
		d.min[layer] = [2]int64{1 << 62, 1 << 62}
	}
	// Unwrapped against the first packet: ±6.6 hours at 90 kHz.
	transit := at - r.at - int64(int32(ts-uint32(r.ts)))*int64(time.Second)/90000
	if b := at / int64(delayBucket); b != d.bucket {
		d.bucket = b
		for l := range d.min {
			d.min[l][1], d.min[l][0] = d.min[l][0], 1<<62
		}
	}
	m := &d.min[layer]
	m[0] = min(m[0], transit)
	base := min(m[0], m[1])
	s := &d.slots[at/int64(delaySlot)%delaySlots]
	if n := at / int64(delaySlot); s.n != n {
		s.n, s.bytes = n, 0
	}
	s.bytes += int64(size)
	full = d.fullRun(transit-base, at, size)
	if transit-base < int64(delayHigh) {
		d.runFrom = 0
		return false, 0, full
	}
	if d.runFrom == 0 {
		d.runFrom, d.runSize = at, -int64(size) // the first packet crossed the link before the run's span
	}
	d.runSize += int64(size)
	span := at - d.runFrom
	if span < int64(delayRun) {
		return false, 0, full
	}
	rate = uint64(d.runSize * 8 * int64(time.Second) / span)
	if before := d.rateBefore(d.runFrom); before == 0 || 2*rate >= before {
		return false, 0, full
	}
	d.runFrom = 0 // once per run
	return true, rate, full
}

// queueRun is a run of packets queued on the uplink.
type queueRun struct {
	from, size int64 // the first packet's arrival (0: no run), the run's bytes
	told       bool  // reported
}

// fullRun follows the run of packets queued ceilingQueue or more (queued:
// this one's delay over the minimum); at the end of its first ceilingRun
// it returns the rate the run arrived at, the rate the link drains its
// queue at (0: nothing to report).
func (d *delayWatch) fullRun(queued, at int64, size int) uint64 {
	f := &d.full
	if queued < int64(ceilingQueue) {
		f.from, f.told = 0, false
		return 0
	}
	if f.from == 0 {
		f.from, f.size = at, -int64(size)
	}
	f.size += int64(size)
	span := at - f.from
	if f.told || span < int64(ceilingRun) {
		return 0
	}
	f.told = true
	return uint64(f.size * 8 * int64(time.Second) / span)
}

// rateBefore is the rate (bps) of the second of arrivals before at (0:
// not known).
func (d *delayWatch) rateBefore(at int64) uint64 {
	first := at/int64(delaySlot) - 10
	var bytes int64
	for i := first; i < first+10; i++ {
		s := &d.slots[i%delaySlots]
		if i < 0 || s.n != i {
			return 0
		}
		bytes += s.bytes
	}
	return uint64(bytes * 8)
}

// uplinkQueued acts on a standing queue on the uplink (delayWatch) as the
// uplink watch does on its loss, 0.2–0.3 s sooner: the layers above the
// lowest are not repaired and their viewers move to the lowest layer at
// once (media.SourceRing.MarkCollapse), both for uplinkHold, and the REMB
// is capped at 85 % of the rate the queue let through, sent at once, and
// then held under the uplink ceiling (uplink_ceiling.go). Only a queue's onset sets the cap:
// once the publisher keeps to it, its own pacer holds packets back (a
// keyframe at 0.3 Mbit/s), which looks the same at a lower rate, and
// lowering the cap on it ratcheted the REMB down to 70 kbit/s in 0.6 s.
func (w *Endpoint) uplinkQueued(rate uint64) {
	now := w.now()
	// As long as the REMB cap: when the viewers went back up 0.5 s after
	// the onset, the middle layer's keyframe and repairs took the uplink
	// again (180p at 49 kb/s for a second, two more freezes).
	w.holdUpperRepairs(now + int64(uplinkHold))
	if layers := w.inboundLayers(); len(layers) > 1 {
		src := w.core.Source(media.Video)
		for _, in := range layers[1:] {
			src.HistoryOf(uint8(in.layer)).MarkCollapse(now + int64(uplinkHold))
		}
	}
	w.uplink.mu.Lock()
	capped := w.uplink.cap == 0 || now > w.uplink.until
	if capped {
		capped = w.capUplinkLocked(now, max(uint64(float64(rate)*uplinkBackoff), minREMB))
		w.uplink.ceiling.set(now, rate) // after the cap (uplink_ceiling.go)
	}
	w.uplink.mu.Unlock()
	if capped {
		w.spawn(w.state.sendREMB)
	}
}
