package egress

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/rtpx"
	"github.com/gorento/gorento/internal/testutil"
)

// lossyPush pushes packet part of frame i of the rig's L1T3 stream (one
// layer, 2 packets a frame), tagged in its payload with its source index.
func (r *tlRig) lossyPush(t *testing.T, i, part int) {
	t.Helper()
	b := media.GetPacketBuf()
	tid, _ := l1t3TID(i)
	hd := rtp.Header{Version: 2, SequenceNumber: uint16(2*i + part + 1), Timestamp: uint32(i) * 3000, SSRC: 5,
		PayloadType: 96, Marker: part == 1}
	n, _ := hd.MarshalTo(b.Data())
	p := b.Data()[n:]
	writeL1T3(p, i, part, 100)
	p[8], p[9], p[10] = byte(i>>8), byte(i), byte(part)
	if !b.ParseRTP(n + l1t3Sizes[tid]) {
		t.Fatal("parse")
	}
	b.Packet().Codec = mediatest.VP8
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
	r := newTLRig(t)
	h := r.h
	rng := rand.New(rand.NewPCG(15, 10))
	late := map[int][][2]int{} // frame → packets (frame, part) delivered then
	budgets := []uint64{0, 150_000, 250_000, 150_000, 0, 250_000}
	const frames = 360
	for f := 0; f < frames; f++ {
		r.budget.Store(budgets[f/60])
		for part := 0; part < 2; part++ {
			if f > 0 && rng.Float64() < 0.10 {
				at := f + 1 + rng.IntN(3)
				late[at] = append(late[at], [2]int{f, part})
				continue
			}
			r.lossyPush(t, f, part)
		}
		for _, p := range late[f] {
			r.lossyPush(t, p[0], p[1])
		}
		delete(late, f)
		testutil.Eventually(t, 5*time.Second, "the worker took the frame", func() bool {
			st := h.d.Stats()
			return int(st.Packets+st.TemporalDropped+st.Unselected) == r.pushed
		})
		r.clk.Add(int64(time.Second / 30))
	}
	out := h.out.got()
	bySeq := map[uint16]sent{}
	var first, last uint16
	for i, p := range out {
		if q, dup := bySeq[p.hdr.SequenceNumber]; dup && string(q.payload) != string(p.payload) {
			t.Fatalf("seq %d sent twice with different packets", p.hdr.SequenceNumber)
		}
		bySeq[p.hdr.SequenceNumber] = p
		if i == 0 || rtpx.SeqNewer(p.hdr.SequenceNumber, last) {
			last = p.hdr.SequenceNumber
		}
		if i == 0 || rtpx.SeqNewer(first, p.hdr.SequenceNumber) {
			first = p.hdr.SequenceNumber
		}
	}
	// Sequence numbers follow the source's order, and PictureIDs have no gap.
	src := func(p sent) int { return 2*(int(p.payload[8])<<8|int(p.payload[9])) + int(p.payload[10]) }
	prev, pics := -1, map[uint16]bool{}
	for s := first; ; s++ {
		if p, ok := bySeq[s]; ok {
			if src(p) <= prev {
				t.Fatalf("seq %d carries source packet %d after %d", s, src(p), prev)
			}
			prev = src(p)
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
	unanswered := 0
	for _, s := range missing {
		if !resent[s] {
			unanswered++
		}
	}
	st := h.d.Stats()
	t.Logf("%d packets sent, %d temporal drops, %d holes, %d unanswered", len(out), st.TemporalDropped, len(missing), unanswered)
	if st.TemporalDropped == 0 {
		t.Fatal("no temporal layer was dropped: the test tests nothing")
	}
	if unanswered > 0 {
		t.Errorf("%d of %d holes in the output never filled nor answerable by a NACK", unanswered, len(missing))
	}
}
