package ipc

import (
	"errors"
	"fmt"
	"strings"
)

// Dynamic processing kinds (issue 11): elements whose inputs and outputs
// come and go while they run (OpAddInput, OpRemoveInput, OpAddOutput,
// OpRemoveOutput), each keyed by an index gorento chooses and never reuses
// while it lives. RTP messages carry that index as their stream.
const (
	// ProcTranscode decodes its one input once and encodes it to each
	// output (automatic transcoding: one output per target format).
	ProcTranscode = "transcode"
	// ProcComposite lays the video inputs out in a grid (KMS Composite)
	// and mixes the audio inputs; a video output carries the grid, an
	// audio output the mix of every port but its own (MixAllBut).
	ProcComposite = "composite"
	// ProcAlphaBlending stacks the video inputs on the master's picture at
	// the positions, sizes and z-orders of OpSetLayout (KMS AlphaBlending).
	ProcAlphaBlending = "alphaBlending"
	// ProcAudioMixer mixes, for each audio output, the inputs of the
	// ports it lists (Stream.Mix, OpSetMix) (KMS Mixer).
	ProcAudioMixer = "audioMixer"
)

// Dynamic stream operations (gorento → worker); Stream is the index.
const (
	OpAddInput     = "addInput"     // Stream, Input: start decoding a new input
	OpRemoveInput  = "removeInput"  // Stream
	OpAddOutput    = "addOutput"    // Stream, Output: start a new encoder
	OpRemoveOutput = "removeOutput" // Stream
	OpSetMix       = "setMix"       // Stream (an audio output), Mix: the ports it mixes
	OpSetLayout    = "setLayout"    // Layout: alpha blending's master and port placement
)

// IsDynamic reports whether a processing kind takes the dynamic operations.
func IsDynamic(kind string) bool {
	switch kind {
	case ProcTranscode, ProcComposite, ProcAlphaBlending, ProcAudioMixer:
		return true
	}
	return false
}

// Mix is the set of ports an audio output of an audioMixer mixes.
type Mix struct {
	Ports []int `json:"ports"`
}

// Layout places the video inputs of an alphaBlending element, by port.
type Layout struct {
	// Master is the port whose picture sets the output size and lies at
	// ZMaster (-1: none yet: the output is 640x480).
	Master  int          `json:"master"`
	ZMaster int          `json:"zMaster"`
	Ports   []PortLayout `json:"ports,omitempty"`
}

// PortLayout is one port's placement, relative to the master's size.
type PortLayout struct {
	Port           int     `json:"port"`
	RelativeX      float64 `json:"relativeX"`
	RelativeY      float64 `json:"relativeY"`
	RelativeWidth  float64 `json:"relativeWidth"`
	RelativeHeight float64 `json:"relativeHeight"`
	ZOrder         int     `json:"zOrder"`
}

// Composite defaults, as KMS's Composite.conf.ini.
const (
	DefaultCompositeWidth     = 800
	DefaultCompositeHeight    = 600
	DefaultCompositeFramerate = 15
	// DefaultMixLatencyMs is how long mixers wait for late inputs (KMS's
	// Composite waits 600 ms).
	DefaultMixLatencyMs = 400
)

// validateDynamic checks the spec of a dynamic kind: streams may be added
// later, so the lists may be empty.
func (s *Spec) validateDynamic() error {
	p := s.Processing
	if p.Width < 0 || p.Height < 0 || p.Framerate < 0 || p.Width > 7680 || p.Height > 4320 || p.Framerate > 120 {
		return fmt.Errorf("spec: %s: bad size or frame rate %dx%d@%d", p.Kind, p.Width, p.Height, p.Framerate)
	}
	if p.LatencyMs < 0 || p.LatencyMs > 5000 {
		return fmt.Errorf("spec: %s: latency %d ms out of 0..5000", p.Kind, p.LatencyMs)
	}
	for i, st := range s.Inputs {
		if err := s.CheckStream(st, true); err != nil {
			return fmt.Errorf("spec: input %d: %w", i, err)
		}
	}
	for i, st := range s.Outputs {
		if err := s.CheckStream(st, false); err != nil {
			return fmt.Errorf("spec: output %d: %w", i, err)
		}
	}
	if p.Kind == ProcTranscode && len(s.Inputs) != 1 {
		return errors.New("spec: transcode takes exactly one input")
	}
	return nil
}

// CheckStream checks one stream of a dynamic kind (also the Input/Output
// of OpAddInput/OpAddOutput).
func (s *Spec) CheckStream(st Stream, input bool) error {
	kind := st.Kind()
	if kind == "" {
		return fmt.Errorf("unsupported codec %q", st.Codec)
	}
	if !input && (st.MinBitrate < 0 || st.MaxBitrate < 0 || (st.MaxBitrate > 0 && st.MinBitrate > st.MaxBitrate)) {
		return fmt.Errorf("bad bitrate bounds %d..%d", st.MinBitrate, st.MaxBitrate)
	}
	if st.FramerateNum < 0 || st.FramerateDen < 0 {
		return fmt.Errorf("bad frame rate %d/%d", st.FramerateNum, st.FramerateDen)
	}
	switch s.Processing.Kind {
	case ProcTranscode:
		if len(s.Inputs) > 0 && !strings.EqualFold(kind, s.Inputs[0].Kind()) {
			return fmt.Errorf("%s stream on a %s transcoder", kind, s.Inputs[0].Kind())
		}
	case ProcAlphaBlending:
		if kind != "video" {
			return errors.New("alpha blending takes video only")
		}
	case ProcAudioMixer:
		if kind != "audio" {
			return errors.New("the audio mixer takes audio only")
		}
	}
	return nil
}
