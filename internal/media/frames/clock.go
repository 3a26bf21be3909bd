package frames

import "time"

// Clock maps a stream's extended RTP timestamps (Frame.Timestamp) to time
// on a clock shared by the streams of a recording. Its anchor is a pair
// (RTP timestamp, time): from an RTCP sender report (RTP time ↔ NTP
// wall-clock, which lines up audio and video from the same sender) or, until
// one arrives, the arrival time of the first frame.
type Clock struct {
	rate     int64
	anchorTS int64
	anchorAt time.Duration
	set      bool
}

// NewClock returns a Clock for an RTP clock rate in Hz.
func NewClock(rate uint32) *Clock { return &Clock{rate: int64(max(rate, 1))} }

// Anchor sets the time of the extended timestamp ts.
func (c *Clock) Anchor(ts int64, at time.Duration) {
	c.anchorTS, c.anchorAt, c.set = ts, at, true
}

// Anchored reports whether an anchor was set.
func (c *Clock) Anchored() bool { return c.set }

// Time returns the time of the extended timestamp ts.
func (c *Clock) Time(ts int64) time.Duration {
	d := ts - c.anchorTS
	return c.anchorAt + time.Duration(d/c.rate)*time.Second + time.Duration(d%c.rate)*time.Second/time.Duration(c.rate)
}
