package webrtcep

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

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
