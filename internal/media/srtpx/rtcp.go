package srtpx

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
)

const (
	rtcpHeaderLen  = 8         // fixed header and sender SSRC: authenticated, never encrypted
	rtcpEFlag      = 1 << 31   // E bit of the ESRTCP word: payload encrypted
	maxRTCPIndex   = 1<<31 - 1 // SRTCP index is 31 bits (RFC 3711 §3.4)
	rtcpIndexBytes = 4
)

// ProtectRTCP encrypts the (compound) RTCP packet pkt in place and appends
// the E flag with the SRTCP index and the authentication tag within pkt's
// capacity, returning pkt[:len(pkt)+RTCPOverhead()]. The stream's SRTCP index
// counts packets; like libsrtp and pion/srtp the first packet carries 1.
// pkt's sender SSRC (bytes 4..7) must be the stream's.
func (st *Stream) ProtectRTCP(pkt []byte) ([]byte, error) {
	if err := st.checkRTCP(pkt, len(pkt)); err != nil {
		return nil, err
	}
	if spare := cap(pkt) - len(pkt); spare < st.s.RTCPOverhead() {
		return nil, fmt.Errorf("%w: %d spare bytes, %d needed", ErrBufferSize, spare, st.s.RTCPOverhead())
	}
	if st.rtcpTx >= maxRTCPIndex {
		return nil, fmt.Errorf("%w: srtcp ssrc %d", ErrExhausted, st.ssrc)
	}
	st.rtcpTx++
	index := st.rtcpTx
	k := &st.s.rtcp
	n := len(pkt)
	if k.aead != nil {
		st.gcmSetIndex(&st.gcmRTCPIV, k.saltLo, uint64(index))
		st.rtcpAAD(pkt, index|rtcpEFlag)
		k.aead.Seal(pkt[rtcpHeaderLen:rtcpHeaderLen], st.iv[:], pkt[rtcpHeaderLen:n], st.aad[:])
		out := pkt[:n+16+rtcpIndexBytes]
		binary.BigEndian.PutUint32(out[n+16:], index|rtcpEFlag)
		return out, nil
	}
	st.rtcpCM()
	st.rtcpKS.xorKeyStream(pkt[rtcpHeaderLen:n], st.cmRTCPHi, (k.saltLo^uint64(index))<<16)
	out := pkt[:n+rtcpIndexBytes+st.s.p.rtcpTagLen]
	binary.BigEndian.PutUint32(out[n:], index|rtcpEFlag)
	st.rtcpAuth(out[:n+rtcpIndexBytes])
	copy(out[n+rtcpIndexBytes:], st.mac[:])
	return out, nil
}

// UnprotectRTCP authenticates and (when its E flag is set) decrypts the
// SRTCP packet pkt in place and returns the RTCP packet. A packet whose
// SRTCP index was seen, or is older than the replay window, is refused.
// When an error is returned, pkt's contents are unspecified.
func (st *Stream) UnprotectRTCP(pkt []byte) ([]byte, error) {
	tagLen := st.s.p.rtcpTagLen
	n := len(pkt) - tagLen - rtcpIndexBytes // length of the RTCP packet
	if n < rtcpHeaderLen {
		return nil, fmt.Errorf("%w: srtcp of %d bytes", ErrShortPacket, len(pkt))
	}
	if err := st.checkRTCP(pkt, n); err != nil {
		return nil, err
	}
	k := &st.s.rtcp
	if k.aead != nil {
		return st.openRTCPGCM(pkt, n)
	}
	word := binary.BigEndian.Uint32(pkt[n:])
	index := word &^ rtcpEFlag
	if err := st.rtcpRx.check(uint64(index)); err != nil {
		return nil, fmt.Errorf("srtcp ssrc %d: %w", st.ssrc, err)
	}
	st.rtcpCM()
	st.rtcpAuth(pkt[:n+rtcpIndexBytes])
	if !hmac.Equal(st.mac[:tagLen], pkt[n+rtcpIndexBytes:]) {
		return nil, fmt.Errorf("%w: srtcp ssrc %d index %d", ErrAuth, st.ssrc, index)
	}
	if word&rtcpEFlag != 0 {
		// Capped at the packet: UnprotectRTCP writes nothing past it.
		st.rtcpKS.xorKeyStream(pkt[rtcpHeaderLen:n:len(pkt)], st.cmRTCPHi, (k.saltLo^uint64(index))<<16)
	}
	st.rtcpRx.accept(uint64(index))
	return pkt[:n], nil
}

