package egress

import (
	"testing"
	"time"
)

// TestViewerMovesUpOnRateLimitedLink: issue 15's "only B's downlink 600
// kbit" once the viewer has started, on a link where the middle layer
// fits. A publisher with KurentoRoom.js's layers (150 kb/s, 450 kb/s, 1.7
// Mb/s; each second's rate drawn within ±20 %, as Chrome's 360p swung
// 364–658 kb/s a second at 450), Opus on the same transport, and an 800
// kbit/s drop-tail link. Before, the viewer was on 360p for a quarter of
// the last 10 s (4 seeds): moving up needed the layer's recent peak + 10 %
// (keyframe windows), and staying needed the last 500 ms window's rate
// within the estimate, so every swing above it moved the viewer down and
// the next keyframe back up. Now a layer fits on its mean rate (a pacer
// and the bottleneck's queue absorb the swings; LiveKit allocates so
// too), with hysteresis. The viewer must be on 360p for the last 10 s of
// 20, decode ≥ 27 fps there, never freeze for more than 1 s after its
// start, and the link must drop nothing in those 10 s (no loss of our own
// making).
func TestViewerMovesUpOnRateLimitedLink(t *testing.T) {
	layers := [3]float64{150e3, 450e3, 1.7e6}
	for _, tc := range []struct {
		name string
		o    simOpts
	}{
		{"800k", simOpts{rate: 800e3, keySizes: [3]int{6_000, 18_000, 45_000}, layers: layers, swing: 0.2, audio: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				s := runSim(t, tc.o, seed, 20*time.Second)
				half := len(s.every) / 2
				last, mid := s.every[len(s.every)-1], s.every[half]
				off := 0
				for _, e := range s.every[half:] {
					if e.layer != 1 {
						off++
					}
				}
				if off > 0 {
					t.Errorf("seed %d: not on 360p for %d of the last 100 samples (last: layer %d, estimate %d)", seed, off, last.layer, last.estimate)
				}
				if n := last.decoded - mid.decoded; n < 270 {
					t.Errorf("seed %d: %d frames decoded in the last 10 s, want ≥ 270", seed, n)
				}
				if f := s.view.longestFreeze; f > int64(time.Second) {
					t.Errorf("seed %d: frozen for %v", seed, time.Duration(f))
				}
				if n := last.dropped - mid.dropped; n > 0 {
					t.Errorf("seed %d: the link dropped %d packets in the last 10 s", seed, n)
				}
				if t.Failed() || testing.Verbose() {
					t.Logf("seed %d: %v", seed, s)
				}
			}
		})
	}
}
