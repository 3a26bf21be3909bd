// Package frames turns RTP packets into whole frames (access units) and back.
//
// The Depacketizer reorders packets, assembles complete frames with their
// unwrapped RTP timestamp and keyframe flag, and reports loss; for video it
// drops everything after a loss until the next keyframe and says that a
// keyframe is needed. The Packetizer does the reverse for a player, with
// timestamps chosen by the caller. Frame data formats are the ones RTP and
// decoders use directly: VP8/VP9 frames, AV1 temporal units as OBUs with size
// fields, H.264 access units in Annex B (start codes), one Opus or G.711
// packet, one raw AAC access unit.
package frames

import (
	"fmt"
	"strings"
)

// Codec identifies a media codec carried in frames.
type Codec uint8

// Codecs known to frames and to the container packages.
const (
	CodecUnknown Codec = iota
	VP8
	VP9
	H264
	AV1
	Opus
	PCMU
	PCMA
	AAC
)

// Kind is audio or video.
type Kind uint8

// Media kinds.
const (
	KindUnknown Kind = iota
	Audio
	Video
)

func (k Kind) String() string {
	switch k {
	case Audio:
		return "audio"
	case Video:
		return "video"
	}
	return "unknown"
}

var codecInfo = [...]struct {
	name, mime string
	kind       Kind
	clock      uint32
}{
	CodecUnknown: {"unknown", "", KindUnknown, 0},
	VP8:          {"VP8", "video/VP8", Video, 90000},
	VP9:          {"VP9", "video/VP9", Video, 90000},
	H264:         {"H264", "video/H264", Video, 90000},
	AV1:          {"AV1", "video/AV1", Video, 90000},
	Opus:         {"OPUS", "audio/opus", Audio, 48000},
	PCMU:         {"PCMU", "audio/PCMU", Audio, 8000},
	PCMA:         {"PCMA", "audio/PCMA", Audio, 8000},
	AAC:          {"AAC", "audio/mpeg4-generic", Audio, 0}, // clock = sample rate
}

func (c Codec) valid() bool { return c > CodecUnknown && int(c) < len(codecInfo) }

// String is the codec's name as Kurento spells it (VP8, H264, OPUS…).
func (c Codec) String() string {
	if !c.valid() {
		return "unknown"
	}
	return codecInfo[c].name
}

// MimeType is the codec's RTP MIME type as Pion spells it.
func (c Codec) MimeType() string {
	if !c.valid() {
		return ""
	}
	return codecInfo[c].mime
}

// Kind says whether the codec is audio or video.
func (c Codec) Kind() Kind {
	if !c.valid() {
		return KindUnknown
	}
	return codecInfo[c].kind
}

// IsVideo reports whether c is a video codec.
func (c Codec) IsVideo() bool { return c.Kind() == Video }

// ClockRate is the codec's fixed RTP clock rate, 0 when it depends on the
// stream (AAC runs at its sample rate).
func (c Codec) ClockRate() uint32 {
	if !c.valid() {
		return 0
	}
	return codecInfo[c].clock
}

// CodecFromMime maps an RTP MIME type ("video/VP8", "audio/opus", or just
// "VP8") to a Codec, case-insensitively.
func CodecFromMime(mime string) (Codec, error) {
	name := mime
	if i := strings.IndexByte(mime, '/'); i >= 0 {
		name = mime[i+1:]
	}
	for c := VP8; int(c) < len(codecInfo); c++ {
		m := codecInfo[c].mime
		if strings.EqualFold(name, m[strings.IndexByte(m, '/')+1:]) || strings.EqualFold(name, codecInfo[c].name) {
			return c, nil
		}
	}
	if strings.EqualFold(name, "MPEG4-GENERIC") || strings.EqualFold(name, "MP4A-LATM") {
		return AAC, nil
	}
	return CodecUnknown, fmt.Errorf("%w: %q", ErrUnsupportedCodec, mime)
}
