package webrtcep

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
)

// TestRTX: with RTX negotiated (issue 15.4) both directions retransmit on
// the RTX SSRC. The Pion peer loses every tenth video packet on its way
// to the endpoint: our NACKs are answered with RTX, the repairs reach the
// pipeline (the echo has every packet), and each loss is asked for once
// (rtxnack: the NACK generator learns of the repair). The echo back is
// NACKed by the peer and arrives again as RTX. With and without the fast
// path (the Pion writer sends RTX on the same SSRCs).
func TestRTX(t *testing.T) {
	for _, tc := range []struct {
		name        string
		perEndpoint bool
	}{{"fast path", false}, {"Pion writer", true}} {
		t.Run(tc.name, func(t *testing.T) {
			eng, err := NewEngine(Config{LoopbackOnly: true, PerEndpointPorts: tc.perEndpoint, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true, RTX: true, AcceptReplays: true,
				DropVideo: func(seq uint16) bool { return seq%10 == 5 }})
			answer := lp.ep.LocalDescription()
			if !strings.Contains(answer, "rtx/90000") || !strings.Contains(answer, "apt=96") || !strings.Contains(answer, "a=ssrc-group:FID ") {
				t.Fatalf("answer without RTX:\n%s", answer)
			}
			lp.peer.StartMedia()
			// Inbound: every loss repaired over RTX; the echo has every packet.
			testutil.Eventually(t, 15*time.Second, "losses repaired", func() bool {
				if lp.peer.DroppedVideo() < 5 {
					return false
				}
				r := lp.peer.Received(webrtc.RTPCodecTypeVideo)
				_, sent := lp.peer.Sent()
				for n := uint32(1); n+10 < sent; n++ {
					if !r.Counters[n] {
						return false
					}
				}
				return true
			})
			// Each loss was resent, and asked for about once. A second ask
			// needs the repair to take longer than the NACK generator's
			// 100 ms or a loss on loopback (a packet not dropped on purpose
			// is asked for too), so the bound is 3 per loss on average:
			// without rtxnack the generator never sees an RTX repair and
			// asks for each loss 10 times.
			asked := lp.peer.DroppedVideo()
			testutil.Eventually(t, 10*time.Second, "a resend per loss", func() bool { return lp.peer.RTXSent() >= asked })
			time.Sleep(time.Second)  // time for asks again (none, or the generator's 10 per loss)
			rtx := lp.peer.RTXSent() // before dropped: every resend counted is of a loss counted
			dropped := lp.peer.DroppedVideo()
			t.Logf("%d packets lost, %d resent as RTX", dropped, rtx)
			if rtx > 3*dropped+2 {
				t.Errorf("%d packets lost, %d resent as RTX: want about one resend per loss", dropped, rtx)
			}
			// Outbound: a NACK for an echoed packet is answered on our RTX SSRC;
			// asked again while unanswered, as a receiver does (the NACK or the
			// retransmission can be lost on a loaded machine), each time for a
			// recent packet: the source's history keeps one second.
			nacked := map[uint16]bool{}
			var nackAt time.Time
			testutil.Eventually(t, 10*time.Second, "the RTX retransmission", func() bool {
				r := lp.peer.Received(webrtc.RTPCodecTypeVideo)
				times := map[uint16]int{}
				for _, s := range r.Seqs {
					if nacked[s] {
						if times[s]++; times[s] >= 2 && r.Repaired > 0 {
							return true
						}
					}
				}
				if time.Since(nackAt) >= 300*time.Millisecond {
					seq := r.Seqs[len(r.Seqs)-5]
					nacked[seq] = true
					if err := lp.peer.SendNACK(seq); err != nil {
						t.Fatal(err)
					}
					nackAt = time.Now()
				}
				return false
			})
		})
	}
}
