package rtpx

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pion/rtp/codecs"
)

func TestParseVP8(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    VP8Descriptor
		err     error
	}{
		{"no extension, keyframe", []byte{0x10, 0x00},
			VP8Descriptor{Size: 1, Start: true, Keyframe: true}, nil},
		{"no extension, inter frame continuation", []byte{0x01, 0x01},
			VP8Descriptor{Size: 1, PartID: 1}, nil},
		{"Chrome L1T3: 15-bit picture id, TL0PICIDX, TID 2 with Y", []byte{0x90, 0xe0, 0x92, 0x34, 0x07, 0xa0, 0x01},
			VP8Descriptor{Size: 6, PicOff: 2, TL0Off: 4, TKOff: 5, PictureID: 0x1234, WidePicID: true, TL0PICIDX: 7,
				HasTID: true, TID: 2, Sync: true, Start: true}, nil},
		{"keyframe, TID 0, KEYIDX 5", []byte{0x90, 0xf0, 0x80, 0x01, 0x09, 0x05, 0x00},
			VP8Descriptor{Size: 6, PicOff: 2, TL0Off: 4, TKOff: 5, PictureID: 1, WidePicID: true, TL0PICIDX: 9,
				HasTID: true, HasKeyIdx: true, KeyIdx: 5, Start: true, Keyframe: true}, nil},
		{"7-bit picture id only", []byte{0x80, 0x80, 0x7f, 0xaa},
			VP8Descriptor{Size: 3, PicOff: 2, PictureID: 0x7f}, nil},
		{"K without T", []byte{0x90, 0x10, 0x1f, 0x00},
			VP8Descriptor{Size: 3, TKOff: 2, HasKeyIdx: true, KeyIdx: 0x1f, Start: true, Keyframe: true}, nil},
		{"partition 1 start is no keyframe", []byte{0x91, 0x20, 0x40, 0x00},
			VP8Descriptor{Size: 3, TKOff: 2, HasTID: true, TID: 1, Start: true, PartID: 1}, nil},
		{"truncated in 15-bit picture id", []byte{0x90, 0x80, 0x80}, VP8Descriptor{}, ErrVP8Short},
		{"truncated before TL0PICIDX", []byte{0x90, 0xc0, 0x05}, VP8Descriptor{}, ErrVP8Short},
		{"nothing after the descriptor", []byte{0x90, 0x20, 0x40}, VP8Descriptor{}, ErrVP8Short},
		{"one byte", []byte{0x10}, VP8Descriptor{}, ErrVP8Short},
		{"empty", nil, VP8Descriptor{}, ErrVP8Short},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseVP8(tc.payload)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err == nil && got != tc.want {
				t.Errorf("ParseVP8 =\n %+v, want\n %+v", got, tc.want)
			}
		})
	}
}

func TestVP8PatchApply(t *testing.T) {
	src := []byte{0x90, 0xf0, 0x80, 0x01, 0x09, 0xa5, 0x00, 0xff}
	d, err := ParseVP8(src)
	if err != nil {
		t.Fatal(err)
	}
	p := NewVP8Patch(&d, VP8Values{PictureID: 0x7abc, TL0PICIDX: 200, KeyIdx: 3})
	if !p.Changes() {
		t.Fatal("patch changes nothing")
	}
	out := bytes.Clone(src)
	p.Apply(out)
	got, err := ParseVP8(out)
	if err != nil {
		t.Fatal(err)
	}
	if got.PictureID != 0x7abc || got.TL0PICIDX != 200 || got.KeyIdx != 3 || got.TID != d.TID || got.Sync != d.Sync ||
		!got.WidePicID || !bytes.Equal(out[got.Size:], src[d.Size:]) {
		t.Errorf("patched %+v (% x)", got, out)
	}
	if same := NewVP8Patch(&d, VP8Values{PictureID: 1, TL0PICIDX: 9, KeyIdx: 5}); same.Changes() {
		t.Error("identity patch changes")
	}
	narrow := []byte{0x80, 0x80, 0x05, 0xaa}
	d, _ = ParseVP8(narrow)
	p = NewVP8Patch(&d, VP8Values{PictureID: 0x7f})
	p.Apply(narrow)
	if narrow[2] != 0x7f || narrow[3] != 0xaa {
		t.Errorf("7-bit patch: % x", narrow)
	}
}

// FuzzParseVP8 checks the parser against pion/rtp's VP8Packet (which reads
// the same fields, without offsets), the keyframe check, and that a patch
// stays inside the descriptor.
func FuzzParseVP8(f *testing.F) {
	f.Add([]byte{0x90, 0xe0, 0x92, 0x34, 0x07, 0xa0, 0x01})
	f.Add([]byte{0x90, 0xf0, 0x80, 0x01, 0x09, 0x05, 0x00})
	f.Add([]byte{0x80, 0x80, 0x7f, 0xaa})
	f.Add([]byte{0x10})
	f.Fuzz(func(t *testing.T, p []byte) {
		d, err := ParseVP8(p)
		if err != nil {
			return
		}
		var pv codecs.VP8Packet
		if _, perr := pv.Unmarshal(p); perr != nil {
			t.Fatalf("pion rejects what ParseVP8 reads: %v", perr)
		}
		if int(d.Size) >= len(p) || d.TID > 3 || d.KeyIdx > 31 || d.PictureID > 0x7fff {
			t.Fatalf("descriptor %+v of %d bytes", d, len(p))
		}
		if (pv.I == 1) != (d.PicOff != 0) || pv.I == 1 && pv.PictureID != d.PictureID || pv.TL0PICIDX != d.TL0PICIDX ||
			pv.TID != d.TID || (pv.Y == 1) != d.Sync || pv.KEYIDX != d.KeyIdx || len(pv.Payload) != len(p)-int(d.Size) {
			t.Fatalf("ParseVP8 %+v, pion %+v", d, pv)
		}
		if d.Keyframe != vp8KeyframeStart(p) {
			t.Fatalf("keyframe %v, KeyframeStart %v", d.Keyframe, vp8KeyframeStart(p))
		}
		out := bytes.Clone(p)
		patch := NewVP8Patch(&d, VP8Values{PictureID: ^d.PictureID & d.PicMask(), TL0PICIDX: ^d.TL0PICIDX, KeyIdx: ^d.KeyIdx & 0x1f})
		patch.Apply(out)
		if !bytes.Equal(out[d.Size:], p[d.Size:]) || out[0] != p[0] {
			t.Fatalf("patch wrote outside the descriptor: % x → % x", p, out)
		}
		if got, err := ParseVP8(out); err != nil || got.TID != d.TID || got.Sync != d.Sync || got.Size != d.Size {
			t.Fatalf("patched descriptor %+v, %v", got, err)
		}
	})
}
