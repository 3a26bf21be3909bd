package media_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// TestFitUpByLossPerFrame: random loss on a publisher's uplink hits every
// layer alike, but a large layer's frames have more packets, so more of
// them wait for a repair, and for a second round when the NACK or the
// repair is lost too. Three layers of 1, 2 and 4 packets a frame at 30
// fps (Chrome's at 10 % loss), a viewer with room for all: under 10 % loss
// it stays on the middle layer (0.2 packets lost a frame; the top one 0.4)
// instead of moving up (in the browser it moved up after 4 s, the frame
// rate fell and it moved back, each move a keyframe and a freeze); under
// 6 %, 3 % and without loss it gets the top layer; a viewer without an
// estimate (a recorder) the top layer in every case.
func TestFitUpByLossPerFrame(t *testing.T) {
	for _, tc := range []struct {
		loss          float64
		budget        uint64
		keyAfter      int // frames before any keyframe (the viewer has no layer yet)
		want, maxSeen int
	}{
		{0.10, 10_000_000, 0, 1, 1},
		{0.10, 10_000_000, 30, 1, 1},
		{0.06, 10_000_000, 0, 2, 2},
		{0.03, 10_000_000, 0, 2, 2},
		{0, 10_000_000, 0, 2, 2},
		{0.10, 0, 0, 2, 2},
	} {
		for seed := uint64(1); seed <= 3; seed++ {
			last, top, at := lossPerFrameRun(tc.loss, tc.budget, tc.keyAfter, seed)
			if last != tc.want || top != tc.maxSeen {
				t.Errorf("loss %.0f %%, budget %d, seed %d: layer %d at the end, highest %d; want %d, %d",
					100*tc.loss, tc.budget, seed, last, top, tc.want, tc.maxSeen)
			}
			if at > 6*time.Second {
				t.Errorf("loss %.0f %%, budget %d, seed %d: layer %d reached after %v", 100*tc.loss, tc.budget, seed, top, at)
			}
		}
	}
}

// lossPerFrameRun runs 20 s of the three layers through loss, keyframes
// coming from frame keyAfter on, and returns the layer forwarded at the
// end, the highest forwarded after the first second, and when it was first
// forwarded. The first layer chosen is the one the viewer's first
// keyframe comes for: with keyAfter it has chosen again once the layers
// were measured (in the browser a viewer went to 720p so).
func lossPerFrameRun(loss float64, budget uint64, keyAfter int, seed uint64) (last, top int, at time.Duration) {
	rng := rand.New(rand.NewPCG(seed, 7))
	var s media.LayerSwitch
	rings := [3]*media.SourceRing{}
	for l := range rings {
		rings[l] = media.NewSourceRing(1024, time.Hour)
	}
	now := int64(time.Second)
	seq := [3]uint16{}
	key := [3]bool{keyAfter == 0, keyAfter == 0, keyAfter == 0}
	top = -1
	for f := 0; f < 600; f++ {
		for l := uint8(0); l < 3; l++ {
			n := []int{1, 2, 4}[l]
			for k := 0; k < n; k++ {
				seq[l]++
				if rng.Float64() < loss {
					continue
				}
				p := simPkt(l, key[l] && k == 0, seq[l])
				p.Header.Timestamp = uint32(f * 3000)
				b := media.GetPacketBuf()
				b.SetHistoryForTest(rings[l], p)
				if _, kf := s.Accept(b.Packet(), now); kf >= 0 && f >= keyAfter {
					key[kf] = true // the next frame of that layer
				}
				b.Release()
			}
			if f > 0 {
				key[l] = false
			}
		}
		if f%6 == 0 {
			s.SetTarget(s.Fit(budget, now))
		}
		if f >= 30 && s.Current() > top {
			top, at = s.Current(), time.Duration(f)*time.Second/30
		}
		now += int64(time.Second / 30)
	}
	return s.Current(), top, at
}
