package webrtcep

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/egress"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
)

// loopPeer is an endpoint connected to itself and the Pion peer playing
// the browser: what the peer sends comes back.
type loopPeer struct {
	ep   *Endpoint
	peer *testpeer.Peer
}

// connectLoop negotiates ep with a new test peer (the peer offers),
// exchanges candidates and connects the endpoint to itself.
func connectLoop(t *testing.T, eng *Engine, opts testpeer.Options) *loopPeer {
	t.Helper()
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	peer, err := testpeer.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peer.Close)
	var mu sync.Mutex
	answered := false
	var early []IceCandidateFound
	ep, err := New(p, eng, Options{}, func(e media.Event) {
		c, ok := e.(IceCandidateFound)
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !answered {
			early = append(early, c)
			return
		}
		_ = peer.AddRemoteCandidate(c.Candidate, c.SdpMid, c.SdpMLineIndex)
	})
	if err != nil {
		t.Fatal(err)
	}
	offer, err := peer.Offer()
	if err != nil {
		t.Fatal(err)
	}
	cands, err := peer.WaitCandidates(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := ep.ProcessOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.SetAnswer(answer); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	answered = true
	for _, c := range early {
		_ = peer.AddRemoteCandidate(c.Candidate, c.SdpMid, c.SdpMLineIndex)
	}
	mu.Unlock()
	for _, c := range cands {
		if err := ep.AddIceCandidate(Candidate{Candidate: c.Candidate, SdpMid: *c.SDPMid, SdpMLineIndex: int(*c.SDPMLineIndex)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ep.GatherCandidates(); err != nil {
		t.Fatal(err)
	}
	if err := peer.WaitConnected(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		if err := media.Connect(ep, ep, mt, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
	}
	return &loopPeer{ep: ep, peer: peer}
}

// TestFastPath: with the single UDP port the egress encrypts and sends an
// endpoint's packets itself, for every SRTP profile, and a Pion receiver
// decrypts all of them — also across a rollover-counter wrap (the output
// starts at sequence number 65500) and for a NACK answered after the wrap
// with a packet sent before it (the old ROC).
func TestFastPath(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile dtls.SRTPProtectionProfile
	}{
		{"gcm128", dtls.SRTP_AEAD_AES_128_GCM},
		{"gcm256", dtls.SRTP_AEAD_AES_256_GCM},
		{"cm80", dtls.SRTP_AES128_CM_HMAC_SHA1_80},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := uint16(65500)
			eng, err := NewEngine(Config{LoopbackOnly: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Egress: egress.Config{TestInitialSeq: &start}})
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true, SendAudio: true, RecvAudio: true,
				AcceptReplays: true, SRTPProfiles: []dtls.SRTPProtectionProfile{tc.profile}})
			lp.peer.StartMedia()
			testutil.Eventually(t, 10*time.Second, "the fast path", lp.ep.FastPath)
			// 30 video packets/s from 65500: past the wrap within ~2 s.
			var before uint16
			testutil.Eventually(t, 10*time.Second, "video across the wrap", func() bool {
				r := lp.peer.Received(webrtc.RTPCodecTypeVideo)
				wrapped := 0
				for _, s := range r.Seqs {
					if s >= start && s > before {
						before = s // the last before the wrap: still in the 1 s history
					}
					if s < 100 {
						wrapped++
					}
				}
				return before != 0 && wrapped >= 3 && r.Marked == r.Packets
			})
			a := lp.peer.Received(webrtc.RTPCodecTypeAudio)
			if a.Marked == 0 || a.Marked != a.Packets {
				t.Errorf("audio: %d of %d packets decrypted and intact", a.Marked, a.Packets)
			}
			// A NACK for a packet of before the wrap, answered after it; asked
			// again while unanswered, as a receiver does (the NACK or the
			// retransmission can be lost on a loaded machine).
			var nackAt time.Time
			testutil.Eventually(t, 10*time.Second, "the retransmission of a pre-wrap packet", func() bool {
				n := 0
				for _, s := range lp.peer.Received(webrtc.RTPCodecTypeVideo).Seqs {
					if s == before {
						n++
					}
				}
				if n < 2 && time.Since(nackAt) >= 300*time.Millisecond {
					if err := lp.peer.SendNACK(before); err != nil {
						t.Fatal(err)
					}
					nackAt = time.Now()
				}
				return n >= 2
			})
			var sent, calls uint64
			for _, c := range eng.udp.conns {
				st := c.Stats()
				sent, calls = sent+st.DatagramsSent, calls+st.BatchCalls
			}
			if calls == 0 {
				t.Errorf("no batched send on the single port (%d datagrams)", sent)
			}
		})
	}
}

// TestFastPathPerEndpointPorts: with a port per endpoint the egress keeps
// Pion's writer, and media flows.
func TestFastPathPerEndpointPorts(t *testing.T) {
	eng, err := NewEngine(Config{LoopbackOnly: true, PerEndpointPorts: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	lp := connectLoop(t, eng, testpeer.Options{SendVideo: true, RecvVideo: true})
	lp.peer.StartMedia()
	testutil.Eventually(t, 10*time.Second, "echoed video", func() bool {
		return lp.peer.Received(webrtc.RTPCodecTypeVideo).Marked > 10
	})
	if lp.ep.FastPath() {
		t.Error("fast path on without the single port")
	}
}
