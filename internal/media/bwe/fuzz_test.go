package bwe

import (
	"slices"
	"testing"
)

// FuzzFeedback: any bytes as RTCP from the peer. The reader never panics or
// reads out of bounds, agrees with pion/rtcp on every packet both accept
// (where the packet follows the draft: no reserved symbols, nothing received
// after the status count), and the estimator stays within its bounds.
func FuzzFeedback(f *testing.F) {
	f.Add(encodeFeedback([]status{{seq: 1, sym: symSmallDelta, delta: 4}, {seq: 2}, {seq: 3, sym: symLargeDelta, delta: -300}}, 77, 1))
	f.Add(encodeFeedback(randomStatuses(rngFor(1), 60), 1<<23, 9))
	f.Add([]byte{0x8f, 205, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 5, 0, 3, 0, 0, 1, 0, 0x20, 3, 4, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, nonStrict, err := readAll(data)
		if err == nil && !nonStrict {
			if theirs, perr := pionAll(data); perr == nil && !slices.Equal(ours, theirs) {
				t.Fatalf("reader and pion differ:\n ours %v\n pion %v", ours, theirs)
			}
		}
		e, _ := New(Config{Min: 100_000, Max: 2_000_000})
		for i := range 200 {
			e.OnPacketSent(uint16(i), 1200, int64(i)*ms, ProbeID(i%3))
		}
		_ = e.OnFeedback(data, 300*ms)
		_ = e.OnFeedback(data, 400*ms)
		e.OnTick(500 * ms)
		if tg := e.Target(); tg < 100_000 || tg > 2_000_000 {
			t.Fatalf("target %d outside the bounds", tg)
		}
	})
}
