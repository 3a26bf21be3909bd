package frames

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpmpeg4audio"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// Packetizer turns frames into RTP packets for a player.
//
// It uses pion's payloaders (and gortsplib's for AAC) but not pion's
// rtp.Packetizer, which derives timestamps by adding a sample count per
// call: a player that pauses, seeks and skips frames needs each frame's
// timestamp to come from its position on the output timeline, so the caller
// passes it. Sequence numbers are continuous; SSRC, first sequence number
// and timestamp base are random unless set.
type Packetizer struct {
	codec     Codec
	clockRate uint32
	mtu       uint16
	pt        uint8
	ssrc      uint32
	seq       uint16
	tsBase    uint32
	payloader rtp.Payloader
	aac       *rtpmpeg4audio.Encoder
}

// PacketizerConfig sets up a Packetizer. Zero SSRC, sequence and timestamp
// base are chosen at random; MTU defaults to 1200 bytes of payload.
type PacketizerConfig struct {
	Codec       Codec
	PayloadType uint8
	ClockRate   uint32 // default: the codec's (required for AAC: sample rate)
	SSRC        uint32
	FirstSeq    uint16
	TSBase      uint32
	MTU         uint16
}

// NewPacketizer returns a Packetizer for cfg.
func NewPacketizer(cfg PacketizerConfig) (*Packetizer, error) {
	if cfg.ClockRate == 0 {
		cfg.ClockRate = cfg.Codec.ClockRate()
	}
	if cfg.ClockRate == 0 {
		return nil, fmt.Errorf("%w: clock rate for %v", ErrBadParams, cfg.Codec)
	}
	if cfg.MTU == 0 {
		cfg.MTU = 1200
	}
	if cfg.MTU < 64 {
		return nil, fmt.Errorf("%w: MTU %d", ErrBadParams, cfg.MTU)
	}
	var rnd [10]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("packetizer: random: %w", err)
	}
	if cfg.SSRC == 0 {
		cfg.SSRC = binary.BigEndian.Uint32(rnd[0:]) | 1
	}
	if cfg.FirstSeq == 0 {
		cfg.FirstSeq = binary.BigEndian.Uint16(rnd[4:])
	}
	if cfg.TSBase == 0 {
		cfg.TSBase = binary.BigEndian.Uint32(rnd[6:])
	}
	p := &Packetizer{codec: cfg.Codec, clockRate: cfg.ClockRate, mtu: cfg.MTU, pt: cfg.PayloadType,
		ssrc: cfg.SSRC, seq: cfg.FirstSeq, tsBase: cfg.TSBase}
	switch cfg.Codec {
	case VP8:
		p.payloader = &codecs.VP8Payloader{EnablePictureID: true}
	case VP9:
		p.payloader = &codecs.VP9Payloader{}
	case H264:
		p.payloader = &codecs.H264Payloader{}
	case AV1:
		p.payloader = &codecs.AV1Payloader{}
	case Opus:
		p.payloader = &codecs.OpusPayloader{}
	case PCMU, PCMA:
		p.payloader = &codecs.G711Payloader{}
	case AAC:
		seq, ssrc := cfg.FirstSeq, cfg.SSRC
		p.aac = &rtpmpeg4audio.Encoder{PayloadType: cfg.PayloadType, SizeLength: 13, IndexLength: 3,
			IndexDeltaLength: 3, SSRC: &ssrc, InitialSequenceNumber: &seq, PayloadMaxSize: int(cfg.MTU)}
		if err := p.aac.Init(); err != nil {
			return nil, fmt.Errorf("packetizer: AAC: %w", err)
		}
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedCodec, cfg.Codec)
	}
	return p, nil
}

// SSRC is the stream's SSRC.
func (p *Packetizer) SSRC() uint32 { return p.ssrc }

// ClockRate is the RTP clock rate.
func (p *Packetizer) ClockRate() uint32 { return p.clockRate }

// Ticks converts a position on the output timeline to clock ticks.
func (p *Packetizer) Ticks(d time.Duration) int64 {
	return int64(float64(d) * float64(p.clockRate) / float64(time.Second))
}

// Packetize appends to dst the packets of one frame presented at pts on the
// output timeline. The marker bit is set on the last packet of a video frame.
func (p *Packetizer) Packetize(dst []*rtp.Packet, data []byte, pts time.Duration) ([]*rtp.Packet, error) {
	if len(data) == 0 {
		return dst, nil
	}
	ts := p.tsBase + uint32(p.Ticks(pts))
	if p.aac != nil {
		pkts, err := p.aac.Encode([][]byte{data})
		if err != nil {
			return dst, fmt.Errorf("packetize AAC: %w", err)
		}
		for _, pk := range pkts {
			pk.Timestamp += ts
			p.seq = pk.SequenceNumber + 1
		}
		return append(dst, pkts...), nil
	}
	payloads := p.payloader.Payload(p.mtu, data)
	for i, pl := range payloads {
		dst = append(dst, &rtp.Packet{
			Header: rtp.Header{
				Version: 2, PayloadType: p.pt, SequenceNumber: p.seq, Timestamp: ts, SSRC: p.ssrc,
				Marker: p.codec.IsVideo() && i == len(payloads)-1,
			},
			Payload: pl,
		})
		p.seq++
	}
	return dst, nil
}
