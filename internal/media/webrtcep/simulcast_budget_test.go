package webrtcep

import (
	"testing"
	"time"
)

func TestREMBBudget(t *testing.T) {
	var raw, rate uint64
	b := &rembBudget{
		remb:    func() (uint64, uint64) { return raw, max(raw, 100_000) },
		ceiling: func() uint64 { return 2_500_000 },
		rate:    func() uint64 { return rate },
	}
	now := int64(time.Second)
	at := func(d time.Duration) int64 { return now + int64(d) }
	steps := []struct {
		at        time.Duration
		raw, rate uint64
		want      uint64
	}{
		{0, 0, 0, 2_500_000},                                // no REMB yet: the ceiling
		{time.Second, 1_500_000, 1_000_000, 2_500_000},      // REMB above what is sent: may step up
		{2 * time.Second, 400_000, 1_000_000, 400_000},      // congestion: REMB is the budget
		{3 * time.Second, 300_000, 250_000, 300_000},        // calm again, but held (8 s)
		{9 * time.Second, 360_000, 250_000, 360_000},        // still held
		{11 * time.Second, 360_000, 250_000, 1_000_000},     // hold over: one layer up (4× the rate)
		{12 * time.Second, 200_000, 1_000_000, 200_000},     // congested again: held 16 s now
		{13 * time.Second, 300_000, 250_000, 300_000},       //
		{27 * time.Second, 300_000, 250_000, 300_000},       // 15 s later: still held
		{29 * time.Second, 300_000, 250_000, 1_000_000},     // over
		{70 * time.Second, 1_300_000, 1_000_000, 2_500_000}, // a long calm resets the hold
		{71 * time.Second, 500_000, 1_000_000, 500_000},     //
		{72 * time.Second, 400_000, 250_000, 400_000},       // held 8 s again, not 32
		{80 * time.Second, 400_000, 250_000, 1_000_000},
	}
	for i, s := range steps {
		raw, rate = s.raw, s.rate
		if got := b.Estimate(at(s.at)); got != s.want {
			t.Fatalf("step %d (%v, REMB %d, rate %d): budget %d, want %d", i, s.at, s.raw, s.rate, got, s.want)
		}
	}
}
