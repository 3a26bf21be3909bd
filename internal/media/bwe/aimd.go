package bwe

import "math"

// AIMD rate control of the delay-based estimate (draft-ietf-rmcat-gcc §5.5,
// libwebrtc's AimdRateControl): increase while the queue is stable
// (multiplicatively, 8 %/s, far from the last known capacity; additively,
// about one packet per response time, near it), hold while it drains, and on
// overuse drop to beta × what the peer acknowledged.

type rcState int8

const (
	rcHold rcState = iota
	rcIncrease
	rcDecrease
)

const (
	aimdBeta          = 0.85
	multIncreasePerS  = 1.08
	minIncreaseBps    = 1000.0
	minNearMaxBpsPerS = 4000.0
	defaultRTTNs      = 200_000_000
)

// linkCapacity is an exponential average (and deviation) of the acknowledged
// rate at the moments we overused: where the bottleneck probably is.
type linkCapacity struct {
	estimate  float64 // bit/s; 0: none
	deviation float64 // normalised variance
}

func (l *linkCapacity) upper() float64 {
	return l.estimate + 3*math.Sqrt(l.deviation*l.estimate)
}
func (l *linkCapacity) lower() float64 {
	return l.estimate - 3*math.Sqrt(l.deviation*l.estimate)
}
func (l *linkCapacity) has() bool { return l.estimate > 0 }
func (l *linkCapacity) reset()    { l.estimate = 0 }

func (l *linkCapacity) onOveruse(ack float64) {
	const alpha = 0.05
	if !l.has() {
		l.estimate, l.deviation = ack, 0.4
		return
	}
	l.estimate = (1-alpha)*l.estimate + alpha*ack
	norm := max(l.estimate, 1)
	errv := l.estimate - ack
	l.deviation = (1-alpha)*l.deviation + alpha*errv*errv/norm
	l.deviation = min(max(l.deviation, 0.4), 2.5)
}

type aimd struct {
	rate       float64 // bit/s
	state      rcState
	lastChange int64 // ns; 0: never
	lastDecr   int64
	capacity   linkCapacity
	rtt        int64 // ns
	inALR      bool
}

func newAIMD(initial float64) aimd { return aimd{rate: initial, rtt: defaultRTTNs} }

// update applies the detector's verdict; ack is the acknowledged rate (0 if
// unknown yet).
func (a *aimd) update(u Usage, ack float64, now int64, cfg *Config) {
	switch u { // state machine: normal → increase, overuse → decrease, underuse → hold
	case Normal:
		if a.state == rcHold {
			a.lastChange = now
			a.state = rcIncrease
		}
	case Overusing:
		a.state = rcDecrease
	case Underusing:
		a.state = rcHold
	}
	// Never run far ahead of what gets through.
	limit := 1.5*ack + 10_000
	switch a.state {
	case rcIncrease:
		if ack > a.capacity.upper() && a.capacity.has() {
			a.capacity.reset()
		}
		if (ack == 0 || a.rate < limit) && !a.inALR {
			var next float64
			if a.capacity.has() {
				next = a.rate + a.additive(now)
			} else {
				next = a.rate + a.multiplicative(now)
			}
			if ack > 0 {
				next = min(next, limit)
			}
			a.rate = next
		}
		a.lastChange = now
	case rcDecrease:
		if ack > 0 {
			next := aimdBeta * ack
			if next > a.rate && a.capacity.has() {
				next = aimdBeta * a.capacity.estimate
			}
			if next < a.rate {
				a.rate = next
			}
			if ack < a.capacity.lower() {
				a.capacity.reset()
			}
			a.capacity.onOveruse(ack)
		}
		a.state = rcHold // until the queue has drained
		a.lastChange, a.lastDecr = now, now
	}
	a.rate = cfg.clamp(a.rate)
}

func (a *aimd) multiplicative(now int64) float64 {
	alpha := multIncreasePerS
	if a.lastChange != 0 {
		alpha = math.Pow(alpha, min(float64(now-a.lastChange)/1e9, 1))
	}
	return max(a.rate*(alpha-1), minIncreaseBps)
}

// additive: about one average packet of a 30 fps stream per response time
// (RTT + 100 ms for the detector to react).
func (a *aimd) additive(now int64) float64 {
	frame := a.rate / 30 // bits per frame
	packets := math.Ceil(frame / (1200 * 8))
	perS := max(frame/packets/(float64(a.rtt+100_000_000)/1e9), minNearMaxBpsPerS)
	return perS * float64(now-a.lastChange) / 1e9
}

// reduceFurther: after a decrease, wait one RTT (10–200 ms) before the next,
// unless the acknowledged rate has fallen below half the estimate.
func (a *aimd) reduceFurther(now int64, ack float64) bool {
	interval := min(max(a.rtt, 10_000_000), 200_000_000)
	return now-a.lastChange >= interval || ack < 0.5*a.rate
}

// set forces the estimate (a probe result), within the bounds.
func (a *aimd) set(rate float64, now int64, cfg *Config) {
	prev := a.rate
	a.rate = cfg.clamp(rate)
	a.lastChange = now
	if a.rate < prev {
		a.lastDecr = now
	}
}
