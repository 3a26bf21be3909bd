package egress

import (
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
)

// layerPacket is a packet of layer l of a simulcast source.
func layerPacket(l uint8, key bool, seq uint16, size int) *media.Packet {
	p := &media.Packet{Header: rtp.Header{SSRC: 500 + uint32(l), SequenceNumber: seq}, Payload: make([]byte, size),
		Layer: l, Flags: media.PacketSimulcast}
	if key {
		p.Flags |= media.PacketKeyframe
	}
	return p
}

// TestLayerSelectorFollowsEstimate: the estimate picks the layer; the
// switch waits for the new layer's keyframe and asks for it; a source
// without layers passes whatever the estimate.
func TestLayerSelectorFollowsEstimate(t *testing.T) {
	var budget uint64
	var asked []uint8
	answer := true // the publisher answers keyframe requests
	var pending [3]bool
	s := NewLayerSelector(EstimatorFunc(func(int64) uint64 { return budget }), func(l uint8) {
		asked = append(asked, l)
		pending[l] = answer
	})
	now := int64(time.Second)
	seq := uint16(0)
	// 50 packets/s per layer: ~80, ~240, ~800 kb/s of payload.
	step := func(key [3]bool) (fwd [3]bool) {
		now += int64(20 * time.Millisecond)
		seq++
		for l := uint8(0); l < 3; l++ {
			k := key[l] || pending[l]
			pending[l] = false
			fwd[l] = s.Select(nil, layerPacket(l, k, seq, []int{200, 600, 2000}[l]), now)
		}
		return fwd
	}
	step([3]bool{true, true, true})
	for i := 0; i < 60; i++ {
		step([3]bool{})
	}
	if st := s.Layer(); st.Current != 2 || st.Layers != 3 {
		t.Fatalf("unlimited: %+v, want layer 2 of 3", st)
	}
	budget = 300_000
	asked, answer = nil, false
	for i := 0; i < 20; i++ {
		if fwd := step([3]bool{}); !fwd[2] || fwd[1] || fwd[0] {
			t.Fatalf("before layer 1's keyframe: forwarded %v, want layer 2 only", fwd)
		}
	}
	if len(asked) == 0 || asked[0] != 1 {
		t.Errorf("keyframes asked %v, want of layer 1", asked)
	}
	if st := s.Layer(); st.Target != 1 || st.Current != 2 {
		t.Errorf("waiting: %+v", st)
	}
	if fwd := step([3]bool{false, true, false}); !fwd[1] || fwd[2] {
		t.Fatalf("at layer 1's keyframe: forwarded %v, want layer 1 only", fwd)
	}
	if st := s.Layer(); st.Current != 1 || st.Switches < 2 || st.Bitrate == 0 {
		t.Errorf("after the switch: %+v", st)
	}
	if !s.Select(nil, &media.Packet{Payload: make([]byte, 100)}, now) {
		t.Error("a packet of a source without layers was dropped")
	}
}

func TestLayerSelectorAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (./dev runs this test without it)")
	}
	s := NewLayerSelector(EstimatorFunc(func(int64) uint64 { return 500_000 }), func(uint8) {})
	pkts := []*media.Packet{layerPacket(0, true, 1, 200), layerPacket(1, true, 1, 600), layerPacket(2, true, 1, 2000)}
	now := int64(time.Second)
	allocs := testing.AllocsPerRun(1000, func() {
		now += int64(7 * time.Millisecond)
		for _, p := range pkts {
			p.Header.SequenceNumber++
			s.Select(nil, p, now)
		}
	})
	if allocs != 0 {
		t.Errorf("layer selection allocates %.1f objects per 3 packets", allocs)
	}
}

// BenchmarkLayerSelector: the layer choice per packet of a 3-layer source.
func BenchmarkLayerSelector(b *testing.B) {
	s := NewLayerSelector(EstimatorFunc(func(int64) uint64 { return 500_000 }), func(uint8) {})
	pkts := []*media.Packet{layerPacket(0, true, 1, 200), layerPacket(1, true, 1, 600), layerPacket(2, true, 1, 1100)}
	now := int64(time.Second)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := pkts[i%3]
		if i%3 == 0 {
			now += int64(3 * time.Millisecond)
		}
		p.Header.SequenceNumber++
		s.Select(nil, p, now)
	}
}
