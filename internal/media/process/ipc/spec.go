package ipc

import (
	"errors"
	"fmt"
	"strings"
)

// Codec names understood by the worker (RTP encoding names as in SDP).
const (
	CodecVP8  = "VP8"
	CodecVP9  = "VP9"
	CodecH264 = "H264"
	CodecOpus = "opus"
	CodecPCMU = "PCMU"
	CodecPCMA = "PCMA"
	// CodecAAC is RFC 3640 AAC (ClockRate = sample rate), for players
	// decoding files and recorders encoding Kurento's MKV/MP4 audio.
	CodecAAC = "AAC"
)

// Stream describes one RTP input or output of an element.
type Stream struct {
	Codec       string `json:"codec"`                 // one of the Codec constants (case-insensitive)
	PayloadType uint8  `json:"pt"`                    // RTP payload type (outputs: written in packets)
	ClockRate   uint32 `json:"clockRate,omitempty"`   // default: the codec's (90000, 48000, 8000)
	Channels    uint16 `json:"channels,omitempty"`    // audio; default 2 for Opus, 1 otherwise
	SSRC        uint32 `json:"ssrc,omitempty"`        // outputs: SSRC written in packets (0 = worker's choice)
	MinBitrate  int    `json:"minBitrate,omitempty"`  // outputs: encoder bounds, bits per second
	MaxBitrate  int    `json:"maxBitrate,omitempty"`  //
	Bitrate     int    `json:"bitrate,omitempty"`     // outputs: initial target, bits per second
	Width       int    `json:"width,omitempty"`       // outputs of mixers/scalers: frame size (0 = input's)
	Height      int    `json:"height,omitempty"`      //
	MTU         int    `json:"mtu,omitempty"`         // outputs: largest RTP packet (default 1200)
	H264Profile string `json:"h264Profile,omitempty"` // outputs: e.g. "constrained-baseline" (default)
	// Dynamic kinds (hub.go).
	Port         int   `json:"port,omitempty"`         // the hub port a stream belongs to
	MixAllBut    bool  `json:"mixAllBut,omitempty"`    // composite audio output: every port's audio but Port's
	Mix          []int `json:"mix,omitempty"`          // audioMixer output: the ports mixed (see OpSetMix)
	FramerateNum int   `json:"framerateNum,omitempty"` // video outputs: frame rate (0: the input's)
	FramerateDen int   `json:"framerateDen,omitempty"` //
}

// Kind returns "video" or "audio" for a known codec, "" otherwise.
func (s Stream) Kind() string { return CodecKind(s.Codec) }

// CodecKind returns "video" or "audio" for a known codec name, "" otherwise.
func CodecKind(codec string) string {
	switch strings.ToUpper(codec) {
	case "VP8", "VP9", "H264":
		return "video"
	case "OPUS", "PCMU", "PCMA", "AAC":
		return "audio"
	}
	return ""
}

// Processing kinds. Issue 11's transcoder is ProcNone with several outputs;
// its mixers will add their own kinds with several inputs.
const (
	ProcNone         = ""             // decode → encode (format conversion, transcoding to N outputs)
	ProcFaceOverlay  = "faceOverlay"  // FaceOverlayFilter
	ProcImageOverlay = "imageOverlay" // ImageOverlayFilter
	ProcGStreamer    = "gstreamer"    // GStreamerFilter
	ProcZBar         = "zbar"         // ZBarFilter
	ProcChroma       = "chroma"       // ChromaFilter
)

// Spec is what Control{Op: OpCreate} asks the worker to build.
type Spec struct {
	Inputs     []Stream   `json:"inputs"`
	Outputs    []Stream   `json:"outputs"`
	Processing Processing `json:"processing"`
}

