package media_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// simPkt is a packet of layer l of a simulcast source (SSRC 100+l).
func simPkt(l uint8, key bool, seq uint16) *media.Packet {
	s := mediatest.Stream{SSRC: 100 + uint32(l), Seq: seq, Codec: mediatest.VP8}
	pkt := s.Next(mediatest.VP8Payload(key, 100*(int(l)+1)))
	pkt.Layer, pkt.Flags = l, media.PacketSimulcast
	if key {
		pkt.Flags |= media.PacketKeyframe
	}
	return pkt
}

func TestLayerSwitchSwitchesOnlyOnKeyframes(t *testing.T) {
	type step struct {
		layer  uint8
		key    bool
		target int // set before the packet (-2: unchanged)
		fwd    bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"waits for a keyframe of the first target", []step{
			{0, false, 0, false}, {1, true, -2, false}, {0, true, -2, true}, {0, false, -2, true}, {1, false, -2, false}}},
		{"keeps the old layer until the new one's keyframe", []step{
			{0, true, 0, true}, {2, false, 2, false}, {0, false, -2, true}, {2, true, -2, true}, {0, false, -2, false}, {2, false, -2, true}}},
		{"down at a keyframe of the lower layer", []step{
			{2, true, 2, true}, {1, true, 1, true}, {2, false, -2, false}, {1, false, -2, true}}},
		{"a non-keyframe of the target does not switch", []step{
			{1, true, 1, true}, {0, false, 0, false}, {1, false, -2, true}, {0, true, -2, true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s media.LayerSwitch
			now := int64(time.Second)
			for i, st := range tc.steps {
				if st.target != -2 {
					s.SetTarget(st.target)
				}
				now += int64(time.Millisecond)
				if fwd, _ := s.Accept(simPkt(st.layer, st.key, uint16(i)), now); fwd != st.fwd {
					t.Fatalf("step %d (layer %d key %v): forward = %v, want %v", i, st.layer, st.key, fwd, st.fwd)
				}
			}
		})
	}
}

func TestLayerSwitchFitsBudget(t *testing.T) {
	var s media.LayerSwitch
	now := int64(time.Second)
	// 50 packets per layer per second: 100, 200, 300 bytes → 40, 80, 120 kb/s.
	for i := 0; i < 100; i++ {
		now += int64(20 * time.Millisecond)
		for l := uint8(0); l < 3; l++ {
			s.Accept(simPkt(l, false, uint16(i)), now)
		}
	}
	for _, tc := range []struct {
		budget uint64
		want   int
	}{{0, 2}, {1_000_000, 2}, {160_000, 2}, {150_000, 1}, {125_000, 1}, {110_000, 1}, {60_000, 0}, {10_000, 0}} {
		if got := s.Fit(tc.budget, now); got != tc.want {
			t.Errorf("Fit(%d) = %d, want %d (rates %d %d %d)", tc.budget, got, tc.want, s.Rate(0), s.Rate(1), s.Rate(2))
		}
	}
	// A paused layer is not chosen.
	for i := 0; i < 80; i++ {
		now += int64(20 * time.Millisecond)
		s.Accept(simPkt(0, false, uint16(200+i)), now)
		s.Accept(simPkt(1, false, uint16(200+i)), now)
	}
	if got := s.Fit(0, now); got != 1 {
		t.Errorf("Fit after layer 2 paused = %d, want 1", got)
	}
}

