package hub

import (
	"github.com/gorento/gorento/internal/media"
)

// mixing is the kind of the hubs that decode: ports feed the processor's
// worker inputs and send its outputs.
type mixing struct {
	m     *processor
	feeds [2]bool // media types that enter the worker
}

func (k *mixing) added(p *Port) error { k.m.attach(p); return nil }

func (k *mixing) removed(p *Port) { k.m.detach(p) }

func (k *mixing) consume(p *Port, pad *media.SinkPad, pkt *media.Packet) {
	if mt := pad.MediaType(); routable(mt) && k.feeds[mt] {
		k.m.consume(p, pad, pkt)
	}
}

// keyframe: the port's receiver wants a keyframe of the encoder it is on.
func (k *mixing) keyframe(p *Port, pad *media.SourcePad) {
	if mt := pad.MediaType(); routable(mt) && pad.Desc() == media.DefaultPad {
		p.mix.out[mt].AskKeyframe()
		k.m.poke()
	}
}

// sourceChanged: the input continues as one stream for the worker and
// starts with a keyframe; a lost source removes the input (its place in
// the picture, its voice in the mixes).
func (k *mixing) sourceChanged(p *Port, pad *media.SinkPad) {
	mt := pad.MediaType()
	if !routable(mt) || !k.feeds[mt] {
		return
	}
	p.mix.in[mt].Reanchor()
	if mt == media.Video && pad.Feed() != nil {
		pad.RequestKeyframe()
	}
	k.m.poke()
}

func (k *mixing) codec(p *Port, pad *media.SourcePad) *media.Codec {
	if mt := pad.MediaType(); routable(mt) && pad.Desc() == media.DefaultPad {
		return p.mix.codec[mt].Load()
	}
	return nil
}

// estimate: inputs are decoded, any rate does (unknown).
func (k *mixing) estimate(*Port, *media.SinkPad) uint64 { return 0 }

func (k *mixing) connected(*Port) { k.m.poke() }

func (k *mixing) close() { k.m.stop() }
