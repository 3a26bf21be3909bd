package egress

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/srtpx"
)

const (
	testTWCCID    = 3
	testPlayoutID = 5
)

// playoutRig is a harness whose downtrack negotiated transport-cc and
// playout-delay, on a clock the test moves.
type playoutRig struct {
	h   *harness
	clk *atomic.Int64
}

func newPlayoutRig(t *testing.T, limit time.Duration, playoutID uint8) *playoutRig {
	t.Helper()
	r := &playoutRig{clk: &atomic.Int64{}}
	r.clk.Store(int64(time.Hour))
	r.h = newHarness(t, Config{Workers: 1, MaxPlayoutDelay: limit, Now: r.clk.Load}, nil)
	r.h.d.Bind(Binding{SSRC: 0xabc, Codecs: []CodecPT{{Codec: mediatest.VP8, PT: 100}}, Writer: r.h.out,
		TWCCExtID: testTWCCID, PlayoutExtID: playoutID})
	consumer := &enqueuer{d: r.h.d}
	if err := media.Connect(r.h.srcElem(t), consumer.elem(t, r.h.pp), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	return r
}

// send pushes one packet and returns the playout delay it carries (ok
// false: no extension) after checking its transport-cc number is there.
func (r *playoutRig) send(t *testing.T) (lo, hi time.Duration, ok bool) {
	t.Helper()
	n := len(r.h.out.got())
	r.h.push(t, 1)
	p := r.h.out.waitN(t, n+1)[n]
	return playoutOf(t, p)
}

func playoutOf(t *testing.T, p sent) (lo, hi time.Duration, ok bool) {
	t.Helper()
	if len(p.hdr.GetExtension(testTWCCID)) != 2 {
		t.Fatalf("packet %d lost its transport-cc number: %+v", p.hdr.SequenceNumber, p.hdr)
	}
	e := p.hdr.GetExtension(testPlayoutID)
	if e == nil {
		return 0, 0, false
	}
	if len(e) != 3 {
		t.Fatalf("playout-delay of %d bytes", len(e))
	}
	lo = time.Duration(uint32(e[0])<<4|uint32(e[1])>>4) * 10 * time.Millisecond
	hi = time.Duration(uint32(e[1]&0x0f)<<8|uint32(e[2])) * 10 * time.Millisecond
	if lo > hi || lo == 0 {
		t.Fatalf("playout-delay min %v max %v: Chrome drops min > max, and min 0 turns on its low-latency renderer", lo, hi)
	}
	return lo, hi, true
}

// TestPlayoutDelayFollowsRepairs: a viewer's packets carry no playout
// delay while its source's publisher needs no repairs; once the publisher's
// endpoint notes repairs, they ask for three repair delays plus a frame
// (within the cap), resends too; after the uplink is clean they ask for
// none for a while, then carry nothing.
func TestPlayoutDelayFollowsRepairs(t *testing.T) {
	r := newPlayoutRig(t, 200*time.Millisecond, testPlayoutID)
	ring := r.h.src.pad.History()
	for i := 0; i < 5; i++ {
		if lo, _, ok := r.send(t); ok {
			t.Fatalf("packet %d of a clean uplink asks for a %v playout delay", i, lo)
		}
	}
	now := r.clk.Load()
	ring.NoteRepairs(40*time.Millisecond, now+int64(5*time.Second))
	lo, hi, ok := r.send(t)
	if !ok || lo != 160*time.Millisecond || hi != 10*time.Second {
		t.Fatalf("repairs of 40 ms: playout delay %v–%v (stamped %v), want 160ms (3×40 + 34, rounded up)–10s", lo, hi, ok)
	}
	// A resend carries it too (its frame may be the one that completes).
	n := len(r.h.out.got())
	last := r.h.out.got()[n-1].hdr.SequenceNumber
	r.h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: last}}})
	if lo, _, ok := playoutOf(t, r.h.out.waitN(t, n+1)[n]); !ok || lo != 160*time.Millisecond {
		t.Fatalf("resend asks for %v (stamped %v), want 160ms", lo, ok)
	}
	ring.NoteRepairs(60*time.Millisecond, now+int64(5*time.Second))
	if lo, _, _ := r.send(t); lo != 200*time.Millisecond {
		t.Fatalf("repairs of 60 ms: playout delay %v, want the 200ms cap (not 3×60 + 34)", lo)
	}
	r.clk.Add(int64(5 * time.Second)) // clean since
	if lo, _, ok := r.send(t); !ok || lo != playoutNone {
		t.Fatalf("clean uplink: playout delay %v (stamped %v), want %v (none) sent", lo, ok, playoutNone)
	}
	r.clk.Add(int64(time.Second))
	if lo, _, ok := r.send(t); !ok || lo != playoutNone {
		t.Fatalf("1 s clean: playout delay %v (stamped %v), want %v still", lo, ok, playoutNone)
	}
	r.clk.Add(int64(playoutNoneFor))
	if lo, _, ok := r.send(t); ok {
		t.Fatalf("%v clean: still stamped %v", playoutNoneFor+time.Second, lo)
	}
}

// TestPlayoutDelayOff: no stamp when the cap is 0 or the viewer did not
// negotiate the extension, repairs or not.
func TestPlayoutDelayOff(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit time.Duration
		id    uint8
	}{{"cap 0", 0, testPlayoutID}, {"not negotiated", 200 * time.Millisecond, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newPlayoutRig(t, tc.limit, tc.id)
			r.h.src.pad.History().NoteRepairs(40*time.Millisecond, r.clk.Load()+int64(time.Minute))
			for i := 0; i < 3; i++ {
				if lo, _, ok := r.send(t); ok {
					t.Fatalf("stamped %v", lo)
				}
			}
		})
	}
}

func TestPlayoutDelayFor(t *testing.T) {
	for _, tc := range []struct{ repair, limit, want time.Duration }{
		{0, time.Second, 40 * time.Millisecond},
		{35 * time.Millisecond, time.Second, 140 * time.Millisecond},
		{40 * time.Millisecond, time.Second, 160 * time.Millisecond},
		{300 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond},
	} {
		if got := PlayoutDelayFor(tc.repair, tc.limit); got != tc.want {
			t.Errorf("PlayoutDelayFor(%v, %v) = %v, want %v", tc.repair, tc.limit, got, tc.want)
		}
	}
}

// TestEgressPlayoutAllocatesNothing: stamping the playout delay next to
// the transport-wide number adds no allocation per packet to the fast path.
func TestEgressPlayoutAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (./dev runs this test without it)")
	}
	r := newFastRig(t, 5, srtpx.AEADAES128GCM)
	r.s.cfg.MaxPlayoutDelay = 200 * time.Millisecond // the worker runs on this goroutine
	for _, d := range r.ds {
		d.Bind(Binding{SSRC: d.SSRC(), Codecs: []CodecPT{{Codec: mediatest.VP8, PT: 96}}, Writer: nullWriter{},
			TWCCExtID: testTWCCID, PlayoutExtID: testPlayoutID})
	}
	r.pad.History().NoteRepairs(40*time.Millisecond, media.Monotime()+int64(time.Hour))
	for i := 0; i < media.DefaultHistorySlots+16; i++ {
		r.forward(t)
	}
	allocs := testing.AllocsPerRun(500, func() { r.forward(t) })
	if allocs != 0 {
		t.Errorf("the fast path stamping playout-delay allocates %.1f objects per packet", allocs)
	}
	if d := r.ds[0].PlayoutDelay(); d != 160*time.Millisecond {
		t.Errorf("playout delay %v, want 160ms", d)
	}
}
