package egress

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/rtpx"
	"github.com/gorento/gorento/internal/testutil"
)

// lossyPush pushes packet part of frame i of the rig's L1T3 stream (2
// packets a frame) on simulcast layer l (-1: no simulcast), a keyframe
// when key, tagged in its payload with its layer and source index.
func (r *tlRig) lossyPush(t *testing.T, l, i, part int, key bool) {
	t.Helper()
	b := media.GetPacketBuf()
	tid, _ := l1t3TID(i)
	ll := max(l, 0)
	hd := rtp.Header{Version: 2, SequenceNumber: uint16(2*i+part+1) + uint16(ll)*20000, Timestamp: uint32(i) * 3000,
		SSRC: 5 + uint32(ll), PayloadType: 96, Marker: part == 1}
	n, _ := hd.MarshalTo(b.Data())
	p := b.Data()[n:]
	writeL1T3(p, i, part, 100+uint16(ll)*1000)
	if key && part == 0 {
		p[6] = 0x00
	}
	p[8], p[9], p[10], p[11] = byte(i>>8), byte(i), byte(part), byte(ll)
	if !b.ParseRTP(n + l1t3Sizes[tid]*(10+3*ll)/10) {
		t.Fatal("parse")
	}
	pkt := b.Packet()
	pkt.Codec = mediatest.VP8
	if l >= 0 {
		pkt.Layer, pkt.Flags = uint8(l), media.PacketSimulcast
		if key && part == 0 {
			pkt.Flags |= media.PacketKeyframe
		}
	}
	r.h.src.pad.PushBuf(b)
	r.pushed++
}

// TestTemporalLossLeavesNoHoles: a VP8 L1T3 publisher behind 10 % loss,
// each lost packet arriving 1–3 frames late (its retransmission), and a
// viewer whose temporal layer changes with its budget: every sequence
// number missing from what the viewer got is either sent later (the
// repair, with its own payload) or resent on a NACK, and the PictureIDs
// it got leave no gap (a receiver's VP8 reference finder waits for a
// missing picture until a keyframe). Issue 15: at 10 % loss a viewer got
// holes no packet ever filled, and froze until its PLI.
func TestTemporalLossLeavesNoHoles(t *testing.T) {
	lossyRun(t, 15, 0, false, []uint64{0, 150_000, 250_000, 150_000, 0, 250_000})
}

// TestSimulcastLossLeavesNoHoles: the same with two simulcast layers and
// a viewer switching between them (and between temporal layers of the
// lower one); the output also changes layer only at a keyframe.
func TestSimulcastLossLeavesNoHoles(t *testing.T) {
	lossyRun(t, 1, 2, false, []uint64{0, 300_000, 150_000, 0, 0, 320_000, 250_000, 0, 0, 200_000})
}

// TestSwitchKeyframeLossRepaired: the same, with a publisher's endpoint
// that repairs only the losses of a layer some viewer gets (its history
// Watched when the loss shows; the others are given up, as webrtcep's
// collectNACKs does): the keyframe a viewer switches layers at, asked for
// as the switch begins, and the frames after it must have their losses
// repaired. Issue 15, 10 % loss: after a layer switch a viewer got packets
// but completed no frame for 1–8 s, NACKing holes the server never got.
func TestSwitchKeyframeLossRepaired(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			lossyRun(t, seed, 2, true, []uint64{0, 150_000, 0, 150_000, 0, 150_000})
		})
	}
}