func TestSinkPadGetsBestLayer(t *testing.T) {
	g := newGraph(t)
	src, sink := g.source(), g.sink(mediatest.SinkOptions{})
	pt, after := g.passThrough(), g.sink(mediatest.SinkOptions{})
	g.connect(src, sink, media.Video, def, def)
	g.connect(src, pt, media.Video, def, def)
	g.connect(pt, after, media.Video, def, def)
	seq := uint16(0)
	push := func(layers []uint8, key bool) {
		for _, l := range layers {
			src.Push(media.Video, simPkt(l, key, seq))
		}
		seq++
		g.clock.Advance(20 * time.Millisecond)
	}
	all := []uint8{0, 1, 2}
	push(all, false)
	push([]uint8{0}, true)
	push(all, false)
	push([]uint8{2}, true)
	for i := 0; i < 10; i++ {
		push(all, false)
	}
	// Layer 2 pauses: after LayerActiveTimeout the sink moves to layer 1
	// at its keyframe.
	for i := 0; i < 60; i++ {
		push([]uint8{0, 1}, false)
	}
	push([]uint8{1}, true)
	push([]uint8{0, 1}, false)
	for _, s := range []*mediatest.Sink{sink, after} {
		var ssrcs []uint32
		for _, r := range s.Received() {
			if n := len(ssrcs); n == 0 || ssrcs[n-1] != r.Header.SSRC {
				ssrcs = append(ssrcs, r.Header.SSRC)
				if r.Payload[1]&0x01 != 0 {
					t.Errorf("layer %d starts with an inter frame", r.Header.SSRC-100)
				}
			}
		}
		if len(ssrcs) != 2 || ssrcs[0] != 102 || ssrcs[1] != 101 {
			t.Errorf("layers received in order = %v, want [102 101]", ssrcs)
		}
	}
	if n := src.KeyframeRequests(media.Video); n == 0 {
		t.Error("no keyframe asked for while waiting for the layer's keyframe")
	}
}

// TestLayerPauseFollowsFrameRate: a 30 fps layer that stops is paused
// after ~300 ms; a 1 fps layer is not paused between its frames.
func TestLayerPauseFollowsFrameRate(t *testing.T) {
	var s media.LayerSwitch
	now := int64(time.Second)
	frame := func(l uint8, ts uint32) {
		p := simPkt(l, false, uint16(ts))
		p.Header.Timestamp = ts
		s.Accept(p, now)
	}
	for i := uint32(0); i < 30; i++ { // 1 s: layer 0 at 30 fps, layer 1 at 1 fps
		frame(0, i*3000)
		if i%30 == 0 {
			frame(1, i*3000)
		}
		now += int64(33 * time.Millisecond)
	}
	for i := uint32(30); i < 60; i++ {
		if i == 30 {
			frame(1, i*3000)
		}
		now += int64(33 * time.Millisecond)
		if i == 36 && !s.Active(0, now) {
			t.Error("a 30 fps layer paused after 230 ms of silence")
		}
		if i == 41 && s.Active(0, now) {
			t.Error("a 30 fps layer still active after 400 ms of silence")
		}
	}
	// 1 s after layer 0's last packet and 990 ms after layer 1's.
	if s.Active(0, now) {
		t.Error("a 30 fps layer silent for 1 s is still active")
	}
	if !s.Active(1, now) {
		t.Error("a 1 fps layer is paused between two frames")
	}
}

// TestFitPassesOverStarvedLayer: a top layer sent at 8 fps while the one
// below runs at 30 fps is not chosen.
func TestFitPassesOverStarvedLayer(t *testing.T) {
	var s media.LayerSwitch
	now := int64(time.Second)
	for i := 0; i < 90; i++ { // 3 s at 30 fps ticks
		ts := uint32(i * 3000)
		for l := uint8(0); l < 2; l++ {
			p := simPkt(l, false, uint16(i))
			p.Header.Timestamp = ts
			s.Accept(p, now)
		}
		if i%4 == 0 { // layer 2: every 4th frame
			p := simPkt(2, false, uint16(i))
			p.Header.Timestamp = ts
			s.Accept(p, now)
		}
		now += int64(33 * time.Millisecond)
	}
	if got := s.Fit(0, now); got != 1 {
		t.Errorf("Fit = %d, want 1 (layer 2 runs at a quarter of layer 1's frame rate)", got)
	}
}

