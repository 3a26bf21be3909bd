package media

import (
	"sync/atomic"
	"time"
)

// flowTick is how often the pipeline checks pad activity.
const flowTick = 500 * time.Millisecond

// flowTimeout is how long a pad may be silent and still count as flowing.
const flowTimeout = 2 * time.Second

// flowMeter records packet activity on a pad; the pipeline's flow checks
// turn it into flowing/not-flowing transitions.
type flowMeter struct {
	last    atomic.Int64 // clock time of the last packet
	flowing bool         // last reported state, owned by the flow checks
}

func (f *flowMeter) mark(now int64) { f.last.Store(now) }

// Flowing reports whether a packet passed within the flow timeout.
func (f *flowMeter) Flowing(now int64) bool {
	l := f.last.Load()
	return l != 0 && now-l < int64(flowTimeout)
}

// watchFlows periodically turns pad activity into MediaFlowIn/Out events,
// until Release.
func (p *Pipeline) watchFlows(t Ticker) {
	defer close(p.stopped)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C():
			p.checkFlows()
		}
	}
}

func (p *Pipeline) checkFlows() {
	now := p.clock.Now()
	var changed []*Core
	p.graphMu.Lock()
	for c := range p.elements {
		n := 0
		for k, src := range c.sources {
			if f := src.flow.Flowing(now); f != src.flow.flowing {
				src.flow.flowing = f
				c.Post(MediaFlowOut{Flowing: f, Pad: k.desc, MediaType: k.mediaType})
				n++
			}
		}
		for k, sink := range c.sinks {
			if f := sink.flow.Flowing(now); f != sink.flow.flowing {
				sink.flow.flowing = f
				c.Post(MediaFlowIn{Flowing: f, Pad: k.desc, MediaType: k.mediaType})
				n++
			}
		}
		if n > 0 {
			changed = append(changed, c)
		}
	}
	p.graphMu.Unlock()
	for _, c := range changed {
		c.Deliver()
	}
}