// lossyRun pushes 2 s of video per budget through 10 % loss with late
// repairs, and checks what the viewer got. With watched, a loss is
// repaired only if its layer's history is Watched when it is lost (else
// given up, as a publisher's endpoint does).
func lossyRun(t *testing.T, seed uint64, layers int, watched bool, budgets []uint64) {
	r := newTLRigOn(t, watched)
	h := r.h
	rng := rand.New(rand.NewPCG(seed, 10))
	type lost struct{ l, f, part int }
	late := map[int][]lost{} // frame → packets delivered then
	keyAt := map[[2]int]bool{}
	asked := int32(0)
	abandoned := 0
	frames := 60 * len(budgets)
	for f := 0; f < frames; f++ {
		r.budget.Store(budgets[f/60])
		if f%4 == 0 {
			asked = r.keyAsked.Swap(0)
		}
		for l := 0; l < max(layers, 1); l++ {
			key := f == 0 || f%4 == 0 && asked&(1<<l) != 0
			keyAt[[2]int{l, f}] = key
			sl := l
			if layers == 0 {
				sl = -1
			}
			for part := 0; part < 2; part++ {
				if f > 0 && rng.Float64() < 0.10 {
					if watched && !h.src.pad.HistoryOf(uint8(l)).Watched() {
						abandoned++
						continue // given up: never repaired
					}
					at := f + 1 + rng.IntN(3)
					late[at] = append(late[at], lost{sl, f, part})
					continue
				}
				r.lossyPush(t, sl, f, part, key)
			}
		}
		for _, p := range late[f] {
			r.lossyPush(t, p.l, p.f, p.part, keyAt[[2]int{max(p.l, 0), p.f}])
		}
		delete(late, f)
		testutil.Eventually(t, 10*time.Second, "the worker took the frame", func() bool {
			st := h.d.Stats()
			return int(st.Packets-st.Replayed+st.TemporalDropped+st.Unselected+st.Stale) == r.pushed
		})
		r.clk.Add(int64(time.Second / 30))
	}
	out := h.out.got()
	bySeq := map[uint16]sent{}
	var first, last uint16
	for i, p := range out {
		if q, dup := bySeq[p.hdr.SequenceNumber]; dup && string(q.payload) != string(p.payload) {
			t.Fatalf("seq %d sent twice with different packets: layer %d packet %d, then layer %d packet %d (%d of %d sent)", p.hdr.SequenceNumber, q.payload[11], 2*(int(q.payload[8])<<8|int(q.payload[9]))+int(q.payload[10]), p.payload[11], 2*(int(p.payload[8])<<8|int(p.payload[9]))+int(p.payload[10]), i, len(out))
		}
		bySeq[p.hdr.SequenceNumber] = p
		if i == 0 || rtpx.SeqNewer(p.hdr.SequenceNumber, last) {
			last = p.hdr.SequenceNumber
		}
		if i == 0 || rtpx.SeqNewer(first, p.hdr.SequenceNumber) {
			first = p.hdr.SequenceNumber
		}
	}
	// Sequence numbers follow the source's order within a layer, the layer
	// changes only at a keyframe, and PictureIDs have no gap.
	src := func(p sent) int { return 2*(int(p.payload[8])<<8|int(p.payload[9])) + int(p.payload[10]) }
	prev, prevLayer, pics := -1, -1, map[uint16]bool{}
	for s := first; ; s++ {
		if p, ok := bySeq[s]; ok {
			l := int(p.payload[11])
			if l != prevLayer && prevLayer >= 0 && (p.payload[6] != 0 || p.payload[0]&0x10 == 0) {
				t.Fatalf("seq %d: layer %d → %d not at a keyframe start", s, prevLayer, l)
			}
			if l == prevLayer && src(p) <= prev {
				t.Fatalf("seq %d carries source packet %d after %d", s, src(p), prev)
			}
			prev, prevLayer = src(p), l
			d, _ := rtpx.ParseVP8(p.payload)
			pics[d.PictureID] = true
		}
		if s == last {
			break
		}
	}
	var minPic, maxPic uint16 = 0xffff, 0
	for p := range pics {
		minPic, maxPic = min(minPic, p), max(maxPic, p)
	}
	for p := minPic; p <= maxPic; p++ {
		if !pics[p] {
			t.Errorf("PictureID %d never sent (%d–%d)", p, minPic, maxPic)
		}
	}
	// Every hole is answered by a NACK.
	var missing []uint16
	for s := first; s != last; s++ {
		if _, ok := bySeq[s]; !ok {
			missing = append(missing, s)
		}
	}
	for _, s := range missing {
		h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: s}}})
	}
	h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: last}}})
	got := h.out.waitN(t, len(out)+1)
	resent := map[uint16]bool{}
	for _, p := range got[len(out):] {
		resent[p.hdr.SequenceNumber] = true
	}
	// Except holes in the last packets of a layer the viewer left at a
	// keyframe of another (their repairs came after the switch): the stream
	// resumes on that keyframe, which refers to nothing before it.
	unanswered, beforeSwitch := 0, 0
	for _, s := range missing {
		if resent[s] {
			continue
		}
		b := s - 1
		for ; bySeq[b].payload == nil; b-- {
		}
		n := s + 1
		for ; n != last && (bySeq[n].payload == nil || bySeq[n].payload[11] == bySeq[b].payload[11]); n++ {
		}
		if p := bySeq[n].payload; p != nil && p[11] != bySeq[b].payload[11] && p[6] == 0 && p[0]&0x10 != 0 && n-s < 16 {
			beforeSwitch++
			continue
		}
		unanswered++
		t.Logf("hole %d after layer %d packet %d", s, bySeq[b].payload[11], src(bySeq[b]))
	}
	st := h.d.Stats()
	t.Logf("%d packets sent, %d temporal drops, %d layer switches, %d holes, %d before a switch, %d unanswered, %d losses given up upstream",
		len(out), st.TemporalDropped, r.sel.Layer().Switches, len(missing), beforeSwitch, unanswered, abandoned)
	if st.TemporalDropped == 0 || layers > 0 && r.sel.Layer().Switches < 2 {
		t.Fatal("no temporal layer dropped or no layer switched: the test tests nothing")
	}
	if unanswered > 0 {
		t.Errorf("%d of %d holes in the output never filled nor answerable by a NACK", unanswered, len(missing))
	}
}

