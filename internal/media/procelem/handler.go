package procelem

import "github.com/gorento/gorento/internal/media"

// Consume implements media.Handler, on the input queue's goroutine: media
// of the processed type goes to the worker, the rest passes through when
// the element forwards it.
func (e *Element) Consume(p *media.SinkPad, pkt *media.Packet) {
	mt := p.MediaType()
	if mt != e.cfg.Media {
		if e.cfg.ForwardOthers && p.Desc() == media.DefaultPad {
			e.core.Source(mt).Push(pkt)
		}
		return
	}
	if in := e.input(p); in != nil {
		in.consume(e, pkt)
	}
}

// RequestKeyframe implements media.Handler: a receiver of output pad p
// wants a keyframe (the worker's encoder makes one), or, for media passed
// through, the source is asked.
func (e *Element) RequestKeyframe(p *media.SourcePad) {
	if p.MediaType() != e.cfg.Media {
		if e.cfg.ForwardOthers {
			e.core.Sink(p.MediaType()).RequestKeyframe()
		}
		return
	}
	for _, out := range e.outs {
		if out.Pad() == p {
			out.AskKeyframe()
			e.poke()
			return
		}
	}
}

// BitrateEstimate implements media.Handler: for media passed through, what
// the receivers behind it take; the processed inputs are decoded, so any
// rate does (unknown).
func (e *Element) BitrateEstimate(p *media.SinkPad) uint64 {
	if p.MediaType() != e.cfg.Media && e.cfg.ForwardOthers {
		return e.core.Source(p.MediaType()).DownstreamBitrate()
	}
	return 0
}

// SourceChanged implements media.Handler: a new source of an input is
// continued as the same stream for the worker and asked for a keyframe.
func (e *Element) SourceChanged(p *media.SinkPad) {
	if p.MediaType() != e.cfg.Media {
		if e.cfg.ForwardOthers && p.MediaType() == media.Video && e.core.Source(media.Video).HasSinks() {
			p.RequestKeyframe()
		}
		return
	}
	if in := e.input(p); in != nil {
		in.Reanchor()
		if p.MediaType() == media.Video {
			p.RequestKeyframe()
		}
	}
}

// Forwards implements media.Handler: what enters leaves again (processed
// or passed through), so connection loops through it are refused.
func (e *Element) Forwards() bool { return true }

func (e *Element) input(p *media.SinkPad) *input {
	for _, in := range e.ins {
		if in.pad == p {
			return in
		}
	}
	return nil
}
