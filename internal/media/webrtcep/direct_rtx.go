package webrtcep

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"

	"github.com/pion/interceptor"
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
	return newRTXState(ssrc, codecs)
}

// newRTXState is the RTX side of a stream whose RTX SSRC is ssrc.
func newRTXState(ssrc uint32, codecs []webrtc.RTPCodecParameters) *rtxState {
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

// Repairs of a stream that stays on Pion's path (a simulcast layer).
//
// Pion returns a repair from TrackRemote.Read only before it blocks for
// the next media packet, so a layer's repair waited in Pion for the
// layer's next packet: the next frame, ~33 ms at 30 fps, for almost every
// repair of a publisher's simulcast layers (traced on issue 15's 3 % loss
// row: Chromium answered our NACKs in 0.3–4 ms, its repairs entered the
// pipeline 28–36 ms after the NACK, median 33; a viewer's jitter buffer
// of 10–60 ms gave up on some of those frames). So once the RTX SSRC of
// such a stream is known (from the offer's FID group, or from the first
// repair Pion unwraps: Chrome's simulcast RTX is found by its
// repaired-rid), the direct path reads the RTX SSRC alone, and repairs
// enter the pipeline as they arrive; the layer's media stays Pion's.

// learnRTX gives a stream on Pion's path its RTX side from the attributes
// of a repair Pion unwrapped; it reports whether the side is new (the
// caller then has the direct path take it). The caller holds mu.
func (s *rxStream) learnRTX(a interceptor.Attributes) bool {
	if s.rtx != nil || s.direct {
		return false
	}
	ssrc, ok := a.Get(webrtc.AttributeRtxSsrc).(uint32)
	if !ok || ssrc == 0 {
		return false
	}
	s.rtx = newRTXState(ssrc, s.codecs)
	return true
}

// takeRTX has the direct path read the RTX SSRC of s, a stream that stays
// on Pion's path, once the remote keys are known (route takes it then).
func (d *directIn) takeRTX(s *rxStream) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed && d.sess != nil && d.cancel != nil {
		d.takeRTXLocked(s)
	}
}

// takeRTXLocked adds s to the streams read per datagram for its RTX SSRC
// alone (HandleInbound leaves its media to Pion); the caller holds d.mu.
func (d *directIn) takeRTXLocked(s *rxStream) {
	s.mu.Lock()
	ok := !s.closed && s.rtx != nil && s.rtx.srtp == nil
	if ok {
		s.rtx.take(d.sess)
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	next := []*rxStream{s}
	if cur := d.streams.Load(); cur != nil {
		next = append(next, *cur...)
	}
	d.streams.Store(&next)
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
