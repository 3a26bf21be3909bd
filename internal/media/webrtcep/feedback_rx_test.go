package webrtcep

import (
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
// are not asked for, nor counted as asked: once a viewer gets the layer,
// what is still missing is asked for then, and its repair is timed from
// that ask. Counted as asked while suppressed, the repairs of asks never
// sent made the publisher's measured repair delay ~0.6 s at 10 % loss,
// and its viewer's layer was then asked for again only every second.
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

	rx.nack.Received(1)
	rx.nack.Received(3) // 2 lost while nobody gets the layer
	ep.collectNACKs(st, time.Now().Add(-600*time.Millisecond))
	if len(st.pkts) != 0 {
		t.Fatalf("NACKs for a layer nobody gets: %v", st.pkts)
	}

	// A viewer gets the layer now: 2 is asked for, and repaired soon after.
	ep.core.Source(media.Video).HistoryOf(1).MarkWanted(1)
	ep.collectNACKs(st, time.Now())
	if len(st.pkts) != 1 {
		t.Fatalf("%d NACKs, want 1", len(st.pkts))
	}
	n, ok := st.pkts[0].(*rtcp.TransportLayerNack)
	if !ok || n.MediaSSRC != ssrc || len(n.Nacks) != 1 || n.Nacks[0].PacketList()[0] != 2 || len(n.Nacks[0].PacketList()) != 1 {
		t.Fatalf("NACK %v, want packet 2 of %d", n, ssrc)
	}
	rx.nack.Received(2)
	if d := rx.nack.RepairDelay(); d > 100*time.Millisecond {
		t.Fatalf("repair delay %v, timed from an ask never sent (600 ms ago)", d)
	}
}
