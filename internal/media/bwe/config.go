package bwe

import (
	"errors"
	"fmt"
	"time"
)

// Config bounds and tunes one Estimator. Rates are bits per second; zero
// fields take the defaults below.
type Config struct {
	// Initial is the estimate before any feedback (default 600 kbit/s).
	Initial uint64
	// Min and Max bound the target (defaults 50 kbit/s and 4 Mbit/s). KMS's
	// min/maxVideoSendBandwidth of the sending endpoint map here.
	Min, Max uint64
	// History is how many sent packets are remembered for feedback (a power
	// of two, default 4096: 4 s at 1000 packets/s).
	History int
	// LowLoss, HighLoss (defaults 2 % and 10 %) are GCC's loss thresholds;
	// ExcessLoss (default 8 points) is how far loss must rise above the
	// link's inherent (random) loss before the loss controller backs off.
	LowLoss, HighLoss, ExcessLoss float64
	// FeedbackTimeout: sending without any feedback for this long lowers the
	// estimate by 20 % per half timeout (default 1 s).
	FeedbackTimeout time.Duration
	// NoProbing turns the probe controller off (NextProbe never returns a cluster).
	NoProbing bool
}

// ErrConfig is wrapped by every Config validation error.
var ErrConfig = errors.New("bwe: invalid config")

func (c Config) withDefaults() Config {
	if c.Initial == 0 {
		c.Initial = 600_000
	}
	if c.Min == 0 {
		c.Min = 50_000
	}
	if c.Max == 0 {
		c.Max = 4_000_000
	}
	if c.History == 0 {
		c.History = 4096
	}
	if c.LowLoss == 0 {
		c.LowLoss = 0.02
	}
	if c.HighLoss == 0 {
		c.HighLoss = 0.10
	}
	if c.ExcessLoss == 0 {
		c.ExcessLoss = 0.08
	}
	if c.FeedbackTimeout == 0 {
		c.FeedbackTimeout = time.Second
	}
	return c
}

// Validate reports inconsistent bounds, a history that is not a power of two
// (or beyond 32768, half the sequence space) and thresholds outside 0–1.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Min < 10_000:
		return fmt.Errorf("%w: min %d bit/s is below 10 kbit/s", ErrConfig, c.Min)
	case c.Min > c.Max:
		return fmt.Errorf("%w: min %d above max %d", ErrConfig, c.Min, c.Max)
	case c.Max > 1_000_000_000:
		return fmt.Errorf("%w: max %d bit/s above 1 Gbit/s", ErrConfig, c.Max)
	case c.History < 64 || c.History > 32768 || c.History&(c.History-1) != 0:
		return fmt.Errorf("%w: history %d is not a power of two in 64–32768", ErrConfig, c.History)
	case !(c.LowLoss > 0 && c.LowLoss < c.HighLoss && c.HighLoss < 1 && c.ExcessLoss > 0 && c.ExcessLoss < 1):
		return fmt.Errorf("%w: loss thresholds low %v high %v excess %v", ErrConfig, c.LowLoss, c.HighLoss, c.ExcessLoss)
	case c.FeedbackTimeout < 100*time.Millisecond:
		return fmt.Errorf("%w: feedback timeout %v below 100 ms", ErrConfig, c.FeedbackTimeout)
	}
	return nil
}

// clamp bounds a rate to [Min, Max].
func (c *Config) clamp(r float64) float64 {
	return min(max(r, float64(c.Min)), float64(c.Max))
}
