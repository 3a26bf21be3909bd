// Package workerleg converts one RTP stream into another codec in the
// pipeline's worker process (package process: decode → encode, the
// ProcNone kind): the leg a RecorderEndpoint needs to record in its
// profile's codecs, and a PlayerEndpoint to send what a browser cannot
// decode (AAC). Elements use it inside themselves; it is not a graph
// element (procelem is).
package workerleg

import (
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/frames"
)

// Transcoder converts one RTP stream into another codec. Its methods must
// not block.
type Transcoder interface {
	// WriteRTP sends one input packet that arrived at at (the pipeline
	// clock's time, as media.Packet.EnteredAt; 0: unknown); it may drop it
	// when the back end is behind.
	WriteRTP(pkt *rtp.Packet, at time.Duration) error
	// RequestKeyframe makes the encoder produce a keyframe.
	RequestKeyframe()
	// Output describes the packets the transcoder produces.
	Output() Stream
	// Close stops the transcoder; no callback runs after it returns.
	Close()
}

// Stream describes a transcoder's output RTP.
type Stream struct {
	Codec     frames.Codec
	ClockRate uint32
	Channels  int
	// AAC: the depacketizer's parameters (RFC 3640 AAC-hbr).
	AAC frames.AACConfig
}

// Handler receives a transcoder's output and events, on its goroutines.
type Handler struct {
	// OnRTP receives an output packet (valid during the call only) and
	// when the input it was made from arrived (0 until an input with a
	// known arrival was written): the worker's delay is not in it.
	OnRTP        func(pkt *rtp.Packet, at time.Duration)
	OnError      func(err error) // the transcoder stopped
	Ready        func()          // the transcoder takes media from now on
	NeedKeyframe func()          // its decoder needs a keyframe from upstream
}

// Factory makes a transcoder from the codec of incoming packets to out
// (the protocol layer binds it to the element's pipeline: one worker
// process per pipeline).
type Factory func(in *media.Codec, out Output, h Handler) (Transcoder, error)

// Output is what a transcoder encodes: a codec and, for audio, its format.
type Output struct {
	Codec frames.Codec
	// Channels of audio (default 2 for Opus and AAC).
	Channels int
}
