package srtpx

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"hash"
)

// Stream protects and unprotects the packets of one SSRC with a Session's
// keys. It keeps that SSRC's rollover counters, SRTCP index, replay windows
// and scratch buffers, so it is not safe for concurrent use: one owner
// (a transport's egress worker, an ingress reader) uses it at a time.
// Creating a Stream allocates; using it does not.
type Stream struct {
	s    *Session
	ssrc uint32

	// SRTP
	txStarted bool
	txTop     uint64 // highest index protected by Protect
	initROC   uint32 // ROC of the first packet in either direction (SetROC)
	rx        replayWindow
	// SRTCP
	rtcpTx uint32 // last SRTCP index sent
	rtcpRx replayWindow

	// Per-stream values derived from the SSRC.
	gcmRTPIV, gcmRTCPIV [12]byte // GCM IV with salt and SSRC applied, index bytes still salt only
	cmRTPHi, cmRTCPHi   uint64   // CM counter high half: salt XOR SSRC

	// CM state: keystream generators and HMACs (RTCP's made on first use).
	rtpKS, rtcpKS   keystream
	rtpMAC, rtcpMAC hash.Hash

	// Scratch. Fields, not locals: slices of them are handed to interface
	// methods (AEAD, hash), which would move locals to the heap per call.
	iv  [12]byte
	aad [12]byte
	mac [sha1.Size]byte
	roc [4]byte
}

// NewStream returns the stream of one SSRC.
func (s *Session) NewStream(ssrc uint32) *Stream {
	st := &Stream{
		s:      s,
		ssrc:   ssrc,
		rx:     newReplayWindow(s.window),
		rtcpRx: newReplayWindow(s.window),
	}
	if s.p.aead {
		st.gcmRTPIV = gcmIVBase(&s.rtp, ssrc)
		st.gcmRTCPIV = gcmIVBase(&s.rtcp, ssrc)
		return st
	}
	st.cmRTPHi = s.rtp.saltHi ^ uint64(ssrc)
	st.cmRTCPHi = s.rtcp.saltHi ^ uint64(ssrc)
	st.rtpKS = s.newKeystream(&s.rtp)
	st.rtpMAC = hmac.New(sha1.New, s.rtp.authKey)
	return st
}

// gcmIVBase is the constant part of a GCM IV (RFC 7714 §8.1, §9.1): 2 zero
// bytes, the SSRC, then the index, all XORed with the salt. The index bytes
// (6..11) are filled per packet.
func gcmIVBase(k *sessionKeys, ssrc uint32) [12]byte {
	var iv [12]byte
	copy(iv[:], k.salt[:12])
	binary.BigEndian.PutUint32(iv[2:], binary.BigEndian.Uint32(iv[2:])^ssrc)
	return iv
}

// SSRC is the stream's synchronization source.
func (st *Stream) SSRC() uint32 { return st.ssrc }

// SetROC sets the rollover counter the stream assumes for the first packet it
// protects with Protect and the first it unprotects, for a stream that joins
// after a wrap (an SDES peer that told us its ROC). Call it before the first
// packet; later it only moves directions that have not started.
func (st *Stream) SetROC(roc uint32) { st.initROC = roc }

// gcmSetIndex writes a 48-bit index into the IV scratch (bytes 6..11 XOR salt).
func (st *Stream) gcmSetIndex(base *[12]byte, saltLo, index uint64) {
	st.iv = *base
	v := saltLo ^ index
	binary.BigEndian.PutUint16(st.iv[6:], uint16(v>>32))
	binary.BigEndian.PutUint32(st.iv[8:], uint32(v))
}

// ContinueRx hands the receiving side of the stream over from another SRTP
// context that already unprotected the SSRC's packets up to index top
// (Pion's, when webrtcep's direct inbound path takes a stream over):
// Unprotect then estimates indexes from top, so the rollover counter
// carries over, and refuses every index up to top, which the other context
// may have accepted. It does nothing once this stream has unprotected.
func (st *Stream) ContinueRx(top uint64) {
	if st.rx.started {
		return
	}
	st.rx.started, st.rx.top = true, top
	for i := range st.rx.bits {
		st.rx.bits[i] = ^uint64(0)
	}
}

// RxIndex is the highest packet index Unprotect accepted (or ContinueRx
// set); false before either.
func (st *Stream) RxIndex() (uint64, bool) { return st.rx.top, st.rx.started }
