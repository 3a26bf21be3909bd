package egress

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/rtpx"
	"github.com/gorento/gorento/internal/media/srtpx"
	"github.com/gorento/gorento/internal/testutil"
)

// l1t3TID is the TID of frame i of libwebrtc's L1T3 pattern and whether
// it is a layer-sync frame.
func l1t3TID(i int) (uint8, bool) {
	switch i % 4 {
	case 1:
		return 2, true
	case 2:
		return 1, true
	case 3:
		return 2, false
	}
	return 0, false
}

// writeL1T3 writes into p the VP8 descriptor of packet part of frame i of
// an L1T3 stream (keyframe: frame 0), 15-bit PictureID pic0+i.
func writeL1T3(p []byte, i, part int, pic0 uint16) uint8 {
	tid, sync := l1t3TID(i)
	b0 := byte(0x80)
	if part == 0 {
		b0 |= 0x10
	}
	pic := (pic0 + uint16(i)) & 0x7fff
	tl0 := byte(i / 4)
	tk := tid << 6
	if sync {
		tk |= 0x20
	}
	p[0], p[1], p[2], p[3], p[4], p[5] = b0, 0xe0, 0x80|byte(pic>>8), byte(pic), tl0, tk
	p[6] = 0x01 // inter frame
	if i == 0 {
		p[6] = 0x00
	}
	return tid
}

// l1t3Sizes are the payload sizes of a packet of each TID: ~120, ~72 and
// ~96 kb/s at 30 fps with 2 packets a frame.
var l1t3Sizes = [3]int{1000, 600, 400}

// tlRig is a downtrack with a layer selector fed VP8 L1T3 at 30 fps on a
// fake clock (2 packets a frame, l1t3Sizes): one stream, or simulcast
// layers (layer l's packets l1t3Sizes×(1+0.3l), its own SSRC and PictureIDs).
type tlRig struct {
	h        *harness
	clk      *atomic.Int64
	budget   atomic.Uint64
	sel      *LayerSelector
	keyAsked atomic.Int32 // bit per layer
	noSync   bool         // the publisher sets no Y bits
	layers   int          // simulcast layers (0: none)
	pushed   int
	frame    int
	keys     int // keyframes sent after the first
	seq      [2]uint16
}

// layerEnqueuer is an enqueuer that takes every simulcast layer, as a
// WebRtcEndpoint does (its downtrack's selector chooses).
type layerEnqueuer struct{ enqueuer }

func (e *layerEnqueuer) SelectsLayers() bool { return true }

func newTLRig(t *testing.T) *tlRig {
	return newTLRigOn(t, false)
}

// rigClock is a pipeline clock that reads the rig's fake clock (its
// tickers never fire).
type rigClock struct {
	*mediatest.Clock
	clk *atomic.Int64
}

func (c rigClock) Now() int64 { return c.clk.Load() }