// TestFitLeavesJerkyLayer: a viewer on the top layer moves down when the
// publisher's encoder drops it to half the frame rate of the layer below
// (Chrome's 720p under 10 % uplink loss), stays on it at 27 fps, and moves
// up to it again only after it kept up for four seconds.
func TestFitLeavesJerkyLayer(t *testing.T) {
	var s media.LayerSwitch
	now := int64(time.Second)
	i := 0
	run := func(frames int, topEvery func(i int) bool) {
		for end := i + frames; i < end; i++ {
			ts := uint32(i * 3000)
			for l := uint8(0); l < 3; l++ {
				if l == 2 && !topEvery(i) {
					continue
				}
				p := simPkt(l, false, uint16(i))
				p.Header.Timestamp = ts
				s.Accept(p, now)
			}
			if i%6 == 0 {
				s.Fit(0, now) // as a viewer's selector does, every 200 ms
			}
			now += int64(33 * time.Millisecond)
		}
	}
	all := func(int) bool { return true }
	run(90, all)
	if got := s.Fit(0, now); got != 2 {
		t.Fatalf("Fit = %d with every layer at 30 fps, want 2", got)
	}
	s.SetTarget(2)
	s.Accept(simPkt(2, true, 1000), now)           // the switch to 2 happens at its keyframe
	run(60, func(i int) bool { return i%10 != 0 }) // 27 fps
	if got := s.Fit(0, now); got != 2 {
		t.Errorf("Fit = %d with the top layer at 27 fps, want 2 (it keeps up)", got)
	}
	run(60, func(i int) bool { return i%2 == 0 }) // 15 fps
	if got := s.Fit(0, now); got != 1 {
		t.Fatalf("Fit = %d with the top layer at 15 fps and the middle at 30, want 1", got)
	}
	s.SetTarget(1)
	s.Accept(simPkt(1, true, 2000), now)
	run(90, all) // smooth again for 3 s: not yet
	if got := s.Fit(0, now); got != 1 {
		t.Errorf("Fit = %d 3 s after the top layer recovered, want 1 until it kept up for 4 s", got)
	}
	run(60, all)
	if got := s.Fit(0, now); got != 2 {
		t.Errorf("Fit = %d 5 s after the top layer recovered, want 2", got)
	}
}

// TestLayerSwitchMarksWanted: the histories of the layer a sink forwards
// and of the one it switches to are marked wanted; the others are not.
func TestLayerSwitchMarksWanted(t *testing.T) {
	var rings [3]*media.SourceRing
	for l := range rings {
		rings[l] = media.NewSourceRing(64, time.Second)
	}
	var s media.LayerSwitch
	now := int64(time.Second)
	for i := 0; i < 40; i++ {
		for l := uint8(0); l < 3; l++ {
			b := media.GetPacketBuf()
			pkt := simPkt(l, i == 0, uint16(i))
			b.SetHistoryForTest(rings[l], pkt)
			s.Accept(b.Packet(), now)
			b.Release()
		}
		if i == 1 {
			s.SetTarget(0)
		}
		if i == 2 {
			s.SetTarget(1) // waiting for layer 1's keyframe
		}
		s.Fit(0, now)
		now += int64(33 * time.Millisecond)
	}
	if !rings[0].Wanted() || !rings[1].Wanted() || rings[2].Wanted() {
		t.Errorf("wanted: %v %v %v, want the current (0) and the target (1) only", rings[0].Wanted(), rings[1].Wanted(), rings[2].Wanted())
	}
	// A new target is wanted from the moment it is set, before any Fit:
	// its keyframe, asked for at once, must be repaired.
	s.SetTarget(2)
	if !rings[2].Wanted() {
		t.Error("the new target's history is not wanted until the next Fit")
	}
}

// TestPushBufDropsDuplicates: a video packet a producer reads twice (a
// publisher's bandwidth probe made of RTX copies, a repair that crossed
// the original) reaches the sinks once.
func TestPushBufDropsDuplicates(t *testing.T) {
	g := newGraph(t)
	src, sink := g.source(), g.sink(mediatest.SinkOptions{})
	g.connect(src, sink, media.Video, def, def)
	pad := src.Core().Source(media.Video)
	for _, seq := range []uint16{1, 2, 2, 3, 1, 4} {
		b := media.GetPacketBuf()
		h := rtp.Header{Version: 2, SSRC: 5, SequenceNumber: seq}
		n, err := h.MarshalTo(b.Data())
		if err != nil {
			t.Fatal(err)
		}
		copy(b.Data()[n:], mediatest.VP8Payload(seq == 1, 20))
		if !b.ParseRTP(n + 20) {
			t.Fatal("parse")
		}
		b.Packet().Codec = mediatest.VP8
		pad.PushBuf(b)
	}
	var got []uint16
	for _, r := range sink.Received() {
		got = append(got, r.Header.SequenceNumber)
	}
	if len(got) != 4 || got[0] != 1 || got[1] != 2 || got[2] != 3 || got[3] != 4 {
		t.Errorf("sink received %v, want [1 2 3 4]", got)
	}
}

