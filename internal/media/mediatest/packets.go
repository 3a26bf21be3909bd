package mediatest

import (
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
)

// Codecs for test packets.
var (
	VP8  = &media.Codec{MimeType: "video/VP8", ClockRate: 90000}
	Opus = &media.Codec{MimeType: "audio/opus", ClockRate: 48000, Channels: 2}
)

// VP8Payload returns a VP8 RTP payload of size bytes (at least 2): the
// payload descriptor of a frame's first packet and a frame header whose
// P bit says whether it is a keyframe.
func VP8Payload(keyframe bool, size int) []byte {
	p := make([]byte, max(size, 2))
	p[0] = 0x10 // S: start of partition 0
	if !keyframe {
		p[1] = 0x01 // P: inter frame
	}
	return p
}

// Stream makes the packets of one RTP stream with consecutive sequence
// numbers and timestamps.
type Stream struct {
	SSRC      uint32
	Seq       uint16
	Timestamp uint32
	Step      uint32 // timestamp increment per packet
	Codec     *media.Codec
}

// Next returns the stream's next packet with the given payload.
func (s *Stream) Next(payload []byte) *media.Packet {
	pkt := &media.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: s.SSRC, SequenceNumber: s.Seq, Timestamp: s.Timestamp},
		Payload: payload, Codec: s.Codec}
	s.Seq++
	s.Timestamp += s.Step
	return pkt
}
