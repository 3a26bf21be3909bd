package webrtcep

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/testnet/impair"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
)

// TestDirectInboundLossyLink: an echo through a link that loses, delays
// and jitters packets both ways comes back whole: what the peer's uplink
// lost the endpoint asks for (its own NACK generator with DirectInbound,
// Pion's without), what the downlink lost the peer asks for and the egress
// resends, both as RTX. Every video packet the peer sent (but the last
// second's, still in repair) must reach it again, on either path.
func TestDirectInboundLossyLink(t *testing.T) {
	for _, direct := range []bool{true, false} {
		t.Run(fmt.Sprintf("direct=%v", direct), func(t *testing.T) {
			eng := directEngine(t, Config{})
			eng.cfg.DirectInbound = direct
			lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true, RTX: true, TWCC: true,
				Link: &testpeer.Link{}})
			if direct {
				testutil.Eventually(t, 10*time.Second, "the fast path", lp.ep.FastPath)
			}
			link := func(seed uint64) impair.Profile {
				return impair.Profile{Loss: 0.05, Delay: 40 * time.Millisecond, Jitter: 15 * time.Millisecond, Seed: seed}
			}
			if err := lp.peer.SetLink(testpeer.Link{Send: link(3), Recv: link(7)}); err != nil {
				t.Fatal(err)
			}
			lp.peer.StartMedia()
			if direct {
				testutil.Eventually(t, 10*time.Second, "the direct path", func() bool { return lp.ep.DirectInbound() == 1 })
			}
			// A fixed range, well behind what is sent when it is checked:
			// its repairs have had time to be asked for and to arrive.
			const first, last = 10, 250
			testutil.Eventually(t, 20*time.Second, "300 video packets sent", func() bool {
				_, sent := lp.peer.Sent()
				return sent >= last+50
			})
			var missing []uint32
			deadline := time.Now().Add(20 * time.Second)
			for {
				got := lp.peer.Received(webrtc.RTPCodecTypeVideo).Counters
				missing = missing[:0]
				for c := uint32(first); c < last; c++ {
					if !got[c] {
						missing = append(missing, c)
					}
				}
				if len(missing) == 0 {
					break
				}
				if time.Now().After(deadline) {
					up, down := lp.peer.LinkStats()
					st, _ := lp.ep.stats.Load().Inbound(lp.peer.SentSSRC(webrtc.RTPCodecTypeVideo))
					t.Fatalf("%d video packets never echoed: %v; link: sent %+v, received %+v; server in %+v; peer RTX sent %d",
						len(missing), missing, up, down, st, lp.peer.RTXSent())
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
