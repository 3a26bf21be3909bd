package webrtcep

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/srtpx"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/internal/udpx"
)

func directEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	cfg.LoopbackOnly, cfg.DirectInbound = true, true
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	eng, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}

// taken is how many datagrams the endpoint's handlers took from the single port.
func taken(eng *Engine) uint64 {
	var n uint64
	for _, c := range eng.udp.conns {
		n += c.Stats().DatagramsTaken
	}
	return n
}

// echoed waits until the peer got more intact echoed video and audio than it had.
func echoed(t *testing.T, lp *loopPeer, what string) {
	t.Helper()
	v0, a0 := lp.peer.Received(webrtc.RTPCodecTypeVideo).Marked, lp.peer.Received(webrtc.RTPCodecTypeAudio).Marked
	testutil.Eventually(t, 10*time.Second, what, func() bool {
		v, a := lp.peer.Received(webrtc.RTPCodecTypeVideo), lp.peer.Received(webrtc.RTPCodecTypeAudio)
		return v.Marked >= v0+20 && a.Marked >= a0+20 && v.Marked == v.Packets && a.Marked == a.Packets
	})
}

// TestDirectInbound: with DirectInbound, an endpoint on the fast path
// reads its received media from the single port itself, for every SRTP
// profile: the echo arrives intact; its statistics count it; receiver
// reports and transport-cc feedback reach the sender. When the path leaves
// the single port the streams fall back to Pion's path, and when it comes
// back after the sender's sequence numbers wrapped (while Pion had the
// stream), the direct path carries the rollover counter over.
func TestDirectInbound(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile dtls.SRTPProtectionProfile
	}{
		{"gcm128", dtls.SRTP_AEAD_AES_128_GCM},
		{"gcm256", dtls.SRTP_AEAD_AES_256_GCM},
		{"cm80", dtls.SRTP_AES128_CM_HMAC_SHA1_80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := directEngine(t, Config{})
			// Video at 30 packets/s from 65400 wraps ~4.5 s after the start.
			lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true, SendAudio: true, RecvAudio: true,
				SRTPProfiles: []dtls.SRTPProtectionProfile{tc.profile}, InitialSeq: 65400, TWCC: true})
			lp.peer.StartMedia()
			testutil.Eventually(t, 10*time.Second, "the direct path", func() bool { return lp.ep.DirectInbound() == 2 })
			before := taken(eng)
			echoed(t, lp, "echo over the direct path")
			if taken(eng) < before+40 {
				t.Fatalf("the direct path took %d datagrams during the echo", taken(eng)-before)
			}

			// Statistics and feedback about what came the direct way.
			g := lp.ep.stats.Load()
			vssrc := lp.peer.SentSSRC(webrtc.RTPCodecTypeVideo)
			_, sentVideo := lp.peer.Sent()
			st, ok := g.Inbound(vssrc)
			if !ok || st.Packets+5 < uint64(sentVideo)*9/10 || st.Bytes == 0 {
				t.Errorf("inbound video stats %+v, peer sent %d", st, sentVideo)
			}
			testutil.Eventually(t, 10*time.Second, "receiver reports and transport-cc feedback", func() bool {
				f := lp.peer.Feedback()
				return f.HighestSeq[vssrc] > 65400 && f.TWCC > 5 && f.TWCCReceived > 50
			})

			// The pair leaves the single port: back to Pion's path.
			lp.ep.direct.unroute()
			if lp.ep.DirectInbound() != 0 {
				t.Fatal("streams still direct after the fallback")
			}
			echoed(t, lp, "echo through Pion after the fallback")
			// Past the wrap on Pion's path, then direct again.
			testutil.Eventually(t, 15*time.Second, "the sender's wrap", func() bool {
				_, v := lp.peer.Sent()
				return v > 200
			})
			pair, err := lp.ep.pcRef.Load().SCTP().Transport().ICETransport().GetSelectedCandidatePair()
			if err != nil || pair == nil {
				t.Fatal("no selected pair", err)
			}
			lp.ep.pairChanged(pair)
			if lp.ep.DirectInbound() != 2 {
				t.Fatal("streams not direct again")
			}
			before = taken(eng)
			echoed(t, lp, "echo over the direct path after the wrap")
			if taken(eng) < before+40 {
				t.Fatalf("the direct path took %d datagrams after the wrap", taken(eng)-before)
			}
			f := lp.peer.Feedback()
			if f.HighestSeq[vssrc] < 1<<16 {
				t.Errorf("receiver report's highest sequence number %#x, want past the wrap", f.HighestSeq[vssrc])
			}
		})
	}
}

