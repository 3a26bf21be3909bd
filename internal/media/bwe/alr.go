package bwe

// alrDetector finds the application-limited region: the sender uses much less
// than the estimate (a low layer, a paused camera), so feedback cannot show
// whether more would fit. A budget fills at alrUsage × the estimate and
// drains with every byte sent, capped at ±alrWindow of it; ALR starts when it
// is more than 80 % full and ends below 50 % (libwebrtc's AlrDetector). The
// per-rate constants are computed when the rate changes, so a sent packet
// costs a few additions and comparisons.
type alrDetector struct {
	budget  float64 // bytes
	last    int64   // ns
	inALR   bool
	started int64 // when the current ALR began (ns)
	ended   int64 // when the last one ended

	rate         float64 // the estimate the constants are for (bit/s)
	refill       float64 // bytes per ns
	capacity     float64 // bytes
	startAt, end float64 // budget levels that start / end ALR
}

const (
	alrUsage     = 0.65
	alrWindow    = 0.5 // s
	alrStartFill = 0.80
	alrStopFill  = 0.50
)

func (a *alrDetector) setRate(rate float64) {
	if rate == a.rate {
		return
	}
	a.rate = rate
	a.refill = rate / 8 * alrUsage / 1e9
	a.capacity = rate / 8 * alrUsage * alrWindow
	a.startAt, a.end = alrStartFill*a.capacity, alrStopFill*a.capacity
	a.budget = min(max(a.budget, -a.capacity), a.capacity)
}

// advance refills the budget for the time since the last call.
func (a *alrDetector) advance(now int64) {
	if a.last != 0 && now > a.last {
		a.budget = min(a.budget+float64(now-a.last)*a.refill, a.capacity)
	}
	a.last = now
	a.check(now)
}

// sent spends size bytes.
func (a *alrDetector) sent(size int, now int64) {
	a.budget = max(a.budget-float64(size), -a.capacity)
	a.check(now)
}

func (a *alrDetector) check(now int64) {
	switch {
	case !a.inALR && a.budget > a.startAt && a.capacity > 0:
		a.inALR, a.started = true, now
	case a.inALR && a.budget < a.end:
		a.inALR, a.ended = false, now
	}
}
