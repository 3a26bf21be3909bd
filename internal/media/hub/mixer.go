package hub

import (
	"context"
	"errors"
	"slices"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
)

// ErrVideoDisconnect is KMS Mixer's answer to disconnecting video.
var ErrVideoDisconnect = errors.New("hub: video disconnection is not implemented yet")

// Mixer connects ports by media type (KMS Mixer): a sink port hears the
// mix of the audio of every source port connected to it, and shows the
// video of the last source port connected to it (routed untouched, as
// a Dispatcher does).
type Mixer struct {
	*Hub
	mixing
	routing
}

// NewMixer creates a Mixer in p and its worker element (audio mixing).
func NewMixer(p *media.Pipeline, cfg Processing) (*Mixer, error) {
	x := &Mixer{mixing: mixing{feeds: [2]bool{media.Audio: true}}}
	x.Hub = newHub(p, x)
	m, err := newProcessor(x.Hub, cfg, process.Processing{Kind: process.ProcAudioMixer}, [2]bool{}, true)
	if err != nil {
		return nil, err
	}
	m.explicit = true
	x.m = m
	return x, nil
}

// Connect makes sink receive source's media of mt: audio joins sink's mix,
// video replaces what sink showed.
func (x *Mixer) Connect(mt media.MediaType, source, sink *Port) error {
	for _, p := range []*Port{source, sink} {
		if err := x.own(p); err != nil {
			return err
		}
	}
	switch mt {
	case media.Video:
		x.set(sink, source, media.Video)
		return nil
	case media.Audio:
		return x.hear(sink, source.id, true)
	}
	return ErrMediaType
}

// Disconnect takes source's audio out of sink's mix. Video cannot be
// disconnected (ErrVideoDisconnect, as KMS).
func (x *Mixer) Disconnect(mt media.MediaType, source, sink *Port) error {
	for _, p := range []*Port{source, sink} {
		if err := x.own(p); err != nil {
			return err
		}
	}
	switch mt {
	case media.Video:
		return ErrVideoDisconnect
	case media.Audio:
		return x.hear(sink, source.id, false)
	}
	return ErrMediaType
}

// hear adds or removes a port in sink's mix and tells its encoder.
func (x *Mixer) hear(sink *Port, port int, on bool) error {
	m := x.m
	m.mu.Lock()
	has := slices.Contains(sink.mix.hears, port)
	switch {
	case on && !has:
		sink.mix.hears = append(sink.mix.hears, port)
	case !on && has:
		sink.mix.hears = slices.DeleteFunc(slices.Clone(sink.mix.hears), func(p int) bool { return p == port })
	}
	hears := slices.Clone(sink.mix.hears)
	var idx = -1
	for _, o := range m.outputs {
		if o.mt == media.Audio && o.stream.Port == sink.id {
			idx = o.index
		}
	}
	m.mu.Unlock()
	if idx >= 0 && len(hears) > 0 {
		if err := m.request(func(ctx context.Context) error { return m.w.SetMix(ctx, idx, hears) }); err != nil {
			return err
		}
	}
	m.poke()
	return nil
}

// The Mixer routes video and mixes audio: each handler picks its half.

func (x *Mixer) removed(p *Port) {
	x.drop(p)
	x.mixing.removed(p)
	for _, q := range x.Ports() {
		_ = x.hear(q, p.id, false)
	}
}

func (x *Mixer) consume(p *Port, pad *media.SinkPad, pkt *media.Packet) {
	if pad.MediaType() == media.Video {
		x.routing.consume(p, pad, pkt)
		return
	}
	x.mixing.consume(p, pad, pkt)
}

func (x *Mixer) keyframe(p *Port, pad *media.SourcePad) {
	if pad.MediaType() == media.Video {
		x.routing.keyframe(p, pad)
		return
	}
	x.mixing.keyframe(p, pad)
}

func (x *Mixer) sourceChanged(p *Port, pad *media.SinkPad) {
	if pad.MediaType() == media.Video {
		x.routing.sourceChanged(p, pad)
		return
	}
	x.mixing.sourceChanged(p, pad)
}

func (x *Mixer) codec(p *Port, pad *media.SourcePad) *media.Codec {
	if pad.MediaType() == media.Video {
		return x.routing.codec(p, pad)
	}
	return x.mixing.codec(p, pad)
}

func (x *Mixer) estimate(p *Port, pad *media.SinkPad) uint64 {
	if pad.MediaType() == media.Video {
		return x.routing.estimate(p, pad)
	}
	return 0
}
