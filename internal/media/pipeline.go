package media

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by graph operations.
var (
	ErrReleased        = errors.New("media: element or pipeline released")
	ErrOtherPipeline   = errors.New("media: elements do not share pipeline")
	ErrConnectionLoop  = errors.New("media: connection would create a forwarding loop")
	ErrNotConnected    = errors.New("media: elements are not connected")
	ErrUnknownMediaPad = errors.New("media: no such pad")
)

// Pipeline is a set of elements that may be connected to each other. It owns
// one clock goroutine that turns pad activity into flow events; Release stops it.
type Pipeline struct {
	graphMu  sync.Mutex // guards elements, every Core's pad maps and released flags, and connections
	elements map[*Core]struct{}
	released bool

	latencyStats atomic.Bool
	codecMu      sync.Mutex // guards codecs
	codecs       [numMediaTypes]*Codec
	stop         chan struct{}
	stopped      chan struct{}
}

// flowTick is how often the pipeline clock checks pad activity.
const flowTick = 500 * time.Millisecond

// NewPipeline creates a pipeline and starts its clock.
func NewPipeline() *Pipeline {
	p := &Pipeline{elements: make(map[*Core]struct{}), stop: make(chan struct{}), stopped: make(chan struct{})}
	go p.clock()
	return p
}

// SetLatencyStats switches latency measurement on or off.
func (p *Pipeline) SetLatencyStats(on bool) {
	if on && !p.latencyStats.Load() {
		p.graphMu.Lock()
		for c := range p.elements {
			for _, s := range c.sinks {
				s.latency.reset()
			}
		}
		p.graphMu.Unlock()
	}
	p.latencyStats.Store(on)
}

// PreferredCodec is the codec of mt already negotiated by an endpoint of the
// pipeline (nil if none): new endpoints prefer it so that media can be
// forwarded between them without transcoding.
func (p *Pipeline) PreferredCodec(mt MediaType) *Codec {
	p.codecMu.Lock()
	defer p.codecMu.Unlock()
	return p.codecs[mt]
}

// ClaimCodec records c as the pipeline's codec for mt unless one is set.
func (p *Pipeline) ClaimCodec(mt MediaType, c *Codec) {
	p.codecMu.Lock()
	defer p.codecMu.Unlock()
	if p.codecs[mt] == nil {
		p.codecs[mt] = c
	}
}

// LatencyStats reports whether latency is measured.
func (p *Pipeline) LatencyStats() bool { return p.latencyStats.Load() }

// EntryTime returns the timestamp a source element stamps on packets entering
// the pipeline: the current monotonic time when measuring latency, else 0.
func (p *Pipeline) EntryTime() int64 {
	if p.latencyStats.Load() {
		return monotime()
	}
	return 0
}

func (p *Pipeline) add(c *Core) error {
	p.graphMu.Lock()
	defer p.graphMu.Unlock()
	if p.released {
		return ErrReleased
	}
	p.elements[c] = struct{}{}
	return nil
}

// Elements returns the number of live elements.
func (p *Pipeline) Elements() int {
	p.graphMu.Lock()
	defer p.graphMu.Unlock()
	return len(p.elements)
}

// Connect links src's source pad (mt, srcDesc) to sink's sink pad (mt,
// sinkDesc). A sink pad has one source: an existing connection to it is
// replaced. Events are emitted after the graph lock is released.
func Connect(src, sink Element, mt MediaType, srcDesc, sinkDesc string) error {
	sc, kc := src.Core(), sink.Core()
	p := sc.pipeline
	if kc.pipeline != p {
		return ErrOtherPipeline
	}
	p.graphMu.Lock()
	if sc.released || kc.released {
		p.graphMu.Unlock()
		return ErrReleased
	}
	if kc.handler.Forwards() && reachesLocked(kc, sc) {
		p.graphMu.Unlock()
		return ErrConnectionLoop
	}
	sinkPad := kc.sinkPadLocked(mt, sinkDesc)
	srcPad := sc.sourcePadLocked(mt, srcDesc)
	old := sinkPad.source.Load()
	if old == srcPad {
		p.graphMu.Unlock()
		return nil
	}
	if old != nil {
		old.removeSink(sinkPad)
	}
	srcPad.addSink(sinkPad)
	sinkPad.source.Store(srcPad)
	p.graphMu.Unlock()

	if old != nil {
		old.owner.Emit(ElementDisconnected{Sink: sink, MediaType: mt, SourceDesc: old.desc, SinkDesc: sinkDesc})
	}
	sc.Emit(ElementConnected{Sink: sink, MediaType: mt, SourceDesc: srcDesc, SinkDesc: sinkDesc})
	kc.handler.SourceChanged(sinkPad)
	return nil
}

