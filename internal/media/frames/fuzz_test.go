package frames

import (
	"testing"

	"github.com/pion/rtp"
)

// FuzzDepacketizer feeds arbitrary packet sequences (sequence jumps,
// timestamps, markers, SSRC changes, payloads) to every codec's
// depacketiser: nothing may panic, every frame out must be non-empty, and
// video must restart on a keyframe after every discontinuity.
func FuzzDepacketizer(f *testing.F) {
	seed := func(c Codec, key bool) []byte {
		out := []byte{byte(c)}
		for _, p := range packetize(f, c, [][]byte{testFrame(c, 0, key, 500), testFrame(c, 1, false, 300)}, 77) {
			out = append(out, 0x01, byte(len(p.Payload)>>8), byte(len(p.Payload)))
			if p.Marker {
				out[len(out)-3] |= 0x80
			}
			out = append(out, p.Payload...)
		}
		return out
	}
	for _, c := range []Codec{VP8, VP9, H264, AV1, Opus, AAC} {
		f.Add(seed(c, true))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		c := Codec(data[0]%uint8(AAC)) + 1
		d, err := NewDepacketizer(c, WithReorderWindow(16), WithAAC(AACConfig{SampleRate: 48000}))
		if err != nil {
			t.Fatal(err)
		}
		var seq uint16 = 65530
		var ts uint32 = 0xfffff000
		var ssrc uint32 = 1
		data = data[1:]
		check := func() {
			for {
				fr, ok := d.Pop()
				if !ok {
					return
				}
				if len(fr.Data) == 0 {
					t.Fatal("empty frame")
				}
				if c.IsVideo() && fr.Discontinuity && !fr.Keyframe {
					t.Fatal("video resumed on a non-keyframe")
				}
			}
		}
		for len(data) >= 3 {
			flags := data[0]
			n := int(data[1])<<8 | int(data[2])
			data = data[3:]
			if n > len(data) {
				n = len(data)
			}
			seq += uint16(int8(flags<<1) >> 3) // -8…7
			ts += uint32(flags&0x03) * 1500
			if flags == 0x7f {
				ssrc++
			}
			d.Push(&rtp.Packet{Header: rtp.Header{SSRC: ssrc, SequenceNumber: seq, Timestamp: ts, Marker: flags&0x80 != 0}, Payload: data[:n]})
			data = data[n:]
			check()
		}
		d.Flush()
		check()
	})
}
