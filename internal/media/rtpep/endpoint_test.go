package rtpep

import (
	"encoding/base64"
	"errors"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/sdpneg"
)

const waitLong = 10 * time.Second

func TestTwoEndpointsBothWays(t *testing.T) {
	for _, tc := range []struct {
		name   string
		crypto [2]SDES
		ipv6   bool
	}{
		{"plain", [2]SDES{}, false},
		{"plain-ipv6", [2]SDES{}, true},
		{"sdes-128-80", [2]SDES{{Suite: "AES_128_CM_HMAC_SHA1_80"}, {Suite: "AES_128_CM_HMAC_SHA1_80"}}, false},
		{"sdes-128-32-given-key", [2]SDES{{Suite: "AES_128_CM_HMAC_SHA1_32", Key: "0123456789abcdef0123456789abcd"},
			{Suite: "AES_128_CM_HMAC_SHA1_32", KeyBase64: base64.StdEncoding.EncodeToString([]byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"))}}, false},
		{"sdes-256-80", [2]SDES{{Suite: "AES_256_CM_HMAC_SHA1_80"}, {Suite: "AES_256_CM_HMAC_SHA1_80"}}, false},
		{"sdes-256-32-ipv6", [2]SDES{{Suite: "AES_256_CM_HMAC_SHA1_32"}, {Suite: "AES_256_CM_HMAC_SHA1_32"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := testEngine(t, Config{})
			a, b := newRig(t, e, Options{Crypto: tc.crypto[0], IPv6: tc.ipv6}), newRig(t, e, Options{Crypto: tc.crypto[1], IPv6: tc.ipv6})
			pair(t, a.ep, b.ep, nil)
			if tc.ipv6 && !strings.Contains(a.ep.LocalDescription(), "c=IN IP6 ::1") {
				t.Fatalf("IPv6 offer:\n%s", a.ep.LocalDescription())
			}
			if tc.crypto[0].Enabled() && !strings.Contains(a.ep.LocalDescription(), "RTP/SAVP") {
				t.Fatalf("offer without SRTP:\n%s", a.ep.LocalDescription())
			}
			a.send(50)
			eventually(t, waitLong, "a → b", func() bool { return b.counter.Count() >= 100 })
			b.send(50)
			eventually(t, waitLong, "b → a", func() bool { return a.counter.Count() >= 100 })
			st := b.ep.Stats(media.Video)
			if st.AuthFailed != 0 || st.Received < 50 || !strings.EqualFold(st.Codec.MimeType, "video/VP8") {
				t.Fatalf("b video stats %+v", st)
			}
			for _, r := range []*rig{a, b} {
				r.events.WaitFor(t, media.ConnectionStateChanged{Connected: true}, waitLong)
				r.events.WaitFor(t, media.MediaSessionStarted{}, waitLong)
			}
		})
	}
}

// cryptoKey matches the key of a=crypto lines.
var cryptoKey = regexp.MustCompile(`inline:[A-Za-z0-9+/=]+`)

func TestSDESWrongKeyDecodesNothing(t *testing.T) {
	e := testEngine(t, Config{})
	a, b := newRig(t, e, Options{Crypto: SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}}), newRig(t, e, Options{Crypto: SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}})
	other := base64.StdEncoding.EncodeToString([]byte("this is not the key of a!!!!!!"))
	pair(t, a.ep, b.ep, func(offer string) string { return cryptoKey.ReplaceAllString(offer, "inline:"+other) })
	a.send(50)
	eventually(t, waitLong, "authentication failures at b", func() bool { return b.ep.Stats(media.Video).AuthFailed >= 50 })
	if n := b.counter.Count(); n != 0 {
		t.Fatalf("%d packets with the wrong key reached the pipeline", n)
	}
	b.send(20) // the other way the keys are right
	eventually(t, waitLong, "b → a", func() bool { return a.counter.Count() >= 40 })
}

// TestSymmetricRTP: an offer with c=0.0.0.0 (the rtp-receiver tutorial's)
// makes the endpoint send to where the remote packets come from.
func TestSymmetricRTP(t *testing.T) {
	e := testEngine(t, Config{})
	r := newRig(t, e, Options{})
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	offer := "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=tutorial\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n" +
		"m=video 5004 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=sendrecv\r\n"
	answer, err := r.ep.ProcessOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	port := answerPort(t, answer, "video")
	r.send(5) // nothing to send to yet: dropped
	dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	for i := 0; i < 10; i++ {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(i), Timestamp: uint32(i * 3000), SSRC: 77},
			Payload: mediatest.VP8Payload(i == 0, 100)}
		b, _ := p.Marshal()
		if _, err := peer.WriteToUDPAddrPort(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, waitLong, "packets in", func() bool { return r.counter.Count() >= 10 })
	r.send(5)
	buf := make([]byte, 1500)
	_ = peer.SetReadDeadline(time.Now().Add(waitLong))
	n, _, err := peer.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatalf("nothing sent back to the sender's address: %v", err)
	}
	var got rtp.Packet
	if err := got.Unmarshal(buf[:n]); err != nil || got.PayloadType != 96 || got.SSRC != r.ep.Stats(media.Video).SSRC {
		t.Fatalf("sent back %+v, %v", got.Header, err)
	}
}

func answerPort(t *testing.T, sdp, kind string) int {
	t.Helper()
	m, err := parseRemote(sdp, "answer")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range m {
		if x.media == kind && x.port != 0 {
			return x.port
		}
	}
	t.Fatalf("no %s in\n%s", kind, sdp)
	return 0
}

func TestBadInputIsAClearError(t *testing.T) {
	e := testEngine(t, Config{})
	pipe := media.NewPipeline()
	defer pipe.Release()
	head := "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	key := base64.StdEncoding.EncodeToString(make([]byte, 30))
	for _, tc := range []struct {
		name   string
		crypto SDES
		offer  string
		kind   error
		msg    string
	}{
		{"empty", SDES{}, "", sdpneg.ErrInvalidSDP, "Empty offer"},
		{"garbage", SDES{}, "hello", sdpneg.ErrInvalidSDP, "Error parsing SDP offer"},
		{"no media", SDES{}, head, sdpneg.ErrInvalidSDP, "no media"},
		{"no address", SDES{}, "v=0\r\no=- 0 0 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", sdpneg.ErrInvalidSDP, "no connection address"},
		{"host name", SDES{}, strings.Replace(head, "c=IN IP4 127.0.0.1", "c=IN IP4 example.com", 1) + "m=audio 4000 RTP/AVP 0\r\n", sdpneg.ErrInvalidSDP, "not an IP address"},
		{"unsupported codec", SDES{}, head + "m=video 4000 RTP/AVP 97\r\na=rtpmap:97 H265/90000\r\n", sdpneg.ErrProcessOffer, "no supported codec"},
		{"not rtp", SDES{}, head + "m=application 4000 UDP/DTLS/SCTP webrtc-datachannel\r\n", sdpneg.ErrProcessOffer, "only audio and video"},
		{"srtp without crypto", SDES{}, head + "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "\r\n", sdpneg.ErrProcessOffer, "needs an endpoint created with crypto"},
		{"crypto but plain offer", SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}, head + "m=audio 4000 RTP/AVP 0\r\n", sdpneg.ErrProcessOffer, "must use RTP/SAVP"},
		{"other suite", SDES{Suite: "AES_256_CM_HMAC_SHA1_80"}, head + "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "\r\n", sdpneg.ErrProcessOffer, "no a=crypto line with suite AES_256_CM_HMAC_SHA1_80"},
		{"short key", SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}, head + "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n", sdpneg.ErrProcessOffer, "key is 3 bytes, want 30"},
		{"mki", SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}, head + "m=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:4\r\n", sdpneg.ErrProcessOffer, "MKI"},
		{"ipv6 address", SDES{}, head + "m=audio 4000 RTP/AVP 0\r\nc=IN IP6 ::1\r\n", sdpneg.ErrProcessOffer, "family"},
		{"a=rtcp without port", SDES{}, head + "m=audio 4000 RTP/AVP 0\r\na=rtcp:\r\n", sdpneg.ErrInvalidSDP, "a=rtcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep, err := New(pipe, e, Options{Crypto: tc.crypto}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ep.Release()
			_, err = ep.ProcessOffer(tc.offer)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %v containing %q", err, tc.kind, tc.msg)
			}
			if ep.LocalDescription() != "" {
				t.Fatal("a refused offer left a local description")
			}
		})
	}
	for _, c := range []SDES{{Suite: "AES_128_CM_HMAC_SHA1_99"}, {Key: "short"}, {KeyBase64: "!!"}, {Key: "0123456789abcdef0123456789abcd", KeyBase64: "x"},
		{Suite: "AES_256_CM_HMAC_SHA1_80", Key: "0123456789abcdef0123456789abcd"}} {
		if _, err := New(pipe, e, Options{Crypto: c}, nil); !errors.Is(err, ErrCrypto) {
			t.Errorf("crypto %+v: %v", c, err)
		}
	}
	if e.Endpoints() != 0 {
		t.Fatalf("%d endpoints counted after release", e.Endpoints())
	}
}

