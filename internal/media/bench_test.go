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
				if q != nil {
					warm(b, pad, pkt, sinks, q.Packets)
				}
				b.ReportAllocs()
				b.ResetTimer()
				b.SetBytes(int64(len(pkt.Payload) * n))
				for i := 0; i < b.N; i++ {
					pkt.Header.SequenceNumber++
					pad.Push(pkt)
				}
				b.StopTimer()
				b.ReportMetric(float64(dropped(sinks))/float64(b.N*n), "dropped/pkt")
			})
		}
	}
}

// warm uses every slot of the sinks' queues once (their buffers are
// allocated on first use): a full queue, then the one slot more that
// holds the packet being consumed; nothing is dropped.
func warm(b *testing.B, pad *media.SourcePad, pkt *media.Packet, sinks []*mediatest.Counter, capacity int) {
	var pushed int64
	for _, batch := range []int{capacity, 1} {
		for i := 0; i < batch; i++ {
			pad.Push(pkt)
		}
		pushed += int64(batch)
		for _, s := range sinks {
			s.Wait(b, pushed)
		}
	}
}

// dropped sums the packets the sinks' queues dropped.
func dropped(sinks []*mediatest.Counter) uint64 {
	var n uint64
	for _, s := range sinks {
		if st, ok := s.Core().QueueStats(); ok {
			n += st.Dropped
		}
	}
	return n
}
