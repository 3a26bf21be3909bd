package egress

import (
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/bwe"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/srtpx"
	"github.com/gorento/gorento/internal/testutil"
)

const testTWCCExt = 5

// bweHarness is a harness whose transport estimates bandwidth (BWE) and
// whose track negotiated transport-cc, on a clock the test moves.
func bweHarness(t *testing.T) (*harness, *BWE, *atomic.Int64) {
	t.Helper()
	clk := &atomic.Int64{}
	clk.Store(int64(time.Hour))
	b, err := NewBWE(bwe.Config{Initial: 1_000_000, Min: 100_000, Max: 5_000_000})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Config{Workers: 1, Tick: time.Millisecond, Now: clk.Load}, b)
	h.d.Bind(Binding{SSRC: 0xabc, RTXSSRC: 0xdef, Codecs: []CodecPT{{Codec: mediatest.VP8, PT: 100, RTXPT: 101}}, Writer: h.out, TWCCExtID: testTWCCExt})
	consumer := &enqueuer{d: h.d}
	if err := media.Connect(h.srcElem(t), consumer.elem(t, h.pp), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	return h, b, clk
}

// pushBig pushes one packet of 1000 payload bytes starting with tag.
func pushBig(t *testing.T, h *harness, tag byte) {
	t.Helper()
	h.pushSized(t, tag, 1000)
}

func twccOf(t *testing.T, h rtp.Header) uint16 {
	t.Helper()
	ext := h.GetExtension(testTWCCExt)
	if len(ext) != 2 {
		t.Fatalf("packet %d without a transport-cc extension: %+v", h.SequenceNumber, h)
	}
	return binary.BigEndian.Uint16(ext)
}

// TestTWCCStamping: every packet a transport sends, media and resends
// alike, carries the next transport-wide sequence number.
func TestTWCCStamping(t *testing.T) {
	h, _, _ := bweHarness(t)
	for i := 0; i < 5; i++ {
		h.push(t, byte(i))
	}
	got := h.out.waitN(t, 5)
	h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: got[1].hdr.SequenceNumber}}})
	got = h.out.waitN(t, 6)
	for i, p := range got {
		if seq := twccOf(t, p.hdr); seq != uint16(i) {
			t.Errorf("packet %d has transport-wide seq %d", i, seq)
		}
	}
	if rtx := got[5].hdr; rtx.SSRC != 0xdef || rtx.PayloadType != 101 {
		t.Errorf("resend on SSRC %x PT %d, want the RTX stream", rtx.SSRC, rtx.PayloadType)
	}
}

// TestBWEFeedback: feedback that acknowledges what was sent, on time,
// gives the transport an estimate (unknown before), readable by a
// selector through Transport.Estimate; feedback that shows the queue
// growing lowers it.
func TestBWEFeedback(t *testing.T) {
	h, b, clk := bweHarness(t)
	b.noPace = true // set before the worker sees the transport's first packet
	if h.t.Estimate() != 0 {
		t.Fatal("an estimate before any feedback")
	}
	rec := twcc.NewRecorder(1)
	seq := 0
	// 1 Mbit/s of 1000-byte packets: one every 8 ms, feedback every 100 ms;
	// delay grows by extra per packet after the first second.
	run := func(d time.Duration, extra time.Duration) {
		var delay time.Duration
		for end := clk.Load() + int64(d); clk.Load() < end; {
			for i := 0; i < 12; i++ {
				clk.Add(int64(8 * time.Millisecond))
				pushBig(t, h, 0)
				h.out.waitN(t, seq+1)
				delay += extra
				rec.Record(0xabc, uint16(seq), (clk.Load()+int64(20*time.Millisecond+delay))/1e3)
				seq++
			}
			h.t.OnRTCP(rec.BuildFeedbackPacket())
			clk.Add(int64(4 * time.Millisecond))
			target := b.TargetBitrate()
			testutil.Eventually(t, 10*time.Second, "the feedback applied", func() bool { return b.TargetBitrate() != target || b.State() != nil })
		}
	}
	run(2*time.Second, 0)
	steady := h.t.Estimate()
	if steady == 0 || steady != b.TargetBitrate() {
		t.Fatalf("estimate %d (BWE %d) after feedback", steady, b.TargetBitrate())
	}
	run(2*time.Second, 2*time.Millisecond) // the queue grows 250 ms per second
	if got := b.TargetBitrate(); got >= steady {
		t.Errorf("estimate %d → %d while the delay grows: want lower", steady, got)
	}
	if s := b.State(); s == nil || s.Feedbacks == 0 {
		t.Errorf("state %+v", s)
	}
}

