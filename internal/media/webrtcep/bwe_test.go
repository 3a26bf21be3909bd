package webrtcep

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
)

// TestSendSideBWE: a Pion receiver that negotiated transport-cc (as
// browsers do) gets every packet stamped with a transport-wide sequence
// number and returns feedback; the endpoint's estimator turns it into the
// sink's estimate: in getStats (targetBitrate), in the demand its
// publisher's REMB follows, within min/maxVideoSendBandwidth.
func TestSendSideBWE(t *testing.T) {
	eng := newEngine(t)
	lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true, SendAudio: true, RecvAudio: true})
	if !strings.Contains(lp.ep.LocalDescription(), "transport-wide-cc") {
		t.Fatal("transport-cc not negotiated")
	}
	if lp.ep.bwe == nil {
		t.Fatal("no estimator")
	}
	lp.peer.StartMedia()
	testutil.Eventually(t, 10*time.Second, "an estimate from transport-cc feedback", func() bool {
		return lp.ep.bwe.TargetBitrate() > 0 && lp.ep.tx.Estimate() == lp.ep.bwe.TargetBitrate()
	})
	if s := lp.ep.bwe.State(); s == nil || s.Feedbacks == 0 || s.UnknownSeq > s.Feedbacks {
		t.Errorf("estimator state %+v", s)
	}
	// The receiver's reports give the estimator the round trip (loopback: well under 100 ms).
	testutil.Eventually(t, 10*time.Second, "the round trip in the estimator", func() bool {
		s := lp.ep.bwe.State()
		return s != nil && s.RTT > 0 && s.RTT < 100*time.Millisecond
	})
	video := media.Video
	testutil.Eventually(t, 10*time.Second, "targetBitrate in getStats", func() bool {
		for _, s := range lp.ep.Stats(&video).RTP {
			if !s.Inbound && s.TargetBitrate > 0 {
				return true
			}
		}
		return false
	})
	// KMS's send limits bound the sink's estimate.
	b := lp.ep.Bandwidths()
	b.MaxVideoSend = 150
	lp.ep.SetBandwidths(b)
	sink := lp.ep.Core().Sink(media.Video)
	testutil.Eventually(t, 10*time.Second, "the estimate within maxVideoSendBandwidth", func() bool {
		return lp.ep.BitrateDemand(sink) == 150_000 && lp.ep.BitrateEstimate(sink) == 150_000
	})
	if r := lp.peer.Received(webrtc.RTPCodecTypeVideo); r.Marked != r.Packets || r.Packets == 0 {
		t.Errorf("video: %d of %d packets intact", r.Marked, r.Packets)
	}
}

// TestViewerStartBudget: before a viewer that negotiated transport-cc has
// sent any feedback, its layer budget is the estimator's start rate (not
// the ceiling, which sent the top layer's keyframe into a 600 kbit/s link),
// within maxVideoSendBandwidth; once feedback arrives, the estimate.
func TestViewerStartBudget(t *testing.T) {
	eng := newEngine(t)
	lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true})
	tr := lp.ep.tracks[media.Video]
	testutil.Eventually(t, 10*time.Second, "the video track bound with transport-cc", tr.dt.TransportCC)
	if got := lp.ep.bwe.TargetBitrate(); got != 0 {
		t.Fatalf("an estimate (%d) before any media was sent", got)
	}
	budget := tr.layerBudget()
	start := lp.ep.bwe.StartBitrate()
	ceiling := uint64(lp.ep.Bandwidths().MaxVideoSend) * 1000
	if start == 0 || ceiling != 0 && start >= ceiling {
		t.Fatalf("start %d, ceiling %d: the test needs a start below the ceiling", start, ceiling)
	}
	if got := budget.Estimate(time.Now().UnixNano()); got != start {
		t.Errorf("budget before feedback %d, want the start rate %d (ceiling %d)", got, start, ceiling)
	}
	b := lp.ep.Bandwidths()
	b.MaxVideoSend = int(start / 2000)
	lp.ep.SetBandwidths(b)
	if got := budget.Estimate(time.Now().UnixNano()); got != start/2000*1000 {
		t.Errorf("budget before feedback %d, want maxVideoSendBandwidth %d", got, start/2000*1000)
	}
	lp.peer.StartMedia()
	testutil.Eventually(t, 10*time.Second, "the budget from the estimate once feedback arrived", func() bool {
		return lp.ep.bwe.TargetBitrate() > 0 && budget.Estimate(time.Now().UnixNano()) == tr.videoEstimate()
	})
}