// TestFitUpByPeakRate: a viewer does not move up to a layer whose rate just
// dipped below its budget (a loaded publisher's top layer at a few fps for
// a second): moving up needs the layer's mean rate (a memory of ~2 s) to fit.
func TestFitUpByPeakRate(t *testing.T) {
	var s media.LayerSwitch
	now := int64(time.Second)
	send := func(packets int, size2 int) {
		for i := 0; i < packets; i++ { // 50 packets/s per layer
			now += int64(20 * time.Millisecond)
			for l := uint8(0); l < 3; l++ {
				size := 100
				if l == 2 {
					size = size2
				}
				p := simPkt(l, l == 0 && i == 0, uint16(i))
				p.Payload = p.Payload[:min(len(p.Payload), size)]
				p.Payload = append(p.Payload, make([]byte, size-len(p.Payload))...)
				s.Accept(p, now)
			}
		}
	}
	s.SetTarget(0)
	send(100, 2000) // layer 2 at 800 kb/s
	send(40, 200)   // then at 80 kb/s for 0.8 s
	if r := s.Rate(2); r > 100_000 {
		t.Fatalf("layer 2 measured at %d bit/s, want its dip", r)
	}
	if got := s.Fit(300_000, now); got == 2 {
		t.Errorf("Fit(300 kb/s) = 2: moved up to a layer that usually needs 800 kb/s")
	}
	send(400, 200) // 8 s at 80 kb/s: the peak has decayed
	if got := s.Fit(300_000, now); got != 2 {
		t.Errorf("Fit(300 kb/s) = %d after layer 2 stayed at 80 kb/s for 8 s, want 2", got)
	}
}

// TestLayerSwitchKeyframeRetries: the first keyframe request for a target
// goes out at once; while none comes, it is repeated after 0.5 s, then
// after waits that double up to 2 s (a keyframe crossing a full uplink
// must not be answered by asking for another); a new target asks at once.
func TestLayerSwitchKeyframeRetries(t *testing.T) {
	var s media.LayerSwitch
	now := int64(time.Second)
	s.SetTarget(0)
	if fwd, _ := s.Accept(simPkt(0, true, 1), now); !fwd {
		t.Fatal("layer 0's keyframe not forwarded")
	}
	s.SetTarget(1)
	var asked []int64 // ms after the target was set
	start := now
	for i := uint16(2); now-start < int64(6*time.Second); i++ {
		if _, kf := s.Accept(simPkt(0, false, i), now); kf >= 0 {
			if kf != 1 {
				t.Fatalf("keyframe of layer %d asked for, want 1", kf)
			}
			asked = append(asked, (now-start)/int64(time.Millisecond))
		}
		now += int64(10 * time.Millisecond)
	}
	if want := []int64{0, 500, 1500, 3500, 5500}; !slices.Equal(asked, want) {
		t.Errorf("keyframe requests at %v ms, want %v", asked, want)
	}
	s.SetTarget(2)
	if _, kf := s.Accept(simPkt(0, false, 1000), now); kf != 2 {
		t.Errorf("a new target: request %d, want layer 2 at once", kf)
	}
}