// reachesLocked reports whether media leaving from's source pads can arrive
// at target through forwarding elements.
func reachesLocked(from, target *Core) bool {
	seen := map[*Core]bool{}
	var walk func(c *Core) bool
	walk = func(c *Core) bool {
		if c == target {
			return true
		}
		if seen[c] || !c.handler.Forwards() {
			return false
		}
		seen[c] = true
		for _, src := range c.sources {
			for _, s := range src.Sinks() {
				if walk(s.owner) {
					return true
				}
			}
		}
		return false
	}
	return walk(from)
}

// Disconnect removes the link from src (mt, srcDesc) to sink (mt, sinkDesc).
func Disconnect(src, sink Element, mt MediaType, srcDesc, sinkDesc string) error {
	sc, kc := src.Core(), sink.Core()
	p := sc.pipeline
	if kc.pipeline != p {
		return ErrOtherPipeline
	}
	p.graphMu.Lock()
	sinkPad := kc.sinks[padKey{mt, sinkDesc}]
	srcPad := sc.sources[padKey{mt, srcDesc}]
	if sinkPad == nil || srcPad == nil || sinkPad.source.Load() != srcPad {
		p.graphMu.Unlock()
		return ErrNotConnected
	}
	srcPad.removeSink(sinkPad)
	sinkPad.source.Store(nil)
	p.graphMu.Unlock()

	sc.Emit(ElementDisconnected{Sink: sink, MediaType: mt, SourceDesc: srcDesc, SinkDesc: sinkDesc})
	kc.handler.SourceChanged(sinkPad)
	return nil
}

// Detach removes every connection of the element and unregisters it. It is
// called by element Release implementations; it reports false when the
// element was already detached. Connection peers are told afterwards.
func (c *Core) Detach() bool {
	p := c.pipeline
	p.graphMu.Lock()
	if c.released {
		p.graphMu.Unlock()
		return false
	}
	c.released = true
	delete(p.elements, c)
	type lost struct {
		src  *SourcePad
		sink *SinkPad
	}
	var losses []lost
	for _, sink := range c.sinks {
		if src := sink.source.Load(); src != nil {
			src.removeSink(sink)
			sink.source.Store(nil)
			losses = append(losses, lost{src, sink})
		}
	}
	for _, src := range c.sources {
		for _, sink := range src.Sinks() {
			sink.source.Store(nil)
			losses = append(losses, lost{src, sink})
		}
		empty := []*SinkPad{}
		src.sinks.Store(&empty)
	}
	p.graphMu.Unlock()

	for _, l := range losses {
		switch {
		case l.src.owner == c && l.sink.owner == c:
		case l.sink.owner == c:
			l.src.owner.Emit(ElementDisconnected{Sink: c.self, MediaType: l.sink.mediaType, SourceDesc: l.src.desc, SinkDesc: l.sink.desc})
		default:
			l.sink.owner.handler.SourceChanged(l.sink)
		}
	}
	return true
}

// Release releases every element and stops the pipeline clock. Idempotent.
func (p *Pipeline) Release() {
	p.graphMu.Lock()
	if p.released {
		p.graphMu.Unlock()
		<-p.stopped
		return
	}
	p.released = true
	elems := make([]Element, 0, len(p.elements))
	for c := range p.elements {
		elems = append(elems, c.self)
	}
	p.graphMu.Unlock()
	for _, e := range elems {
		e.Release()
	}
	close(p.stop)
	<-p.stopped
}

// Released reports whether Release was called.
func (p *Pipeline) Released() bool {
	p.graphMu.Lock()
	defer p.graphMu.Unlock()
	return p.released
}

// clock periodically turns pad activity into MediaFlowIn/Out events.
func (p *Pipeline) clock() {
	defer close(p.stopped)
	t := time.NewTicker(flowTick)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.checkFlows()
		}
	}
}

type flowChange struct {
	core  *Core
	event Event
}

func (p *Pipeline) checkFlows() {
	now := monotime()
	var changes []flowChange
	p.graphMu.Lock()
	for c := range p.elements {
		for k, src := range c.sources {
			if f := src.flow.Flowing(now); f != src.flow.flowing {
				src.flow.flowing = f
				changes = append(changes, flowChange{c, MediaFlowOut{Flowing: f, Pad: k.desc, MediaType: k.mediaType}})
			}
		}
		for k, sink := range c.sinks {
			if f := sink.flow.Flowing(now); f != sink.flow.flowing {
				sink.flow.flowing = f
				changes = append(changes, flowChange{c, MediaFlowIn{Flowing: f, Pad: k.desc, MediaType: k.mediaType}})
			}
		}
	}
	p.graphMu.Unlock()
	for _, ch := range changes {
		ch.core.Emit(ch.event)
	}
}