func TestNegotiationOrder(t *testing.T) {
	e := testEngine(t, Config{})
	a, b := newRig(t, e, Options{}), newRig(t, e, Options{})
	if _, err := a.ep.ProcessAnswer("v=0"); !errors.Is(err, sdpneg.ErrNoOfferGenerated) {
		t.Fatalf("answer before offer: %v", err)
	}
	pair(t, a.ep, b.ep, nil)
	if _, err := a.ep.ProcessAnswer(b.ep.LocalDescription()); !errors.Is(err, sdpneg.ErrAnswerProcessed) {
		t.Fatalf("second answer: %v", err)
	}
	if _, err := b.ep.ProcessOffer(a.ep.LocalDescription()); !errors.Is(err, sdpneg.ErrAlreadyNegotiated) {
		t.Fatalf("second offer: %v", err)
	}
	if _, err := a.ep.GenerateOffer(OfferOptions{OfferToReceiveAudio: true}); !errors.Is(err, sdpneg.ErrAlreadyNegotiated) {
		t.Fatalf("offer after negotiation: %v", err)
	}
	if a.ep.RemoteDescription() != b.ep.LocalDescription() {
		t.Fatal("remote description is not the answer")
	}
}

func TestLimits(t *testing.T) {
	// Below the kernel's ephemeral ports (32768–60999): 40000–40003 could be
	// held by a socket of a test package running alongside (Pion's, say).
	// (20000 and up are the kms tests' bogus ICE candidates.)
	e := testEngine(t, Config{MaxEndpoints: 2, MinPort: 31000, MaxPort: 31003})
	p := media.NewPipeline()
	defer p.Release()
	a, err := New(p, e, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(p, e, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(p, e, Options{}, nil); !errors.Is(err, ErrTooManyEndpoints) || !strings.Contains(err.Error(), "rtp.maxEndpoints") {
		t.Fatalf("third endpoint: %v", err)
	}
	// Two port pairs: a takes both, b finds none.
	if _, err := a.GenerateOffer(OfferOptions{OfferToReceiveAudio: true, OfferToReceiveVideo: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GenerateOffer(OfferOptions{OfferToReceiveAudio: true}); !errors.Is(err, ErrNoPorts) || !strings.Contains(err.Error(), "rtp.minPort") {
		t.Fatalf("no ports: %v", err)
	}
	a.Release()
	if _, err := b.GenerateOffer(OfferOptions{OfferToReceiveAudio: true, OfferToReceiveVideo: true}); err != nil {
		t.Fatalf("ports not freed by release: %v", err)
	}
	b.Release()
	if e.Endpoints() != 0 {
		t.Fatalf("%d endpoints counted after release", e.Endpoints())
	}
	for _, c := range []Config{{MinPort: 5000, MaxPort: 5000}, {Address: "localhost"}, {MinPort: 0, MaxPort: 70000}} {
		if _, err := NewEngine(c); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
}

// TestRTCPMux: an offer with a=rtcp-mux is answered with it, and RTCP
// then travels on the RTP ports both ways (media state CONNECTED).
func TestRTCPMux(t *testing.T) {
	e := testEngine(t, Config{ReportInterval: 50 * time.Millisecond})
	a, b := newRig(t, e, Options{}), newRig(t, e, Options{})
	pair(t, a.ep, b.ep, func(offer string) string {
		return regexp.MustCompile(`a=rtcp:\d+\r\n`).ReplaceAllString(offer, "a=rtcp-mux\r\n")
	})
	if !strings.Contains(b.ep.LocalDescription(), "a=rtcp-mux") {
		t.Fatalf("answer without a=rtcp-mux:\n%s", b.ep.LocalDescription())
	}
	// Close the RTCP ports: reports can only arrive on the RTP ports.
	for _, r := range []*rig{a, b} {
		for _, k := range []media.MediaType{media.Audio, media.Video} {
			_ = r.ep.stream(k).rtcpConn.Close()
		}
	}
	a.send(10)
	b.send(10)
	a.events.WaitFor(t, media.MediaStateChanged{Connected: true}, waitLong)
	b.events.WaitFor(t, media.MediaStateChanged{Connected: true}, waitLong)
	eventually(t, waitLong, "media both ways", func() bool { return a.counter.Count() >= 20 && b.counter.Count() >= 20 })
}

func TestKeySoftLimitAndMediaState(t *testing.T) {
	e := testEngine(t, Config{KeySoftLimit: 20, ReportInterval: 100 * time.Millisecond, MediaTimeout: time.Second})
	a, b := newRig(t, e, Options{Crypto: SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}}), newRig(t, e, Options{Crypto: SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}})
	pair(t, a.ep, b.ep, nil)
	a.send(30)
	a.events.WaitFor(t, KeySoftLimit{MediaType: media.Video}, waitLong)
	a.events.WaitFor(t, KeySoftLimit{MediaType: media.Audio}, waitLong)
	// Both send reports: media CONNECTED on both sides (SRTCP verified).
	b.events.WaitFor(t, media.MediaStateChanged{Connected: true}, waitLong)
	if !b.ep.State().MediaConnected {
		t.Fatal("media state not CONNECTED")
	}
	a.ep.Release() // no more RTCP: b's media goes DISCONNECTED
	b.events.WaitFor(t, media.MediaStateChanged{Connected: false}, waitLong)
}

// TestOfferOptions: a kind not offered for reception is offered sendonly;
// the answerer then only receives it.
func TestOfferOptions(t *testing.T) {
	e := testEngine(t, Config{})
	a, b := newRig(t, e, Options{}), newRig(t, e, Options{})
	offer, err := a.ep.GenerateOffer(OfferOptions{OfferToReceiveAudio: true})
	if err != nil {
		t.Fatal(err)
	}
	lines, err := parseRemote(offer, "offer")
	if err != nil || len(lines) != 2 || lines[0].dir.String() != "sendrecv" || lines[1].dir.String() != "sendonly" {
		t.Fatalf("offer directions: %+v %v\n%s", lines, err, offer)
	}
	answer, err := b.ep.ProcessOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, "a=recvonly") {
		t.Fatalf("answer to a sendonly m-line:\n%s", answer)
	}
	if _, err := a.ep.ProcessAnswer(answer); err != nil {
		t.Fatal(err)
	}
	b.send(20) // b's video is not sent (a does not receive it); audio is
	a.send(20)
	eventually(t, waitLong, "a's video and audio at b", func() bool { return b.counter.Count() >= 40 })
	eventually(t, waitLong, "b's audio at a", func() bool { return a.counter.Count() >= 20 })
	time.Sleep(100 * time.Millisecond)
	if n := a.ep.Stats(media.Video).Received; n != 0 {
		t.Fatalf("a received %d video packets it did not ask for", n)
	}
}

// TestTutorialOffer: the rtp-receiver tutorial's sender SDP (Opus on
// payload type 96, H.264 without a=fmtp, AVPF, a=direction:active).
func TestTutorialOffer(t *testing.T) {
	e := testEngine(t, Config{})
	r := newRig(t, e, Options{})
	offer := "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Kurento Tutorial - RTP Receiver\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=audio 5006 RTP/AVPF 96\r\na=rtpmap:96 opus/48000/2\r\na=sendonly\r\na=direction:active\r\na=ssrc:445566 cname:user@example.com\r\n" +
		"m=video 5004 RTP/AVPF 103\r\na=rtpmap:103 H264/90000\r\na=rtcp-fb:103 goog-remb\r\na=sendonly\r\na=direction:active\r\na=ssrc:112233 cname:user@example.com\r\n"
	answer, err := r.ep.ProcessOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RTP/AVPF 96\r\n", "a=rtpmap:96 opus/48000/2\r\n", "RTP/AVPF 103\r\n", "a=rtpmap:103 H264/90000\r\n", "a=recvonly\r\n"} {
		if !strings.Contains(answer, want) {
			t.Errorf("answer lacks %q:\n%s", want, answer)
		}
	}
	if strings.Contains(answer, "a=fmtp:103") {
		t.Errorf("answer adds an a=fmtp the offer did not have:\n%s", answer)
	}
	if c := r.ep.Stats(media.Video).Codec; c == nil || !strings.Contains(c.Fmtp, "packetization-mode=1") {
		t.Fatalf("H.264 without a=fmtp taken as %+v (want packetization-mode=1: what such senders send)", c)
	}
	if !r.pipe.PreferredCodec(media.Video).Matches(&media.Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=42e01f"}) {
		t.Fatal("a browser's H.264 does not match the pipeline's codec")
	}
}
