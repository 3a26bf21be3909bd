package rtpep

import (
	"strings"
	"testing"

	"github.com/gorento/gorento/internal/media"
)

// FuzzParseSDP feeds remote descriptions to the SDP and a=crypto parsers:
// whatever arrives, they return media lines or an error, never panic.
func FuzzParseSDP(f *testing.F) {
	head := "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	f.Add(head + "m=video 5004 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=rtcp:5005 IN IP4 127.0.0.1\r\n")
	f.Add(head + "m=audio 5004 RTP/SAVP 111 0\r\na=rtpmap:111 opus/48000/2\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|2^31\r\na=rtcp-mux\r\n")
	f.Add(head + "m=video 0 RTP/AVPF 103\r\na=rtpmap:103 H264/90000\r\na=fmtp:103 packetization-mode=1\r\na=recvonly\r\n")
	f.Add("v=0\r\no=- 0 0 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::\r\nt=0 0\r\nm=audio 9 RTP/SAVP 8\r\na=crypto:7 AES_256_CM_HMAC_SHA1_32 inline:x|1:4;inline:y\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		lines, err := parseRemote(text, "offer")
		if err != nil {
			return
		}
		for _, m := range lines {
			for _, s := range suites {
				_, _, _ = remoteKeying(m.crypto, s)
			}
			_, _ = choose(m.kind, m.codecs, nil)
			_, _ = choose(m.kind, m.codecs, &media.Format{Codec: supported[media.Video][1].codec})
			if len(m.codecs) > 0 && m.codecs[0].codec == nil {
				t.Fatal("codec without identity")
			}
		}
		_ = strings.Count(text, "\n")
	})
}
