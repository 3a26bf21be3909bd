package media

import (
	"fmt"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// MaxPayload caps an RTP payload including the trailer (as a browser's
// ~1200-byte packets).
const MaxPayload = 1180

// Frame is one media frame cut into RTP payloads. Each payload has
// TrailerLen spare bytes at its end for the trailer.
type Frame struct {
	Payloads [][]byte
	Duration time.Duration // time until the next frame
	TSStep   uint32        // RTP timestamp increment to the next frame
	Key      bool
}

// Track is a looped stream of frames of one kind.
type Track struct {
	Kind      string // "video" or "audio"
	ClockRate uint32
	Frames    []Frame
}

// PacketsPerSecond is the track's average packet rate.
func (t *Track) PacketsPerSecond() float64 {
	var n int
	var d time.Duration
	for _, f := range t.Frames {
		n += len(f.Payloads)
		d += f.Duration
	}
	if d == 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// BitsPerSecond is the track's average payload bit rate.
func (t *Track) BitsPerSecond() float64 {
	var b int
	var d time.Duration
	for _, f := range t.Frames {
		for _, p := range f.Payloads {
			b += len(p)
		}
		d += f.Duration
	}
	if d == 0 {
		return 0
	}
	return float64(b*8) / d.Seconds()
}

// Media is the pair of tracks every publisher sends.
type Media struct {
	Name         string // "ivf+opus" or "synthetic"
	Video, Audio *Track
}

// Describe summarises the media for reports.
func (m *Media) Describe() string {
	return fmt.Sprintf("%s: video %.0f pkt/s %.2f Mb/s, audio %.0f pkt/s", m.Name,
		m.Video.PacketsPerSecond(), m.Video.BitsPerSecond()/1e6, m.Audio.PacketsPerSecond())
}

// packetizeVP8 cuts a VP8 frame with Pion's payloader, leaving room for the trailer.
func packetizeVP8(frame []byte) [][]byte {
	p := &codecs.VP8Payloader{EnablePictureID: true}
	out := p.Payload(MaxPayload-TrailerLen, frame)
	for i, b := range out {
		out[i] = append(b, make([]byte, TrailerLen)...)
	}
	return out
}

// opusPayload wraps one Opus packet, leaving room for the trailer.
func opusPayload(pkt []byte) [][]byte {
	b := make([]byte, len(pkt)+TrailerLen)
	copy(b, pkt)
	return [][]byte{b}
}

var _ rtp.Payloader = (*codecs.VP8Payloader)(nil)
