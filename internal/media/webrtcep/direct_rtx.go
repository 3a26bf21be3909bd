package webrtcep

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/interceptor/twccrx"
	"github.com/gorento/gorento/internal/media/srtpx"
)

// RTX on the direct path.
//
// Pion hands a repaired packet (RFC 4588) to the track reader only from
// inside TrackRemote.Read, before it blocks on the media stream: once the
// media goes direct, that read never returns and repairs would wait
// forever. So a direct stream takes its RTX SSRC over too: the packet is
// unprotected, counted (statistics and transport-cc on the RTX SSRC, as
// Pion's path counts it), and unwrapped in place (the original sequence
// number from the payload's first two bytes, the media SSRC and payload
// type) before it enters the pipeline like any packet of the stream.
// Padding-only RTX packets (bandwidth probes) are counted and dropped.

// rtxState is the RTX side of a direct stream; the stream's mu guards it.
type rtxState struct {
	ssrc    uint32
	apt     map[uint8]uint8 // RTX payload type → media payload type
	started bool
	ext     uint64 // SRTP index of the newest RTX packet, either path
	srtp    *srtpx.Stream
}

// rtxOf returns the RTX side of a track (nil: no RTX negotiated, or its
// SSRC is not known yet).
func rtxOf(tr *webrtc.TrackRemote, codecs []webrtc.RTPCodecParameters) *rtxState {
	ssrc := uint32(tr.RtxSSRC())
	if ssrc == 0 {
		return nil
	}
	r := &rtxState{ssrc: ssrc, apt: map[uint8]uint8{}}
	for _, c := range codecs {
		if !isRTX(c) {
			continue
		}
		for _, f := range strings.Split(c.SDPFmtpLine, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(f), "apt="); ok {
				if apt, err := strconv.ParseUint(v, 10, 8); err == nil {
					r.apt[uint8(c.PayloadType)] = uint8(apt)
				}
			}
		}
	}
	return r
}

// rtxNegotiated reports whether codecs include RTX.
func rtxNegotiated(codecs []webrtc.RTPCodecParameters) bool {
	for _, c := range codecs {
		if isRTX(c) {
			return true
		}
	}
	return false
}

// seen follows the RTX sequence of repairs that Pion's path delivered, so
// the direct path starts from its rollover counter; the caller holds mu.
func (r *rtxState) seen(seq uint16) {
	if !r.started {
		r.started, r.ext = true, uint64(seq)
		return
	}
	if i := int64(r.ext) + int64(int16(seq-uint16(r.ext))); i > int64(r.ext) {
		r.ext = uint64(i)
	}
}

// take starts the direct path of the RTX SSRC; the caller holds mu.
func (r *rtxState) take(sess *srtpx.Session) {
	r.srtp = sess.NewStream(r.ssrc)
	if r.started {
		r.srtp.ContinueRx(r.ext)
	}
}

// receiveRTX is the direct path of one SRTP datagram of the stream's RTX
// SSRC (see receive).
func (s *rxStream) receiveRTX(d []byte) bool {
	b := media.GetPacketBuf()
	buf := b.Data()
	if len(d) > len(buf) {
		b.Free()
		return false
	}
	n := copy(buf, d)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rtx
	if r == nil || r.srtp == nil || s.closed {
		b.Free()
		return false
	}
	out, err := r.srtp.Unprotect(buf[:n])
	if err != nil && !s.proven {
		b.Free()
		return false
	}
	if err != nil || !b.ParseRTP(len(out)) {
		s.dropped++
		b.Free()
		return true
	}
	s.proven = true
	pkt := b.Packet()
	rtxSeq, _ := r.srtp.RxIndex()
	r.ext = max(r.ext, rtxSeq)
	if g := s.w.stats.Load(); g != nil {
		g.RecordInbound(r.ssrc, s.clockRate, &pkt.Header, len(pkt.Payload))
	}
	if s.twccID != 0 {
		if seq, ok := twccrx.Sequence(pkt.Header.GetExtension(s.twccID)); ok {
			if t := s.w.twcc.Load(); t != nil {
				t.Record(r.ssrc, seq, time.Now())
			}
		}
	}
	apt, ok := r.apt[pkt.Header.PayloadType]
	if len(pkt.Payload) < 2 || !ok { // a probe, or not a payload type we know
		b.Free()
		return true
	}
	// Unwrap in place: the original sequence number moves into the
	// header, the payload moves up two bytes.
	hl := len(out) - len(pkt.Payload) - int(pkt.Header.PaddingSize)
	osn := binary.BigEndian.Uint16(buf[hl:])
	buf[1] = buf[1]&0x80 | apt
	binary.BigEndian.PutUint16(buf[2:], osn)
	binary.BigEndian.PutUint32(buf[8:], s.ssrc)
	copy(buf[hl:], buf[hl+2:len(out)])
	if !b.ParseRTP(len(out) - 2) {
		s.dropped++
		b.Free()
		return true
	}
	if apt != s.pt || s.codec == nil {
		c := s.codecOf(apt)
		if c == nil {
			s.dropped++
			b.Free()
			return true
		}
		s.pt, s.codec = apt, c
	}
	s.push(b, s.codec)
	return true
}