// TestFitPassesOverLossyLayer: when the publisher's uplink suddenly drops
// most packets (a full queue after its rate fell), a viewer moves to the
// lowest layer (whose frames and keyframes get through first) within one
// rate window, not when the encoder pauses the large layers; random loss
// of 10 % moves nothing; once the loss is gone the top layer fits again.
func TestFitPassesOverLossyLayer(t *testing.T) {
	var s media.LayerSwitch
	rings := [3]*media.SourceRing{}
	for l := range rings {
		rings[l] = media.NewSourceRing(1024, time.Hour)
	}
	now := int64(time.Second)
	seq := [3]uint16{}
	i := 0
	run := func(frames int, lose func(l, n int) bool) {
		for end := i + frames; i < end; i++ {
			for l := uint8(0); l < 3; l++ {
				for k := 0; k < int(l)+1; k++ { // 1, 2, 3 packets a frame
					seq[l]++
					if lose(int(l), int(seq[l])) {
						continue
					}
					p := simPkt(l, false, seq[l])
					p.Header.Timestamp = uint32(i * 3000)
					b := media.GetPacketBuf()
					b.SetHistoryForTest(rings[l], p)
					s.Accept(b.Packet(), now)
					b.Release()
				}
			}
			if i%6 == 0 {
				s.SetTarget(s.Fit(0, now))
			}
			now += int64(33 * time.Millisecond)
		}
	}
	none := func(int, int) bool { return false }
	run(90, none)
	if got := s.Fit(0, now); got != 2 {
		t.Fatalf("Fit = %d, want 2", got)
	}
	run(150, func(_, n int) bool { return n%10 == 3 }) // 10 % random loss on every layer
	if got := s.Fit(0, now); got != 2 {
		t.Fatalf("Fit = %d under 10 %% loss, want 2", got)
	}
	run(20, func(l, n int) bool { return l > 0 && n%5 != 0 }) // 80 % on the two upper layers for 0.66 s
	if got := s.Fit(0, now); got != 0 {
		t.Fatalf("Fit = %d with layers 1-2 losing 80 %%, want 0", got)
	}
	// The top layer all but stops (too few packets to measure its loss)
	// while the middle one keeps losing: it is not taken for healthy.
	run(30, func(l, n int) bool { return l == 2 && n%30 != 0 || l == 1 && n%5 != 0 })
	if got := s.Fit(0, now); got != 0 {
		t.Fatalf("Fit = %d with layer 1 losing 80 %% and layer 2 nearly silent, want 0", got)
	}
	run(60, none)
	if got := s.Fit(0, now); got != 2 {
		t.Errorf("Fit = %d 2 s after the loss ended, want 2", got)
	}
}

// TestFitLeavesLayerKeptAliveByRepairs: issue 15's drop to 600 kbit/s.
// Chrome pauses its top layer, but what it still sends of it are
// retransmissions of packets lost before (720p RTX at 0.4–0.6 Mbit/s for
// 2–3 s after the drop, all of a 600 kbit/s uplink): those are no sign of
// a running layer. The viewer leaves the layer as when it pauses (within
// three frame intervals, at least 300 ms), instead of staying on it while
// the repairs it asks for keep it looking alive.
func TestFitLeavesLayerKeptAliveByRepairs(t *testing.T) {
	var s media.LayerSwitch
	rings := [3]*media.SourceRing{}
	for l := range rings {
		rings[l] = media.NewSourceRing(1024, time.Hour)
	}
	now := int64(time.Second)
	seq := [3]uint16{}
	accept := func(l uint8, sq uint16, ts uint32) {
		p := simPkt(l, false, sq)
		p.Header.Timestamp = ts
		b := media.GetPacketBuf()
		b.SetHistoryForTest(rings[l], p)
		s.Accept(b.Packet(), now)
		b.Release()
	}
	for i := 0; i < 90; i++ {
		for l := uint8(0); l < 3; l++ {
			seq[l]++
			p := simPkt(l, i == 10, seq[l]) // keyframes: the switch to the target is made
			p.Header.Timestamp = uint32(i * 3000)
			b := media.GetPacketBuf()
			b.SetHistoryForTest(rings[l], p)
			s.Accept(b.Packet(), now)
			b.Release()
		}
		if i%6 == 0 {
			s.SetTarget(s.Fit(0, now))
		}
		now += int64(33 * time.Millisecond)
	}
	if got := s.Fit(0, now); got != 2 {
		t.Fatalf("Fit = %d, want 2", got)
	}
	// Layer 2 sends no new packet, only repairs of its last 60, one every
	// 11 ms (three per frame interval), each of an older frame.
	top := seq[2]
	for i := 0; i < 30; i++ {
		for l := uint8(0); l < 2; l++ {
			seq[l]++
			accept(l, seq[l], uint32((90+i)*3000))
		}
		for k := 0; k < 3; k++ {
			back := uint16(60 - 3*i - k)
			accept(2, top-back, uint32(int(90-back)*3000))
		}
		now += int64(33 * time.Millisecond)
		if i == 15 { // 0.5 s after the layer paused
			if got := s.Fit(0, now); got == 2 || rings[2].Wanted() {
				t.Fatalf("Fit = %d, repaired %v half a second after layer 2 paused (only repairs of it arrive), want a lower layer, no repairs",
					got, rings[2].Wanted())
			}
		}
	}
}

