package srtpx

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// Known-answer tests. Sources of the vectors: RFC 3711 Appendix B.2 (AES-CM
// keystream) and B.3 (key derivation); RFC 6188 §7.4 (AES-256 key
// derivation); RFC 7714 §16.1, §16.2, §17.1 and §17.2 (AES-GCM SRTP and
// SRTCP with session keys); libsrtp's srtp_validate and srtp_validate_gcm
// reference packets (whole path from a master key, RTP and RTCP).

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withRoom copies b into a buffer with spare capacity for a tag.
func withRoom(b []byte) []byte {
	out := make([]byte, len(b), len(b)+64)
	copy(out, b)
	return out
}

func TestKeyDerivation(t *testing.T) {
	tests := []struct {
		name                   string
		masterKey, masterSalt  string
		key, salt, auth        string
		keyLabel, saltLabel    byte
		authLabel              byte
		keyLen, saltLen, authN int
	}{
		{
			name:      "RFC 3711 B.3",
			masterKey: "E1F97A0D3E018BE0D64FA32C06DE4139", masterSalt: "0EC675AD498AFEEBB6960B3AABE6",
			key: "C61E7A93744F39EE10734AFE3FF7A087", salt: "30CBBC08863D8C85D49DB34A9AE1",
			auth: "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4",
		},
		{
			name:       "RFC 6188 7.4 (AES-256)",
			masterKey:  "f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6",
			masterSalt: "3b04803de51ee7c96423ab5b78d2",
			key:        "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4",
			salt:       "fa31791685ca444a9e07c6c64e93",
			auth:       "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mk, ms := unhex(t, tt.masterKey), unhex(t, tt.masterSalt)
			for _, c := range []struct {
				label byte
				want  string
			}{{labelRTPKey, tt.key}, {labelRTPSalt, tt.salt}, {labelRTPAuth, tt.auth}} {
				want := unhex(t, c.want)
				got, err := derive(mk, ms, c.label, len(want))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("label %d: got %x, want %x", c.label, got, want)
				}
			}
		})
	}
}

