package rtpx

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
)

// l1t3 is libwebrtc's VP8 three-layer pattern: TIDs 0, 2, 1, 2; the
// TL1 frame and the first TL2 frame after a TL0 frame depend only on TL0
// (Y set), the second TL2 frame on the TL1 frame too.
var l1t3 = [4]struct {
	tid  uint8
	sync bool
}{{0, false}, {2, true}, {1, true}, {2, false}}

// vp8Stream makes the packets of a VP8 L1T3 stream: perFrame packets per
// frame, a keyframe every keyEvery frames (0: the first only), 15-bit
// PictureIDs from pic0, TL0PICIDX from tl00, sequence numbers from seq0.
type vp8Stream struct {
	ssrc            uint32
	seq, pic        uint16
	tl0             uint8
	ts              uint32
	frame, perFrame int
	keyEvery        int
	layers          int // temporal layers: 3 (l1t3), 2 (0,1,0,1) or 1
}

type vp8Pkt struct {
	h       rtp.Header
	payload []byte
	frame   int
}

func (s *vp8Stream) next() []vp8Pkt {
	i := s.frame
	s.frame++
	tid, sync := l1t3[i%4].tid, l1t3[i%4].sync
	switch s.layers {
	case 2:
		tid, sync = uint8(i%2), i%2 == 1
	case 1:
		tid, sync = 0, false
	}
	key := i == 0 || s.keyEvery > 0 && i%s.keyEvery == 0
	if key {
		tid, sync = 0, false
	}
	if tid == 0 && i > 0 {
		s.tl0++
	}
	s.pic = (s.pic + 1) & 0x7fff
	s.ts += 3000
	out := make([]vp8Pkt, s.perFrame)
	for j := range out {
		b0 := byte(0x80)
		if j == 0 {
			b0 |= 0x10
		}
		tk := tid << 6
		if sync {
			tk |= 0x20
		}
		vp8 := byte(0x01)
		if key {
			vp8 = 0x00
		}
		s.seq++
		out[j] = vp8Pkt{
			h:       rtp.Header{SSRC: s.ssrc, SequenceNumber: s.seq, Timestamp: s.ts, Marker: j == s.perFrame-1},
			payload: []byte{b0, 0xe0, 0x80 | byte(s.pic>>8), byte(s.pic), s.tl0, tk, vp8, byte(i)},
			frame:   i,
		}
	}
	return out
}

// forwarder is a sink's VP8 path: filter, rewriter and munger.
type forwarder struct {
	f  TemporalFilter
	rw Rewriter
	m  VP8Munger
}

type sent struct {
	seq      uint16
	d        VP8Descriptor
	frame    int
	keyframe bool
}

func (w *forwarder) push(p vp8Pkt, now int64) (sent, bool) {
	d, err := ParseVP8(p.payload)
	if err != nil {
		panic(err)
	}
	h := p.h
	if !w.f.Accept(&d, &h) {
		w.rw.Skip(&h)
		w.m.Drop(&d, h.SSRC)
		return sent{}, false
	}
	ssrc := h.SSRC
	w.rw.Rewrite(&h, 90000, now)
	v := w.m.Forward(&d, ssrc)
	out := append([]byte(nil), p.payload...)
	patch := NewVP8Patch(&d, v)
	patch.Apply(out)
	od, err := ParseVP8(out)
	if err != nil {
		panic(err)
	}
	return sent{seq: h.SequenceNumber, d: od, frame: p.frame, keyframe: d.Keyframe}, true
}

// checkContinuous fails unless the output has continuous sequence
// numbers, a PictureID one up at each new frame, and TL0PICIDX one up at
// each TL0 frame after the first; and every frame whole.
func checkContinuous(t *testing.T, out []sent, perFrame int) {
	t.Helper()
	count := map[int]int{}
	for i, s := range out {
		count[s.frame]++
		if i == 0 {
			continue
		}
		p := out[i-1]
		if s.seq != p.seq+1 {
			t.Fatalf("packet %d: seq %d after %d", i, s.seq, p.seq)
		}
		newFrame := s.frame != p.frame
		wantPic := p.d.PictureID
		if newFrame {
			wantPic = (wantPic + 1) & 0x7fff
		}
		if s.d.PictureID != wantPic {
			t.Fatalf("packet %d (frame %d): PictureID %d after %d", i, s.frame, s.d.PictureID, p.d.PictureID)
		}
		wantTL0 := p.d.TL0PICIDX
		if newFrame && s.d.TID == 0 {
			wantTL0++
		}
		if s.d.TL0PICIDX != wantTL0 {
			t.Fatalf("packet %d (frame %d, TID %d): TL0PICIDX %d after %d", i, s.frame, s.d.TID, s.d.TL0PICIDX, p.d.TL0PICIDX)
		}
	}
	for f, n := range count {
		if n != perFrame {
			t.Fatalf("frame %d sent in %d of %d packets", f, n, perFrame)
		}
	}
}