// TestLossyLayerNotRepaired: a layer the sinks pass over because it loses
// most of its packets (above the lowest) is not worth repairing while it
// does, even for the sink still forwarding it until the lower layer's
// keyframe: its retransmissions would come first on the publisher's full
// uplink. The lowest layer is repaired whatever it loses.
func TestLossyLayerNotRepaired(t *testing.T) {
	var s media.LayerSwitch
	rings := [3]*media.SourceRing{}
	for l := range rings {
		rings[l] = media.NewSourceRing(1024, time.Hour)
	}
	now := int64(time.Second)
	seq := [3]uint16{}
	run := func(frames int, keys bool, lose func(l, n int) bool) {
		for i := 0; i < frames; i++ {
			for l := uint8(0); l < 3; l++ {
				for k := 0; k < 3; k++ {
					seq[l]++
					if lose(int(l), int(seq[l])) {
						continue
					}
					p := simPkt(l, keys && k == 0 && i%10 == 9, seq[l])
					p.Header.Timestamp = uint32(int(seq[l]) / 3 * 3000)
					b := media.GetPacketBuf()
					b.SetHistoryForTest(rings[l], p)
					s.Accept(b.Packet(), now)
					b.Release()
				}
			}
			if i%6 == 0 {
				s.SetTarget(s.Fit(0, now))
			}
			now += int64(33 * time.Millisecond)
		}
	}
	run(60, true, func(int, int) bool { return false })
	if s.Current() != 2 || !rings[2].Wanted() {
		t.Fatal("the layer forwarded is not wanted")
	}
	run(30, false, func(_, n int) bool { return n%5 != 0 }) // 80 % on every layer
	if s.Current() != 2 {
		t.Fatalf("current layer %d: the switch down waits for a keyframe of the lower layer", s.Current())
	}
	if rings[2].Wanted() || rings[1].Wanted() {
		t.Error("layers losing 80 % above the lowest are still repaired")
	}
	run(60, false, func(int, int) bool { return false })
	if !rings[2].Wanted() {
		t.Error("the layer forwarded is not repaired once the loss ended")
	}
	// The top layer's new packets fall to one every third frame (too few
	// to measure its loss) while repairs of it arrive, three a frame.
	top := seq[2]
	for i := 0; i < 20; i++ {
		for l := uint8(0); l < 2; l++ {
			for k := 0; k < 3; k++ {
				seq[l]++
				p := simPkt(l, false, seq[l])
				p.Header.Timestamp = uint32(int(seq[l]) / 3 * 3000)
				b := media.GetPacketBuf()
				b.SetHistoryForTest(rings[l], p)
				s.Accept(b.Packet(), now)
				b.Release()
			}
		}
		sq := []uint16{top - uint16(100-3*i), top - uint16(99-3*i), top - uint16(98-3*i)}
		if i%3 == 0 {
			seq[2]++
			sq = append(sq, seq[2])
		}
		for _, n := range sq {
			p := simPkt(2, false, n)
			p.Header.Timestamp = uint32(int(n) / 3 * 3000)
			b := media.GetPacketBuf()
			b.SetHistoryForTest(rings[2], p)
			s.Accept(b.Packet(), now)
			b.Release()
		}
		if i%6 == 0 {
			s.SetTarget(s.Fit(0, now))
		}
		now += int64(33 * time.Millisecond)
	}
	if got := s.Fit(0, now); got == 2 || rings[2].Wanted() {
		t.Errorf("Fit = %d, repaired %v: a layer that gets more repairs than new packets is lossy", got, rings[2].Wanted())
	}
	// The same while the lower layers send nothing at all (held back in
	// the publisher's pacer behind the top layer's retransmissions): the top
	// layer is the only active one, and still not repaired.
	for i := 0; i < 20; i++ {
		sq := []uint16{top - uint16(40-3*i), top - uint16(39-3*i), top - uint16(38-3*i)}
		if i%3 == 0 {
			seq[2]++
			sq = append(sq, seq[2])
		}
		for _, n := range sq {
			p := simPkt(2, false, n)
			p.Header.Timestamp = uint32(int(n) / 3 * 3000)
			b := media.GetPacketBuf()
			b.SetHistoryForTest(rings[2], p)
			s.Accept(b.Packet(), now)
			b.Release()
		}
		if i%6 == 0 {
			s.SetTarget(s.Fit(0, now))
		}
		now += int64(33 * time.Millisecond)
	}
	if s.Fit(0, now); rings[2].Wanted() || !rings[0].Wanted() && s.Current() == 0 {
		t.Errorf("with the lower layers silent: top layer repaired %v", rings[2].Wanted())
	}
}

