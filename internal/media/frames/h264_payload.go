package frames

import (
	"encoding/binary"
	"fmt"
)

// h264Payload depacketises RFC 6184 packetization-mode 0/1 (single NAL,
// STAP-A, FU-A) into Annex B access units.
//
// Written here rather than with pion's codecs.H264Packet: that one works a
// packet at a time, keeps FU-A fragments across calls (stale after a loss)
// and allocates per packet; here the Depacketizer hands over a whole, gap-free
// access unit, which is appended into one buffer in one pass while the
// parameter sets are tracked: an IDR access unit without SPS/PPS gets the
// last ones seen (or the SDP's sprop-parameter-sets) prepended, so every
// keyframe a recording or a decoder starts from is self-contained, and an
// IDR with no parameter sets known at all is not reported as a keyframe.
type h264Payload struct {
	params h264Params
}

func (*h264Payload) isHead(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0]&0x1f == nalFUA {
		return len(b) > 1 && b[1]&0x80 != 0
	}
	return true
}

func (*h264Payload) frameEndsWithMarker() bool { return true }
func (*h264Payload) reset()                    {}

func (p *h264Payload) assemble(dst []byte, ps [][]byte) ([]byte, bool, error) {
	start := len(dst)
	var idr, sps, pps, vcl bool
	note := func(nal []byte) {
		switch t := nal[0] & 0x1f; {
		case t == nalIDR:
			idr, vcl = true, true
		case t >= 1 && t <= 5:
			vcl = true
		case t == nalSPS:
			sps = true
			p.params.learn(nal)
		case t == nalPPS:
			pps = true
			p.params.learn(nal)
		}
	}
	fuStart := -1 // offset in dst of the NAL an FU-A is building
	for _, b := range ps {
		if len(b) == 0 {
			continue
		}
		switch t := b[0] & 0x1f; {
		case t >= 1 && t <= 23:
			dst = append(append(dst, startCode...), b...)
			note(b)
		case t == nalSTAPA:
			for r := b[1:]; len(r) > 0; {
				if len(r) < 2 {
					return dst[:start], false, fmt.Errorf("%w: STAP-A truncated", errBadPayload)
				}
				n := int(binary.BigEndian.Uint16(r))
				r = r[2:]
				if n == 0 || n > len(r) {
					return dst[:start], false, fmt.Errorf("%w: STAP-A NAL size %d", errBadPayload, n)
				}
				dst = append(append(dst, startCode...), r[:n]...)
				note(r[:n])
				r = r[n:]
			}
		case t == nalFUA:
			if len(b) < 2 {
				return dst[:start], false, fmt.Errorf("%w: FU-A header", errBadPayload)
			}
			if b[1]&0x80 != 0 { // start
				dst = append(dst, startCode...)
				fuStart = len(dst)
				dst = append(dst, b[0]&0xe0|b[1]&0x1f)
			} else if fuStart < 0 {
				return dst[:start], false, fmt.Errorf("%w: FU-A without start", errBadPayload)
			}
			dst = append(dst, b[2:]...)
			if b[1]&0x40 != 0 { // end
				note(dst[fuStart:])
				fuStart = -1
			}
		default:
			return dst[:start], false, fmt.Errorf("%w: NAL type %d (packetization-mode 2 is not supported)", errBadPayload, t)
		}
	}
	if fuStart >= 0 { // the frame ended inside an FU-A: unusable
		return dst[:start], false, fmt.Errorf("%w: FU-A without end", errBadPayload)
	}
	if !vcl { // parameter sets or SEI alone: remembered, not a frame
		return dst[:start], false, nil
	}
	if !idr {
		return dst, false, nil
	}
	if !sps || !pps {
		if !p.params.complete() {
			return dst, false, nil
		}
		dst = p.prependParams(dst, start, !sps, !pps)
	}
	return dst, true, nil
}

// prependParams inserts the remembered SPS and/or PPS before the access unit
// that starts at dst[start].
func (p *h264Payload) prependParams(dst []byte, start int, addSPS, addPPS bool) []byte {
	n := 0
	if addSPS {
		n += len(startCode) + len(p.params.sps)
	}
	if addPPS {
		n += len(startCode) + len(p.params.pps)
	}
	end := len(dst)
	dst = append(dst, make([]byte, n)...)
	copy(dst[start+n:], dst[start:end])
	w := dst[start:start]
	if addSPS {
		w = append(append(w, startCode...), p.params.sps...)
	}
	if addPPS {
		_ = append(append(w, startCode...), p.params.pps...) // written in place, into the room made above
	}
	return dst
}
