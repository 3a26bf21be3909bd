package webrtcep

import (
	"strings"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

const sdpHead = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AA:BB\r\na=group:BUNDLE 0 1\r\n"

const audioSection = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n"

func videoSection(attrs ...string) string {
	return "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=extmap:4 " + sdp.SDESMidURI +
		"\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=sendonly\r\n" + strings.Join(attrs, "\r\n") + "\r\n"
}

func parseTestSDP(t *testing.T, s string) *sdp.SessionDescription {
	t.Helper()
	var d sdp.SessionDescription
	if err := d.UnmarshalString(s); err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestReadSimulcastRIDOrder(t *testing.T) {
	tests := []struct {
		name  string
		attrs []string
		want  []string // rids, lowest layer first (nil: no simulcast)
		err   bool
	}{
		{"no simulcast", nil, nil, false},
		{"one rid", []string{"a=rid:f send", "a=simulcast:send f"}, nil, false},
		{"as listed", []string{"a=rid:a send", "a=rid:b send", "a=rid:c send", "a=simulcast:send a;b;c"}, []string{"a", "b", "c"}, false},
		{"LiveKit names, listed high first", []string{"a=rid:f send", "a=rid:h send", "a=rid:q send", "a=simulcast:send f;h;q"}, []string{"q", "h", "f"}, false},
		{"Janus names", []string{"a=rid:h send", "a=rid:m send", "a=rid:l send", "a=simulcast:send h;m;l"}, []string{"l", "m", "h"}, false},
		{"restrictions win", []string{"a=rid:x send max-width=1280;max-height=720", "a=rid:y send max-width=320;max-height=180", "a=simulcast:send x;y"}, []string{"y", "x"}, false},
		{"paused and alternatives", []string{"a=rid:0 send", "a=rid:1 send", "a=rid:2 send", "a=simulcast:send 0;~1,2"}, []string{"0", "1", "2"}, false},
		{"recv rids are not layers", []string{"a=rid:a recv", "a=rid:b recv", "a=simulcast:recv a;b"}, nil, false},
		{"too many", []string{"a=rid:a send", "a=rid:b send", "a=rid:c send", "a=rid:d send", "a=rid:e send", "a=simulcast:send a;b;c;d;e"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := readSimulcast(parseTestSDP(t, sdpHead+audioSection+videoSection(tc.attrs...)))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v", err)
			}
			if tc.want == nil {
				if info != nil {
					t.Fatalf("simulcast found: %+v", info)
				}
				return
			}
			if info == nil || info.layers != len(tc.want) || info.mid != "1" || info.sim {
				t.Fatalf("info = %+v", info)
			}
			for l, rid := range tc.want {
				if got := info.layerOf(rid); got != l {
					t.Errorf("layer of %q = %d, want %d", rid, got, l)
				}
			}
		})
	}
}

// kurentoUtilsSIM is the end of a Chrome offer as kurento-utils'
// `simulcast` option leaves it: cut at the FID group, then its lines.
var kurentoUtilsSIM = []string{"a=x-google-flag:conference", "a=ssrc-group:SIM 1 2 3",
	"a=ssrc:1 cname:localVideo", "a=ssrc:1 msid:stream1 track1", "a=ssrc:1 mslabel:stream1", "a=ssrc:1 label:track1",
	"a=ssrc:2 cname:localVideo", "a=ssrc:2 msid:stream1 track1", "a=ssrc:2 mslabel:stream1", "a=ssrc:2 label:track1",
	"a=ssrc:3 cname:localVideo", "a=ssrc:3 msid:stream1 track1", "a=ssrc:3 mslabel:stream1", "a=ssrc:3 label:track1"}

func TestSimTransform(t *testing.T) {
	offer := sdpHead + audioSection + videoSection(append([]string{"a=ssrc-group:FID 1 11"}, kurentoUtilsSIM...)...)
	info, err := readSimulcast(parseTestSDP(t, offer))
	if err != nil || info == nil || !info.sim || info.layers != 3 {
		t.Fatalf("info = %+v, err %v", info, err)
	}
	if rid, repair, ok := info.ridOf(11); !ok || !repair || rid != "s0" {
		t.Errorf("RTX SSRC 11 = %q %v %v, want s0's repair stream", rid, repair, ok)
	}
	if rid, _, ok := info.ridOf(3); !ok || rid != "s2" {
		t.Errorf("SSRC 3 = %q, want s2 (the top layer)", rid)
	}
	pion := simTransform(offer, info)
	for _, want := range []string{"a=rid:s0 send", "a=rid:s2 send", "a=simulcast:send s0;s1;s2", "a=msid:stream1 track1",
		sdp.SDESRTPStreamIDURI, sdp.SDESRepairRTPStreamIDURI} {
		if !strings.Contains(pion, want) {
			t.Errorf("transformed offer lacks %q:\n%s", want, pion)
		}
	}
	if strings.Contains(pion, "a=ssrc") {
		t.Errorf("transformed offer keeps SSRC lines:\n%s", pion)
	}
	if !strings.Contains(pion, audioSection) {
		t.Errorf("audio section changed:\n%s", pion)
	}
	d := parseTestSDP(t, pion)
	if again, err := readSimulcast(d); err != nil || again == nil || again.sim || again.layers != 3 {
		t.Errorf("the transformed offer reads as %+v, %v", again, err)
	}
	// Pion's answer: its rids and the added extensions come out.
	answer := sdpHead + audioSection + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=extmap:4 " + sdp.SDESMidURI +
		"\r\na=extmap:1 " + sdp.SDESRTPStreamIDURI + "\r\na=rid:s0 recv\r\na=rid:s1 recv\r\na=rid:s2 recv\r\na=simulcast:recv s0;s1;s2\r\na=recvonly\r\n"
	out := simAnswer(answer, info)
	for _, gone := range []string{"a=rid:", "a=simulcast:", sdp.SDESRTPStreamIDURI} {
		if strings.Contains(out, gone) {
			t.Errorf("answer keeps %q:\n%s", gone, out)
		}
	}
	if !strings.Contains(out, sdp.SDESMidURI) || !strings.Contains(out, "a=recvonly") {
		t.Errorf("answer lost what the offer had:\n%s", out)
	}
}

func TestInjectIDs(t *testing.T) {
	h := rtp.Header{Version: 2, SSRC: 7, SequenceNumber: 9}
	_ = h.SetExtension(3, []byte{0xaa, 0xbb})
	raw, _ := (&rtp.Packet{Header: h, Payload: []byte{1, 2, 3, 4}}).Marshal()
	b := make([]byte, 1500)
	n := copy(b, raw)
	n = injectIDs(b, n, 4, []byte("1"), 10, []byte("s2"))
	var p rtp.Packet
	if err := p.Unmarshal(b[:n]); err != nil {
		t.Fatal(err)
	}
	if string(p.GetExtension(4)) != "1" || string(p.GetExtension(10)) != "s2" || string(p.GetExtension(3)) != "\xaa\xbb" ||
		string(p.Payload) != "\x01\x02\x03\x04" || p.SSRC != 7 {
		t.Errorf("injected packet = %+v", p)
	}
	// No room: unchanged.
	small := append([]byte(nil), raw...)
	if got := injectIDs(small, len(small), 4, []byte("1"), 10, []byte("s2")); got != len(raw) || string(small) != string(raw) {
		t.Error("a packet without room was changed")
	}
}

// FuzzSimulcastSDP: reading and rewriting any offer's simulcast never panics.
func FuzzSimulcastSDP(f *testing.F) {
	f.Add(sdpHead + audioSection + videoSection(kurentoUtilsSIM...))
	f.Add(sdpHead + videoSection("a=rid:f send max-width=1280", "a=rid:q send", "a=simulcast:send f;q"))
	f.Add(sdpHead + videoSection("a=ssrc-group:SIM 1 x", "a=simulcast:send"))
	f.Fuzz(func(t *testing.T, s string) {
		var d sdp.SessionDescription
		if d.UnmarshalString(s) != nil {
			return
		}
		info, err := readSimulcast(&d)
		if err != nil || info == nil {
			return
		}
		if info.sim {
			out := simTransform(s, info)
			_ = simAnswer(out, info)
		}
	})
}