// TestDirectInboundNACK: the endpoint's own NACK generator asks for video
// lost on the way in; the sender's retransmissions (RTX, which Pion
// unwraps) fill the gap.
func TestDirectInboundNACK(t *testing.T) {
	for _, rtx := range []bool{true, false} {
		name := map[bool]string{true: "rtx", false: "same-stream"}[rtx]
		t.Run(name, func(t *testing.T) {
			eng := directEngine(t, Config{})
			lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true, RTX: rtx, AcceptReplays: true,
				DropVideo: func(seq uint16) bool { return seq > 60 && seq%25 == 0 }})
			lp.peer.StartMedia()
			testutil.Eventually(t, 10*time.Second, "the direct path", func() bool { return lp.ep.DirectInbound() == 1 })
			vssrc := lp.peer.SentSSRC(webrtc.RTPCodecTypeVideo)
			// The peer's packet counter is its sequence number here, and
			// the echo carries it: every dropped one must come back.
			testutil.Eventually(t, 15*time.Second, "NACKs sent and the dropped packets repaired", func() bool {
				st, _ := lp.ep.stats.Load().Inbound(vssrc)
				got := lp.peer.Received(webrtc.RTPCodecTypeVideo).Counters
				_, sent := lp.peer.Sent()
				if lp.peer.DroppedVideo() < 3 || st.NACK < 3 {
					return false
				}
				for seq := uint32(75); seq+30 < sent; seq += 25 {
					if !got[seq] {
						t.Logf("missing %d; dropped %d, nacks %d, rtx %d, stats %+v", seq, lp.peer.DroppedVideo(), st.NACK, lp.peer.RTXSent(), st)
						return false
					}
				}
				return true
			})
			if rtx && lp.peer.RTXSent() == 0 {
				t.Error("no RTX sent")
			}
		})
	}
}

// TestDirectInboundNotProven: without the fast path (a port per endpoint)
// nothing is read directly, and the endpoint's own feedback still works.
func TestDirectInboundNotProven(t *testing.T) {
	eng := directEngine(t, Config{PerEndpointPorts: true})
	lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true, SendAudio: true, RecvAudio: true})
	lp.peer.StartMedia()
	echoed(t, lp, "echo through Pion")
	vssrc := lp.peer.SentSSRC(webrtc.RTPCodecTypeVideo)
	testutil.Eventually(t, 10*time.Second, "receiver reports", func() bool { return lp.peer.Feedback().HighestSeq[vssrc] > 20 })
	if lp.ep.FastPath() || lp.ep.DirectInbound() != 0 {
		t.Errorf("fast path %v, direct streams %d without the single port", lp.ep.FastPath(), lp.ep.DirectInbound())
	}
}

// TestDirectInboundRelease: releasing an endpoint removes its handler
// from the socket and leaves none of its goroutines behind.
func TestDirectInboundRelease(t *testing.T) {
	eng := directEngine(t, Config{})
	lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true})
	lp.peer.StartMedia()
	testutil.Eventually(t, 10*time.Second, "the direct path", func() bool { return lp.ep.DirectInbound() == 1 })
	lp.ep.Release()
	if lp.ep.DirectInbound() != 0 {
		t.Fatal("direct streams after release")
	}
	for _, c := range eng.udp.conns {
		if m := c.InboundHandlers(); m != 0 {
			t.Fatalf("%d inbound handlers left on the socket", m)
		}
	}
}

// TestDirectRouteMoves: a selected pair that moves to another remote
// address on the single port (NAT rebinding) moves the handler: one
// handler, at the new address; unroute removes it.
func TestDirectRouteMoves(t *testing.T) {
	c, err := udpx.Listen("udp4", "127.0.0.1:0", udpx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := srtpx.NewSession(srtpx.AEADAES128GCM, make([]byte, 16), make([]byte, 12))
	if err != nil {
		t.Fatal(err)
	}
	var d directIn
	a, b := c.Dest(netip.MustParseAddrPort("127.0.0.1:4000")), c.Dest(netip.MustParseAddrPort("127.0.0.1:4001"))
	d.route(a, sess)
	d.route(c.Dest(a.AddrPort()), sess) // the same address again: nothing moves
	d.route(b, sess)
	if n := c.InboundHandlers(); n != 1 || d.dest.AddrPort() != b.AddrPort() {
		t.Fatalf("%d handlers, at %v; want 1 at %v", n, d.dest.AddrPort(), b.AddrPort())
	}
	d.unroute()
	if n := c.InboundHandlers(); n != 0 {
		t.Fatalf("%d handlers after unroute", n)
	}
}

// TestDirectCloseDuringTick: a release while the feedback tick runs. The
// tick holds the ticker's lock while it reads an endpoint's streams
// (received); close once held the endpoint's lock while it waited for the
// ticker's, and both waited forever (seen under load: e2e
// TestChromiumFastPath's Release stuck in unregister, the tick in
// received, until the 10-minute test timeout).
func TestDirectCloseDuringTick(t *testing.T) {
	eng := directEngine(t, Config{})
	lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true})
	lp.peer.StartMedia()
	testutil.Eventually(t, 10*time.Second, "the direct path", func() bool { return lp.ep.DirectInbound() == 1 })
	eng.rx.mu.Lock() // a tick in progress
	closed := make(chan struct{})
	go func() {
		lp.ep.direct.close()
		close(closed)
	}()
	// close has begun (it empties the direct list under its lock) …
	testutil.Eventually(t, 10*time.Second, "close to start", func() bool { return lp.ep.DirectInbound() == 0 })
	// … and the tick reads the streams next.
	read := make(chan int, 1)
	go func() { read <- len(lp.ep.direct.received(nil)) }()
	select {
	case n := <-read:
		if n != 1 {
			t.Errorf("the tick read %d streams, want the 1 received", n)
		}
	case <-time.After(10 * time.Second):
		t.Error("the tick's read of the streams waits for a close that waits for the tick")
	}
	eng.rx.mu.Unlock()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("close did not return once the tick ended")
	}
	eng.rx.mu.Lock()
	_, still := eng.rx.eps[lp.ep]
	eng.rx.mu.Unlock()
	if still {
		t.Error("the closed endpoint is still in the feedback tick")
	}
}
