package media

import (
	"bytes"
	"testing"
)

func oggPage(segments [][]byte) []byte {
	var lacing, body []byte
	for _, s := range segments {
		n := len(s)
		for n >= 255 {
			lacing = append(lacing, 255)
			n -= 255
		}
		lacing = append(lacing, byte(n))
		body = append(body, s...)
	}
	h := make([]byte, 27)
	copy(h, "OggS")
	h[26] = byte(len(lacing))
	return append(append(h, lacing...), body...)
}

func TestOggPackets(t *testing.T) {
	long := bytes.Repeat([]byte{7}, 600) // spans three lacing values
	data := append(oggPage([][]byte{[]byte("head"), long}), oggPage([][]byte{[]byte("x")})...)
	pkts, err := oggPackets(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 3 || string(pkts[0]) != "head" || len(pkts[1]) != 600 || string(pkts[2]) != "x" {
		t.Fatalf("got %d packets", len(pkts))
	}
}

func TestSyntheticRate(t *testing.T) {
	m := Synthetic(2_000_000)
	if pps := m.Video.PacketsPerSecond(); pps < 200 || pps > 260 {
		t.Fatalf("video %f pkt/s", pps)
	}
	if bps := m.Video.BitsPerSecond(); bps < 1.8e6 || bps > 2.3e6 {
		t.Fatalf("video %f b/s", bps)
	}
	if pps := m.Audio.PacketsPerSecond(); pps != 50 {
		t.Fatalf("audio %f pkt/s", pps)
	}
	for _, f := range m.Video.Frames {
		for _, p := range f.Payloads {
			if len(p) > MaxPayload {
				t.Fatalf("payload of %d bytes", len(p))
			}
		}
	}
}
