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
// are the WebRtcEndpoint's, so media crosses between the two untouched
// when both sides agree; H.264 offered with another profile is accepted as
// offered.
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

// choose picks the one codec to answer among offered formats, ranked as a
// WebRtcEndpoint ranks them (docs/transcoding.md): the codec of a forced
// format (setVideoFormat/setAudioFormat before negotiating) when offered,
// else the first supported one in the offerer's order — the remote side
// sends what it prefers, and the graph transcodes where the pipeline uses
// another codec (KMS's agnostic bin does the same).
func choose(kind media.MediaType, offered []codecEntry, forced *media.Format) (codecEntry, bool) {
	if forced != nil && forced.Codec != nil {
		for _, f := range offered {
			if forced.Codec.Matches(f.codec) && isSupported(kind, f.codec) {
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

// offerCodecs lists the codecs to offer for kind: a forced format's codec
// first, then the pipeline's (an answerer that takes it spares a
// transcoder), then the rest in Gorento's order.
func offerCodecs(kind media.MediaType, forced *media.Format, inUse *media.Codec) []codecEntry {
	var ranked [3][]codecEntry
	for _, s := range supported[kind] {
		switch {
		case forced != nil && forced.Codec != nil && forced.Codec.Matches(s.codec):
			ranked[0] = append(ranked[0], s)
		case inUse != nil && inUse.Matches(s.codec):
			ranked[1] = append(ranked[1], s)
		default:
			ranked[2] = append(ranked[2], s)
		}
	}
	return append(append(ranked[0], ranked[1]...), ranked[2]...)
}

// rtpmapName is the encoding name of c in an a=rtpmap line.
func rtpmapName(c *media.Codec) string {
	_, name, _ := strings.Cut(c.MimeType, "/")
	return name
}
