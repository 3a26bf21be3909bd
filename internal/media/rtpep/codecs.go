package rtpep

import (
	"strings"

	"github.com/gorento/gorento/internal/media"
)

// codecEntry is a codec the endpoint negotiates and the payload type it
// offers it with.
type codecEntry struct {
	pt    uint8
	codec *media.Codec
	// asOffered, when set, is the a=fmtp value to write back in an answer
	// instead of codec.Fmtp ("" writes no a=fmtp line).
	asOffered *string
}

// fmtpLine is the a=fmtp value to write for c.
func (c codecEntry) fmtpLine() string {
	if c.asOffered != nil {
		return *c.asOffered
	}
	return c.codec.Fmtp
}

// supported are the codecs offered, per kind, in preference order. They
// are the WebRtcEndpoint's, so media crosses between the two without
// transcoding; H.264 offered with another profile is accepted as offered.
var supported = map[media.MediaType][]codecEntry{
	media.Video: {
		{pt: 96, codec: &media.Codec{MimeType: "video/VP8", ClockRate: 90000}},
		{pt: 103, codec: &media.Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}},
		{pt: 98, codec: &media.Codec{MimeType: "video/VP9", ClockRate: 90000, Fmtp: "profile-id=0"}},
		{pt: 45, codec: &media.Codec{MimeType: "video/AV1", ClockRate: 90000}},
	},
	media.Audio: {
		{pt: 111, codec: &media.Codec{MimeType: "audio/opus", ClockRate: 48000, Channels: 2, Fmtp: "minptime=10;useinbandfec=1"}},
		{pt: 0, codec: &media.Codec{MimeType: "audio/PCMU", ClockRate: 8000, Channels: 1}},
		{pt: 8, codec: &media.Codec{MimeType: "audio/PCMA", ClockRate: 8000, Channels: 1}},
	},
}

// staticCodecs are the RFC 3551 payload types an SDP may use without rtpmap.
var staticCodecs = map[uint8]*media.Codec{
	0: {MimeType: "audio/PCMU", ClockRate: 8000, Channels: 1},
	8: {MimeType: "audio/PCMA", ClockRate: 8000, Channels: 1},
}

// isSupported reports whether c (of kind) is one of the supported codecs.
func isSupported(kind media.MediaType, c *media.Codec) bool {
	for _, s := range supported[kind] {
		if strings.EqualFold(s.codec.MimeType, c.MimeType) && s.codec.ClockRate == c.ClockRate {
			return true
		}
	}
	return false
}

// choose picks the one codec to answer among offered formats: the
// pipeline's codec (inUse) when offered, else the first supported one in
// the offerer's order.
func choose(kind media.MediaType, offered []codecEntry, inUse *media.Codec) (codecEntry, bool) {
	if inUse != nil {
		for _, f := range offered {
			if inUse.Matches(f.codec) {
				return f, true
			}
		}
	}
	for _, f := range offered {
		if isSupported(kind, f.codec) {
			return f, true
		}
	}
	return codecEntry{}, false
}

// offerCodecs lists the codecs to offer for kind, the pipeline's first.
func offerCodecs(kind media.MediaType, inUse *media.Codec) []codecEntry {
	var first, rest []codecEntry
	for _, s := range supported[kind] {
		if inUse != nil && inUse.Matches(s.codec) {
			first = append(first, s)
		} else {
			rest = append(rest, s)
		}
	}
	return append(first, rest...)
}

// rtpmapName is the encoding name of c in an a=rtpmap line.
func rtpmapName(c *media.Codec) string {
	_, name, _ := strings.Cut(c.MimeType, "/")
	return name
}
