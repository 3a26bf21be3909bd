package bwe

import "math"

// lossController bounds the target by the loss the peer reports in its
// transport-cc feedback (GCC's loss-based controller, draft-ietf-rmcat-gcc
// §6), with one change: the thresholds apply to the loss *above the link's
// inherent loss*. GCC as written holds the rate between 2 and 10 % loss and
// cuts it above; on a radio link whose loss does not depend on the rate, that
// starves video that NACK/RTX would repair. So the controller estimates the
// inherent loss (all packets of the last inherentWindow) and backs off only
// when a sample's loss is above HighLoss and at least ExcessLoss above that:
// congestion loss comes in bursts when the rate outgrows the path, random loss
// is always there. Congestion that builds a queue is the delay detector's job.
// After a cut the bound follows the delay-based estimate back up with a
// half-life of a second once the loss is gone (GCC's 8 %/s is slow after a
// drop that the delay detector already answered).
type lossController struct {
	lost, total int   // since the last sample
	sampleStart int64 // ns
	loss        float64
	lossFrom    int64 // start of the last sample
	hasSample   bool

	samples  [lossSamples]lossSample
	nSamples int
	next     int
	inherent float64

	// congested: the current sample saw a standing queue (delay overuse
	// counts only with one: jitter alone makes the trendline overuse):
	// its loss is congestion, not the link's, and does not count as inherent.
	congested       bool
	sampleCongested bool // the last closed sample's

	bound        float64 // bit/s; the cap on the target (0: none)
	lastDecrease int64
	lastIncrease int64
}

type lossSample struct {
	at          int64
	lost, total int
}

const (
	lossSamples        = 64
	inherentWindow     = 10_000_000_000 // ns
	minSamplePackets   = 50
	minSampleTime      = 500_000_000
	maxSampleTime      = 2_000_000_000
	minSampleAtMaxTime = 20
	decreaseInterval   = 300_000_000
)

// count records one packet's fate (lost = reported not received; a packet
// reported lost and later received is passed to unlose).
func (l *lossController) count(lost bool) {
	l.total++
	if lost {
		l.lost++
	}
}

func (l *lossController) unlose() {
	if l.lost > 0 {
		l.lost--
	}
}

// sample closes a loss sample when it holds enough packets; it reports whether
// a new one is available.
func (l *lossController) sample(now int64) bool {
	if l.sampleStart == 0 {
		l.sampleStart = now
	}
	age := now - l.sampleStart
	enough := l.total >= minSamplePackets && age >= minSampleTime
	enoughLate := age >= maxSampleTime && l.total >= minSampleAtMaxTime
	if !enough && !enoughLate {
		if age >= maxSampleTime { // too few packets to tell: start again
			l.lost, l.total, l.sampleStart = 0, 0, now
		}
		return false
	}
	l.loss = float64(l.lost) / float64(l.total)
	l.hasSample, l.lossFrom = true, l.sampleStart
	l.sampleCongested, l.congested = l.congested, false
	if !l.sampleCongested {
		l.samples[l.next] = lossSample{at: now, lost: l.lost, total: l.total}
		l.next = (l.next + 1) % lossSamples
		l.nSamples = min(l.nSamples+1, lossSamples)
	}
	l.lost, l.total, l.sampleStart = 0, 0, now
	var lost, total int
	for i := range l.nSamples {
		if s := l.samples[i]; now-s.at <= inherentWindow {
			lost, total = lost+s.lost, total+s.total
		}
	}
	l.inherent = 0
	if total > 0 {
		l.inherent = float64(lost) / float64(total)
	}
	return true
}

// update moves the bound after a new sample: target is the current target,
// delayBased the delay-based estimate, rtt the round trip (ns).
func (l *lossController) update(now int64, target, delayBased float64, rtt int64, cfg *Config) {
	if !l.hasSample {
		return
	}
	excess := l.loss - l.inherent
	if l.sampleCongested {
		excess = l.loss // the path is congested: GCC's plain rule
	}
	switch {
	case l.loss > cfg.HighLoss && excess > cfg.ExcessLoss:
		// Once per episode: the sample must have started an interval (and a
		// round trip, the feedback's lag) after the last cut.
		if l.lastDecrease == 0 || l.lossFrom >= l.lastDecrease+decreaseInterval+rtt {
			l.bound = target * (1 - 0.5*excess)
			l.lastDecrease, l.lastIncrease = now, now
		}
	case l.bound == 0:
	case excess < cfg.LowLoss || l.loss < cfg.LowLoss:
		dt := min(float64(now-l.lastIncrease)/1e9, 1)
		l.bound += (delayBased - l.bound) * (1 - math.Pow(0.5, dt))
		l.lastIncrease = now
		if l.bound >= 0.85*delayBased {
			l.bound = 0
		}
	default:
		l.lastIncrease = now // hold
	}
}

// onProbe: a probe cluster got rate through; a loss bound below it is stale.
func (l *lossController) onProbe(rate float64) {
	if l.bound > 0 && rate > l.bound {
		l.bound = rate
	}
}

// limit applies the bound to a rate.
func (l *lossController) limit(r float64) float64 {
	if l.bound > 0 {
		return min(r, l.bound)
	}
	return r
}
