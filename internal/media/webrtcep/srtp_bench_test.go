package webrtcep

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// BenchmarkSRTP measures pion/srtp protecting and unprotecting one RTP
// packet with a 1200-byte payload, per profile: the per-packet cipher cost
// every forwarded packet pays once outbound (and every received packet once
// inbound). Names are benchstat-friendly:
//
//	go test -run '^$' -bench SRTP -benchmem -count 10 ./internal/media | benchstat -
func BenchmarkSRTP(b *testing.B) {
	profiles := []struct {
		name    string
		profile srtp.ProtectionProfile
	}{
		{"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80},
		{"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm},
	}
	for _, p := range profiles {
		keyLen, err := p.profile.KeyLen()
		if err != nil {
			b.Fatal(err)
		}
		saltLen, err := p.profile.SaltLen()
		if err != nil {
			b.Fatal(err)
		}
		key, salt := make([]byte, keyLen), make([]byte, saltLen)
		for i := range key {
			key[i] = byte(i)
		}
		newCtx := func(b *testing.B) *srtp.Context {
			c, err := srtp.CreateContext(key, salt, p.profile)
			if err != nil {
				b.Fatal(err)
			}
			return c
		}
		hdr := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1, Timestamp: 3000, SSRC: 0x1234}
		plain, err := (&rtp.Packet{Header: hdr, Payload: make([]byte, 1200)}).Marshal()
		if err != nil {
			b.Fatal(err)
		}
		b.Run("protect/"+p.name, func(b *testing.B) {
			c := newCtx(b)
			dst := make([]byte, 0, 1500)
			h := hdr
			b.ReportAllocs()
			b.SetBytes(1200)
			for i := 0; i < b.N; i++ {
				h.SequenceNumber++
				if _, err := c.EncryptRTP(dst[:0], plain, &h); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("unprotect/"+p.name, func(b *testing.B) {
			enc, err := newCtx(b).EncryptRTP(nil, plain, &hdr)
			if err != nil {
				b.Fatal(err)
			}
			c := newCtx(b)
			dst := make([]byte, 0, 1500)
			var h rtp.Header // reused, as a reader would
			b.ReportAllocs()
			b.SetBytes(1200)
			for i := 0; i < b.N; i++ {
				if _, err := c.DecryptRTP(dst[:0], enc, &h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
