package egress

import (
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/testutil"
)

// pushLayer pushes one packet of simulcast layer l (frame, part of 2; the
// layer's own SSRC and sequence numbers) through the rig's source pad and
// waits until the worker has taken it.
func (r *tlRig) pushLayer(t *testing.T, l, frame, part int, seq uint16, key bool) {
	t.Helper()
	b := media.GetPacketBuf()
	hd := rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(frame) * 3000, SSRC: 5 + uint32(l), PayloadType: 96, Marker: part == 1}
	n, _ := hd.MarshalTo(b.Data())
	p := b.Data()[n:]
	writeL1T3(p, frame, part, 32700+uint16(l)*1000)
	p[5] &^= 0xc0 // TID 0: every frame is wanted
	if key {
		p[6] = 0x00
	}
	p[7] = byte(l)<<4 | byte(part) // a mark to tell packets apart
	if !b.ParseRTP(n + 1000 + 300*l) {
		t.Fatal("parse")
	}
	pkt := b.Packet()
	pkt.Codec = mediatest.VP8
	pkt.Layer, pkt.Flags = uint8(l), media.PacketSimulcast
	if key && part == 0 {
		pkt.Flags |= media.PacketKeyframe
	}
	r.h.src.pad.PushBuf(b)
	r.pushed++
	testutil.Eventually(t, 10*time.Second, "the worker took the packet", func() bool {
		st := r.h.d.Stats()
		return int(st.Packets+st.TemporalDropped+st.Unselected) >= r.pushed
	})
}

// TestLayerSwitchLateKeyframeStart: the keyframe a viewer waits for to move
// up a layer loses its first packet (lost on the publisher's uplink, then
// repaired by a retransmission that arrives after the rest of the frame and
// the next one). The switch happens at the late packet, and what was passed
// over meanwhile follows it from the layer's history: the viewer gets the
// whole keyframe and the frame after it, in order, with continuous sequence
// numbers, instead of a keyframe with a hole it cannot repair.
func TestLayerSwitchLateKeyframeStart(t *testing.T) {
	r := newTLRig(t)
	r.layers = 2
	r.budget.Store(330_000) // layer 0 (~290 kb/s) fits, layer 1 does not
	r.run(t, 2*time.Second)
	if st := r.sel.Layer(); st.Current != 0 {
		t.Fatalf("at 330 kb/s: %+v, want layer 0", st)
	}
	r.budget.Store(0)
	r.keyAsked.Store(0)
	seq := [2]uint16{r.seq[0], r.seq[1] + 20000}
	frame := r.frame
	next := func(l int) uint16 { seq[l]++; return seq[l] }
	// Frames without a keyframe until the selector asks for one of layer 1.
	for i := 0; r.keyAsked.Load()&2 == 0; i++ {
		if i > 60 {
			t.Fatalf("no keyframe of layer 1 asked for: %+v", r.sel.Layer())
		}
		for l := range 2 {
			r.pushLayer(t, l, frame, 0, next(l), false)
			r.pushLayer(t, l, frame, 1, next(l), false)
		}
		frame++
		r.clk.Add(int64(time.Second / 30))
	}
	before := len(r.h.out.got())
	// Layer 1's keyframe: its first packet is lost, the second arrives,
	// then the next frame; the first comes last (a retransmission).
	first := next(1)
	r.pushLayer(t, 0, frame, 0, next(0), false)
	r.pushLayer(t, 0, frame, 1, next(0), false)
	r.pushLayer(t, 1, frame, 1, next(1), true)
	r.clk.Add(int64(time.Second / 30))
	r.pushLayer(t, 0, frame+1, 0, next(0), false)
	r.pushLayer(t, 0, frame+1, 1, next(0), false)
	r.pushLayer(t, 1, frame+1, 0, next(1), false)
	r.pushLayer(t, 1, frame+1, 1, next(1), false)
	r.pushLayer(t, 1, frame, 0, first, true)
	out := r.h.out.waitN(t, before+4)
	if st := r.sel.Layer(); st.Current != 1 {
		t.Fatalf("after the keyframe: %+v, want layer 1", st)
	}
	var got []byte
	for _, p := range out[before:] {
		got = append(got, p.payload[7])
	}
	// Layer 0's two frames before the switch, then layer 1: keyframe parts 0
	// and 1, the next frame's parts 0 and 1.
	want := []byte{0x00, 0x01, 0x00, 0x01, 0x10, 0x11, 0x10, 0x11}
	if string(got) != string(want) {
		t.Fatalf("sent % x, want % x", got, want)
	}
	for i := before + 1; i < len(out); i++ {
		if out[i].hdr.SequenceNumber != out[i-1].hdr.SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d", i, out[i].hdr.SequenceNumber, out[i-1].hdr.SequenceNumber)
		}
	}
	if st := r.h.d.Stats(); st.Replayed != 3 {
		t.Errorf("replayed %d packets, want 3", st.Replayed)
	}
}
