// Package srtpx protects and unprotects SRTP and SRTCP packets in place, in
// the caller's buffers, with no allocation per packet (RFC 3711, RFC 7714).
//
// It exists beside pion/srtp because the egress path encrypts every forwarded
// packet once per subscriber: pion/srtp keeps a map of SSRC states behind a
// lock, copies into a destination buffer and, for AES-CM, runs the AES block
// cipher one 16-byte block per call from a general loop. Here a [Session]
// holds what one master key derives (stateless cipher objects, safe for
// concurrent use) and a [Stream] holds one SSRC's state (rollover counter,
// replay window, scratch buffers) and is owned by one goroutine, so the hot
// path takes no lock and looks nothing up.
//
// Profiles: AEAD_AES_128_GCM, AEAD_AES_256_GCM (RFC 7714),
// AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32 (RFC 3711, RFC 5764).
// Not supported: MKI, key derivation rates other than 0 (DTLS-SRTP never
// uses them), unencrypted SRTP, header-extension encryption (RFC 6904,
// cryptex) and the rollover-counter-carrying transform (RFC 4771).
package srtpx

import "fmt"

// Profile is a DTLS-SRTP protection profile, with the code of RFC 5764 §4.1.2
// and RFC 7714 §14.2 (the same numbers pion/dtls and pion/srtp use).
type Profile uint16

// The supported profiles.
const (
	AES128CMHMACSHA1_80 Profile = 0x0001
	AES128CMHMACSHA1_32 Profile = 0x0002
	AEADAES128GCM       Profile = 0x0007
	AEADAES256GCM       Profile = 0x0008
)

// params describes one profile.
type params struct {
	name       string
	keyLen     int // master and session key
	saltLen    int // master and session salt
	authKeyLen int // HMAC-SHA1 key (0 for AEAD)
	rtpTagLen  int // authentication tag appended to SRTP
	rtcpTagLen int // authentication tag appended to SRTCP
	aead       bool
}

func (p Profile) params() (params, bool) {
	switch p {
	case AES128CMHMACSHA1_80:
		return params{"AES_CM_128_HMAC_SHA1_80", 16, 14, 20, 10, 10, false}, true
	case AES128CMHMACSHA1_32:
		// RFC 5764 §4.1.2: the 32-bit tag is for SRTP only; SRTCP keeps 80 bits.
		return params{"AES_CM_128_HMAC_SHA1_32", 16, 14, 20, 4, 10, false}, true
	case AEADAES128GCM:
		return params{"AEAD_AES_128_GCM", 16, 12, 0, 16, 16, true}, true
	case AEADAES256GCM:
		return params{"AEAD_AES_256_GCM", 32, 12, 0, 16, 16, true}, true
	}
	return params{}, false
}

// Supported reports whether the profile is implemented here.
func (p Profile) Supported() bool {
	_, ok := p.params()
	return ok
}

// KeyLen is the master key length in bytes (0 for an unsupported profile).
func (p Profile) KeyLen() int {
	pp, _ := p.params()
	return pp.keyLen
}

// SaltLen is the master salt length in bytes (0 for an unsupported profile).
func (p Profile) SaltLen() int {
	pp, _ := p.params()
	return pp.saltLen
}

// AEAD reports whether the profile is an AES-GCM one.
func (p Profile) AEAD() bool {
	pp, _ := p.params()
	return pp.aead
}

func (p Profile) String() string {
	if pp, ok := p.params(); ok {
		return pp.name
	}
	return fmt.Sprintf("Profile(0x%04x)", uint16(p))
}