func TestKeystreamRFC3711B2(t *testing.T) {
	key := unhex(t, "2B7E151628AED2A6ABF7158809CF4F3C")
	salt := unhex(t, "F0F1F2F3F4F5F6F7F8F9FAFBFCFD")
	s, err := newSessionFromKeys(AES128CMHMACSHA1_80, key, salt, make([]byte, 20), key, salt, make([]byte, 20))
	if err != nil {
		t.Fatal(err)
	}
	// SSRC 0, index 0: the first counter block is the salt shifted by 16 bits.
	st := s.NewStream(0)
	want := map[uint64]string{
		0x0000: "E03EAD0935C95E80E166B16DD92B4EB4",
		0x0001: "D23513162B02D0F72A43A2FE4A5F97AB",
		0x0002: "41E95B3BB0A2E8DD477901E4FCA894C0",
		0xFEFF: "EC8CDF7398607CB0F2D21675EA9EA1E4",
		0xFF00: "362B7C3C6773516318A077D7FC5073AE",
		0xFF01: "6A2CC3787889374FBEB4C81B17BA6C44",
	}
	lo := s.rtp.saltLo << 16
	for blk, w := range want {
		got := make([]byte, 16)
		st.rtpKS.xorKeyStream(got, st.cmRTPHi, lo+blk)
		if !bytes.Equal(got, unhex(t, w)) {
			t.Errorf("block %#x: got %X, want %s", blk, got, w)
		}
	}
	// The same through Protect: a zero payload comes out as the keystream.
	pkt := withRoom(append(unhex(t, "800f0000decafbad00000000"), make([]byte, 48)...))
	out, err := st.Protect(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if ks := unhex(t, want[0]+want[1]+want[2]); !bytes.Equal(out[12:60], ks) {
		t.Errorf("payload %X, want keystream %X", out[12:60], ks)
	}
}

// libsrtp's reference packets: master key and salt in, SSRC 0xcafebabe,
// sequence number 0x1234, ROC 0, first SRTCP index 1.
func TestLibsrtpReferencePackets(t *testing.T) {
	rtpPlain := "800f1234decafbadcafebabe" + strings.Repeat("ab", 16)
	rtcpPlain := "81c8000bcafebabe" + strings.Repeat("ab", 16)
	tests := []struct {
		profile     Profile
		key, salt   string
		srtp, srtcp string
	}{
		{
			profile: AES128CMHMACSHA1_80,
			key:     "e1f97a0d3e018be0d64fa32c06de4139", salt: "0ec675ad498afeebb6960b3aabe6",
			srtp:  "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb",
			srtcp: "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798",
		},
		{
			// The 32-bit tag is the 80-bit one truncated; SRTCP keeps 80 bits.
			profile: AES128CMHMACSHA1_32,
			key:     "e1f97a0d3e018be0d64fa32c06de4139", salt: "0ec675ad498afeebb6960b3aabe6",
			srtp:  "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc",
			srtcp: "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798",
		},
		{
			profile: AEADAES128GCM,
			key:     "000102030405060708090a0b0c0d0e0f", salt: "a0a1a2a3a4a5a6a7a8a9aaab",
			srtp:  "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392",
			srtcp: "81c8000bcafebabec98b8b5df0392a55852b6c21ac8e7025c52c6fbea2b3b446ea31123ba88ce61e80000001",
		},
	}
	for _, tt := range tests {
		t.Run(tt.profile.String(), func(t *testing.T) {
			tx, err := NewSession(tt.profile, unhex(t, tt.key), unhex(t, tt.salt))
			if err != nil {
				t.Fatal(err)
			}
			rx, err := NewSession(tt.profile, unhex(t, tt.key), unhex(t, tt.salt))
			if err != nil {
				t.Fatal(err)
			}
			checkVector(t, "srtp", tx.NewStream(0xcafebabe).Protect, rx.NewStream(0xcafebabe).Unprotect,
				unhex(t, rtpPlain), unhex(t, tt.srtp))
			checkVector(t, "srtcp", tx.NewStream(0xcafebabe).ProtectRTCP, rx.NewStream(0xcafebabe).UnprotectRTCP,
				unhex(t, rtcpPlain), unhex(t, tt.srtcp))
		})
	}
}

// checkVector protects plain and compares with want, then unprotects want
// and compares with plain.
func checkVector(t *testing.T, what string, protect, unprotect func([]byte) ([]byte, error), plain, want []byte) {
	t.Helper()
	got, err := protect(withRoom(plain))
	if err != nil {
		t.Fatalf("%s protect: %v", what, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s protect:\n got %x\nwant %x", what, got, want)
	}
	back, err := unprotect(withRoom(want))
	if err != nil {
		t.Fatalf("%s unprotect: %v", what, err)
	}
	if !bytes.Equal(back, plain) {
		t.Errorf("%s unprotect:\n got %x\nwant %x", what, back, plain)
	}
}

// RFC 7714 §16 and §17: session key and salt given (no derivation), SSRC
// 0x5501a0b2 with sequence number 0xf17b and ROC 0 (RTP), SSRC 0x4d617273
// with SRTCP index 0x5d4 (RTCP).
func TestGCMRFC7714(t *testing.T) {
	rtpPlain := `8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976
		69736120 696e2070 61727465 73207472 6573`
	rtcpPlain := `81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
		deadbeef deadbeef deadbeef deadbeef deadbeef`
	tests := []struct {
		profile                    Profile
		key                        string
		srtp, srtcp, srtcpAuthOnly string
	}{
		{
			profile: AEADAES128GCM,
			key:     "000102030405060708090a0b0c0d0e0f",
			srtp: `8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
				0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce`,
			srtcp: `81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
				c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4`,
			srtcpAuthOnly: `81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
				deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4`,
		},
		{
			profile: AEADAES256GCM,
			key:     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			srtp: `8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238
				9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13`,
			srtcp: `81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
				a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4`,
			srtcpAuthOnly: `81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
				deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4`,
		},
	}
	salt := "517569642070726f2071756f"
	for _, tt := range tests {
		t.Run(tt.profile.String(), func(t *testing.T) {
			newSession := func() *Session {
				k, s := unhex(t, tt.key), unhex(t, salt)
				sess, err := newSessionFromKeys(tt.profile, k, s, nil, k, s, nil)
				if err != nil {
					t.Fatal(err)
				}
				return sess
			}
			checkVector(t, "srtp", newSession().NewStream(0x5501a0b2).Protect,
				newSession().NewStream(0x5501a0b2).Unprotect, unhex(t, rtpPlain), unhex(t, tt.srtp))
			tx := newSession().NewStream(0x4d617273)
			tx.rtcpTx = 0x5d3
			checkVector(t, "srtcp", tx.ProtectRTCP, newSession().NewStream(0x4d617273).UnprotectRTCP,
				unhex(t, rtcpPlain), unhex(t, tt.srtcp))
			got, err := newSession().NewStream(0x4d617273).UnprotectRTCP(withRoom(unhex(t, tt.srtcpAuthOnly)))
			if err != nil {
				t.Fatalf("authenticated-only srtcp: %v", err)
			}
			if want := unhex(t, rtcpPlain); !bytes.Equal(got, want) {
				t.Errorf("authenticated-only srtcp:\n got %x\nwant %x", got, want)
			}
		})
	}
}
