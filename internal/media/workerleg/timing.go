package workerleg

import (
	"sync"
	"time"

	"github.com/gorento/gorento/internal/media/frames"
)

// timing maps a leg's output back to when its input arrived. The leg
// numbers its input from RTP time 0 and the worker stamps a ProcNone leg
// from RTP time, with payloaders starting at 0 (process/gst rtptime.go):
// an output packet's RTP time, scaled to the input clock, is the RTP time
// of the input it was made from. The input's clock is anchored at arrival
// (the earliest arrival a timestamp predicts, as recordings anchor feeds),
// so what the worker dropped while starting, or how long it took, does not
// shift the output.
type timing struct {
	inRate, outRate int64

	mu    sync.Mutex
	in    frames.TimestampUnwrapper // seeded at RTP time 0
	out   frames.TimestampUnwrapper // seeded at RTP time 0
	clock *frames.Clock
}

func newTiming(inRate, outRate uint32) *timing {
	t := &timing{inRate: int64(max(inRate, 1)), outRate: int64(max(outRate, 1)), clock: frames.NewClock(max(inRate, 1))}
	t.in.Unwrap(0) // both sides unwrap from 0, as the worker does
	t.out.Unwrap(0)
	return t
}

// input records that the input packet with (leg) RTP time ts arrived at at.
func (t *timing) input(ts uint32, at time.Duration) {
	if at == 0 {
		return
	}
	t.mu.Lock()
	ext := t.in.Unwrap(ts)
	if !t.clock.Anchored() || at < t.clock.Time(ext) {
		t.clock.Anchor(ext, at)
	}
	t.mu.Unlock()
}

// output returns when the input of the output packet with RTP time ts
// arrived (0 if no input time is known yet).
func (t *timing) output(ts uint32) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	ext := t.out.Unwrap(ts)
	if !t.clock.Anchored() {
		return 0
	}
	in := ext/t.outRate*t.inRate + ext%t.outRate*t.inRate/t.outRate
	return t.clock.Time(in)
}
