package media_test

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// BenchmarkForwardGraph measures the graph core alone: one packet pushed
// to N counting sinks, directly or through each sink's input queue (a
// copy into a slot and a hand-off to the sink's goroutine).
// Run: go test -run '^$' -bench ForwardGraph -benchmem ./internal/media
func BenchmarkForwardGraph(b *testing.B) {
	for _, queued := range []bool{false, true} {
		for _, n := range []int{1, 10} {
			name := fmt.Sprintf("direct/1to%d", n)
			var q *media.QueueConfig
			if queued {
				name, q = fmt.Sprintf("queued/1to%d", n), &media.QueueConfig{Packets: 1024}
			}
			b.Run(name, func(b *testing.B) {
				p := media.NewPipeline()
				defer p.Release()
				src, err := mediatest.NewSource(p, nil)
				if err != nil {
					b.Fatal(err)
				}
				sinks := make([]*mediatest.Counter, n)
				for i := range sinks {
					if sinks[i], err = mediatest.NewCounter(p, q); err != nil {
						b.Fatal(err)
					}
					if err := media.Connect(src, sinks[i], media.Video, media.DefaultPad, media.DefaultPad); err != nil {
						b.Fatal(err)
					}
				}
				pkt := &media.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: mediatest.VP8Payload(true, 1100), Codec: mediatest.VP8}
				pad := src.Core().Source(media.Video)
				b.ReportAllocs()
				b.SetBytes(int64(len(pkt.Payload) * n))
				for i := 0; i < b.N; i++ {
					pkt.Header.SequenceNumber++
					pad.Push(pkt)
				}
				b.StopTimer()
				var dropped uint64
				for _, s := range sinks {
					if st, ok := s.Core().QueueStats(); ok {
						dropped += st.Dropped
					}
				}
				b.ReportMetric(float64(dropped)/float64(b.N*n), "dropped/pkt")
			})
		}
	}
}
