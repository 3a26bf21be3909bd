package webrtcep

import (
	"strings"
	"testing"
)

const annotateSDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97 102\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n" +
	"a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1\r\n"

func TestAnnotate(t *testing.T) {
	for _, tc := range []struct {
		name               string
		maxVideo, minVideo int32
		maxAudio           int32
		d                  VideoDefaults
		want, not          []string
	}{
		{name: "start bitrate on every video codec, none on RTX or audio", d: VideoDefaults{StartKbps: 1500},
			want: []string{"a=rtpmap:96 VP8/90000\r\na=fmtp:96 x-google-start-bitrate=1500\r\n", "a=fmtp:102 packetization-mode=1;x-google-start-bitrate=1500\r\n",
				"a=fmtp:97 apt=96\r\n", "a=fmtp:111 minptime=10;useinbandfec=1\r\n"},
			not: []string{"b=AS", "apt=96;x-google"}},
		{name: "maxVideoRecvBandwidth bounds the start and writes b=AS", maxVideo: 800, d: VideoDefaults{StartKbps: 1500},
			want: []string{"a=fmtp:96 x-google-start-bitrate=800\r\n", "c=IN IP4 0.0.0.0\r\nb=AS:800\r\na=rtpmap:96"}},
		{name: "minVideoRecvBandwidth raises it", minVideo: 2000, d: VideoDefaults{StartKbps: 1500},
			want: []string{"x-google-start-bitrate=2000"}},
		{name: "no start bitrate", maxAudio: 64, d: VideoDefaults{StartKbps: -1},
			want: []string{"c=IN IP4 0.0.0.0\r\nb=AS:64\r\na=rtpmap:111"}, not: []string{"x-google", "b=AS:0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bandwidths
			b.maxVideoRecv.Store(tc.maxVideo)
			b.minVideoRecv.Store(tc.minVideo)
			b.maxAudioRecv.Store(tc.maxAudio)
			got := b.annotate(annotateSDP, tc.d)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in\n%s", n, got)
				}
			}
			if _, err := parseSDP(got+"a=fingerprint:sha-256 00\r\n", "answer"); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestVideoDefaults(t *testing.T) {
	d, err := VideoDefaults{}.withDefaults()
	if err != nil || d.MaxSendKbps != DefaultMaxVideoSendKbps || d.CeilingKbps != DefaultVideoCeilingKbps ||
		d.StartKbps != DefaultVideoStartKbps || d.MinSendKbps != 100 || d.PublisherFeedback != PublisherFeedbackBest {
		t.Errorf("defaults = %+v, %v", d, err)
	}
	for _, bad := range []VideoDefaults{{MaxSendKbps: -1}, {PublisherFeedback: "median"}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
