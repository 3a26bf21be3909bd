package kms_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// TestGenerateOfferFlow: the server offers, the peer answers (the flow of
// KMS's recvonly players and of the room server's "prepare" step).
func TestGenerateOfferFlow(t *testing.T) {
	leakCheck(t)
	s := startServer(t, loopbackConfig())
	ctx := context.Background()
	c := dial(t, s.URL)
	p, _ := c.CreatePipeline(ctx)
	ep, err := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	peer := newPeer(t, testpeer.Options{SendAudio: true, SendVideo: true, RecvAudio: true, RecvVideo: true})
	if _, err := ep.OnIceCandidateFound(ctx, func(e wire.IceCandidateFound) {
		_ = peer.AddRemoteCandidate(e.Candidate.Candidate, e.Candidate.SdpMid, e.Candidate.SdpMLineIndex)
	}); err != nil {
		t.Fatal(err)
	}
	offer, err := ep.GenerateOffer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Errors of the offer/answer state machine.
	if _, err := ep.ProcessOffer(ctx, offer); !kurento.IsCode(err, wire.ErrSDPAlreadyNegotiated) {
		t.Errorf("processOffer after generateOffer: %v, want 40208", err)
	}
	answer, err := peer.Answer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ep.ProcessAnswer(ctx, answer); err != nil {
		t.Fatal(err)
	}
	if _, err := ep.ProcessAnswer(ctx, answer); !kurento.IsCode(err, wire.ErrSDPAnswerAlreadyProcessed) {
		t.Errorf("second processAnswer: %v, want 40210", err)
	}
	if err := ep.GatherCandidates(ctx); err != nil {
		t.Fatal(err)
	}
	cands, _ := peer.WaitCandidates(5 * time.Second)
	for _, cd := range cands {
		if err := ep.AddIceCandidate(ctx, cd.Candidate, *cd.SDPMid, int(*cd.SDPMLineIndex)); err != nil {
			t.Fatal(err)
		}
	}
	if err := peer.WaitConnected(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := ep.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	peer.StartMedia()
	testutil.Eventually(t, 10*time.Second, "echoed video and audio", func() bool {
		return peer.Received(webrtc.RTPCodecTypeVideo).Marked > 20 && peer.Received(webrtc.RTPCodecTypeAudio).Marked > 20
	})
	local, err := ep.LocalSessionDescriptor(ctx)
	if err != nil || local != offer {
		t.Errorf("getLocalSessionDescriptor = %.40q, %v", local, err)
	}
}

// TestNegotiationErrors checks the 402xx/404xx errors of bad SDP and ICE use.
func TestNegotiationErrors(t *testing.T) {
	leakCheck(t)
	s := startServer(t, loopbackConfig())
	ctx := context.Background()
	c := dial(t, s.URL)
	p, _ := c.CreatePipeline(ctx)
	ep, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	cases := []struct {
		name string
		call func() error
		code int
	}{
		{"empty offer", func() error { _, err := ep.ProcessOffer(ctx, ""); return err }, wire.ErrSDPParse},
		{"garbage offer", func() error { _, err := ep.ProcessOffer(ctx, "v=0\r\nthis is not sdp"); return err }, wire.ErrSDPParse},
		{"offer without DTLS", func() error {
			_, err := ep.ProcessOffer(ctx, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n")
			return err
		}, wire.ErrSDPParse},
		{"answer without offer", func() error { _, err := ep.ProcessAnswer(ctx, "v=0"); return err }, wire.ErrSDPNotOfferGenerated},
		{"bad candidate", func() error { return ep.AddIceCandidate(ctx, "candidate:garbage", "0", 0) }, wire.ErrICEAddCandidate},
		{"no local sdp", func() error { _, err := ep.LocalSessionDescriptor(ctx); return err }, wire.ErrSDPNoLocalSDP},
		{"keyframe without video", func() error { return ep.RequestKeyframe(ctx) }, wire.ErrOperationNotSupported},
	}
	for _, tc := range cases {
		if err := tc.call(); !kurento.IsCode(err, tc.code) {
			t.Errorf("%s: error %v, want code %d", tc.name, err, tc.code)
		}
	}
	// Accepted at any time: an end-of-candidates marker, a candidate before the offer.
	if err := ep.AddIceCandidate(ctx, "", "", 0); err != nil {
		t.Errorf("empty candidate: %v", err)
	}
	if err := ep.AddIceCandidate(ctx, "candidate:1 1 udp 2130706431 127.0.0.1 9999 typ host", "0", 0); err != nil {
		t.Errorf("candidate before offer: %v", err)
	}
	peer := newPeer(t, testpeer.Options{SendVideo: true, RecvVideo: true})
	offer, _ := peer.Offer()
	if _, err := ep.ProcessOffer(ctx, offer); err != nil {
		t.Fatal(err)
	}
	if _, err := ep.ProcessOffer(ctx, offer); !kurento.IsCode(err, wire.ErrSDPAlreadyNegotiated) {
		t.Errorf("second offer: %v, want 40208", err)
	}
	if _, err := ep.GenerateOffer(ctx); !kurento.IsCode(err, wire.ErrSDPAlreadyNegotiated) {
		t.Errorf("generateOffer after processOffer: %v, want 40208", err)
	}
	// Data channels were not enabled.
	if err := ep.Invoke(ctx, "createDataChannel", map[string]any{}, nil); !kurento.IsCode(err, wire.ErrOperationNotSupported) {
		t.Errorf("createDataChannel without useDataChannels: %v", err)
	}
	// Defaults of every KMS property.
	for prop, want := range map[string]any{"MaxVideoRecvBandwidth": 0.0, "MaxAudioRecvBandwidth": 0.0, "MinVideoRecvBandwidth": 0.0,
		"MinVideoSendBandwidth": 100.0, "MaxVideoSendBandwidth": 4000.0, "Mtu": 1200.0, "StunServerAddress": "", "StunServerPort": 3478.0,
		"TurnUrl": "", "NetworkInterfaces": "", "ExternalIPv4": "", "ExternalIPv6": "", "IceTcp": false,
		"MediaState": "DISCONNECTED", "ConnectionState": "DISCONNECTED", "EncoderBitrate": 300000.0} {
		var got any
		if err := ep.Invoke(ctx, "get"+prop, nil, &got); err != nil || got != want {
			t.Errorf("get%s = %v (%v), want %v", prop, got, err, want)
		}
	}
	if err := ep.SetIntProperty(ctx, "maxVideoRecvBandwidth", 2000); err != nil {
		t.Fatal(err)
	}
	var bw int
	if err := ep.Invoke(ctx, "getMaxVideoRecvBandwidth", nil, &bw); err != nil || bw != 2000 {
		t.Errorf("maxVideoRecvBandwidth = %d, %v", bw, err)
	}
}

// TestFanOut: publisher → PassThrough → 5 subscribers; every subscriber
// gets the publisher's packets; a subscriber's PLI reaches the publisher;
// subscriber REMBs reach the publisher clamped to the send limits: the
// best-served one by default (issue 15.3), the lowest with
// publisherFeedback "lowest" (KMS).
func TestFanOut(t *testing.T) {
	for _, policy := range []string{"best", "lowest"} {
		t.Run(policy, func(t *testing.T) { testFanOut(t, policy) })
	}
}

func testFanOut(t *testing.T, policy string) {
	leakCheck(t)
	cfg := loopbackConfig()
	cfg.WebRTC.Video.PublisherFeedback = policy
	s := startServer(t, cfg)
	ctx := context.Background()
	c := dial(t, s.URL)
	p, _ := c.CreatePipeline(ctx)
	pub, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	hub, err := p.CreatePassThrough(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Connect(ctx, hub, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	publisher := newPeer(t, testpeer.Options{SendAudio: true, SendVideo: true, PeerID: 7})
	connectPeer(t, ctx, pub, publisher, nil)
	publisher.StartMedia()
	if policy == "best" {
		// Nobody downstream yet: the ceiling, not a minimum.
		testutil.Eventually(t, 10*time.Second, "ceiling REMB at the publisher", func() bool { return publisher.LastREMB() == 4_000_000 })
	}

	var subs []*testpeer.Peer
	for i := 0; i < 5; i++ {
		ep, err := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := ep.SetIntProperty(ctx, "maxVideoSendBandwidth", 400); err != nil {
			t.Fatal(err)
		}
		// REMB only: what each can take is its REMB, not a send-side
		// estimate that a loaded machine's delays push below the limits.
		peer := newPeer(t, testpeer.Options{RecvAudio: true, RecvVideo: true, REMBOnly: true})
		connectPeer(t, ctx, ep, peer, nil)
		if sdp := peer.PC.RemoteDescription().SDP; strings.Contains(sdp, "transport-cc") {
			t.Fatalf("transport-cc negotiated with a REMB-only peer:\n%s", sdp)
		}
		if err := hub.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, peer)
	}
	for i, sub := range subs {
		testutil.Eventually(t, 10*time.Second, "subscriber media", func() bool {
			return sub.Received(webrtc.RTPCodecTypeVideo).Senders[7] >= 20 && sub.Received(webrtc.RTPCodecTypeAudio).Senders[7] >= 20
		})
		if r := sub.Received(webrtc.RTPCodecTypeVideo); r.Marked != r.Packets {
			t.Errorf("subscriber %d got %d foreign packets", i, r.Packets-r.Marked)
		}
	}
	// Keyframe requests travel upstream (throttled, so wait past the interval).
	// The subscriber asks again every second meanwhile, as a browser does:
	// one PLI sent once can be lost on a loaded machine.
	before := publisher.KeyframeRequests()
	time.Sleep(400 * time.Millisecond)
	var pliAt time.Time
	testutil.Eventually(t, 10*time.Second, "PLI at the publisher", func() bool {
		if time.Since(pliAt) >= time.Second {
			if err := subs[2].SendPLI(); err != nil {
				t.Fatal(err)
			}
			pliAt = time.Now()
		}
		return publisher.KeyframeRequests() > before
	})
	// Receiver estimates, one of them low. Browsers repeat theirs (about
	// once a second); so do the subscribers here while a test waits on
	// them: one REMB sent once can be lost on a loaded machine.
	remb := []float32{900_000, 900_000, 900_000, 250_000, 900_000}
	sendREMBs := func() {
		for i, sub := range subs {
			if err := sub.SendREMB(remb[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	rembEventually := func(what string, cond func() bool) {
		t.Helper()
		last := time.Now()
		testutil.Eventually(t, 10*time.Second, what, func() bool {
			if time.Since(last) >= 250*time.Millisecond {
				sendREMBs()
				last = time.Now()
			}
			return cond()
		})
	}
	sendREMBs()
	if policy == "best" {
		// The weak viewer does not drag the publisher: the best-served one's
		// estimate, capped by its maxVideoSendBandwidth, reaches it.
		rembEventually("best REMB at the publisher", func() bool { return publisher.LastREMB() == 400_000 })
		time.Sleep(1200 * time.Millisecond) // one more report
		if got := publisher.LastREMB(); got != 400_000 {
			t.Errorf("REMB at the publisher = %d, want 400000 (the weak viewer's 250000 must not count)", got)
		}
		// KMS's receive limits on the publisher's endpoint still apply.
		if err := pub.SetIntProperty(ctx, "maxVideoRecvBandwidth", 300); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 10*time.Second, "REMB capped by maxVideoRecvBandwidth", func() bool { return publisher.LastREMB() == 300_000 })
		if err := pub.SetIntProperty(ctx, "maxVideoRecvBandwidth", 0); err != nil {
			t.Fatal(err)
		}
		if err := pub.SetIntProperty(ctx, "minVideoRecvBandwidth", 700); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 10*time.Second, "REMB floored by minVideoRecvBandwidth", func() bool { return publisher.LastREMB() == 700_000 })
	} else {
		rembEventually("REMB at the publisher", func() bool { return publisher.LastREMB() == 250_000 })
		remb[3] = 5_000_000
		sendREMBs()
		rembEventually("REMB capped by maxVideoSendBandwidth", func() bool { return publisher.LastREMB() == 400_000 })
	}
	conns, err := hub.SinkConnections(ctx, wire.MediaVideo)
	if err != nil || len(conns) != 5 {
		t.Fatalf("hub video sinks = %d, %v", len(conns), err)
	}
}

// TestSourceReplacement: a subscriber switched from one publisher to another
// keeps one SSRC and continuous sequence numbers.
func TestSourceReplacement(t *testing.T) {
	leakCheck(t)
	s := startServer(t, loopbackConfig())
	ctx := context.Background()
	c := dial(t, s.URL)
	p, _ := c.CreatePipeline(ctx)
	var pubs []*kurento.WebRtcEndpoint
	for i := 1; i <= 2; i++ {
		ep, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
		peer := newPeer(t, testpeer.Options{SendVideo: true, PeerID: uint32(i)})
		connectPeer(t, ctx, ep, peer, nil)
		peer.StartMedia()
		pubs = append(pubs, ep)
	}
	subEp, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	sub := newPeer(t, testpeer.Options{RecvVideo: true})
	connectPeer(t, ctx, subEp, sub, nil)
	video := kurento.ConnectOptions{MediaType: wire.MediaVideo}
	if err := pubs[0].Connect(ctx, subEp, video); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "media from publisher 1", func() bool { return sub.Received(webrtc.RTPCodecTypeVideo).Senders[1] >= 15 })
	if err := pubs[1].Connect(ctx, subEp, video); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "media from publisher 2", func() bool { return sub.Received(webrtc.RTPCodecTypeVideo).Senders[2] >= 15 })
	r := sub.Received(webrtc.RTPCodecTypeVideo)
	for i := 1; i < len(r.Seqs); i++ {
		// Loss or a retransmission on loopback may leave a small gap; a
		// source switch without rewriting jumps by thousands.
		if d := int16(r.Seqs[i] - r.Seqs[i-1]); d < -3 || d > 3 || d == 0 {
			t.Fatalf("sequence jump %d → %d at packet %d after the source switch", r.Seqs[i-1], r.Seqs[i], i)
		}
	}
	// Only one source per sink pad: publisher 1 no longer feeds the subscriber.
	srcs, _ := subEp.SourceConnections(ctx, wire.MediaVideo)
	if len(srcs) != 1 || srcs[0].Source != pubs[1].ID() {
		t.Fatalf("sources after replacement = %+v", srcs)
	}
}

// TestDataChannels: with useDataChannels, messages on the peer's data
// channel come back through a DATA loopback, with events and stats.
func TestDataChannels(t *testing.T) {
	leakCheck(t)
	s := startServer(t, loopbackConfig())
	ctx := context.Background()
	c := dial(t, s.URL)
	p, _ := c.CreatePipeline(ctx)
	ep, err := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{UseDataChannels: true})
	if err != nil {
		t.Fatal(err)
	}
	opened := make(chan wire.DataChannelEvent, 4)
	if _, err := kurento.On(ctx, ep, "DataChannelOpened", func(e wire.DataChannelEvent) { opened <- e }); err != nil {
		t.Fatal(err)
	}
	if err := ep.Connect(ctx, ep, kurento.ConnectOptions{MediaType: wire.MediaData}); err != nil {
		t.Fatal(err)
	}
	peer := newPeer(t, testpeer.Options{SendAudio: true, RecvAudio: true, DataChannel: true})
	connectPeer(t, ctx, ep, peer, nil)
	select {
	case <-opened:
	case <-time.After(10 * time.Second):
		t.Fatal("no DataChannelOpened")
	}
	if err := peer.SendData("hello kurento", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-peer.DataIn:
		if msg != "hello kurento" {
			t.Fatalf("echo = %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("data message not echoed")
	}
	st, err := ep.Stats(ctx, wire.MediaData)
	if err != nil {
		t.Fatal(err)
	}
	var sawSession, sawChannel bool
	for _, raw := range st {
		var e struct {
			Type               string
			DataChannelsOpened int64
			MessagesReceived   int64
			Label              string
		}
		_ = json.Unmarshal(raw, &e)
		switch e.Type {
		case wire.StatsSession:
			sawSession = e.DataChannelsOpened == 1
		case wire.StatsDataChannel:
			sawChannel = e.Label == "test" && e.MessagesReceived == 1
		}
	}
	if !sawSession || !sawChannel {
		t.Errorf("data channel stats = %v", st)
	}
	if err := ep.Invoke(ctx, "createDataChannel", map[string]any{"label": "server-made"}, nil); err != nil {
		t.Errorf("createDataChannel: %v", err)
	}
}

// TestNACKRetransmission: a receiver's NACK is answered from the send buffer.
func TestNACKRetransmission(t *testing.T) {
	leakCheck(t)
	s := startServer(t, loopbackConfig())
	ctx := context.Background()
	c := dial(t, s.URL)
	p, _ := c.CreatePipeline(ctx)
	ep, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	peer := newPeer(t, testpeer.Options{SendVideo: true, RecvVideo: true, AcceptReplays: true})
	connectPeer(t, ctx, ep, peer, nil)
	if err := ep.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	peer.StartMedia()
	testutil.Eventually(t, 10*time.Second, "video", func() bool { return len(peer.Received(webrtc.RTPCodecTypeVideo).Seqs) > 10 })
	seq := peer.Received(webrtc.RTPCodecTypeVideo).Seqs[5]
	var nackAt time.Time
	testutil.Eventually(t, 10*time.Second, "the retransmission", func() bool {
		n := 0
		for _, s := range peer.Received(webrtc.RTPCodecTypeVideo).Seqs {
			if s == seq {
				n++
			}
		}
		// Asked again while unanswered, as a receiver does: the NACK or the
		// retransmission can be lost on a loaded machine.
		if n < 2 && time.Since(nackAt) >= 300*time.Millisecond {
			if err := peer.SendNACK(seq); err != nil {
				t.Fatal(err)
			}
			nackAt = time.Now()
		}
		return n >= 2
	})
	st, _ := ep.Stats(ctx, wire.MediaVideo)
	if out := st.Outbound(); len(out) != 1 || out[0].NackCount < 1 {
		t.Errorf("outbound nackCount = %+v", out)
	}
}