// newTLRigOn is newTLRig; with clocked, the source's pipeline (and so the
// layers' histories: what a publisher's endpoint repairs) runs on the
// rig's fake clock too.
func newTLRigOn(t *testing.T, clocked bool) *tlRig {
	r := &tlRig{clk: &atomic.Int64{}}
	r.clk.Store(int64(time.Hour))
	p := media.NewPipeline()
	if clocked {
		p = media.NewPipeline(media.WithClock(rigClock{mediatest.NewClock(), r.clk}))
	}
	r.h = newHarnessOn(t, Config{Workers: 1, Now: r.clk.Load}, nil, p)
	consumer := &layerEnqueuer{enqueuer{d: r.h.d}}
	if err := consumer.core.Init(r.h.pp, consumer, consumer, nil); err != nil {
		t.Fatal(err)
	}
	if err := media.Connect(r.h.srcElem(t), consumer, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	r.sel = NewLayerSelector(EstimatorFunc(func(int64) uint64 { return r.budget.Load() }), func(l uint8) { r.keyAsked.Or(1 << l) })
	r.h.d.SetSelector(r.sel)
	return r
}

// run pushes d of video and returns the TIDs of the frames forwarded in
// its last second (the layer of the last one in r.last). A keyframe asked
// for comes at the next TL0 frame.
func (r *tlRig) run(t *testing.T, d time.Duration) map[uint8]int {
	h := r.h
	got := map[uint8]int{}
	frames := int(d / (time.Second / 30))
	asked := int32(0)
	for f := 0; f < frames; f++ {
		before := len(h.out.got())
		tid, _ := l1t3TID(r.frame)
		if r.frame%4 == 0 {
			asked = r.keyAsked.Swap(0)
		}
		for l := 0; l < max(r.layers, 1); l++ {
			key := r.frame > 0 && r.frame%4 == 0 && asked&(1<<l) != 0
			if key {
				r.keys++
			}
			for part := 0; part < 2; part++ {
				b := media.GetPacketBuf()
				r.seq[l]++
				hd := rtp.Header{Version: 2, SequenceNumber: r.seq[l] + uint16(l)*20000, Timestamp: uint32(r.frame) * 3000, SSRC: 5 + uint32(l), PayloadType: 96,
					Marker: part == 1}
				n, _ := hd.MarshalTo(b.Data())
				p := b.Data()[n:]
				writeL1T3(p, r.frame, part, 32700+uint16(l)*1000)
				if r.noSync {
					p[5] &^= 0x20
				}
				if key {
					p[6] = 0x00
				}
				if !b.ParseRTP(n + l1t3Sizes[tid]*(10+3*l)/10) {
					t.Fatal("parse")
				}
				pkt := b.Packet()
				pkt.Codec = mediatest.VP8
				if r.layers > 0 {
					pkt.Layer, pkt.Flags = uint8(l), media.PacketSimulcast
					if r.frame == 0 || key {
						pkt.Flags |= media.PacketKeyframe
					}
				}
				h.src.pad.PushBuf(b)
				r.pushed++
			}
		}
		testutil.Eventually(t, 10*time.Second, "the worker took the frame", func() bool {
			st := h.d.Stats()
			return int(st.Packets+st.TemporalDropped+st.Unselected) == r.pushed
		})
		if f >= frames-30 && len(h.out.got()) > before {
			got[tid]++
		}
		r.frame++
		r.clk.Add(int64(time.Second / 30))
	}
	return got
}

// TestTemporalSelection: a viewer whose budget is below the full rate of
// a (non-simulcast) VP8 L1T3 stream gets TID 0 only (a quarter of the
// frames), then TID ≤ 1 when the budget grows, then everything; the
// output has continuous sequence numbers, PictureIDs and TL0PICIDX, and
// a NACKed packet is resent with the descriptor it was first sent with.
func TestTemporalSelection(t *testing.T) {
	r := newTLRig(t)
	h, sel, budget := r.h, r.sel, &r.budget
	run := func(d time.Duration) map[uint8]int { return r.run(t, d) }
	if got := run(2 * time.Second); got[0]+got[1] != 15 || got[2] != 15 {
		t.Fatalf("unlimited: frames per TID %v", got)
	}
	if l := sel.Layer(); l.TemporalLayers != 3 || l.Temporal != 2 || l.Layers != 0 || l.Current != -1 {
		t.Errorf("unlimited: %+v", l)
	}
	budget.Store(150_000)
	if got := run(3 * time.Second); got[1] != 0 || got[2] != 0 || got[0] < 7 {
		t.Fatalf("150 kb/s: frames per TID %v, want TID 0 only", got)
	}
	if l := sel.Layer(); l.Temporal != 0 || l.TargetTemporal != 0 || l.Bitrate > 150_000 {
		t.Errorf("150 kb/s: %+v", l)
	}
	budget.Store(250_000)
	if got := run(3 * time.Second); got[2] != 0 || got[1] < 7 || got[0] < 7 {
		t.Fatalf("250 kb/s: frames per TID %v, want TIDs 0 and 1", got)
	}
	budget.Store(0)
	if got := run(2 * time.Second); got[2] < 14 {
		t.Fatalf("unlimited again: frames per TID %v", got)
	}
	out := h.out.got()
	var prev rtpx.VP8Descriptor
	for i, p := range out {
		d, err := rtpx.ParseVP8(p.payload)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			q := out[i-1]
			if p.hdr.SequenceNumber != q.hdr.SequenceNumber+1 {
				t.Fatalf("packet %d: seq %d after %d", i, p.hdr.SequenceNumber, q.hdr.SequenceNumber)
			}
			newFrame := p.hdr.Timestamp != q.hdr.Timestamp
			want := prev.PictureID
			if newFrame {
				want = (want + 1) & 0x7fff
			}
			if d.PictureID != want {
				t.Fatalf("packet %d: PictureID %d after %d", i, d.PictureID, prev.PictureID)
			}
			wantTL0 := prev.TL0PICIDX
			if newFrame && d.TID == 0 {
				wantTL0++
			}
			if d.TL0PICIDX != wantTL0 {
				t.Fatalf("packet %d: TL0PICIDX %d after %d", i, d.TL0PICIDX, prev.TL0PICIDX)
			}
		}
		prev = d
	}
	if st := h.d.Stats(); st.TemporalDropped == 0 || int(st.Packets) != len(out) {
		t.Errorf("stats %+v, %d sent", st, len(out))
	}
	if r.keys != 0 || r.keyAsked.Load() != 0 {
		t.Errorf("%d keyframes asked for: the layer-sync frames should do", r.keys+int(r.keyAsked.Load()))
	}
	// A resend carries the munged descriptor it was first sent with (the
	// last packet: the source's history keeps a second of real time).
	lost := out[len(out)-1]
	if d, _ := rtpx.ParseVP8(lost.payload); d.PictureID == (32700+uint16(r.frame-1))&0x7fff {
		t.Fatalf("the last PictureID (%d) was not munged", d.PictureID)
	}
	h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: lost.hdr.SequenceNumber}}})
	got := h.out.waitN(t, len(out)+1)
	re := got[len(got)-1]
	if re.hdr.SequenceNumber != lost.hdr.SequenceNumber || string(re.payload) != string(lost.payload) {
		t.Errorf("resent %d % x, first sent % x", re.hdr.SequenceNumber, re.payload[:8], lost.payload[:8])
	}
}