// TestPacerSpreadsBurst: a keyframe's 40 packets leave at about 2.5 × the
// estimate over the ticks, in order, instead of at once; nothing is lost
// and no buffer is kept.
func TestPacerSpreadsBurst(t *testing.T) {
	bufs := media.PacketBufsOut()
	h, b, clk := bweHarness(t)
	b.pace.setRate(800_000) // 2.5 × → 250 bytes per ms
	for i := 0; i < 40; i++ {
		pushBig(t, h, byte(i))
	}
	// The burst budget (25 ms: ~6 packets of 1013 bytes) goes at once.
	first := h.out.waitN(t, 6)
	time.Sleep(50 * time.Millisecond)
	if n := len(h.out.got()); n > 8 {
		t.Fatalf("%d packets out at once at a 2 Mbit/s pace", n)
	}
	steps := 0
	for len(h.out.got()) < 40 {
		clk.Add(int64(20 * time.Millisecond))
		steps++
		want := min(len(first)+steps*4, 40) // ≥ 5000 bytes per 20 ms tick
		testutil.Eventually(t, 10*time.Second, "paced packets", func() bool { return len(h.out.got()) >= want })
		if steps > 20 {
			t.Fatalf("only %d packets after %d ticks", len(h.out.got()), steps)
		}
	}
	if steps < 5 {
		t.Errorf("40 packets out in %d ticks of 20 ms: not paced", steps)
	}
	for i, p := range h.out.got() {
		if p.payload[0] != byte(i) {
			t.Fatalf("packet %d carries %d: out of order", i, p.payload[0])
		}
	}
	if b.pace.paced == 0 {
		t.Error("nothing was held")
	}
	// A transport closed with packets queued releases them.
	for i := 0; i < 30; i++ {
		pushBig(t, h, 0)
	}
	time.Sleep(100 * time.Millisecond) // the worker takes them: the clock stands still, so most wait
	h.t.Close()
	if n := len(h.out.got()); n >= 70 {
		t.Errorf("all %d sent: nothing was held at close", n)
	}
	h.src.pad.History().Close()
	testutil.Eventually(t, 10*time.Second, "every buffer released", func() bool { return media.PacketBufsOut() == bufs })
}

// TestPacerGivesUp: what waited MaxPaceDelay is dropped, not resent on
// NACK, and the track asks for a keyframe and waits for it.
func TestPacerGivesUp(t *testing.T) {
	bufs := media.PacketBufsOut()
	h, b, clk := bweHarness(t)
	gaps := make(chan struct{}, 4)
	h.d.onGap = func() { gaps <- struct{}{} }
	b.pace.setRate(100_000) // 31 bytes per ms
	for i := 0; i < 20; i++ {
		pushBig(t, h, byte(i))
	}
	h.out.waitN(t, 2)
	time.Sleep(20 * time.Millisecond)
	clk.Add(int64(MaxPaceDelay + time.Millisecond))
	select {
	case <-gaps:
	case <-time.After(10 * time.Second):
		t.Fatal("no keyframe asked for")
	}
	got := h.out.got()
	if len(got) >= 20 {
		t.Fatalf("all %d sent: nothing dropped", len(got))
	}
	sent := len(got)
	// A NACK for a dropped packet is not answered.
	last := got[len(got)-1].hdr.SequenceNumber
	h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: last + 1}}})
	// The next packets wait for a keyframe (tag 0 is not a VP8 keyframe start).
	pushBig(t, h, 0)
	time.Sleep(50 * time.Millisecond)
	if n := len(h.out.got()); n != sent {
		t.Errorf("%d packets sent after the drop, want none until a keyframe", n-sent)
	}
	h.t.Close()
	h.src.pad.History().Close()
	testutil.Eventually(t, 10*time.Second, "every buffer released", func() bool { return media.PacketBufsOut() == bufs })
}

// TestEgressBWEAllocatesNothing: stamping, send records and pacing add no
// allocation per packet to the fast path.
func TestEgressBWEAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (./dev runs this test without it)")
	}
	var hooks []*BWE
	r := newRig(t, 5, srtpx.AEADAES128GCM, func() TransportHooks {
		b, err := NewBWE(bwe.Config{})
		if err != nil {
			t.Fatal(err)
		}
		b.pace.setRate(1_000_000_000) // pacing on, never binding
		hooks = append(hooks, b)
		return b
	})
	for i := 0; i < media.DefaultHistorySlots+16; i++ {
		r.forward(t)
	}
	allocs := testing.AllocsPerRun(500, func() { r.forward(t) })
	if allocs != 0 {
		t.Errorf("the fast path with BWE allocates %.1f objects per packet", allocs)
	}
	if hooks[0].pace.last == 0 {
		t.Error("the pacer saw nothing")
	}
}

