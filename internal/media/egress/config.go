package egress

import (
	"runtime"
	"time"
)

// Config configures a Scheduler; zero fields take the defaults.
type Config struct {
	// Workers is the number of egress workers (0 = GOMAXPROCS): each owns
	// whole transports and sends their packets.
	Workers int
	// QueueItems is the capacity of each worker's input ring (default
	// 16384 packets, 24 bytes each). A full ring drops the packet; a video
	// track then waits for the next keyframe.
	QueueItems int
	// Tick is the period of the workers' timers: sender reports, and the
	// pacing and probing of bandwidth estimation (default 20 ms).
	Tick time.Duration
	// FrameHold is how long a worker may hold packets for the rest of a
	// video frame, so that the frame leaves as one GSO message per
	// destination (hold.go); 0 sends every packet as soon as the worker
	// has it.
	FrameHold time.Duration
	// SenderReportInterval is the period of RTCP sender reports per track
	// (default 1 s, jittered ±25 %).
	SenderReportInterval time.Duration
	// ResendGap and ResendBudget limit NACK answers (defaults
	// DefaultResendGap, DefaultResendBudget per second per track).
	ResendGap    time.Duration
	ResendBudget int
	// MaxPlayoutDelay caps the minimum playout delay video receivers that
	// negotiated the playout-delay header extension are asked for while
	// their source's publisher needs repairs (playout.go); 0 asks for none
	// and the extension is not negotiated.
	MaxPlayoutDelay time.Duration
	// Now is the monotonic clock in nanoseconds (default media.Monotime):
	// the pipelines' real clock, so packet entry times compare with it.
	Now func() int64
	// TestInitialSeq, when set, is the first output sequence number of
	// every downtrack (and RTX stream): tests start near 65535 to cross a
	// rollover-counter wrap within a few packets.
	TestInitialSeq *uint16
}

// Defaults.
const (
	DefaultQueueItems           = 16384
	DefaultTick                 = 20 * time.Millisecond
	DefaultSenderReportInterval = time.Second
)

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.QueueItems <= 0 {
		c.QueueItems = DefaultQueueItems
	}
	if c.Tick <= 0 {
		c.Tick = DefaultTick
	}
	if c.SenderReportInterval <= 0 {
		c.SenderReportInterval = DefaultSenderReportInterval
	}
	if c.ResendGap <= 0 {
		c.ResendGap = DefaultResendGap
	}
	if c.ResendBudget <= 0 {
		c.ResendBudget = DefaultResendBudget
	}
	if c.FrameHold < 0 {
		c.FrameHold = 0
	}
	if c.Now == nil {
		c.Now = monotime
	}
	return c
}
