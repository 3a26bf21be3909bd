package egress

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/srtpx"
	"github.com/gorento/gorento/internal/testutil"
)

// holdRig is a scheduler driven by hand (its worker is not started) with
// a fake clock, one transport and a video and an audio downtrack behind
// Pion's writer (recorded).
type holdRig struct {
	s     *Scheduler
	w     *worker
	now   atomic.Int64
	out   *recWriter
	video *source
	audio *source
}

func newHoldRig(t *testing.T, hold time.Duration) *holdRig {
	t.Helper()
	r := &holdRig{out: &recWriter{}}
	r.now.Store(1)
	r.s = newScheduler(Config{Workers: 1, FrameHold: hold, Now: r.now.Load}, quiet(), false)
	r.w = r.s.workers[0]
	tr := r.s.NewTransport(TransportParams{RTCP: r.out})
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	for _, kind := range []media.MediaType{media.Video, media.Audio} {
		d := tr.AddTrack(TrackParams{Kind: kind})
		codec := mediatest.VP8
		if kind == media.Audio {
			codec = mediatest.Opus
		}
		d.Bind(Binding{SSRC: 0x100 + uint32(kind), Codecs: []CodecPT{{Codec: codec, PT: 100}}, Writer: r.out})
		src := newSource(t, p)
		if kind == media.Audio {
			r.audio = src
		} else {
			r.video = src
		}
		e := &enqueuer{d: d}
		if err := media.Connect(src.elem, e.elem(t, p), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
	}
	r.w.runOps()
	return r
}

// push pushes one packet of src, its payload's first byte tag.
func (r *holdRig) push(t *testing.T, src *source, tag byte, marker bool, codec *media.Codec) {
	t.Helper()
	src.seq++
	b := media.GetPacketBuf()
	h := rtp.Header{Version: 2, Marker: marker, SequenceNumber: src.seq, Timestamp: 9000, SSRC: 5, PayloadType: 96}
	n, _ := h.MarshalTo(b.Data())
	b.Data()[n] = tag
	if !b.ParseRTP(n + 100) {
		t.Fatal("parse")
	}
	b.Packet().Codec = codec
	src.pad.PushBuf(b)
}

func (r *holdRig) video1(t *testing.T, tag byte, marker bool) {
	r.push(t, r.video, tag, marker, mediatest.VP8)
}

func tags(ps []sent) []byte {
	var out []byte
	for _, p := range ps {
		out = append(out, p.payload[0])
	}
	return out
}

// TestFrameHoldWaitsForMarker: the packets of a frame are held until its
// last one (the marker) arrives, then all leave in order.
func TestFrameHoldWaitsForMarker(t *testing.T) {
	r := newHoldRig(t, time.Second)
	for i := byte(1); i <= 3; i++ {
		r.video1(t, i, false)
		r.w.drain()
	}
	if got := r.out.got(); len(got) != 0 || r.w.hold.n != 3 {
		t.Fatalf("sent %d packets before the frame ended (held %d)", len(got), r.w.hold.n)
	}
	r.video1(t, 4, true)
	r.w.drain()
	if got := tags(r.out.got()); string(got) != "\x01\x02\x03\x04" {
		t.Fatalf("sent %v, want the frame's 4 packets in order", got)
	}
	if r.w.hold.n != 0 || r.w.hold.open != 0 {
		t.Errorf("hold not reset: %+v", r.w.hold)
	}
	// The next frame is held again.
	r.video1(t, 5, false)
	r.w.drain()
	if n := len(r.out.got()); n != 4 {
		t.Errorf("the next frame's first packet went at once (%d sent)", n)
	}
}

// TestFrameHoldDeadline: a frame whose marker never comes (lost) is sent
// once the hold's time is up.
func TestFrameHoldDeadline(t *testing.T) {
	r := newHoldRig(t, time.Millisecond)
	r.video1(t, 1, false)
	r.w.drain()
	r.now.Add(int64(500 * time.Microsecond))
	r.video1(t, 2, false)
	r.w.drain()
	if n := len(r.out.got()); n != 0 {
		t.Fatalf("sent %d packets within the hold", n)
	}
	if d := r.w.sleepFor(r.now.Load()); d > 500*time.Microsecond {
		t.Errorf("worker would sleep %v past the hold's end", d)
	}
	r.now.Add(int64(500 * time.Microsecond))
	r.w.drain()
	if got := tags(r.out.got()); string(got) != "\x01\x02" {
		t.Fatalf("sent %v after the hold's deadline, want [1 2]", got)
	}
}

// TestFrameHoldAudio: audio, and video whose frames are complete, go at
// once; audio queued behind an incomplete frame waits with it.
func TestFrameHoldAudio(t *testing.T) {
	r := newHoldRig(t, time.Second)
	r.push(t, r.audio, 1, false, mediatest.Opus)
	r.w.drain()
	r.video1(t, 2, true) // a one-packet frame
	r.w.drain()
	if got := tags(r.out.got()); string(got) != "\x01\x02" {
		t.Fatalf("sent %v, want audio and a complete frame at once", got)
	}
	r.video1(t, 3, false)
	r.push(t, r.audio, 4, false, mediatest.Opus)
	r.w.drain()
	if n := len(r.out.got()); n != 2 {
		t.Fatalf("%d sent during an incomplete frame", n)
	}
	r.video1(t, 5, true)
	r.w.drain()
	if got := tags(r.out.got()); len(got) != 5 {
		t.Fatalf("sent %v", got)
	}
}

// TestFrameHoldOff: with FrameHold 0 every packet goes at once.
func TestFrameHoldOff(t *testing.T) {
	r := newHoldRig(t, 0)
	r.video1(t, 1, false)
	r.w.drain()
	if n := len(r.out.got()); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
}

// TestFrameHoldFull: a worker holds at most drainBatch packets.
func TestFrameHoldFull(t *testing.T) {
	r := newHoldRig(t, time.Hour)
	for i := 0; i < drainBatch+10; i++ {
		r.video1(t, byte(i), false)
	}
	r.w.drain()
	if n := len(r.out.got()); n != drainBatch {
		t.Fatalf("sent %d, want the %d that fill the hold", n, drainBatch)
	}
	r.w.drain()
	if n := len(r.out.got()); n != drainBatch || r.w.hold.n != 10 {
		t.Fatalf("sent %d, held %d", n, r.w.hold.n)
	}
}

// TestFrameHoldRunning: a running worker wakes up for the hold's deadline
// by itself, and its Close releases what it holds.
func TestFrameHoldRunning(t *testing.T) {
	h := newHarness(t, Config{Workers: 1, FrameHold: 2 * time.Millisecond}, nil)
	consumer := &enqueuer{d: h.d}
	if err := media.Connect(h.srcElem(t), consumer.elem(t, h.pp), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		h.push(t, byte(i)) // no marker: only the deadline sends them
	}
	got := h.out.waitN(t, 5)
	for i, p := range got {
		if p.payload[0] != byte(i) {
			t.Fatalf("packet %d has tag %d", i, p.payload[0])
		}
	}
}

// pushFrame pushes one video frame of n packets as an ingress does (the
// last one smaller, with the marker), letting the worker run after each.
func (r *fastRig) pushFrame(tb testing.TB, n int) {
	w := r.s.workers[0]
	for i := 0; i < n; i++ {
		r.seq++
		b := media.GetPacketBuf()
		last := i == n-1
		h := rtp.Header{Version: 2, PayloadType: 96, Marker: last, SequenceNumber: r.seq, Timestamp: uint32(r.seq/8) * 3000, SSRC: 42}
		k, _ := h.MarshalTo(b.Data())
		pay := r.pay
		if last {
			pay = pay[:len(pay)/2]
		}
		k += copy(b.Data()[k:], pay)
		if !b.ParseRTP(k) {
			tb.Fatal("parse")
		}
		b.Packet().Codec = mediatest.VP8
		r.pad.PushBuf(b)
		for w.drain() > 0 {
		}
	}
}

// BenchmarkEgressFrames is BenchmarkEgress with frames of 8 packets, the
// worker running after each packet (as when the ingress hands it over at
// once), without and with the frame hold: held, a frame leaves as one GSO
// message per destination.
//
//	scripts/netns-run.sh go test -run '^$' -bench EgressFrames -benchmem ./internal/media/egress
func BenchmarkEgressFrames(b *testing.B) {
	for _, hold := range []time.Duration{0, time.Second} {
		for _, n := range []int{40, 100} {
			b.Run(fmt.Sprintf("1to%d/hold=%v", n, hold > 0), func(b *testing.B) {
				r := newFastRig(b, n, srtpx.AEADAES128GCM)
				r.s.cfg.FrameHold = hold
				for i := 0; i < media.DefaultHistorySlots/8+4; i++ {
					r.pushFrame(b, 8)
				}
				b.ReportAllocs()
				stop := testutil.CPUPerOp(b)
				before := r.conn.Stats()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					r.pushFrame(b, 8)
				}
				b.StopTimer()
				stop()
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*8), "fwd-ns/pkt")
				st := r.conn.Stats()
				if dg := st.DatagramsSent - before.DatagramsSent; dg > 0 {
					b.ReportMetric(float64(st.BatchCalls-before.BatchCalls)/float64(dg), "syscalls/pkt")
					b.ReportMetric(float64(st.GSOMessages-before.GSOMessages)/float64(b.N*n), "gso/frame")
				}
			})
		}
	}
}

