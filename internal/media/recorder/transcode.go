package recorder

import (
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/frames"
)

// Transcoder converts one RTP stream into another codec (a leg of the
// processing back end). Its methods must not block.
type Transcoder interface {
	// WriteRTP sends one input packet; it may drop it when the back end
	// is behind.
	WriteRTP(pkt *rtp.Packet) error
	// RequestKeyframe makes the encoder produce a keyframe.
	RequestKeyframe()
	// Output describes the packets the transcoder produces.
	Output() TranscodedStream
	// Close stops the transcoder; no callback runs after it returns.
	Close()
}

// TranscodedStream describes a transcoder's output RTP.
type TranscodedStream struct {
	Codec     frames.Codec
	ClockRate uint32
	Channels  int
	// AAC: the depacketizer's parameters (RFC 3640 AAC-hbr).
	AAC frames.AACConfig
}

// TranscoderHandler receives a transcoder's output, on its own goroutine.
type TranscoderHandler struct {
	OnRTP        func(pkt *rtp.Packet) // valid during the call only
	OnError      func(err error)       // the transcoder stopped
	Ready        func()                // the transcoder takes media from now on
	NeedKeyframe func()                // its decoder needs a keyframe from upstream
}

// TranscoderFactory makes a transcoder from the codec of incoming packets
// to out (the protocol layer binds it to the recorder's pipeline: one
// worker process per pipeline).
type TranscoderFactory func(in *media.Codec, out frames.Codec, h TranscoderHandler) (Transcoder, error)
