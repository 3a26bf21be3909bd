package media

// PassThrough forwards whatever arrives on its sink pads to the source pad of
// the same media type: pure fan-out, no processing.
type PassThrough struct {
	core Core
}

var _ Element = (*PassThrough)(nil)

// NewPassThrough creates a PassThrough in p.
func NewPassThrough(p *Pipeline, events EventHandler) (*PassThrough, error) {
	pt := &PassThrough{}
	if err := pt.core.Init(p, pt, pt, events); err != nil {
		return nil, err
	}
	return pt, nil
}

// Core implements Element.
func (pt *PassThrough) Core() *Core { return &pt.core }

// Release implements Element.
func (pt *PassThrough) Release() { pt.core.Detach() }

// Consume implements Handler: forward on the default source pad.
func (pt *PassThrough) Consume(p *SinkPad, pkt *Packet) {
	pt.core.defaultSources[p.mediaType].Push(pkt)
}

// RequestKeyframe implements Handler: ask upstream.
func (pt *PassThrough) RequestKeyframe(p *SourcePad) {
	pt.core.defaultSinks[p.mediaType].RequestKeyframe()
}

// RequestLayerKeyframe implements LayerKeyframer: ask upstream.
func (pt *PassThrough) RequestLayerKeyframe(p *SourcePad, layer uint8) {
	pt.core.defaultSinks[p.mediaType].RequestLayerKeyframe(layer)
}

// SelectsLayers implements LayerAware: every layer is passed on, for the
// sinks downstream to choose.
func (pt *PassThrough) SelectsLayers() bool { return true }

// BitrateEstimate implements Handler: the lowest estimate downstream.
func (pt *PassThrough) BitrateEstimate(p *SinkPad) uint64 {
	return pt.core.defaultSources[p.mediaType].DownstreamBitrate()
}

// SourceChanged implements Handler: a new source should start with a keyframe
// for everything downstream.
func (pt *PassThrough) SourceChanged(p *SinkPad) {
	if p.mediaType == Video && pt.core.defaultSources[Video].HasSinks() {
		p.RequestKeyframe()
	}
}

// Forwards implements Handler.
func (pt *PassThrough) Forwards() bool { return true }
