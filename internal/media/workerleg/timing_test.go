package workerleg

import (
	"testing"
	"time"
)

func TestTiming(t *testing.T) {
	const base = 5 * time.Second
	cases := []struct {
		name            string
		inRate, outRate uint32
		// inputs: RTP time and arrival offset from base + its media time
		// (late arrivals: the anchor is the earliest).
		late    []time.Duration
		outTS   uint32 // an output RTP time
		wantRel time.Duration
	}{
		{"same clock", 48000, 48000, []time.Duration{30 * time.Millisecond, 0, 5 * time.Millisecond}, 48000, time.Second},
		{"8 kHz into 48 kHz", 8000, 48000, []time.Duration{0, 0}, 96000, 2 * time.Second},
		{"44.1 kHz into 48 kHz", 44100, 48000, []time.Duration{10 * time.Millisecond, 0}, 24000, 500 * time.Millisecond},
		{"48 kHz into 8 kHz", 48000, 8000, []time.Duration{0}, 800, 100 * time.Millisecond},
		{"before the first input", 90000, 90000, []time.Duration{0}, 0xffffffff - 8999, -100 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tm := newTiming(tc.inRate, tc.outRate)
			if got := tm.output(0); got != 0 {
				t.Fatalf("output before any input: %v, want 0 (unknown)", got)
			}
			step := tc.inRate / 50 // 20 ms
			for i, late := range tc.late {
				media := time.Duration(i) * 20 * time.Millisecond
				tm.input(uint32(i)*step, base+media+late)
			}
			if got, want := tm.output(tc.outTS), base+tc.wantRel; absDur(got-want) > time.Millisecond {
				t.Errorf("output %d: at %v, want %v", tc.outTS, got, want)
			}
		})
	}
}

// TestTimingWraps: the output's RTP time wraps after 2^32 ticks and the
// arrival it maps to goes on.
func TestTimingWraps(t *testing.T) {
	tm := newTiming(90000, 90000)
	tm.input(0, time.Second)
	var ts uint32
	for step := uint32(1 << 30); ts < 3<<30; ts += step {
		tm.output(ts)
	}
	tm.output(ts) // 3·2^30
	wrapped := ts + 1<<30 + 90000
	want := time.Second + time.Duration((int64(1)<<32+90000)*int64(time.Second)/90000)
	if got := tm.output(wrapped); absDur(got-want) > time.Millisecond {
		t.Errorf("after the wrap: at %v, want %v", got, want)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
