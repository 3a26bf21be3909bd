package player

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/workerleg"
)

// browserCodec is the codec a WebRTC receiver negotiates for frames codec
// c (nil when browsers do not decode it). H.264 is announced without a
// profile: the file's profile is whatever it is, and receivers decode the
// profiles browsers offer.
func browserCodec(c frames.Codec, channels int) *media.Codec {
	switch c {
	case frames.VP8:
		return &media.Codec{MimeType: "video/VP8", ClockRate: 90000}
	case frames.VP9:
		return &media.Codec{MimeType: "video/VP9", ClockRate: 90000, Fmtp: "profile-id=0"}
	case frames.AV1:
		return &media.Codec{MimeType: "video/AV1", ClockRate: 90000}
	case frames.H264:
		return &media.Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: "packetization-mode=1"}
	case frames.Opus:
		return &media.Codec{MimeType: "audio/opus", ClockRate: 48000, Channels: 2}
	case frames.PCMU:
		return &media.Codec{MimeType: "audio/PCMU", ClockRate: 8000, Channels: uint16(max(channels, 1))}
	case frames.PCMA:
		return &media.Codec{MimeType: "audio/PCMA", ClockRate: 8000, Channels: uint16(max(channels, 1))}
	}
	return nil
}

// legEncodes lists what a worker leg can produce for receivers.
func legEncodes(c *media.Codec) (frames.Codec, bool) {
	fc, err := frames.CodecFromMime(c.MimeType)
	if err != nil {
		return frames.CodecUnknown, false
	}
	switch fc {
	case frames.VP8, frames.VP9, frames.H264, frames.Opus, frames.PCMU, frames.PCMA:
		return fc, true
	}
	return frames.CodecUnknown, false
}

// output sends one track of the source out of a source pad: packetised as
// it is, or through a worker leg into the codec the pipeline negotiated.
type output struct {
	p     *Player
	kind  media.MediaType
	pad   *media.SourcePad
	codec *media.Codec // what leaves the pad
	pz    *frames.Packetizer
	leg   workerleg.Transcoder // nil: sent as is
	rtp   []*rtp.Packet
	pkt   media.Packet // scratch of direct sends (the session's goroutine)
	lpkt  media.Packet // scratch of the leg's output (its goroutine)

	frames       atomic.Uint64 // sent (read by Describe)
	keyframeAsks uint64        // guarded by the session's mu
}

// newOutput decides how track tr is sent: as is when its codec is a
// browser codec that the pipeline's negotiated codec (pref) matches (or
// nothing is negotiated), else converted into pref (or VP8/Opus).
func newOutput(p *Player, tr container.Track, pref *media.Codec, ready func()) (*output, error) {
	kind := media.Audio
	if tr.Codec.IsVideo() {
		kind = media.Video
	}
	o := &output{p: p, kind: kind, pad: p.core.Source(kind)}
	direct := browserCodec(tr.Codec, tr.Channels)
	factory := p.opts.Transcoders
	if direct != nil && (pref == nil || pref.Matches(direct) || factory == nil) {
		pz, err := frames.NewPacketizer(frames.PacketizerConfig{Codec: tr.Codec, PayloadType: payloadType(kind)})
		if err != nil {
			return nil, err
		}
		o.codec, o.pz = direct, pz
		return o, nil
	}
	if factory == nil {
		return nil, fmt.Errorf("%w: %v needs the processing back end, which is not available", ErrTranscode, tr.Codec)
	}
	target := pref
	if target == nil || !canEncode(target) {
		target = browserCodec(frames.VP8, 0)
		if kind == media.Audio {
			target = browserCodec(frames.Opus, 2)
		}
	}
	outCodec, _ := legEncodes(target)
	in := direct
	clock := tr.Codec.ClockRate()
	if tr.Codec == frames.AAC {
		rate, ch := tr.SampleRate, tr.Channels
		if r, c, err := container.ParseAACConfig(tr.CodecConfig); err == nil {
			rate, ch = r, c
		}
		if rate == 0 {
			return nil, fmt.Errorf("%w: AAC track without a sample rate", ErrTranscode)
		}
		in, clock = &media.Codec{MimeType: "audio/mpeg4-generic", ClockRate: uint32(rate), Channels: uint16(max(ch, 1))}, uint32(rate)
	}
	if in == nil {
		return nil, fmt.Errorf("%w: %v cannot be decoded here", ErrTranscode, tr.Codec)
	}
	pz, err := frames.NewPacketizer(frames.PacketizerConfig{Codec: tr.Codec, PayloadType: 96, ClockRate: clock})
	if err != nil {
		return nil, err
	}
	o.codec, o.pz = target, pz
	leg, err := factory(in, workerleg.Output{Codec: outCodec, Channels: int(target.Channels)}, workerleg.Handler{
		OnRTP:   o.fromLeg,
		OnError: func(err error) { p.report(fmt.Errorf("%w: %v", ErrTranscode, err)); ready() },
		Ready:   ready,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTranscode, err)
	}
	o.leg = leg
	return o, nil
}

func canEncode(c *media.Codec) bool { _, ok := legEncodes(c); return ok }

func payloadType(kind media.MediaType) uint8 {
	if kind == media.Video {
		return 96
	}
	return 111
}

// send sends one frame presented at pts on the output timeline.
func (o *output) send(s container.Sample, pts time.Duration) {
	var err error
	o.rtp, err = o.pz.Packetize(o.rtp[:0], s.Data, pts)
	if err != nil {
		o.p.log.Debug("packetize", "err", err)
		return
	}
	o.frames.Add(1)
	for _, rp := range o.rtp {
		if o.leg != nil {
			_ = o.leg.WriteRTP(rp, 0) // a starting or busy back end drops
			continue
		}
		o.pkt.Header, o.pkt.Payload, o.pkt.Codec = rp.Header, rp.Payload, o.codec
		o.pkt.EnteredAt = o.p.core.Pipeline().EntryTime()
		o.pad.Push(&o.pkt)
	}
}

// fromLeg pushes one packet of the leg's output (on the leg's goroutine).
func (o *output) fromLeg(rp *rtp.Packet, _ time.Duration) {
	o.lpkt.Header, o.lpkt.Payload, o.lpkt.Codec = rp.Header, rp.Payload, o.codec
	o.lpkt.EnteredAt = o.p.core.Pipeline().EntryTime()
	o.pad.Push(&o.lpkt)
}

func (o *output) close() {
	if o.leg != nil {
		o.leg.Close()
	}
}
