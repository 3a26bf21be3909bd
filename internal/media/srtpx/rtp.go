package srtpx

import (
	"crypto/hmac"
	"encoding/binary"
	"fmt"
)

// rtpHeaderLen is the length of the RTP header at the start of pkt (fixed
// header, CSRCs, header extension), which SRTP authenticates but does not
// encrypt (RFC 3550 §5.1, §5.3.1).
func rtpHeaderLen(pkt []byte) (int, error) {
	if len(pkt) < 12 {
		return 0, fmt.Errorf("%w: rtp of %d bytes", ErrShortPacket, len(pkt))
	}
	if pkt[0]>>6 != 2 {
		return 0, fmt.Errorf("%w: rtp version %d", ErrHeader, pkt[0]>>6)
	}
	n := 12 + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 {
		if len(pkt) < n+4 {
			return 0, fmt.Errorf("%w: rtp extension header cut at %d bytes", ErrShortPacket, len(pkt))
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(pkt[n+2:]))
	}
	if len(pkt) < n {
		return 0, fmt.Errorf("%w: rtp header of %d bytes in %d", ErrShortPacket, n, len(pkt))
	}
	return n, nil
}

// Protect encrypts the RTP packet pkt (header and payload) in place and
// appends the authentication tag within pkt's capacity, returning the SRTP
// packet: pkt[:len(pkt)+Overhead()]. With 16 bytes of capacity after pkt,
// AES-CM runs ~2x faster (gcmCTR uses them as scratch before the tag is
// written); the egress reserves them. The packet index is the sequence number
// extended by the stream's rollover counter, which Protect keeps: it counts a
// wrap when the sequence number passes 65535, and a sequence number just
// before the highest one sent (a retransmission) keeps the older ROC.
func (st *Stream) Protect(pkt []byte) ([]byte, error) {
	hdrLen, err := st.checkRTP(pkt)
	if err != nil {
		return nil, err
	}
	seq := binary.BigEndian.Uint16(pkt[2:])
	index := uint64(st.initROC)<<16 | uint64(seq)
	if st.txStarted {
		index = estimateIndex(st.txTop, seq)
	}
	if index >= maxIndex {
		return nil, fmt.Errorf("%w: ssrc %d", ErrExhausted, st.ssrc)
	}
	out, err := st.sealRTP(pkt, hdrLen, index)
	if err != nil {
		return nil, err
	}
	if !st.txStarted || index > st.txTop {
		st.txStarted, st.txTop = true, index
	}
	return out, nil
}

// ProtectIndex is Protect with the packet index (ROC<<16 | sequence number)
// given by the caller, which numbers its own output; the index's low 16 bits
// must equal the header's sequence number. It leaves Protect's rollover
// tracking alone. Use it where the sender knows the exact index, e.g. a
// retransmission that must reuse the original packet's ROC across a wrap.
func (st *Stream) ProtectIndex(pkt []byte, index uint64) ([]byte, error) {
	hdrLen, err := st.checkRTP(pkt)
	if err != nil {
		return nil, err
	}
	if uint16(index) != binary.BigEndian.Uint16(pkt[2:]) {
		return nil, fmt.Errorf("%w: index %d, sequence number %d", ErrSequence, index, binary.BigEndian.Uint16(pkt[2:]))
	}
	if index >= maxIndex {
		return nil, fmt.Errorf("%w: ssrc %d", ErrExhausted, st.ssrc)
	}
	return st.sealRTP(pkt, hdrLen, index)
}

// checkRTP validates an RTP packet about to be protected.
func (st *Stream) checkRTP(pkt []byte) (int, error) {
	hdrLen, err := rtpHeaderLen(pkt)
	if err != nil {
		return 0, err
	}
	if ssrc := binary.BigEndian.Uint32(pkt[8:]); ssrc != st.ssrc {
		return 0, fmt.Errorf("%w: %d, stream %d", ErrSSRC, ssrc, st.ssrc)
	}
	if cap(pkt)-len(pkt) < st.s.p.rtpTagLen {
		return 0, fmt.Errorf("%w: %d spare bytes, %d needed", ErrBufferSize, cap(pkt)-len(pkt), st.s.p.rtpTagLen)
	}
	return hdrLen, nil
}

