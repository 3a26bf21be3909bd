package webrtcep

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
)

// ingress is what an endpoint's reader does with a received packet: read
// it into a pooled buffer (here: marshal it there), parse, push.
type ingress struct {
	pad *media.SourcePad
	hdr rtp.Header
	pay []byte
}

func newIngress(pad *media.SourcePad, payload int) *ingress {
	return &ingress{pad: pad, hdr: rtp.Header{Version: 2, PayloadType: 96, SSRC: 42}, pay: make([]byte, payload)}
}

func (in *ingress) push(tb testing.TB) {
	in.hdr.SequenceNumber++
	in.hdr.Timestamp += 3000
	b := media.GetPacketBuf()
	n, err := in.hdr.MarshalTo(b.Data())
	if err != nil {
		tb.Fatal(err)
	}
	n += copy(b.Data()[n:], in.pay)
	if !b.ParseRTP(n) {
		tb.Fatal("parse")
	}
	b.Packet().Codec = vp8
	in.pad.PushBuf(b)
}

// warmHistory fills the source's retransmission history, after which its
// buffers recycle.
func (in *ingress) warmHistory(tb testing.TB) {
	for i := 0; i < media.DefaultHistorySlots+16; i++ {
		in.push(tb)
	}
}

// BenchmarkForward measures the engine's forwarding hot path: one packet
// read into a buffer, kept in the source's history and pushed into a
// source pad, fanned out to N sinks, each rewriting SSRC, payload type,
// sequence number and timestamp, recording it in its sequencer and handing
// it to its writer. Pion's SRTP and UDP costs are excluded (see the load
// tool for those).
// Run: go test -bench Forward -benchmem ./internal/media/webrtcep
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("1to%d", n), func(b *testing.B) {
			_, src, outs := graph(b, n)
			in := newIngress(src.Core().Source(media.Video), 1100)
			warm := int64(media.DefaultHistorySlots + 16)
			for i := int64(0); i < warm; i++ { // paced as below: 100 queues would overflow
				in.push(b)
				if i%32 == 31 {
					outs[n-1].wait(b, i+1)
				}
			}
			outs[n-1].wait(b, warm)
			b.ReportAllocs()
			b.SetBytes(int64(len(in.pay) * n))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in.push(b)
				if i%32 == 31 {
					// Keep the workers' queues short: the producer would
					// outrun them and the queues would drop.
					outs[n-1].wait(b, warm+int64(i+1))
				}
			}
			outs[n-1].wait(b, warm+int64(b.N))
			b.StopTimer()
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "fwd-pkts/s")
		})
	}
}

// TestForwardAllocatesNothing holds the hot path to zero allocations.
func TestForwardAllocatesNothing(t *testing.T) {
	_, src, outs := graph(t, 5)
	in := newIngress(src.Core().Source(media.Video), 1000)
	in.warmHistory(t)
	sent := int64(media.DefaultHistorySlots + 16)
	outs[4].wait(t, sent)
	allocs := testing.AllocsPerRun(1000, func() {
		in.push(t)
		sent++
		outs[4].wait(t, sent) // the worker's sends are counted too
	})
	if allocs != 0 {
		t.Fatalf("forwarding allocates %.1f objects per packet", allocs)
	}
	if outs[4].packets.Load() == 0 {
		t.Fatal("nothing forwarded")
	}
}