func TestTemporalFilterTargets(t *testing.T) {
	tests := []struct {
		target   int
		frames   int
		wantTIDs map[uint8]int // frames forwarded per TID
	}{
		{MaxTID, 16, map[uint8]int{0: 4, 1: 4, 2: 8}},
		{2, 16, map[uint8]int{0: 4, 1: 4, 2: 8}},
		{1, 16, map[uint8]int{0: 4, 1: 4}},
		{0, 16, map[uint8]int{0: 4}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint("target ", tc.target), func(t *testing.T) {
			s := &vp8Stream{ssrc: 1, seq: 65500, pic: 32760, tl0: 254, perFrame: 3, layers: 3}
			var w forwarder
			w.f.SetTarget(tc.target)
			var out []sent
			got := map[uint8]int{}
			for range tc.frames {
				for _, p := range s.next() {
					if o, ok := w.push(p, 0); ok {
						out = append(out, o)
						if o.d.FrameStart() {
							got[o.d.TID]++
						}
					}
				}
			}
			checkContinuous(t, out, 3)
			if fmt.Sprint(got) != fmt.Sprint(tc.wantTIDs) {
				t.Errorf("frames per TID %v, want %v", got, tc.wantTIDs)
			}
		})
	}
}

// TestTemporalSwitches: moving down happens at the next frame; moving up
// only at a layer-sync frame of the next layer or a keyframe, one layer
// at a time; the output stays continuous and no frame is cut.
func TestTemporalSwitches(t *testing.T) {
	s := &vp8Stream{ssrc: 7, seq: 100, pic: 500, perFrame: 2, layers: 3, keyEvery: 40}
	var w forwarder
	w.f.SetTarget(2)
	var out []sent
	type step struct {
		frame, target int
	}
	// frame → TID forwarded limit expected just after
	steps := []step{{8, 0}, {20, 2}, {32, 1}, {44, 2}}
	curAt := map[int]int{}
	for frame := 0; frame < 56; frame++ {
		for _, st := range steps {
			if st.frame == frame {
				w.f.SetTarget(st.target)
			}
		}
		for _, p := range s.next() {
			if o, ok := w.push(p, 0); ok {
				out = append(out, o)
			}
		}
		curAt[frame] = w.f.Current()
	}
	checkContinuous(t, out, 2)
	// Down at once.
	if curAt[8] != 0 || curAt[32] != 1 {
		t.Errorf("current TID after moving down: %d, %d", curAt[8], curAt[32])
	}
	// Up from 0: frames 20 (TL0), 21 (TL2 sync, not the next layer), 22
	// (TL1 sync: up to 1), 23 (TL2, no sync), 24 (TL0), 25 (TL2 sync: 2).
	for f, want := range map[int]int{20: 0, 21: 0, 22: 1, 23: 1, 24: 1, 25: 2} {
		if curAt[f] != want {
			t.Errorf("frame %d: current TID %d, want %d", f, curAt[f], want)
		}
	}
	// Up at a keyframe: frame 40 is one, target 1 → 2 set at 44 is a TL0
	// frame; 45 is a TL2 sync frame.
	if curAt[45] != 2 {
		t.Errorf("frame 45: current TID %d", curAt[45])
	}
	for _, o := range out {
		if o.frame >= 9 && o.frame < 20 && o.d.TID != 0 {
			t.Fatalf("frame %d (TID %d) forwarded while the target was 0", o.frame, o.d.TID)
		}
	}
}

// TestTemporalKeyframeUp: with the target raised, a keyframe lets every
// layer through at once.
func TestTemporalKeyframeUp(t *testing.T) {
	s := &vp8Stream{ssrc: 7, perFrame: 1, layers: 3, keyEvery: 8}
	var w forwarder
	w.f.SetTarget(0)
	for range 5 {
		for _, p := range s.next() {
			w.push(p, 0)
		}
	}
	w.f.SetTarget(2)
	for range 3 { // frames 5, 6, 7: TL2 sync would be 5 but not the next layer; 6 is TL1 sync
		for _, p := range s.next() {
			w.push(p, 0)
		}
	}
	for _, p := range s.next() { // frame 8: keyframe
		if _, ok := w.push(p, 0); !ok || w.f.Current() != 2 {
			t.Fatalf("keyframe: forwarded %v, current %d", ok, w.f.Current())
		}
	}
}