// Processing selects and parameterises the work between decode and encode.
type Processing struct {
	Kind string `json:"kind"`
	// GStreamerFilter: a gst-launch description and the media it applies to
	// ("VIDEO", "AUDIO"; "" or "AUTODETECT" = the input's kind).
	Command    string `json:"command,omitempty"`
	FilterType string `json:"filterType,omitempty"`
	// Policy decides which element factories a Command may use.
	Policy *ElementPolicy `json:"policy,omitempty"`
	// ChromaFilter: the calibration area, in pixels of the input frame.
	Window *Window `json:"window,omitempty"`
	// FaceOverlayFilter: the face detector's working width in pixels
	// (default 320: frames are scaled down before detection, as KMS does).
	DetectWidth int `json:"detectWidth,omitempty"`
	// Images: fetch limits for overlay/background images.
	ImageMaxBytes   int64 `json:"imageMaxBytes,omitempty"`   // default 8 MiB
	ImageTimeoutSec int   `json:"imageTimeoutSec,omitempty"` // default 10
	// Composite: the output picture (0: KMS's defaults, 800x600 at 15 fps);
	// mixers: how long to wait for late inputs (0: DefaultMixLatencyMs).
	Width     int `json:"width,omitempty"`
	Height    int `json:"height,omitempty"`
	Framerate int `json:"framerate,omitempty"`
	LatencyMs int `json:"latencyMs,omitempty"`
}

// ElementPolicy is the allow/deny list for GStreamerFilter descriptions.
// When Allow is non-empty only those factories may appear. Otherwise every
// factory may appear except those in Deny and, unless AllowIO, any element
// that is a source or sink, a device, or a URI handler (files, sockets,
// devices: a client must not be able to write files on the server).
type ElementPolicy struct {
	Allow   []string `json:"allow,omitempty"`
	Deny    []string `json:"deny,omitempty"`
	AllowIO bool     `json:"allowIO,omitempty"`
}

// Window is a rectangle in pixels (KMS chroma's WindowParam).
type Window struct {
	X      int `json:"x"`
	Y      int `json:"y"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Validate checks a spec before it is sent: known codecs, matching kinds,
// the input/output counts the processing kind takes.
func (s *Spec) Validate() error {
	if IsDynamic(s.Processing.Kind) {
		return s.validateDynamic()
	}
	if len(s.Inputs) == 0 {
		return errors.New("spec: no input")
	}
	if len(s.Outputs) == 0 {
		return errors.New("spec: no output")
	}
	for i, st := range s.Inputs {
		if st.Kind() == "" {
			return fmt.Errorf("spec: input %d: unsupported codec %q", i, st.Codec)
		}
	}
	for i, st := range s.Outputs {
		if st.Kind() == "" {
			return fmt.Errorf("spec: output %d: unsupported codec %q", i, st.Codec)
		}
		if st.MinBitrate < 0 || st.MaxBitrate < 0 || (st.MaxBitrate > 0 && st.MinBitrate > st.MaxBitrate) {
			return fmt.Errorf("spec: output %d: bad bitrate bounds %d..%d", i, st.MinBitrate, st.MaxBitrate)
		}
	}
	kind := s.Inputs[0].Kind()
	for _, list := range [][]Stream{s.Inputs, s.Outputs} {
		for _, st := range list {
			if st.Kind() != kind {
				return fmt.Errorf("spec: mixes %s and %s streams", kind, st.Kind())
			}
		}
	}
	p := s.Processing
	switch p.Kind {
	case ProcNone:
		if len(s.Inputs) != 1 {
			return errors.New("spec: conversion takes exactly one input")
		}
	case ProcFaceOverlay, ProcImageOverlay, ProcZBar, ProcChroma:
		if kind != "video" {
			return fmt.Errorf("spec: %s needs a video input", p.Kind)
		}
		if len(s.Inputs) != 1 || len(s.Outputs) != 1 {
			return fmt.Errorf("spec: %s takes one input and one output", p.Kind)
		}
		if p.Kind == ProcChroma && (p.Window == nil || p.Window.Width <= 0 || p.Window.Height <= 0 || p.Window.X < 0 || p.Window.Y < 0) {
			return errors.New("spec: chroma needs a calibration window with a positive size")
		}
	case ProcGStreamer:
		if strings.TrimSpace(p.Command) == "" {
			return errors.New("spec: gstreamer filter needs a command")
		}
		switch strings.ToUpper(p.FilterType) {
		case "", "AUTODETECT":
		case "VIDEO", "AUDIO":
			if !strings.EqualFold(p.FilterType, kind) {
				return fmt.Errorf("spec: filterType %s on a %s stream", p.FilterType, kind)
			}
		default:
			return fmt.Errorf("spec: unknown filterType %q", p.FilterType)
		}
		if len(s.Inputs) != 1 || len(s.Outputs) != 1 {
			return errors.New("spec: gstreamer filter takes one input and one output")
		}
	default:
		return fmt.Errorf("spec: unknown processing %q", p.Kind)
	}
	return nil
}
