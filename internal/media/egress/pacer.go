package egress

import (
	"time"

	"github.com/gorento/gorento/internal/media"
)

// Pacing (issue 15.2): a token bucket per transport at PacingFactor × the
// estimate, so a keyframe (tens of packets produced at once) leaves spread
// over a few tens of milliseconds instead of overflowing the receiver's
// bottleneck queue and losing its tail. Audio is never held (it is
// counted). What has no budget waits, in order, in a small ring released
// on the worker's tick. When the oldest waited MaxPaceDelay, the viewer's
// link cannot carry the stream (a publisher without simulcast layers that
// sends more than this viewer's estimate): what waits is dropped, never
// resent, and its tracks wait for the next keyframe (asked for upstream),
// so the viewer decodes keyframes and what follows them instead of a
// stream that loses its tail everywhere. A full ring is sent at once.
// Without an estimate the pacer passes everything through.

// Pacing shape.
const (
	PacingFactor = 2.5
	// MaxPaceDelay is the longest a packet waits in the pacer.
	MaxPaceDelay = 500 * time.Millisecond
	// paceQueue is the pacer's ring (allocated when first needed).
	paceQueue = 512
	// paceBurst is the budget that may accumulate while idle, in time at
	// the pacing rate: a bit more than the worker's default tick, so that
	// ticks release the full rate.
	paceBurst = 25 * time.Millisecond
	// paceMinBurst is the least budget: two full packets.
	paceMinBurst = 2 * 1200
	// paceMaxDebt bounds the debt that what is sent without asking
	// (resends, probes) leaves, in time at the pacing rate (libwebrtc's
	// pacer caps its media debt the same way). Unbounded, a burst of
	// resends answered at the old rate just before the estimate fell was
	// repaid at the new one: after a collapse to ~60 kbit/s, 30 resends
	// held every media packet for seconds, each batch dropped after
	// MaxPaceDelay, and the viewer decoded nothing.
	paceMaxDebt = 100 * time.Millisecond
)

type pacer struct {
	rate   float64 // bytes per nanosecond; 0: pass through
	budget float64 // bytes
	last   int64   // last refill

	q          []Paced // ring, nil until needed
	at         []int64 // when each queued packet arrived
	head, size int

	paced, flushed, dropped uint64 // packets held back; sent early (the ring was full); dropped after MaxPaceDelay
}

func (p *pacer) init() {}

// setRate sets the estimate (bit/s; 0: pass through).
func (p *pacer) setRate(bps uint64) {
	p.rate = float64(bps) * PacingFactor / 8 / 1e9
}

func (p *pacer) refill(now int64) {
	lim := max(p.rate*float64(paceBurst), paceMinBurst)
	if p.last == 0 || now < p.last {
		p.last, p.budget = now, lim // a full burst to start with
	}
	p.budget += p.rate * float64(now-p.last)
	p.last = now
	p.budget = min(max(p.budget, -p.rate*float64(paceMaxDebt)), lim)
}

// sent charges a packet sent (paced, or without asking: resends, probes,
// audio), its debt bounded by paceMaxDebt.
func (p *pacer) sent(size int, _ int64) {
	if p.rate > 0 {
		p.budget = max(p.budget-float64(size), -p.rate*float64(paceMaxDebt))
	}
}

// admit is Pacer.Pace: true sends pkt now; false keeps it (and its buffer
// reference) for a later tick. The caller (OnSent) charges what is sent.
func (p *pacer) admit(pkt *Paced, now int64) bool {
	if p.size == 0 && p.rate == 0 || pkt.Downtrack.Kind() == media.Audio {
		return true
	}
	p.refill(now)
	if p.size == 0 && (p.budget > 0 || p.rate == 0) {
		return true
	}
	if p.size == paceQueue {
		p.release(now, true) // full: everything out, in order
		if p.budget > 0 {
			return true
		}
	}
	if p.q == nil {
		p.q = make([]Paced, paceQueue)
		p.at = make([]int64, paceQueue)
	}
	i := (p.head + p.size) % paceQueue
	p.q[i], p.at[i] = *pkt, now
	p.size++
	p.paced++
	return false
}

// tick releases what the budget allows (everything when the estimate is
// gone), after dropping what waited MaxPaceDelay.
func (p *pacer) tick(now int64) {
	if p.size == 0 {
		return
	}
	p.refill(now)
	if p.rate > 0 && now-p.at[p.head] >= int64(MaxPaceDelay) {
		p.dropLate()
	}
	p.release(now, p.rate == 0)
}

// dropLate drops everything queued (video: audio is never held). The
// dropped packets' numbers are not resent on NACK, and their tracks wait
// for a keyframe, which they ask for.
func (p *pacer) dropLate() {
	for p.size > 0 {
		pkt := &p.q[p.head]
		d := pkt.Downtrack
		d.seq.forget(pkt.Header.SequenceNumber)
		if !d.gap.Swap(true) && d.onGap != nil {
			d.onGap()
		}
		pkt.Buf.Release()
		*pkt = Paced{}
		p.head = (p.head + 1) % paceQueue
		p.size--
		p.dropped++
	}
}

// forget makes a sent (or numbered) packet unknown: NACKs for it are not answered.
func (s *Sequencer) forget(outSeq uint16) {
	if e := &s.entries[outSeq%sequencerSize]; e.outSeq == outSeq {
		e.valid = false
	}
}

// release sends queued packets while there is budget (all: regardless).
func (p *pacer) release(now int64, all bool) {
	for p.size > 0 && (all || p.budget > 0) {
		i := p.head
		pkt := p.q[i]
		p.q[i] = Paced{}
		p.head = (p.head + 1) % paceQueue
		p.size--
		if all && p.rate > 0 {
			p.flushed++
		}
		pkt.Downtrack.SendPaced(&pkt, now) // OnSent charges the budget
	}
}

// drop releases what is queued, unsent (the transport is gone).
func (p *pacer) drop() {
	for p.size > 0 {
		p.q[p.head].Buf.Release()
		p.q[p.head] = Paced{}
		p.head = (p.head + 1) % paceQueue
		p.size--
	}
}
