package media

import "time"

// Clock is a pipeline's time source: the monotonic time stamped on pad
// activity and packets, and the ticker of the flow checks. Pipelines use
// the real clock unless given another (mediatest.Clock in tests).
type Clock interface {
	// Now returns monotonic nanoseconds, never 0.
	Now() int64
	// NewTicker returns a ticker with period d, like time.NewTicker.
	NewTicker(d time.Duration) Ticker
}

// Ticker is what Clock.NewTicker returns.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

var epoch = time.Now()

// monotime returns monotonic nanoseconds since process start (never 0).
func monotime() int64 { return int64(time.Since(epoch)) + 1 }

// Monotime is the real clock's Now, for code that has no pipeline at hand.
func Monotime() int64 { return monotime() }

// RealClock is the Clock of the running server.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() int64 { return monotime() }

// NewTicker implements Clock.
func (RealClock) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

type realTicker struct{ t *time.Ticker }

func (t realTicker) C() <-chan time.Time { return t.t.C }
func (t realTicker) Stop()               { t.t.Stop() }
