package container

import (
	"fmt"
	"time"
)

// SyncPolicy says when the Muxer calls Sync on its output (when the output
// has a Sync method, as *os.File does).
type SyncPolicy int

const (
	// SyncNever leaves flushing to the kernel (the default: a crash of
	// gorento loses nothing already written; only a crash of the machine
	// can lose the page cache).
	SyncNever SyncPolicy = iota
	// SyncOnClose syncs once, after the trailer.
	SyncOnClose
	// SyncEveryFragment syncs after every fragment and on close (power-loss
	// safe to the last fragment, at the cost of one fsync per ~second per
	// recording).
	SyncEveryFragment
)

// MuxOption configures a Muxer.
type MuxOption func(*muxConfig) error

type muxConfig struct {
	fragment    time.Duration
	startWait   time.Duration
	interleave  time.Duration
	maxBuffered int
	sync        SyncPolicy
}

func defaultMuxConfig() muxConfig {
	return muxConfig{fragment: time.Second, startWait: 5 * time.Second, interleave: 500 * time.Millisecond,
		maxBuffered: 64 << 20}
}

// WithFragmentDuration sets the longest cluster/fragment (default 1 s,
// 100 ms…10 s). A fragment is cut earlier, from a quarter of that, on a
// video keyframe, so that fragments start on keyframes when the video has
// them often enough. A file cut anywhere keeps every complete fragment.
func WithFragmentDuration(d time.Duration) MuxOption {
	return func(c *muxConfig) error {
		if d < 100*time.Millisecond || d > 10*time.Second {
			return fmt.Errorf("container: fragment duration %v (100ms…10s)", d)
		}
		c.fragment = d
		return nil
	}
}

// WithStartWait sets how much media time the Muxer waits, after the first
// sample, for every track to start (video with a keyframe) before it starts
// the file with the tracks it has; tracks that had not started are left out
// of the file. 0 waits for ever (Kurento's behaviour). Default 5 s.
func WithStartWait(d time.Duration) MuxOption {
	return func(c *muxConfig) error {
		if d < 0 {
			return fmt.Errorf("container: start wait %v", d)
		}
		c.startWait = d
		return nil
	}
}

// WithInterleaveDelay sets how long a track's samples wait for the other
// tracks' before being written out of order (default 500 ms): a silent
// track (muted, DTX) does not hold the others back longer than that.
func WithInterleaveDelay(d time.Duration) MuxOption {
	return func(c *muxConfig) error {
		if d < 0 || d > 10*time.Second {
			return fmt.Errorf("container: interleave delay %v", d)
		}
		c.interleave = d
		return nil
	}
}

// WithMaxBuffered bounds the bytes held while waiting to start or for
// interleaving (default 64 MiB); past it the Muxer starts or writes anyway.
func WithMaxBuffered(n int) MuxOption {
	return func(c *muxConfig) error {
		if n < 1<<16 {
			return fmt.Errorf("container: max buffered %d bytes (min 64 KiB)", n)
		}
		c.maxBuffered = n
		return nil
	}
}

// WithSync sets the fsync policy (default SyncNever).
func WithSync(p SyncPolicy) MuxOption {
	return func(c *muxConfig) error {
		if p < SyncNever || p > SyncEveryFragment {
			return fmt.Errorf("container: sync policy %d", p)
		}
		c.sync = p
		return nil
	}
}
