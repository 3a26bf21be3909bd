package media

import (
	"math"
	"sync/atomic"
	"time"
)

// latencyMeter keeps an exponentially weighted average of latencies without
// locks; writers race only with each other through CAS.
type latencyMeter struct {
	avgBits atomic.Uint64 // float64 nanoseconds
	samples atomic.Int64
}

const latencyWeight = 1.0 / 16

func (m *latencyMeter) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	n := m.samples.Add(1)
	for {
		old := m.avgBits.Load()
		avg := math.Float64frombits(old)
		next := float64(d)
		if n > 1 {
			next = avg + (float64(d)-avg)*latencyWeight
		}
		if m.avgBits.CompareAndSwap(old, math.Float64bits(next)) {
			return
		}
	}
}

// Average returns the average latency in nanoseconds and whether any sample
// was taken.
func (m *latencyMeter) Average() (float64, bool) {
	if m.samples.Load() == 0 {
		return 0, false
	}
	return math.Float64frombits(m.avgBits.Load()), true
}

// reset forgets past samples (used when latency stats are switched on).
func (m *latencyMeter) reset() {
	m.samples.Store(0)
	m.avgBits.Store(0)
}

// LatencyMeter is the exported form used by element implementations for
// their own measurement points (for example the network send of an endpoint).
type LatencyMeter struct{ m latencyMeter }

// Observe records now - enteredAt (pipeline clock values; an enteredAt of
// 0, not measured, is ignored).
func (l *LatencyMeter) Observe(now, enteredAt int64) {
	if enteredAt != 0 {
		l.m.observe(time.Duration(now - enteredAt))
	}
}

// Average returns the average in nanoseconds and whether samples exist.
func (l *LatencyMeter) Average() (float64, bool) { return l.m.Average() }