// TestProbes: once feedback arrives the estimator's initial probe clusters
// go out as RTX copies of recent video packets (on the RTX SSRC, stamped
// with transport-wide numbers, spread over ticks), within the probe
// budget: ≤ ProbeShare of the estimate over two seconds.
func TestProbes(t *testing.T) {
	h, b, clk := bweHarness(t)
	rec := twcc.NewRecorder(1)
	for i := 0; i < 20; i++ {
		pushBig(t, h, byte(i))
	}
	got := h.out.waitN(t, 20)
	for i, p := range got {
		rec.Record(0xabc, twccOf(t, p.hdr), (clk.Load()+int64(i)*int64(time.Millisecond))/1e3)
	}
	h.t.OnRTCP(rec.BuildFeedbackPacket())
	target := uint64(0)
	testutil.Eventually(t, 10*time.Second, "an estimate", func() bool { target = b.TargetBitrate(); return target > 0 })
	start := clk.Load()
	for clk.Load()-start < int64(2*time.Second) {
		clk.Add(int64(5 * time.Millisecond))
		time.Sleep(2 * time.Millisecond) // the worker ticks (its timer is real, 1 ms)
	}
	var probes, bytes int
	var at []uint16
	for _, p := range h.out.got()[20:] {
		if p.hdr.SSRC != 0xdef || p.hdr.PayloadType != 101 {
			t.Fatalf("a probe on SSRC %x PT %d", p.hdr.SSRC, p.hdr.PayloadType)
		}
		probes++
		bytes += p.hdr.MarshalSize() + len(p.payload)
		at = append(at, twccOf(t, p.hdr))
	}
	if probes < 5 {
		t.Fatalf("%d probe packets sent in 2 s", probes)
	}
	if budget := ProbeShare*float64(target)/8*2 + 1500; float64(bytes) > budget {
		t.Errorf("probes sent %d bytes in 2 s, budget %.0f (estimate %d)", bytes, budget, target)
	}
	t.Logf("%d probe packets, %d bytes in 2 s at an estimate of %d bit/s; now %d", probes, bytes, target, b.TargetBitrate())
	for i := 1; i < len(at); i++ {
		if at[i] != at[i-1]+1 {
			t.Errorf("transport-wide numbers of probes %v not consecutive", at)
			break
		}
	}
}

// BenchmarkEgressBWE is BenchmarkEgress (1to10, GCM) with and without the
// send-side estimation hooks (stamping, send records, pacer admission):
// the difference is BWE's cost per forwarded packet.
//
//	scripts/netns-run.sh go test -run '^$' -bench EgressBWE -benchmem ./internal/media/egress
func BenchmarkEgressBWE(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(map[bool]string{false: "off", true: "on"}[on], func(b *testing.B) {
			var hooks func() TransportHooks
			if on {
				hooks = func() TransportHooks {
					h, err := NewBWE(bwe.Config{})
					if err != nil {
						b.Fatal(err)
					}
					h.pace.setRate(1_000_000_000)
					return h
				}
			}
			r := newRig(b, 10, srtpx.AEADAES128GCM, hooks)
			for i := 0; i < media.DefaultHistorySlots+16; i++ {
				r.forward(b)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.forward(b)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10), "fwd-ns/pkt")
		})
	}
}

// BenchmarkBWEPerPacket is what send-side estimation adds to one sent
// packet on the worker: the transport-wide number stamped, the send record
// and ALR accounting, the pacer's admission (with budget) and charge.
func BenchmarkBWEPerPacket(b *testing.B) {
	var h *BWE
	r := newRig(b, 1, srtpx.AEADAES128GCM, func() TransportHooks {
		var err error
		if h, err = NewBWE(bwe.Config{}); err != nil {
			b.Fatal(err)
		}
		h.pace.setRate(1_000_000_000)
		return h
	})
	d := r.ds[0]
	bind := d.bind.Load()
	p := &Paced{Downtrack: d}
	now := int64(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now += 100_000
		p.Header = rtp.Header{Version: 2, SSRC: bind.SSRC, SequenceNumber: uint16(i)}
		if !h.Pace(p, now) {
			b.Fatal("held")
		}
		d.stampTWCC(bind, &p.Header)
		h.OnSent(d, &p.Header, 1100, now)
	}
}
