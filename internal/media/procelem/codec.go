package procelem

import (
	"fmt"
	"strings"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
)

// Default codecs assumed before media arrives (the worker element is
// created with them when the pipeline has negotiated none).
var (
	defaultVideo = &media.Codec{MimeType: "video/VP8", ClockRate: 90000}
	defaultAudio = &media.Codec{MimeType: "audio/opus", ClockRate: 48000, Channels: 2}
)

// guessCodec is the codec an input is assumed to carry before any packet
// arrives: the pipeline's negotiated codec, else VP8 or Opus.
func guessCodec(p *media.Pipeline, mt media.MediaType) *media.Codec {
	if c := p.PreferredCodec(mt); c != nil && supported(c) {
		return c
	}
	if mt == media.Audio {
		return defaultAudio
	}
	return defaultVideo
}

// codecName is the worker's name of a codec ("VP8", "opus"…), "" when the
// worker does not handle it.
func codecName(c *media.Codec) string {
	if c == nil {
		return ""
	}
	_, name, _ := strings.Cut(c.MimeType, "/")
	for _, n := range []string{process.CodecVP8, process.CodecVP9, process.CodecH264, process.CodecOpus, process.CodecPCMU, process.CodecPCMA} {
		if strings.EqualFold(name, n) {
			return n
		}
	}
	return ""
}

func supported(c *media.Codec) bool { return codecName(c) != "" }

// Processable reports whether the worker decodes and encodes codec c.
func Processable(c *media.Codec) bool { return supported(c) }

// payloadType is the payload type used between the element and its worker
// (the graph's egress maps codecs to what each receiver negotiated).
func payloadType(name string) uint8 {
	switch name {
	case process.CodecPCMU:
		return 0
	case process.CodecPCMA:
		return 8
	}
	return 96
}

// WorkerStream describes a codec to the worker (its name, payload type,
// rate, channels, H.264 profile); an error names what the worker cannot
// process.
func WorkerStream(c *media.Codec) (process.Stream, error) {
	name := codecName(c)
	if name == "" {
		return process.Stream{}, fmt.Errorf("codec %s cannot be processed (VP8, VP9, H.264, Opus, PCMU, PCMA can)", c.MimeType)
	}
	s := process.Stream{Codec: name, PayloadType: payloadType(name), ClockRate: c.ClockRate, Channels: c.Channels}
	if name == process.CodecH264 {
		s.H264Profile = h264Profile(c.Fmtp)
	}
	return s, nil
}

// h264Profile maps an fmtp profile-level-id to the profile name the
// encoder's caps take ("" = the worker's default, constrained-baseline).
func h264Profile(fmtp string) string {
	for _, kv := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if !strings.EqualFold(k, "profile-level-id") || len(v) != 6 {
			continue
		}
		switch idc, constraints := strings.ToLower(v[:2]), strings.ToLower(v[2:4]); {
		case idc == "42" && (constraints == "e0" || constraints == "c0"):
			return "constrained-baseline"
		case idc == "42":
			return "baseline"
		case idc == "4d":
			return "main"
		case idc == "64":
			return "high"
		}
	}
	return ""
}

// sameCodec reports whether packets of codec c can go to a worker input
// created for codec w.
func sameCodec(w, c *media.Codec) bool { return w == c || w.Matches(c) }