// openRTCPGCM is UnprotectRTCP for GCM: pkt is header | ciphertext | tag |
// ESRTCP word (RFC 7714 §9).
func (st *Stream) openRTCPGCM(pkt []byte, n int) ([]byte, error) {
	k := &st.s.rtcp
	word := binary.BigEndian.Uint32(pkt[len(pkt)-rtcpIndexBytes:])
	index := word &^ rtcpEFlag
	if err := st.rtcpRx.check(uint64(index)); err != nil {
		return nil, fmt.Errorf("srtcp ssrc %d: %w", st.ssrc, err)
	}
	st.gcmSetIndex(&st.gcmRTCPIV, k.saltLo, uint64(index))
	if word&rtcpEFlag != 0 {
		st.rtcpAAD(pkt, word)
		if _, err := k.aead.Open(pkt[rtcpHeaderLen:rtcpHeaderLen], st.iv[:], pkt[rtcpHeaderLen:n+16], st.aad[:]); err != nil {
			return nil, fmt.Errorf("%w: srtcp ssrc %d index %d", ErrAuth, st.ssrc, index)
		}
	} else {
		// Authenticated only (RFC 7714 §9.3): the AAD is the whole RTCP packet
		// followed by the ESRTCP word, the ciphertext just the tag. Move the
		// tag aside and the word next to the packet to make the AAD contiguous.
		copy(st.mac[:16], pkt[n:n+16])
		binary.BigEndian.PutUint32(pkt[n:], word)
		if _, err := k.aead.Open(nil, st.iv[:], st.mac[:16], pkt[:n+rtcpIndexBytes]); err != nil {
			return nil, fmt.Errorf("%w: srtcp ssrc %d index %d", ErrAuth, st.ssrc, index)
		}
	}
	st.rtcpRx.accept(uint64(index))
	return pkt[:n], nil
}

// checkRTCP validates the fixed header of an RTCP packet of n bytes at pkt.
func (st *Stream) checkRTCP(pkt []byte, n int) error {
	if n < rtcpHeaderLen {
		return fmt.Errorf("%w: rtcp of %d bytes", ErrShortPacket, n)
	}
	if pkt[0]>>6 != 2 {
		return fmt.Errorf("%w: rtcp version %d", ErrHeader, pkt[0]>>6)
	}
	if ssrc := binary.BigEndian.Uint32(pkt[4:]); ssrc != st.ssrc {
		return fmt.Errorf("%w: rtcp %d, stream %d", ErrSSRC, ssrc, st.ssrc)
	}
	return nil
}

// rtcpAAD assembles the GCM additional data of SRTCP: the first 8 bytes and
// the ESRTCP word (RFC 7714 §9.2).
func (st *Stream) rtcpAAD(pkt []byte, word uint32) {
	copy(st.aad[:rtcpHeaderLen], pkt)
	binary.BigEndian.PutUint32(st.aad[rtcpHeaderLen:], word)
}

// rtcpCM makes the CM keystream and HMAC of SRTCP on first use: most streams
// never carry RTCP of their own SSRC.
func (st *Stream) rtcpCM() {
	if st.rtcpMAC == nil {
		st.rtcpKS = st.s.newKeystream(&st.s.rtcp)
		st.rtcpMAC = hmac.New(sha1.New, st.s.rtcp.authKey)
	}
}

// rtcpAuth computes HMAC-SHA1 over the authenticated portion (packet and
// ESRTCP word) into st.mac (RFC 3711 §3.4, §4.2).
func (st *Stream) rtcpAuth(b []byte) {
	st.rtcpMAC.Reset()
	st.rtcpMAC.Write(b)
	st.rtcpMAC.Sum(st.mac[:0])
}
