package frames

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// testFrame is a synthetic access unit for codec c. Keyframes of VP8/VP9
// carry real headers (the VP9 payloader parses them); sizes vary so that
// some frames span many packets.
func testFrame(c Codec, i int, key bool, size int) []byte {
	body := bytes.Repeat([]byte{byte(i), 0x5a}, size/2+1)[:size]
	switch c {
	case VP8:
		if key { // tag (P=0), start code, 320x240
			return append([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}, body...)
		}
		return append([]byte{0x11, 0x02, 0x00}, body...)
	case VP9:
		if key { // marker 2, profile 0, key, shown; sync code; BT.601; 320x240
			return append([]byte{0x82, 0x49, 0x83, 0x42, 0x20, 0x13, 0xf0, 0x0e, 0xf0}, body...)
		}
		return append([]byte{0x86}, body...)
	case H264:
		if key {
			out := []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0, 0, 3, 0, 0x10, 0, 0, 3, 3, 0xc0, 0xf1, 0x42, 0xa4, 0x80, 0, 0, 0, 1, 0x68, 0xcb, 0x83, 0xcb, 0x20, 0, 0, 0, 1, 0x65}
			return append(out, noStartCodes(body)...)
		}
		return append([]byte{0, 0, 0, 1, 0x41}, noStartCodes(body)...)
	case AV1:
		// temporal delimiter is not sent; a sequence header on keyframes, then a frame OBU
		frame := append(binary.AppendUvarint([]byte{0x32}, uint64(len(body))), body...)
		if key {
			return append([]byte{0x0a, 0x0b, 0x00, 0x00, 0x00, 0x24, 0xcf, 0x7f, 0x0d, 0xbf, 0xff, 0x30, 0x08}, frame...)
		}
		return frame
	}
	return body
}

func noStartCodes(b []byte) []byte {
	for i := range b {
		if b[i] == 0 {
			b[i] = 7
		}
	}
	return b
}

// packetize turns frames into packets with the codec's frame interval.
func packetize(t testing.TB, c Codec, frames [][]byte, tsBase uint32) []*rtp.Packet {
	t.Helper()
	cfg := PacketizerConfig{Codec: c, PayloadType: 96, SSRC: 1234, FirstSeq: 65500, TSBase: tsBase, MTU: 200}
	if c == AAC {
		cfg.ClockRate = 48000
	}
	p, err := NewPacketizer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	step := 33 * time.Millisecond
	if !c.IsVideo() {
		step = 20 * time.Millisecond
		if c == AAC {
			step = time.Second * 1024 / 48000
		}
	}
	var out []*rtp.Packet
	for i, f := range frames {
		out, err = p.Packetize(out, f, time.Duration(i)*step)
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// shuffleNear swaps packets with neighbours at most d places away.
func shuffleNear(pkts []*rtp.Packet, d int, rng *rand.Rand) {
	for i := 5; i < len(pkts); i++ { // not the very first: nothing tells it is early
		j := i + rng.Intn(d+1)
		if j < len(pkts) {
			pkts[i], pkts[j] = pkts[j], pkts[i]
		}
	}
}

func drain(d *Depacketizer) []Frame {
	var out []Frame
	for {
		f, ok := d.Pop()
		if !ok {
			return out
		}
		out = append(out, f)
	}
}

func run(t testing.TB, d *Depacketizer, pkts []*rtp.Packet) []Frame {
	t.Helper()
	var out []Frame
	for _, p := range pkts {
		d.Push(p)
		out = append(out, drain(d)...)
	}
	d.Flush()
	return append(out, drain(d)...)
}
