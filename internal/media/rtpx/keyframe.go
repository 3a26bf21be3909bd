package rtpx

import "strings"

// Keyframe detection is written here because pion/rtp's codecs only find
// partition heads, not keyframes; each check reads a few bytes of the RTP
// payload descriptor and allocates nothing.

// KeyframeStart returns the function that reports whether an RTP payload
// of the codec (a MIME type such as "video/VP8") is the first packet of a
// keyframe, from which a decoder can start; nil when the codec has no
// keyframes that can be found this way (audio, unknown codecs).
func KeyframeStart(mimeType string) func(payload []byte) bool {
	_, name, _ := strings.Cut(mimeType, "/")
	switch strings.ToUpper(name) {
	case "VP8":
		return vp8KeyframeStart
	case "VP9":
		return vp9KeyframeStart
	case "H264":
		return h264KeyframeStart
	case "AV1":
		return av1KeyframeStart
	}
	return nil
}

// vp8KeyframeStart: RFC 7741 §4.2–4.3. The start of partition 0 (S=1,
// PID=0) whose VP8 frame header has P (inverse key frame flag) cleared.
func vp8KeyframeStart(p []byte) bool {
	if len(p) < 1 || p[0]&0x10 == 0 || p[0]&0x07 != 0 {
		return false
	}
	i := 1
	if p[0]&0x80 != 0 { // X: extension byte
		if len(p) <= i {
			return false
		}
		x := p[i]
		i++
		if x&0x80 != 0 { // I: picture ID, 7 or 15 bits
			if len(p) <= i {
				return false
			}
			if p[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID/Y/KEYIDX
			i++
		}
	}
	return len(p) > i && p[i]&0x01 == 0
}

// vp9KeyframeStart: RFC 9628 §4.2. The beginning of a frame (B=1) that
// uses no inter-picture prediction (P=0), in spatial layer 0.
func vp9KeyframeStart(p []byte) bool {
	if len(p) < 1 || p[0]&0x40 != 0 || p[0]&0x08 == 0 {
		return false
	}
	if p[0]&0x20 == 0 { // L: no layer indices, a single layer
		return true
	}
	i := 1
	if p[0]&0x80 != 0 { // I: picture ID, 7 or 15 bits
		if len(p) <= i {
			return false
		}
		if p[i]&0x80 != 0 {
			i++
		}
		i++
	}
	return len(p) > i && (p[i]>>1)&0x07 == 0 // SID
}

// H.264 NAL unit types (RFC 6184 §5.2).
const (
	h264IDR  = 5
	h264SPS  = 7
	h264STAP = 24
	h264FUA  = 28
)

// h264KeyframeStart: RFC 6184 §5.6–5.8. A sequence parameter set or an IDR
// slice, alone, first in an aggregation packet, or starting a fragment.
func h264KeyframeStart(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	isKey := func(t byte) bool { return t == h264IDR || t == h264SPS }
	switch t := p[0] & 0x1f; t {
	case h264STAP:
		for i := 1; i+2 < len(p); {
			size := int(p[i])<<8 | int(p[i+1])
			if size == 0 {
				return false
			}
			if isKey(p[i+2] & 0x1f) {
				return true
			}
			i += 2 + size
		}
		return false
	case h264FUA:
		return len(p) > 1 && p[1]&0x80 != 0 && isKey(p[1]&0x1f)
	default:
		return isKey(t)
	}
}

// av1KeyframeStart: AV1 RTP payload format §4.4. The aggregation header's
// N bit marks the first packet of a coded video sequence, which starts
// with a keyframe.
func av1KeyframeStart(p []byte) bool {
	return len(p) > 0 && p[0]&0x08 != 0
}