// TestTemporalUnderLowestLayer: with simulcast layers, the spatial layer
// is chosen first; when even the lowest one's full rate (~290 kb/s) does
// not fit, the viewer gets its base temporal layer. The output stays one
// continuous stream across the layer switch and the dropped frames.
func TestTemporalUnderLowestLayer(t *testing.T) {
	r := newTLRig(t)
	r.layers = 2
	layerOf := func(p sent) int {
		if n := len(p.payload); n == 1300 || n == 780 || n == 520 {
			return 1
		}
		return 0
	}
	r.run(t, 2*time.Second)
	out := r.h.out.got()
	if l := layerOf(out[len(out)-1]); l != 1 {
		t.Fatalf("unlimited: layer %d sent, want 1", l)
	}
	r.budget.Store(150_000)
	got := r.run(t, 3*time.Second)
	out = r.h.out.got()
	if l := layerOf(out[len(out)-1]); l != 0 || got[1]+got[2] != 0 || got[0] < 7 {
		t.Fatalf("150 kb/s: layer %d, frames per TID %v; want layer 0, TID 0 only", l, got)
	}
	if st := r.sel.Layer(); st.Current != 0 || st.Layers != 2 || st.Temporal != 0 || st.TemporalLayers != 3 {
		t.Errorf("150 kb/s: %+v", st)
	}
	var prev rtpx.VP8Descriptor
	for i, p := range out {
		d, err := rtpx.ParseVP8(p.payload)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			q := out[i-1]
			newFrame := p.hdr.Timestamp != q.hdr.Timestamp
			if p.hdr.SequenceNumber != q.hdr.SequenceNumber+1 || !newFrame && layerOf(p) != layerOf(q) {
				t.Fatalf("packet %d: seq %d after %d, layer %d after %d", i, p.hdr.SequenceNumber, q.hdr.SequenceNumber, layerOf(p), layerOf(q))
			}
			want := prev.PictureID
			if newFrame {
				want = (want + 1) & 0x7fff
			}
			if d.PictureID != want {
				t.Fatalf("packet %d: PictureID %d after %d", i, d.PictureID, prev.PictureID)
			}
		}
		prev = d
	}
}