func (st *Stream) sealRTP(pkt []byte, hdrLen int, index uint64) ([]byte, error) {
	k := &st.s.rtp
	n := len(pkt)
	if k.aead != nil {
		st.gcmSetIndex(&st.gcmRTPIV, k.saltLo, index)
		// In place: the ciphertext overwrites the payload, the tag follows it.
		k.aead.Seal(pkt[hdrLen:hdrLen], st.iv[:], pkt[hdrLen:n], pkt[:hdrLen])
		return pkt[:n+16], nil
	}
	st.rtpKS.xorKeyStream(pkt[hdrLen:n], st.cmRTPHi, (k.saltLo^index)<<16)
	st.rtpAuth(pkt[:n], index)
	out := pkt[:n+st.s.p.rtpTagLen]
	copy(out[n:], st.mac[:])
	return out, nil
}

// rtpAuth computes HMAC-SHA1(auth key, packet || ROC) into st.mac (RFC 3711 §4.2).
func (st *Stream) rtpAuth(pkt []byte, index uint64) {
	binary.BigEndian.PutUint32(st.roc[:], uint32(index>>16))
	st.rtpMAC.Reset()
	st.rtpMAC.Write(pkt)
	st.rtpMAC.Write(st.roc[:])
	st.rtpMAC.Sum(st.mac[:0])
}

// Unprotect authenticates and decrypts the SRTP packet pkt in place and
// returns the RTP packet (pkt without its tag). The packet index is estimated
// from the sequence number and the highest index accepted so far; a packet
// seen before, or older than the replay window, is refused. Nothing of the
// stream's state changes unless the packet authenticates.
func (st *Stream) Unprotect(pkt []byte) ([]byte, error) {
	tagLen := st.s.p.rtpTagLen
	if len(pkt) < 12+tagLen {
		return nil, fmt.Errorf("%w: srtp of %d bytes", ErrShortPacket, len(pkt))
	}
	n := len(pkt) - tagLen
	hdrLen, err := rtpHeaderLen(pkt[:n])
	if err != nil {
		return nil, err
	}
	if ssrc := binary.BigEndian.Uint32(pkt[8:]); ssrc != st.ssrc {
		return nil, fmt.Errorf("%w: %d, stream %d", ErrSSRC, ssrc, st.ssrc)
	}
	seq := binary.BigEndian.Uint16(pkt[2:])
	index := uint64(st.initROC)<<16 | uint64(seq)
	if st.rx.started {
		index = estimateIndex(st.rx.top, seq)
	}
	if index >= maxIndex {
		return nil, fmt.Errorf("%w: ssrc %d", ErrExhausted, st.ssrc)
	}
	if err := st.rx.check(index); err != nil {
		return nil, fmt.Errorf("ssrc %d: %w", st.ssrc, err)
	}
	k := &st.s.rtp
	if k.aead != nil {
		st.gcmSetIndex(&st.gcmRTPIV, k.saltLo, index)
		if _, err := k.aead.Open(pkt[hdrLen:hdrLen], st.iv[:], pkt[hdrLen:], pkt[:hdrLen]); err != nil {
			return nil, fmt.Errorf("%w: ssrc %d index %d", ErrAuth, st.ssrc, index)
		}
	} else {
		st.rtpAuth(pkt[:n], index)
		if !hmac.Equal(st.mac[:tagLen], pkt[n:]) {
			return nil, fmt.Errorf("%w: ssrc %d index %d", ErrAuth, st.ssrc, index)
		}
		// Capped at the packet: Unprotect writes nothing past it.
		st.rtpKS.xorKeyStream(pkt[hdrLen:n:len(pkt)], st.cmRTPHi, (k.saltLo^index)<<16)
	}
	st.rx.accept(index)
	return pkt[:n], nil
}
