package rtpx

import (
	"testing"

	"github.com/pion/rtp"
)

func TestVP8Munger(t *testing.T) {
	type op struct {
		drop     bool
		reanchor bool
		ssrc     uint32
		pic      uint16
		wide     bool
		tl0      uint8
		key      uint8
		wantPic  uint16
		wantTL0  uint8
		wantKey  uint8
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"first source keeps its values", []op{
			{ssrc: 1, pic: 300, wide: true, tl0: 9, key: 4, wantPic: 300, wantTL0: 9, wantKey: 4},
			{ssrc: 1, pic: 301, wide: true, tl0: 9, key: 4, wantPic: 301, wantTL0: 9, wantKey: 4},
		}},
		{"dropped pictures close up", []op{
			{ssrc: 1, pic: 10, wide: true, tl0: 1, wantPic: 10, wantTL0: 1},
			{drop: true, ssrc: 1, pic: 11, wide: true, tl0: 1},
			{drop: true, ssrc: 1, pic: 11, wide: true, tl0: 1}, // a second packet of it
			{ssrc: 1, pic: 12, wide: true, tl0: 1, wantPic: 11, wantTL0: 1},
			{drop: true, ssrc: 1, pic: 13, wide: true, tl0: 1},
			{ssrc: 1, pic: 14, wide: true, tl0: 2, wantPic: 12, wantTL0: 2},
			{ssrc: 1, pic: 12, wide: true, tl0: 1, wantPic: 11, wantTL0: 1}, // late: its own offset
		}},
		{"15-bit wrap", []op{
			{ssrc: 1, pic: 0x7ffe, wide: true, wantPic: 0x7ffe},
			{drop: true, ssrc: 1, pic: 0x7fff, wide: true},
			{ssrc: 1, pic: 0, wide: true, wantPic: 0x7fff},
			{ssrc: 1, pic: 1, wide: true, wantPic: 0},
		}},
		{"7-bit wrap", []op{
			{ssrc: 1, pic: 126, wantPic: 126},
			{drop: true, ssrc: 1, pic: 127},
			{ssrc: 1, pic: 0, wantPic: 127},
			{ssrc: 1, pic: 1, wantPic: 0},
		}},
		{"new SSRC continues", []op{
			{ssrc: 1, pic: 50, wide: true, tl0: 200, key: 31, wantPic: 50, wantTL0: 200, wantKey: 31},
			{ssrc: 2, pic: 7000, wide: true, tl0: 3, key: 2, wantPic: 51, wantTL0: 201, wantKey: 0},
			{ssrc: 2, pic: 7001, wide: true, tl0: 4, key: 2, wantPic: 52, wantTL0: 202, wantKey: 0},
		}},
		{"reanchor on the same SSRC (a new connection)", []op{
			{ssrc: 1, pic: 50, wide: true, tl0: 20, wantPic: 50, wantTL0: 20},
			{reanchor: true, ssrc: 1, pic: 3, wide: true, tl0: 0, wantPic: 51, wantTL0: 21, wantKey: 1},
			{ssrc: 1, pic: 4, wide: true, tl0: 0, wantPic: 52, wantTL0: 21, wantKey: 1},
		}},
		{"a drop before anything was forwarded changes nothing", []op{
			{drop: true, ssrc: 1, pic: 9, wide: true},
			{ssrc: 1, pic: 10, wide: true, wantPic: 10},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m VP8Munger
			for i, o := range tc.ops {
				p := []byte{0x90, 0xf0, 0, 0, o.tl0, o.key, 0x01}
				if o.wide {
					p[2], p[3] = 0x80|byte(o.pic>>8), byte(o.pic)
				} else {
					p = append(p[:2], append([]byte{byte(o.pic)}, p[4:]...)...)
				}
				d, err := ParseVP8(p)
				if err != nil {
					t.Fatal(err)
				}
				if o.reanchor {
					m.Reanchor()
				}
				if o.drop {
					m.Drop(&d, o.ssrc)
					continue
				}
				v := m.Forward(&d, o.ssrc)
				if v.PictureID != o.wantPic || v.TL0PICIDX != o.wantTL0 || v.KeyIdx != o.wantKey {
					t.Errorf("op %d: %+v, want pic %d tl0 %d key %d", i, v, o.wantPic, o.wantTL0, o.wantKey)
				}
			}
		})
	}
}

func TestRewriterSkip(t *testing.T) {
	var r Rewriter
	out := func(seq uint16) uint16 {
		h := rtp.Header{SSRC: 5, SequenceNumber: seq, Timestamp: uint32(seq) * 3000}
		r.Rewrite(&h, 90000, int64(seq))
		return h.SequenceNumber
	}
	skip := func(seq uint16, ssrc uint32) { r.Skip(&rtp.Header{SSRC: ssrc, SequenceNumber: seq}) }
	skip(65530, 5) // before the start: nothing
	got := []uint16{out(65531)}
	skip(65532, 5)
	skip(65533, 5)
	got = append(got, out(65534))
	skip(65535, 5)
	skip(65535, 5)            // twice: once
	got = append(got, out(1)) // 0 lost upstream: its number stays free
	got = append(got, out(0)) // it comes late
	skip(2, 9)                // another source's packet: nothing
	got = append(got, out(3), out(2))
	want := []uint16{65531, 65532, 65534, 65533, 0, 65535}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("output %v, want %v", got, want)
		}
	}
}
