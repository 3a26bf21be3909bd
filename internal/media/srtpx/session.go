package srtpx

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// DefaultReplayWindow is the replay window of a Session, in packets. It is
// libwebrtc's SRTP window: retransmissions answered after a NACK arrive late,
// and a narrow window would drop them as too old.
const DefaultReplayWindow = 1024

// Session is what one master key and salt derive for one direction of an
// SRTP association (RFC 3711 §4.3): the session keys, salts and cipher
// objects of SRTP and SRTCP. It has no per-packet state and is safe for
// concurrent use. Packets are protected through a [Stream] per SSRC.
type Session struct {
	profile   Profile
	p         params
	window    int         // replay window in packets, a multiple of 64
	rtp, rtcp sessionKeys // derived material per protocol

	// newKeystream makes a Stream's AES-CTR keystream generator (CM only).
	// Tests swap it to measure alternatives; see gcmctr.go and ctr.go.
	newKeystream func(*sessionKeys) keystream
}

// sessionKeys is the derived material of one protocol (SRTP or SRTCP).
type sessionKeys struct {
	aead    cipher.AEAD  // GCM profiles
	block   cipher.Block // CM profiles: AES with the session key
	ctr     *lazyGCMKey  // CM profiles: gcmCTR's precomputation for block
	authKey []byte       // CM profiles: HMAC-SHA1 key
	salt    [14]byte     // session salt (12 bytes used by GCM)
	saltHi  uint64       // salt bytes 0..7, big endian
	saltLo  uint64       // CM: salt bytes 8..13; GCM: salt bytes 6..11 (48 bits)
}

// Option configures a Session.
type Option func(*Session) error

// WithReplayWindow sets the replay window of received SRTP and SRTCP in
// packets (64 to 32768, rounded up to a multiple of 64; default 1024).
func WithReplayWindow(packets int) Option {
	return func(s *Session) error {
		if packets < 64 || packets > 32768 {
			return fmt.Errorf("%w: %d", ErrReplayWindow, packets)
		}
		s.window = (packets + 63) &^ 63
		return nil
	}
}

// NewSession derives the session keys of one direction from its master key
// and salt (key derivation rate 0).
func NewSession(p Profile, masterKey, masterSalt []byte, opts ...Option) (*Session, error) {
	pp, ok := p.params()
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrProfile, p)
	}
	if len(masterKey) != pp.keyLen || len(masterSalt) != pp.saltLen {
		return nil, fmt.Errorf("%w: %v wants a %d-byte key and %d-byte salt, got %d and %d",
			ErrKeyLength, p, pp.keyLen, pp.saltLen, len(masterKey), len(masterSalt))
	}
	var k [6][]byte
	for i, d := range []struct {
		label byte
		n     int
	}{
		{labelRTPKey, pp.keyLen}, {labelRTPSalt, pp.saltLen}, {labelRTPAuth, pp.authKeyLen},
		{labelRTCPKey, pp.keyLen}, {labelRTCPSalt, pp.saltLen}, {labelRTCPAuth, pp.authKeyLen},
	} {
		var err error
		if k[i], err = derive(masterKey, masterSalt, d.label, d.n); err != nil {
			return nil, err
		}
	}
	return newSessionFromKeys(p, k[0], k[1], k[2], k[3], k[4], k[5], opts...)
}

// newSessionFromKeys builds a Session from already derived session keys (the
// form of the RFC test vectors).
func newSessionFromKeys(p Profile, rtpKey, rtpSalt, rtpAuth, rtcpKey, rtcpSalt, rtcpAuth []byte, opts ...Option) (*Session, error) {
	pp, ok := p.params()
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrProfile, p)
	}
	s := &Session{profile: p, p: pp, window: DefaultReplayWindow, newKeystream: newGCMKeystream}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	var err error
	if s.rtp, err = newSessionKeys(pp, rtpKey, rtpSalt, rtpAuth); err != nil {
		return nil, err
	}
	if s.rtcp, err = newSessionKeys(pp, rtcpKey, rtcpSalt, rtcpAuth); err != nil {
		return nil, err
	}
	return s, nil
}

func newSessionKeys(pp params, key, salt, auth []byte) (sessionKeys, error) {
	var k sessionKeys
	if len(key) != pp.keyLen || len(salt) != pp.saltLen || len(auth) != pp.authKeyLen {
		return k, fmt.Errorf("%w: session keys of %s", ErrKeyLength, pp.name)
	}
	blk, err := aes.NewCipher(key)
	if err != nil {
		return k, fmt.Errorf("%w: %w", ErrKeyLength, err)
	}
	copy(k.salt[:], salt)
	k.saltHi = binary.BigEndian.Uint64(k.salt[0:8])
	if pp.aead {
		if k.aead, err = cipher.NewGCM(blk); err != nil {
			return k, fmt.Errorf("srtp: gcm: %w", err)
		}
		k.saltLo = uint64(binary.BigEndian.Uint16(k.salt[6:]))<<32 | uint64(binary.BigEndian.Uint32(k.salt[8:]))
		return k, nil
	}
	k.block, k.ctr = blk, &lazyGCMKey{}
	k.authKey = append([]byte(nil), auth...)
	k.saltLo = uint64(binary.BigEndian.Uint16(k.salt[8:]))<<32 | uint64(binary.BigEndian.Uint32(k.salt[10:]))
	return k, nil
}

// Profile is the session's protection profile.
func (s *Session) Profile() Profile { return s.profile }

// Overhead is the number of bytes Protect appends to an RTP packet (the
// authentication tag): 16 for GCM, 10 for CM-80, 4 for CM-32.
func (s *Session) Overhead() int { return s.p.rtpTagLen }

// RTCPOverhead is the number of bytes ProtectRTCP appends to an RTCP packet
// (the authentication tag and the 4-byte E flag and SRTCP index).
func (s *Session) RTCPOverhead() int { return s.p.rtcpTagLen + 4 }
