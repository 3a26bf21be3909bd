package webrtcep

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
)

// BenchmarkForward measures the engine's forwarding hot path: one packet
// pushed into a source pad, fanned out to N sinks, each rewriting SSRC,
// payload type, sequence number and timestamp and handing it to its writer.
// Pion's SRTP and UDP costs are excluded (see the load tool for those).
// Run: go test -bench Forward -benchmem ./internal/media/webrtcep
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("1to%d", n), func(b *testing.B) {
			_, src, outs := graph(b, n)
			payload := make([]byte, 1100)
			pkt := &media.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: 42}, Payload: payload, Codec: vp8}
			pad := src.Core().Source(media.Video)
			b.ReportAllocs()
			b.SetBytes(int64(len(payload) * n))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pkt.Header.SequenceNumber++
				pkt.Header.Timestamp += 3000
				pad.Push(pkt)
			}
			b.StopTimer()
			if got := outs[n-1].packets.Load(); got != int64(b.N) {
				b.Fatalf("last sink got %d packets, want %d", got, b.N)
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "fwd-pkts/s")
		})
	}
}

// TestForwardAllocatesNothing holds the hot path to zero allocations.
func TestForwardAllocatesNothing(t *testing.T) {
	_, src, outs := graph(t, 5)
	pkt := &media.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: 42}, Payload: make([]byte, 1000), Codec: vp8}
	pad := src.Core().Source(media.Video)
	allocs := testing.AllocsPerRun(1000, func() {
		pkt.Header.SequenceNumber++
		pad.Push(pkt)
	})
	if allocs != 0 {
		t.Fatalf("forwarding allocates %.1f objects per packet", allocs)
	}
	if outs[4].packets.Load() == 0 {
		t.Fatal("nothing forwarded")
	}
}
