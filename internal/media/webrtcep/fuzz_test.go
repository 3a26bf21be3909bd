package webrtcep

import (
	"errors"
	"strings"
	"testing"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/sdpneg"
	"github.com/gorento/gorento/internal/media/srtpx"
)

const chromeLikeOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\na=msid-semantic: WMS s\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" +
	"a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n" +
	"a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 102\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n" +
	"a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\r\n" +
	"a=setup:actpass\r\na=mid:1\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n" +
	"a=rtpmap:102 H264/90000\r\na=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"

// FuzzParseSDP: our SDP checks never panic, and what they accept can be
// annotated with bandwidth lines and parsed again.
func FuzzParseSDP(f *testing.F) {
	f.Add(chromeLikeOffer)
	f.Add("v=0\r\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseSDP(s, "offer")
		if err != nil {
			return
		}
		for _, m := range d.MediaDescriptions {
			mid, _ := m.Attribute("mid")
			remoteReceives(d, mid)
		}
		hasActiveMedia(s)
		var b bandwidths
		b.init(VideoDefaults{MaxSendKbps: 4000, MinSendKbps: 100})
		b.maxVideoRecv.Store(800)
		b.maxAudioRecv.Store(64)
		if _, err := parseSDP(b.annotate(s, VideoDefaults{StartKbps: 1500}), "offer"); err != nil && strings.Contains(s, "\r\nc=") {
			t.Fatalf("annotated SDP no longer parses: %v", err)
		}
	})
}

// FuzzProcessOffer pushes arbitrary offers through the whole negotiation:
// it must answer or return a negotiation Error, never panic or leak.
func FuzzProcessOffer(f *testing.F) {
	f.Add(chromeLikeOffer)
	f.Add(strings.Replace(chromeLikeOffer, "a=group:BUNDLE 0 1\r\n", "", 1))
	f.Add(strings.Replace(chromeLikeOffer, "VP8", "VP7", 1))
	eng := newEngine(f)
	f.Fuzz(func(t *testing.T, offer string) {
		p := media.NewPipeline()
		defer p.Release()
		ep, err := New(p, eng, Options{CertificateKeyType: "ECDSA"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		answer, err := ep.ProcessOffer(offer)
		if err != nil {
			var e *sdpneg.Error
			if !errors.As(err, &e) || (!errors.Is(err, sdpneg.ErrInvalidSDP) && !errors.Is(err, sdpneg.ErrProcessOffer)) {
				t.Fatalf("error %v is not an offer error", err)
			}
			return
		}
		if _, err := parseSDP(answer, "answer"); err != nil {
			t.Fatalf("answer does not parse: %v\n%s", err, answer)
		}
	})
}

// FuzzIngress feeds arbitrary datagrams through the RTP decoder and the
// whole forwarding path (fan-out, rewrite, write).
func FuzzIngress(f *testing.F) {
	good, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 7, Timestamp: 9, SSRC: 5,
		Padding: true, PaddingSize: 4, Extension: true, ExtensionProfile: 0xBEDE,
		Extensions: []rtp.Extension{{}}}, Payload: []byte{1, 2, 3}}).Marshal()
	f.Add(good)
	f.Add([]byte{0x80, 0x60})
	_, src, outs := graph(f, 3)
	pad := src.Core().Source(media.Video)
	f.Fuzz(func(t *testing.T, b []byte) {
		before := outs[0].packets.Load()
		buf := media.GetPacketBuf()
		if !buf.ParseRTP(copy(buf.Data(), b)) || len(b) > media.PacketBufSize {
			buf.Free()
			return
		}
		buf.Packet().Codec = vp8
		// A video packet the pad's history holds already (received twice)
		// is dropped by design (media.SourcePad.PushBuf); after thousands of
		// inputs the fuzzer sends such repeats. Any other must come out.
		h := pad.HistoryOf(buf.Packet().Layer)
		held := h.Get(h.Extend(buf.Packet().Header.SequenceNumber))
		if held != nil {
			held.Release()
		}
		pad.PushBuf(buf)
		if held == nil {
			outs[0].wait(t, before+1) // fails the test when the packet is not forwarded
		}
	})
}

// FuzzReceiverRTCP feeds arbitrary RTCP from a receiver to an endpoint.
func FuzzReceiverRTCP(f *testing.F) {
	f.Add([]byte{0x81, 0xce, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2})                                                      // PLI
	f.Add([]byte{0x8f, 0xce, 0x00, 0x05, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 1, 0x0f, 0xff, 0xff, 0, 0, 0, 2}) // REMB
	p, _, _ := graph(f, 1)
	ep, err := New(p, newEngine(f), Options{}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ep.handleReceiverRTCP(b, ep.tracks[media.Video])
	})
}

// FuzzDirectInbound feeds the direct inbound path arbitrary datagrams:
// as they come (forgeries, other protocols) and as authentic SRTP of the
// stream and of its RTX SSRC with arbitrary header and payload bytes
// (the RTX unwrap). It must never panic nor write out of its buffer.
func FuzzDirectInbound(f *testing.F) {
	r := newDirectRig(f, srtpx.AEADAES128GCM)
	r.warm(f)
	f.Add([]byte{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 42, 1, 2, 3}, false)
	f.Add([]byte{0x80, 97, 0, 1, 0, 0, 0, 1, 0, 0, 0, 43, 0, 7, 9, 9}, true)
	f.Add([]byte{0xa0, 97, 0, 2, 0, 0, 0, 1, 0, 0, 0, 43, 0, 7, 9, 2}, true)
	f.Add([]byte{0x90, 97, 0, 3, 0, 0, 0, 1, 0, 0, 0, 43, 0xbe, 0xde, 0, 1, 0x50, 1, 0, 0, 0, 8}, true)
	f.Add([]byte{0x81, 0xc9, 0, 7, 0, 0, 0, 1}, false)
	f.Fuzz(func(t *testing.T, b []byte, rtx bool) {
		if len(b) > 1400 {
			return
		}
		r.d.HandleInbound(append([]byte(nil), b...))
		if len(b) < 12 {
			return
		}
		pkt := make([]byte, len(b), len(b)+32)
		copy(pkt, b)
		pkt[0] = 0x80 | pkt[0]&0x3f // version 2
		tx, ssrc := r.tx, uint32(42)
		if rtx {
			tx, ssrc = r.txRTX, 43
		}
		pkt[8], pkt[9], pkt[10], pkt[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
		enc, err := tx.Protect(pkt)
		if err != nil {
			return
		}
		r.d.HandleInbound(enc)
	})
}