// TestHoldRepairs: a layer whose publisher's uplink is congested is not
// repaired until the hold ends, whatever its sinks want.
func TestHoldRepairs(t *testing.T) {
	r := media.NewSourceRing(64, time.Hour)
	p := simPkt(1, false, 10)
	b := media.GetPacketBuf()
	b.SetHistoryForTest(r, p)
	b.Release()
	r.MarkWanted(1<<16 + 10)
	if !r.Wanted() {
		t.Fatal("not wanted")
	}
	r.HoldRepairs(media.Monotime() + int64(time.Hour))
	if r.Wanted() {
		t.Fatal("repaired during the hold")
	}
	r2 := media.NewSourceRing(64, time.Hour)
	b = media.GetPacketBuf()
	b.SetHistoryForTest(r2, p)
	b.Release()
	r2.MarkWanted(1<<16 + 10)
	r2.HoldRepairs(media.Monotime() - 1)
	if !r2.Wanted() {
		t.Error("a hold in the past stops repairs")
	}
}

// TestFitUnmeasuredLayer: before a layer's rate is known (a viewer's first
// half second, when every layer's rate is still 0) it is not a layer to
// move up to, and a viewer's first layer is not the top one because its
// packet came first: in the browser a viewer of a 600 kbit/s link started
// on 720p and froze.
func TestFitUnmeasuredLayer(t *testing.T) {
	var s media.LayerSwitch
	now := int64(time.Second)
	s.Accept(simPkt(2, true, 0), now) // the top layer's packet came first
	if got := s.Fit(300_000, now); got != -1 {
		t.Errorf("Fit(300 kb/s) after a packet of layer 2 alone = %d, want -1 (wait for the lower ones)", got)
	}
	for i := 1; i < 10; i++ { // 200 ms: no rate window closed yet
		now += int64(20 * time.Millisecond)
		for l := 2; l >= 0; l-- {
			s.Accept(simPkt(uint8(l), false, uint16(i)), now)
		}
	}
	if got := s.Fit(300_000, now); got != 0 {
		t.Errorf("Fit(300 kb/s) before any rate is known = %d, want the lowest layer", got)
	}
	if got := s.Fit(0, now); got != 2 {
		t.Errorf("Fit(unlimited) = %d, want 2", got)
	}
}

// TestFitKeepsLayerOnEstimateDip: a viewer on a layer stays while its
// budget is at least layerStay (85 %) of the layer's mean: one delay
// overuse cuts the estimate to 85 % of what got through. Before, the last
// 500 ms window had to fit, and every swing of the encoder above the
// estimate moved the viewer down.
func TestFitKeepsLayerOnEstimateDip(t *testing.T) {
	var s media.LayerSwitch
	now := int64(time.Second)
	for i := 0; i < 100; i++ { // 50 packets/s: 40, 80, 120 kb/s
		now += int64(20 * time.Millisecond)
		for l := uint8(0); l < 3; l++ {
			s.Accept(simPkt(l, i == 0, uint16(i)), now)
		}
	}
	s.SetTarget(1)
	now += int64(20 * time.Millisecond)
	s.Accept(simPkt(1, true, 100), now)
	if s.Current() != 1 {
		t.Fatalf("current layer %d, want 1", s.Current())
	}
	for _, tc := range []struct {
		budget uint64
		want   int
	}{{75_000, 1}, {69_000, 1}, {60_000, 0}, {150_000, 1}, {160_000, 2}} {
		if got := s.Fit(tc.budget, now); got != tc.want {
			t.Errorf("on layer 1 (80 kb/s): Fit(%d) = %d, want %d", tc.budget, got, tc.want)
		}
	}
}
