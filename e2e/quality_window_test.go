package e2e

import (
	"testing"
	"time"
)

// TestQualityWindow: a window's counters start at the last sample at or
// before its start, so a freeze the browser reports in the first second
// after a step (the drop's own) is counted.
func TestQualityWindow(t *testing.T) {
	at := func(ms int64, freezes float64) sample {
		return sample{T: ms, In: &inStats{TotalFreezesDuration: freezes, FramesDecoded: float64(ms / 33)}}
	}
	ss := []sample{at(1000, 0), at(2000, 0), at(3000, 0.6), at(4000, 0.6), at(5000, 0.9)}
	ms := func(v int64) time.Time { return time.UnixMilli(v) }
	for _, c := range []struct {
		name     string
		from, to int64
		a, b     int64
		freezes  float64
	}{
		{"step between samples", 2100, 5000, 2000, 5000, 0.9},
		{"step on a sample", 3000, 4500, 3000, 4000, 0},
		{"before every sample", 500, 2500, 1000, 2000, 0},
	} {
		sp, ok := window(ss, ms(c.from), ms(c.to))
		if !ok || sp.a.T != c.a || sp.b.T != c.b {
			t.Errorf("%s: span %v–%v ok %v, want %d–%d", c.name, sp.a, sp.b, ok, c.a, c.b)
			continue
		}
		if v, _ := measureViewer(pageResult{Samples: ss}, ms(c.from), ms(c.to)); v.FreezeSeconds != c.freezes {
			t.Errorf("%s: freezes %.1f s, want %.1f", c.name, v.FreezeSeconds, c.freezes)
		}
	}
	if _, ok := window(ss, ms(6000), ms(7000)); ok {
		t.Error("a window after every sample is not empty")
	}
}
