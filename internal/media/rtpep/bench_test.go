package rtpep

import (
	"runtime"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// BenchmarkRTPThrough: one 900-byte video packet from a sink pad of an
// RtpEndpoint over loopback UDP into another RtpEndpoint's source pad
// (rewrite, SRTP protect, send, receive, verify, decrypt, push), one at a
// time.
func BenchmarkRTPThrough(b *testing.B) {
	for _, bc := range []struct {
		name   string
		crypto SDES
	}{{"plain", SDES{}}, {"srtp-aes128-80", SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}}, {"srtp-aes256-80", SDES{Suite: "AES_256_CM_HMAC_SHA1_80"}}} {
		b.Run(bc.name, func(b *testing.B) {
			e := testEngine(b, Config{ReportInterval: time.Hour})
			a, r := newRig(b, e, Options{Crypto: bc.crypto}), newRig(b, e, Options{Crypto: bc.crypto})
			pair(b, a.ep, r.ep, nil)
			s := a.ep.stream(media.Video)
			v := mediatest.Stream{SSRC: 1, Seq: 100, Step: 3000, Codec: vp8}
			pkt := v.Next(mediatest.VP8Payload(true, 900))
			b.ReportAllocs()
			b.SetBytes(900)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				want := r.counter.Count() + 1
				s.write(pkt)
				pkt.Header.SequenceNumber++
				pkt.Header.Timestamp += 3000
				for r.counter.Count() < want {
					runtime.Gosched()
				}
			}
		})
	}
}

// BenchmarkSend: the CPU cost of sending one 900-byte video packet
// (rewrite, SRTP protect, sendto); the receiver may drop what it cannot
// keep up with.
func BenchmarkSend(b *testing.B) {
	for _, bc := range []struct {
		name   string
		crypto SDES
	}{{"plain", SDES{}}, {"srtp-aes128-80", SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}}, {"srtp-aes256-80", SDES{Suite: "AES_256_CM_HMAC_SHA1_80"}}} {
		b.Run(bc.name, func(b *testing.B) {
			e := testEngine(b, Config{ReportInterval: time.Hour})
			a, r := newRig(b, e, Options{Crypto: bc.crypto}), newRig(b, e, Options{Crypto: bc.crypto})
			pair(b, a.ep, r.ep, nil)
			s := a.ep.stream(media.Video)
			v := mediatest.Stream{SSRC: 1, Seq: 100, Step: 3000, Codec: vp8}
			pkt := v.Next(mediatest.VP8Payload(true, 900))
			b.ReportAllocs()
			b.SetBytes(900)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.write(pkt)
				pkt.Header.SequenceNumber++
				pkt.Header.Timestamp += 3000
			}
		})
	}
}
