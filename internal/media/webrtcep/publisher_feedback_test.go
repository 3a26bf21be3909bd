package webrtcep

import (
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/interceptor/rtpstats"
)

// TestUplinkCongestionCapsREMB: a publisher whose uplink loses most of what
// it sends over a monitor tick gets a REMB of 85 % of what got through at
// once (Chrome's own estimate took 1–1.5 s to fall after the drop to 600
// kbit/s); 10 % of random loss leaves the REMB alone; the cap holds while
// the loss goes on and uplinkHold after.
func TestUplinkCongestionCapsREMB(t *testing.T) {
	w := newBareEndpoint(t)
	f, err := rtpstats.NewRecorderFactory(rtpstats.OnNew(w.stats.Store))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewInterceptor(""); err != nil {
		t.Fatal(err)
	}
	w.in[media.Video].Store(&inboundStream{ssrc: 7, kind: media.Video, layer: -1})
	ceiling := w.publisherREMB()
	seq := uint16(0)
	// tick sends 250 ms of 2 Mbit/s (60 packets of 1000 bytes), losing
	// every packet for which lose is true, then runs the watch.
	now := int64(time.Hour)
	tick := func(lose func(i int) bool) bool {
		for i := 0; i < 60; i++ {
			seq++
			if !lose(i) {
				w.stats.Load().RecordInbound(7, 90000, &rtp.Header{SequenceNumber: seq, SSRC: 7}, 1000)
			}
		}
		now += int64(250 * time.Millisecond)
		return w.watchUplink(now)
	}
	none := func(int) bool { return false }
	tick(none)
	for range 8 {
		if tick(func(i int) bool { return i%10 == 3 }) {
			t.Fatal("10 % random loss capped the REMB")
		}
	}
	if got := w.uplinkCap(now); got != 0 {
		t.Fatalf("cap %d under random loss", got)
	}
	if !tick(func(i int) bool { return i%4 != 0 }) { // 75 % lost: 15 packets got through, 480 kbit/s
		t.Fatal("75 % loss did not cap the REMB")
	}
	want := uint64(15 * (1000 + uplinkHeader) * 8 * 4 * uplinkBackoff)
	if got := w.publisherREMB(); got < want*95/100 || got > want*105/100 {
		t.Fatalf("REMB %d under 75 %% loss, want ~%d (ceiling %d)", got, want, ceiling)
	}
	for range 4 { // 1 s without loss: the cap holds
		tick(none)
	}
	if got := w.uplinkCap(now); got == 0 {
		t.Fatal("the cap was lifted 1 s after the loss")
	}
	for range 5 {
		tick(none)
	}
	if got := w.publisherREMB(); got != ceiling {
		t.Errorf("REMB %d 2.25 s after the loss, want the ceiling %d again", got, ceiling)
	}
}

// newBareEndpoint is an endpoint in a pipeline of its own, without a peer:
// its feedback paths are driven by hand.
func newBareEndpoint(t *testing.T) *Endpoint {
	t.Helper()
	eng := newEngine(t)
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	w, err := New(p, eng, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Release)
	return w
}
