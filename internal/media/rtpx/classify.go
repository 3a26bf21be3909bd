package rtpx

import "strings"

// Classify returns the function that reads, from the RTP payload of a
// codec (a MIME type such as "video/VP8"), whether the packet starts a
// keyframe and its temporal layer (TID, 0 where the codec or the stream
// has none); nil for codecs without keyframes (audio, unknown). Ingress
// runs it once per packet of a simulcast layer, so that each sink need
// not parse the payload again.
func Classify(mimeType string) func(payload []byte) (keyframe bool, tid uint8) {
	key := KeyframeStart(mimeType)
	if key == nil {
		return nil
	}
	if IsVP8(mimeType) {
		return func(p []byte) (bool, uint8) { return key(p), VP8TID(p) }
	}
	return func(p []byte) (bool, uint8) { return key(p), 0 }
}

// VP8TID is the temporal layer index of a VP8 payload descriptor (RFC 7741
// §4.2: the T bit and the TID field), 0 when it carries none.
func VP8TID(p []byte) uint8 {
	d, _ := ParseVP8(p)
	return d.TID
}

// IsVP8 reports whether a MIME type (such as "video/VP8") is VP8.
func IsVP8(mimeType string) bool {
	_, name, _ := strings.Cut(mimeType, "/")
	return strings.EqualFold(name, "VP8")
}