// TestTemporalKeptAboveLowestLayer: a viewer on a layer above the lowest
// keeps the layer and all its temporal layers while its budget dips below
// the layer's rate (the spatial choice keeps the layer down to 85 % of
// its mean, and answers for its temporal layers): on main it moved down;
// in the browser a 360p viewer of a 600 kbit/s link lost its top temporal
// layer (15 fps) for 2–3 s at each dip of its estimate.
func TestTemporalKeptAboveLowestLayer(t *testing.T) {
	r := newTLRig(t)
	r.layers = 2
	r.run(t, 2*time.Second)
	st := r.sel.Layer()
	if st.Current != 1 || st.Bitrate == 0 {
		t.Fatalf("unlimited: %+v, want layer 1", st)
	}
	r.budget.Store(st.Bitrate * 9 / 10)
	got := r.run(t, 2*time.Second)
	if st := r.sel.Layer(); st.Current != 1 || got[2] == 0 {
		t.Errorf("budget 90 %% of layer 1's rate: %+v, frames per TID %v; want layer 1 with every TID", st, got)
	}
}

// TestTemporalUpWithoutSync: a publisher that sets no layer-sync bits
// gets a keyframe request once the viewer could move up and has waited
// temporalUpWait; the keyframe moves it up. Chrome's Y bits make it
// unnecessary (TestTemporalSelection asks for none).
func TestTemporalUpWithoutSync(t *testing.T) {
	r := newTLRig(t)
	r.noSync = true
	r.budget.Store(150_000)
	if got := r.run(t, 3*time.Second); got[1]+got[2] != 0 {
		t.Fatalf("150 kb/s: frames per TID %v, want TID 0 only", got)
	}
	r.budget.Store(0)
	if got := r.run(t, time.Second); got[1]+got[2] != 0 || r.keys != 0 {
		t.Fatalf("1 s after the budget rose: frames per TID %v, %d keyframes: moved up without a sync frame", got, r.keys)
	}
	if got := r.run(t, 3*time.Second); got[2] < 14 || r.keys != 1 {
		t.Fatalf("4 s after: frames per TID %v, %d keyframes asked for; want every layer after one keyframe", got, r.keys)
	}
}

// TestTemporalAllocatesNothing: dropping temporal layers and munging VP8
// descriptors on the fast path allocate nothing per packet.
func TestTemporalAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (./dev runs this test without it)")
	}
	for _, budget := range []uint64{0, 100_000} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) { temporalAllocs(t, budget) })
	}
}

func temporalAllocs(t *testing.T, budget uint64) {
	r := newFastRig(t, 3, srtpx.AEADAES128GCM)
	for _, d := range r.ds {
		d.SetSelector(NewLayerSelector(EstimatorFunc(func(int64) uint64 { return budget }), nil))
	}
	frame := 0
	forward := func() {
		writeL1T3(r.pay, frame, 0, 100)
		frame++
		r.forward(t)
	}
	// The per-TID rates need a window of real time (the rig's clock).
	for start := time.Now(); time.Since(start) < 700*time.Millisecond || frame < media.DefaultHistorySlots+16; {
		forward()
		time.Sleep(100 * time.Microsecond)
	}
	allocs := testing.AllocsPerRun(500, forward)
	if allocs != 0 {
		t.Errorf("temporal selection on the fast path allocates %.1f objects per packet", allocs)
	}
	if st := r.ds[0].Stats(); (st.TemporalDropped == 0) != (budget == 0) || st.Packets == 0 {
		t.Errorf("stats %+v: want packets sent, and dropped under a budget", st)
	}
}

// BenchmarkEgressVP8Temporal is BenchmarkEgress (1→10, AES-GCM) with VP8
// L1T3 payload descriptors: every layer forwarded (descriptor parsed and
// munged), or TID 0 only (three packets in four dropped, their numbers
// skipped). ns/op is per source packet.
//
//	scripts/netns-run.sh go test -run '^$' -bench EgressVP8Temporal -benchmem ./internal/media/egress
func BenchmarkEgressVP8Temporal(b *testing.B) {
	for _, tc := range []struct {
		name   string
		budget uint64
	}{{"all", 0}, {"tid0", 100_000}} {
		b.Run(tc.name, func(b *testing.B) {
			r := newFastRig(b, 10, srtpx.AEADAES128GCM)
			for _, d := range r.ds {
				d.SetSelector(NewLayerSelector(EstimatorFunc(func(int64) uint64 { return tc.budget }), nil))
			}
			frame := 0
			forward := func() {
				writeL1T3(r.pay, frame, 0, 100)
				frame++
				r.forward(b)
			}
			for start := time.Now(); time.Since(start) < 700*time.Millisecond || frame < media.DefaultHistorySlots+16; {
				forward()
				time.Sleep(100 * time.Microsecond)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				forward()
			}
		})
	}
}