// TestFrameHoldWakes: a worker parked on an incomplete frame is woken only
// by a frame's end; otherwise by every packet.
func TestFrameHoldWakes(t *testing.T) {
	r := newHoldRig(t, time.Second)
	r.video1(t, 1, false)
	r.w.drain()
	var its []item
	for _, marker := range []bool{false, true} {
		r.video1(t, 2, marker)
		it, _ := r.w.in.pop()
		its = append(its, it)
	}
	r.push(t, r.audio, 3, true, mediatest.Opus)
	it, _ := r.w.in.pop()
	its = append(its, it)
	defer func() {
		for _, it := range its {
			it.buf.Release()
		}
	}()
	r.w.holdSleep.Store(false)
	for i, it := range its {
		if !r.w.wakes(endsVideoFrame(it)) {
			t.Errorf("packet %d does not wake a worker that holds nothing", i)
		}
	}
	r.w.holdSleep.Store(true)
	if r.w.wakes(endsVideoFrame(its[0])) || !r.w.wakes(endsVideoFrame(its[1])) || r.w.wakes(endsVideoFrame(its[2])) {
		t.Errorf("holding: wakes for mid-frame %v, frame end %v, audio %v (want false, true, false)",
			r.w.wakes(endsVideoFrame(its[0])), r.w.wakes(endsVideoFrame(its[1])), r.w.wakes(endsVideoFrame(its[2])))
	}
}
