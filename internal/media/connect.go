package media

// lockGraph takes the graph lock of the pipeline src and sink share.
func lockGraph(src, sink Element) (sc, kc *Core, err error) {
	sc, kc = src.Core(), sink.Core()
	if kc.pipeline != sc.pipeline {
		return nil, nil, ErrOtherPipeline
	}
	sc.pipeline.graphMu.Lock()
	return sc, kc, nil
}

// Connect links src's source pad (mt, srcDesc) to sink's sink pad (mt,
// sinkDesc). A sink pad has one source: an existing connection to it is
// replaced. Events are emitted after the graph lock is released.
func Connect(src, sink Element, mt MediaType, srcDesc, sinkDesc string) error {
	sc, kc, err := lockGraph(src, sink)
	if err != nil {
		return err
	}
	p := sc.pipeline
	if sc.released || kc.released {
		p.graphMu.Unlock()
		return ErrReleased
	}
	// A loop needs every element on it to forward: an endpoint fed back
	// through a filter (ep → filter → ep) is a loopback, not a loop.
	if kc.handler.Forwards() && sc.handler.Forwards() && reachesLocked(kc, sc) {
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
	sinkPad.layers.Store(nil) // a new source: its layers are chosen afresh
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
	sc, kc, err := lockGraph(src, sink)
	if err != nil {
		return err
	}
	p := sc.pipeline
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

// sourcePadsSnapshot lists the element's source pads.
func (c *Core) sourcePadsSnapshot() []*SourcePad {
	c.pipeline.graphMu.Lock()
	defer c.pipeline.graphMu.Unlock()
	out := make([]*SourcePad, 0, len(c.sources))
	for _, p := range c.sources {
		out = append(out, p)
	}
	return out
}

// Detach removes every connection of the element, unregisters it and
// stops its input queue (waiting for its goroutine). It is called by
// element Release implementations; it reports false when the element was
// already detached. Connection peers are told afterwards.
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

	c.stopQueue()
	for _, src := range c.sourcePadsSnapshot() {
		src.closeHistory()
	}
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
