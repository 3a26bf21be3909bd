package webrtcep

import (
	"slices"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/interceptor/nackgen"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
)

// TestNACKRetryOfPublisher: an endpoint that only receives (a publisher's)
// gets no reports, so it knows no round trip: its NACK retry interval is
// left to the repair delay each stream's nackgen.Log measures. It was the
// 100 ms default, and on a short lossy path the second ask for a packet
// whose NACK or repair was lost (~19 % at 10 % loss both ways) came after
// the viewer's jitter buffer had dropped the frame
// (nackgen.TestRepairsOnShortLossyPath).
func TestNACKRetryOfPublisher(t *testing.T) {
	eng := directEngine(t, Config{})
	lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, Link: &testpeer.Link{}})
	lp.peer.StartMedia()
	ssrc := lp.peer.SentSSRC(webrtc.RTPCodecTypeVideo)
	testutil.Eventually(t, 10*time.Second, "video received", func() bool {
		g := lp.ep.stats.Load()
		if g == nil {
			return false
		}
		st, ok := g.Inbound(ssrc)
		return ok && st.Packets > 50
	})
	time.Sleep(1200 * time.Millisecond) // a receiver report's tick
	if r := lp.ep.nackRetry(); r != 0 {
		t.Fatalf("retry interval %v for an endpoint that sends nothing, want 0 (none known)", r)
	}
}

// TestNACKsOfUnwatchedLayer: the losses of a simulcast layer no viewer gets
// are given up (a viewer that moves to it starts at a keyframe); those of
// a layer held back (its uplink congested) are not asked for meanwhile, nor
// counted as asked, and are asked for once it is wanted again, their
// repairs timed from that ask. Counted as asked while suppressed, the
// repairs of asks never sent made the publisher's measured repair delay
// ~0.6 s at 10 % loss, and its viewer's layer was then asked for again
// only every second.
func TestNACKsOfUnwatchedLayer(t *testing.T) {
	eng := directEngine(t, Config{})
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	ep, err := New(p, eng, Options{}, func(media.Event) {})
	if err != nil {
		t.Fatal(err)
	}
	const ssrc = 1000
	ep.simul.in[1].Store(&inboundStream{ssrc: ssrc, kind: media.Video, layer: 1})
	rx := &rxStream{w: ep, ssrc: ssrc, kind: media.Video, nack: &nackgen.Log{}}
	ep.direct.mu.Lock()
	ep.direct.all = append(ep.direct.all, rx)
	ep.direct.mu.Unlock()
	st := &rxFeedbackState{}
	asked := func(at time.Time) []uint16 {
		t.Helper()
		ep.collectNACKs(st, at)
		var seqs []uint16
		for _, p := range st.pkts {
			n, ok := p.(*rtcp.TransportLayerNack)
			if !ok || n.MediaSSRC != ssrc {
				t.Fatalf("unexpected %v", p)
			}
			for _, pair := range n.Nacks {
				seqs = append(seqs, pair.PacketList()...)
			}
		}
		return seqs
	}

	rx.nack.Received(1)
	rx.nack.Received(3) // 2 lost while nobody gets the layer
	if got := asked(time.Now().Add(-600 * time.Millisecond)); len(got) != 0 {
		t.Fatalf("NACKs for a layer nobody gets: %v", got)
	}
	ring := ep.core.Source(media.Video).HistoryOf(1)
	ring.MarkWanted(1) // a viewer gets the layer now
	rx.nack.Received(4)
	rx.nack.Received(6)
	if got := asked(time.Now()); !slices.Equal(got, []uint16{5}) {
		t.Fatalf("asked %v, want [5] (2 was given up)", got)
	}
	rx.nack.Received(5)

	ring.SetCongested(true) // held back: 8 is lost meanwhile
	rx.nack.Received(7)
	rx.nack.Received(9)
	if got := asked(time.Now().Add(-600 * time.Millisecond)); len(got) != 0 {
		t.Fatalf("NACKs for a congested layer: %v", got)
	}
	ring.SetCongested(false)
	if got := asked(time.Now()); !slices.Equal(got, []uint16{8}) {
		t.Fatalf("asked %v once wanted again, want [8]", got)
	}
	rx.nack.Received(8)
	if d := rx.nack.RepairDelay(); d > 100*time.Millisecond {
		t.Fatalf("repair delay %v, timed from an ask never sent (600 ms ago)", d)
	}
}