// TestTemporalReordered: a late packet gets the verdict of its frame and
// the sequence number it was due. A late packet of a dropped frame stays
// dropped, and the number the packets after it left for it stays a gap
// (they were sent already): one hole, NACKed by the receiver in vain.
func TestTemporalReordered(t *testing.T) {
	tests := []struct {
		name  string
		swap  int // packets swap and swap+1 trade places
		holes int
	}{
		// Frame 2 (TL1, kept) ends after frame 3 (TL2, dropped) began.
		{"late packet of a kept frame", 5, 0},
		// Frame 3 (dropped) ends after frame 4 (TL0) began.
		{"late packet of a dropped frame", 7, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &vp8Stream{ssrc: 3, seq: 65530, pic: 0x7ffe, perFrame: 2, layers: 3}
			var w forwarder
			w.f.SetTarget(1)
			var pkts []vp8Pkt
			for range 12 {
				pkts = append(pkts, s.next()...)
			}
			pkts[tc.swap], pkts[tc.swap+1] = pkts[tc.swap+1], pkts[tc.swap]
			bySeq := map[uint16]sent{}
			var first, last uint16
			for i, p := range pkts {
				o, ok := w.push(p, 0)
				if !ok {
					continue
				}
				if o.d.TID > 1 {
					t.Fatalf("frame %d of TID %d forwarded", o.frame, o.d.TID)
				}
				if i == 0 {
					first = o.seq
				}
				if SeqNewer(o.seq, last) || i == 0 {
					last = o.seq
				}
				bySeq[o.seq] = o
			}
			var sorted []sent
			holes := 0
			for q := first; q != last+1; q++ {
				if o, ok := bySeq[q]; ok {
					sorted = append(sorted, o)
				} else {
					holes++
				}
			}
			if holes != tc.holes {
				t.Fatalf("%d holes in the output, want %d", holes, tc.holes)
			}
			if holes == 0 {
				checkContinuous(t, sorted, 2)
			}
		})
	}
}

// TestTemporalNewSource: a new source (another simulcast layer, switched
// to at its keyframe) continues the PictureID, TL0PICIDX and sequence
// numbers, whatever its own are.
func TestTemporalNewSource(t *testing.T) {
	a := &vp8Stream{ssrc: 1, seq: 10, pic: 100, tl0: 50, perFrame: 2, layers: 3}
	b := &vp8Stream{ssrc: 2, seq: 40000, pic: 9000, tl0: 3, perFrame: 2, layers: 3, keyEvery: 4}
	var w forwarder
	w.f.SetTarget(0)
	var out []sent
	for range 10 {
		for _, p := range a.next() {
			if o, ok := w.push(p, 0); ok {
				out = append(out, o)
			}
		}
		b.next() // b runs meanwhile
	}
	for range 4 {
		b.next() // up to its next keyframe
	}
	for range 8 {
		for _, p := range b.next() {
			if o, ok := w.push(p, 0); ok {
				out = append(out, o)
			}
		}
	}
	checkContinuous(t, out, 2)
}

func TestTemporalWithoutTID(t *testing.T) {
	s := &vp8Stream{ssrc: 1, perFrame: 1, layers: 3}
	var w forwarder
	w.f.SetTarget(0)
	for i := range 8 {
		p := s.next()[0]
		p.payload[1] = 0xc0 // I and L only: no TID
		if _, ok := w.push(p, 0); !ok {
			t.Fatalf("frame %d without TID dropped", i)
		}
	}
	if w.f.Current() != -1 {
		t.Errorf("current %d for a stream without TIDs", w.f.Current())
	}
}

// BenchmarkVP8PerPacket is the VP8 work a video downtrack adds to each
// packet: parse the descriptor, the temporal filter, the sequence and
// PictureID rewriting and the patch of the output copy (L1T3 stream,
// target TID 1: a quarter of the packets dropped).
//
//	go test -run '^$' -bench VP8PerPacket -benchmem ./internal/media/rtpx
func BenchmarkVP8PerPacket(b *testing.B) {
	s := &vp8Stream{ssrc: 1, perFrame: 2, layers: 3, keyEvery: 300}
	var pkts []vp8Pkt
	for range 64 {
		pkts = append(pkts, s.next()...)
	}
	var f TemporalFilter
	var rw Rewriter
	var m VP8Munger
	f.SetTarget(1)
	out := make([]byte, 16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := &pkts[i%len(pkts)]
		if i%len(pkts) == 0 && i > 0 { // next round: newer numbers
			for j := range pkts {
				q := &pkts[j]
				q.h.SequenceNumber += uint16(len(pkts))
				q.h.Timestamp += 64 * 3000
				pic := (uint16(q.payload[2]&0x7f)<<8 | uint16(q.payload[3]) + 64) & 0x7fff
				q.payload[2], q.payload[3], q.payload[4] = 0x80|byte(pic>>8), byte(pic), q.payload[4]+16
			}
		}
		d, err := ParseVP8(p.payload)
		if err != nil {
			b.Fatal(err)
		}
		h := p.h
		if !f.Accept(&d, &h) {
			rw.Skip(&h)
			m.Drop(&d, h.SSRC)
			continue
		}
		rw.Rewrite(&h, 90000, int64(i))
		patch := NewVP8Patch(&d, m.Forward(&d, p.h.SSRC))
		copy(out, p.payload)
		patch.Apply(out)
	}
}
