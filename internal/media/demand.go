package media

// DemandReporter is implemented by handlers that can tell the highest
// bitrate the receivers behind one of their sink pads can use (issue 15.3:
// a publisher's rate follows its best-served receiver, not its weakest).
// Handlers without it are asked BitrateEstimate.
type DemandReporter interface {
	// BitrateDemand returns the highest bitrate (bps) the receivers behind
	// sink pad p can use, or 0 when it is unbounded (a receiver without a
	// limit, such as a recorder, or one whose estimate is not known yet).
	BitrateDemand(p *SinkPad) uint64
}

// DownstreamDemand is the highest bitrate (bps) that any receiver behind
// p's sinks can use, or 0 when one of them is unbounded (or p has no
// sinks): what a source should be allowed to send when each receiver
// adapts on its own (simulcast layers, or being the one viewer served).
func (p *SourcePad) DownstreamDemand() uint64 {
	var highest uint64
	for _, sink := range p.Sinks() {
		var d uint64
		if r, ok := sink.owner.handler.(DemandReporter); ok {
			d = r.BitrateDemand(sink)
		} else {
			d = sink.owner.handler.BitrateEstimate(sink)
		}
		if d == 0 {
			return 0
		}
		highest = max(highest, d)
	}
	return highest
}

// BitrateDemand implements DemandReporter: the highest demand downstream.
func (pt *PassThrough) BitrateDemand(p *SinkPad) uint64 {
	return pt.core.defaultSources[p.mediaType].DownstreamDemand()
}
