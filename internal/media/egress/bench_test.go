package egress

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/srtpx"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/internal/udpx"
)

// nullWriter is Pion's writer in benchmarks that use the fast path (never called).
type nullWriter struct{}

func (nullWriter) WriteRTP(*rtp.Header, []byte) (int, error) { return 0, nil }

// fastRig is a source pad fanned out to n fast-path downtracks on one
// worker, each sending to a receiver socket of its own (drained). The worker runs on
// the benchmark's goroutine (drain after each push): the figures are the
// whole CPU cost of a forwarded packet, not hand-offs between goroutines.
type fastRig struct {
	s    *Scheduler
	pad  *media.SourcePad
	ds   []*Downtrack
	conn *udpx.Conn
	rxs  []*udpx.Conn
	seq  uint16
	pay  []byte
}

func newFastRig(tb testing.TB, n int, p srtpx.Profile) *fastRig {
	tb.Helper()
	conn, err := udpx.Listen("udp4", "127.0.0.1:0", udpx.Options{})
	if err != nil {
		tb.Skip("no loopback socket (run inside scripts/netns-run.sh):", err)
	}
	key, salt := make([]byte, p.KeyLen()), make([]byte, p.SaltLen())
	sess, err := srtpx.NewSession(p, key, salt)
	if err != nil {
		tb.Fatal(err)
	}
	s := newScheduler(Config{Workers: 1}, quiet(), false)
	pp := media.NewPipeline()
	src, _ := mediatest.NewSource(pp, nil)
	r := &fastRig{s: s, pad: src.Core().Source(media.Video), conn: conn, pay: make([]byte, 1100)}
	for i := 0; i < n; i++ {
		rx, err := udpx.Listen("udp4", "127.0.0.1:0", udpx.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		r.rxs = append(r.rxs, rx)
		go func() { // drain, as a receiver would
			b := make([]byte, 2048)
			for {
				if _, _, err := rx.ReadFromAddrPort(b); err != nil {
					return
				}
			}
		}()
		tr := s.NewTransport(TransportParams{})
		d := tr.AddTrack(TrackParams{Kind: media.Video})
		d.Bind(Binding{SSRC: uint32(1000 + i), Codecs: []CodecPT{{Codec: mediatest.VP8, PT: 96}}, Writer: nullWriter{}})
		tr.SetFastPath(FastPath{Dest: conn.Dest(rx.LocalAddrPort()), Session: sess})
		e := &enqueuer{d: d}
		if err := e.core.Init(pp, e, e, nil); err != nil {
			tb.Fatal(err)
		}
		if err := media.Connect(src, e, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
			tb.Fatal(err)
		}
		r.ds = append(r.ds, d)
	}
	tb.Cleanup(func() {
		pp.Release()
		_ = conn.Close()
		for _, rx := range r.rxs {
			_ = rx.Close()
		}
	})
	s.workers[0].runOps() // attach the transports, turn their fast path on
	if !r.ds[n-1].t.FastPathOn() {
		tb.Fatal("fast path not on")
	}
	return r
}

// forward pushes one packet and lets the worker send it.
func (r *fastRig) forward(tb testing.TB) {
	r.push(tb)
	w := r.s.workers[0]
	for w.drain() > 0 {
	}
}

// push reads one packet into a buffer and pushes it, as an ingress does.
func (r *fastRig) push(tb testing.TB) {
	r.seq++
	b := media.GetPacketBuf()
	h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: r.seq, Timestamp: uint32(r.seq) * 3000, SSRC: 42}
	n, _ := h.MarshalTo(b.Data())
	n += copy(b.Data()[n:], r.pay)
	if !b.ParseRTP(n) {
		tb.Fatal("parse")
	}
	b.Packet().Codec = mediatest.VP8
	r.pad.PushBuf(b)
}

// BenchmarkEgress is the whole egress on the fast path: one packet read
// into a buffer, kept in the source's history and fanned out to N
// downtracks, each rewriting its header, recording it, encrypting it
// (srtpx) into the worker's batch, sent with sendmmsg (GSO where the
// kernel has it) to a draining loopback socket, all on one goroutine.
// ns/op is per source packet, fwd-ns/pkt per forwarded packet (on
// loopback the send also pays for the receiver's side of the kernel).
//
//	scripts/netns-run.sh go test -run '^$' -bench Egress -benchmem ./internal/media/egress
func BenchmarkEgress(b *testing.B) {
	for _, p := range []srtpx.Profile{srtpx.AEADAES128GCM, srtpx.AES128CMHMACSHA1_80} {
		for _, n := range []int{1, 10, 100} {
			b.Run(fmt.Sprintf("1to%d/%s", n, p), func(b *testing.B) {
				r := newFastRig(b, n, p)
				for i := 0; i < media.DefaultHistorySlots+16; i++ {
					r.forward(b)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(r.pay) * n))
				stop := testutil.CPUPerOp(b)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r.forward(b)
				}
				b.StopTimer()
				stop()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "fwd-ns/pkt")
				st := r.conn.Stats()
				if st.DatagramsSent > 0 {
					b.ReportMetric(float64(st.BatchCalls+st.WriteCalls)/float64(st.DatagramsSent), "syscalls/pkt")
				}
			})
		}
	}
}

// TestEgressAllocatesNothing: the fast path allocates nothing per packet
// (producer and worker counted).
func TestEgressAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (./dev runs this test without it)")
	}
	r := newFastRig(t, 5, srtpx.AEADAES128GCM)
	for i := 0; i < media.DefaultHistorySlots+16; i++ {
		r.forward(t)
	}
	allocs := testing.AllocsPerRun(500, func() { r.forward(t) })
	if allocs != 0 {
		t.Errorf("the fast path allocates %.1f objects per packet", allocs)
	}
	if r.conn.Stats().DatagramsSent == 0 {
		t.Error("nothing sent")
	}
}
