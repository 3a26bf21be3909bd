package media_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// TestFitUpAfterStartRamp: a publisher whose estimate starts low sends
// its top layer at a few frames a second, each of many packets, until its
// estimate has grown, and then at 30 fps for good (Chrome under 3 % loss:
// 720p at 2–11 fps for 8–18 s). A viewer with room for it moves up within
// 2.5 s of the ramp's end (2 s: the frame rate's mean catching up, the
// hold, the keyframe; with the 4 s hold of a relapsed layer 5 s, in the
// browser once after the 3 % row's 10 s window); under 10 %
// loss it still stays on the middle layer (the loss rule), and a layer
// that kept up and then fell behind is still held 4 s
// (TestFitLeavesJerkyLayer).
func TestFitUpAfterStartRamp(t *testing.T) {
	const ramp = 10 * time.Second
	for _, tc := range []struct {
		loss    float64
		topPkts int // packets a frame of the top layer at 30 fps
		maxSeen int
	}{
		{0, 5, 2},
		{0.03, 5, 2},
		{0.10, 4, 1},
	} {
		for seed := uint64(1); seed <= 3; seed++ {
			top, at := startRampRun(tc.loss, tc.topPkts, ramp, seed)
			if top != tc.maxSeen {
				t.Errorf("loss %.0f %%, seed %d: highest layer %d, want %d", 100*tc.loss, seed, top, tc.maxSeen)
				continue
			}
			if top == 2 && at > ramp+2500*time.Millisecond {
				t.Errorf("loss %.0f %%, seed %d: top layer forwarded %v after its start ramp ended, want ≤ 2.5 s", 100*tc.loss, seed, at-ramp)
			}
		}
	}
}

// startRampRun runs 20 s of three layers (1 and 2 packets a frame at 30
// fps; the top one at 6 fps of 20 packets a frame for ramp, then at 30
// fps of topPkts) through loss, for a viewer with a 10 Mbit/s estimate
// choosing every 200 ms, and returns the highest layer forwarded and when
// it was first forwarded.
func startRampRun(loss float64, topPkts int, ramp time.Duration, seed uint64) (top int, at time.Duration) {
	rng := rand.New(rand.NewPCG(seed, 11))
	var s media.LayerSwitch
	rings := [3]*media.SourceRing{}
	for l := range rings {
		rings[l] = media.NewSourceRing(1024, time.Hour)
	}
	start := int64(time.Second)
	now := start
	seq := [3]uint16{}
	key := [3]bool{true, true, true}
	top = -1
	for f := 0; f < 600; f++ {
		t := time.Duration(now - start)
		for l := uint8(0); l < 3; l++ {
			n := []int{1, 2, topPkts}[l]
			if l == 2 && t < ramp {
				if f%5 != 0 {
					continue
				}
				n = 20
			}
			for k := 0; k < n; k++ {
				seq[l]++
				if rng.Float64() < loss {
					continue
				}
				p := simPkt(l, key[l] && k == 0, seq[l])
				p.Header.Timestamp = uint32(f * 3000)
				b := media.GetPacketBuf()
				b.SetHistoryForTest(rings[l], p)
				if _, kf := s.Accept(b.Packet(), now); kf >= 0 {
					key[kf] = true // the next frame of that layer
				}
				b.Release()
			}
			key[l] = false
		}
		if f%6 == 0 {
			s.SetTarget(s.Fit(10_000_000, now))
		}
		if s.Current() > top {
			top, at = s.Current(), t
		}
		now += int64(time.Second / 30)
	}
	return top, at
}
