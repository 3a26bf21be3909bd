package frames

import (
	"testing"

	"github.com/pion/rtp"
)

// BenchmarkDepacketizeVP8: 720p-sized VP8 frames (10 kB, ~50 packets of
// 200 bytes each)
// through the reorder buffer and assembly. One allocation per frame is
// expected: the frame's data, which the caller keeps.
func BenchmarkDepacketizeVP8(b *testing.B) {
	var in [][]byte
	for i := 0; i < 60; i++ {
		in = append(in, testFrame(VP8, i, i == 0, 10000))
	}
	pkts := packetize(b, VP8, in, 0)
	d, _ := NewDepacketizer(VP8)
	per := len(pkts) / len(in)
	b.ReportAllocs()
	b.SetBytes(10000)
	b.ResetTimer()
	var seq uint16
	var ts uint32
	for i := 0; i < b.N; i++ {
		for j := 0; j < per; j++ {
			p := pkts[(i%len(in))*per+j]
			q := rtp.Packet{Header: p.Header, Payload: p.Payload}
			q.SequenceNumber = seq
			q.Timestamp = ts
			q.Marker = j == per-1
			seq++
			d.Push(&q)
		}
		ts += 3000
		for {
			if _, ok := d.Pop(); !ok {
				break
			}
		}
	}
}