// TestGapLateKeyframeStart: a track waiting for a keyframe (after a pacer
// or queue drop) whose keyframe's first packet comes late, as a repair,
// after the rest of it and the frames that follow were passed over, sends
// them from the source's history after it: else its receiver got the
// start of a keyframe and holes no NACK could fill, and froze until its
// own keyframe request came through.
func TestGapLateKeyframeStart(t *testing.T) {
	r := newTLRig(t)
	h := r.h
	push := func(i, part int) {
		r.lossyPush(t, -1, i, part, i == 0 || i == 4)
		testutil.Eventually(t, 10*time.Second, "the worker took the packet", func() bool {
			st := h.d.Stats()
			return int(st.Packets-st.Replayed+st.TemporalDropped+st.Unselected+st.Stale) == r.pushed
		})
		r.clk.Add(int64(time.Second / 60))
	}
	for i := 0; i < 4; i++ {
		push(i, 0)
		push(i, 1)
	}
	h.d.gap.Store(true)
	push(4, 1) // the keyframe, its first packet lost
	push(5, 0)
	push(5, 1)
	push(6, 0)
	push(4, 0) // its repair
	push(6, 1)
	out := h.out.got()
	var srcs []int
	for i, p := range out {
		srcs = append(srcs, 2*(int(p.payload[8])<<8|int(p.payload[9]))+int(p.payload[10]))
		if i > 0 && p.hdr.SequenceNumber != out[i-1].hdr.SequenceNumber+1 {
			t.Errorf("seq %d after %d", p.hdr.SequenceNumber, out[i-1].hdr.SequenceNumber)
		}
	}
	want := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	if fmt.Sprint(srcs) != fmt.Sprint(want) {
		t.Errorf("sent source packets %v, want %v", srcs, want)
	}
}

// TestStuckHoleAsksKeyframe: a packet after the last keyframe that never
// reached the server (its repair gave up upstream) leaves a hole its
// viewer NACKs in vain, and the frames after it wait on it: once it is
// still NACKed 400 ms after the first NACK, a keyframe is asked for (at
// most every second). A hole before the newest keyframe asks nothing.
func TestStuckHoleAsksKeyframe(t *testing.T) {
	r := newTLRig(t)
	h := r.h
	var asked atomic.Int32
	h.d.onGap = func() { asked.Add(1) }
	push := func(i, part int) {
		r.lossyPush(t, -1, i, part, i == 0 || i == 12)
		testutil.Eventually(t, 10*time.Second, "the worker took the packet", func() bool {
			st := h.d.Stats()
			return int(st.Packets+st.TemporalDropped) == r.pushed
		})
	}
	nack := func(seq uint16) {
		n := len(h.out.got())
		h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: seq}}})
		h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: h.out.got()[0].hdr.SequenceNumber + 1}}})
		h.out.waitN(t, n+1) // the second one's resend: the first is handled
	}
	for i := 0; i < 8; i++ {
		for part := 0; part < 2; part++ {
			if i != 5 || part != 0 { // never arrives
				push(i, part)
			}
		}
		r.clk.Add(int64(time.Second / 30))
	}
	hole := h.out.got()[0].hdr.SequenceNumber + 10
	nack(hole)
	r.clk.Add(int64(300 * time.Millisecond))
	nack(hole)
	if n := asked.Load(); n != 0 {
		t.Fatalf("%d keyframes asked for within 300 ms of the first NACK", n)
	}
	r.clk.Add(int64(200 * time.Millisecond))
	nack(hole)
	if n := asked.Load(); n != 1 {
		t.Fatalf("%d keyframes asked for a hole NACKed for 500 ms, want 1", n)
	}
	r.clk.Add(int64(200 * time.Millisecond))
	nack(hole)
	if n := asked.Load(); n != 1 {
		t.Fatalf("%d keyframes asked for within a second", n)
	}
	for i := 8; i < 14; i++ { // a keyframe at 12
		push(i, 0)
		push(i, 1)
		r.clk.Add(int64(time.Second / 30))
	}
	r.clk.Add(int64(time.Second))
	nack(hole)
	r.clk.Add(int64(time.Second))
	nack(hole)
	if n := asked.Load(); n != 1 {
		t.Fatalf("a hole before the newest keyframe asked for a keyframe (%d)", n)
	}
}
