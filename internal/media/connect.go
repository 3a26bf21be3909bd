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
// replaced. When the sink cannot take the source's codec, the pipeline
// puts a transcoder between them (transcode.go). Events are emitted after
// the graph lock is released.
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
		old.unlinkLocked(sinkPad)
	}
	srcPad.linked = append(srcPad.linked, sinkPad)
	sinkPad.source.Store(srcPad)
	// Media flows at once when the sink takes the source's codec (or either
	// is unknown yet); otherwise the plan below feeds it from a transcoder.
	if _, direct := routeLocked(srcPad, sinkPad); direct {
		sinkPad.setFeedLocked(srcPad)
	} else {
		sinkPad.setFeedLocked(nil)
	}
	p.graphMu.Unlock()

	if old != nil {
		old.owner.Emit(ElementDisconnected{Sink: sink, MediaType: mt, SourceDesc: old.desc, SinkDesc: sinkDesc})
	}
	sc.Emit(ElementConnected{Sink: sink, MediaType: mt, SourceDesc: srcDesc, SinkDesc: sinkDesc})
	kc.handler.SourceChanged(sinkPad)
	if old != nil {
		p.plan(old)
	}
	p.plan(srcPad)
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
			for _, s := range src.linked {
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
	srcPad.unlinkLocked(sinkPad)
	p.graphMu.Unlock()

	sc.Emit(ElementDisconnected{Sink: sink, MediaType: mt, SourceDesc: srcDesc, SinkDesc: sinkDesc})
	kc.handler.SourceChanged(sinkPad)
	p.plan(srcPad)
	return nil
}

// unlinkLocked removes the connection src → s and whatever fed s.
func (src *SourcePad) unlinkLocked(s *SinkPad) {
	src.linked = without(src.linked, s)
	s.source.Store(nil)
	s.setFeedLocked(nil)
}

// setFeedLocked makes f the pad whose Push reaches s (nil: none); it
// reports whether that changed.
func (s *SinkPad) setFeedLocked(f *SourcePad) bool {
	old := s.feed.Load()
	if old == f {
		return false
	}
	if old != nil {
		old.removeSink(s)
	}
	if f != nil {
		f.addSink(s)
	}
	s.feed.Store(f)
	s.layers.Store(nil) // a new feed: its simulcast layers are chosen afresh
	return true
}

func without(list []*SinkPad, s *SinkPad) []*SinkPad {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
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
			src.unlinkLocked(sink)
			losses = append(losses, lost{src, sink})
		} else {
			sink.setFeedLocked(nil) // a transcoder's input
		}
	}
	var own []*transcoding
	for _, src := range c.sources {
		for _, sink := range src.linked {
			sink.source.Store(nil)
			sink.setFeedLocked(nil)
			losses = append(losses, lost{src, sink})
		}
		src.linked = nil
		for _, sink := range src.Sinks() { // sinks fed by this pad as a transcoder output
			sink.feed.Store(nil)
		}
		empty := []*SinkPad{}
		src.sinks.Store(&empty)
		if src.tc != nil {
			own = append(own, src.tc)
			src.tc = nil
		}
	}
	p.graphMu.Unlock()

	for _, t := range own {
		t.t.Release()
	}
	c.stopQueue()
	for _, src := range c.sourcePadsSnapshot() {
		src.closeHistory()
	}
	var upstream []*SourcePad
	for _, l := range losses {
		switch {
		case l.src.owner == c && l.sink.owner == c:
		case l.sink.owner == c:
			l.src.owner.Emit(ElementDisconnected{Sink: c.self, MediaType: l.sink.mediaType, SourceDesc: l.src.desc, SinkDesc: l.sink.desc})
			upstream = append(upstream, l.src)
		default:
			l.sink.owner.handler.SourceChanged(l.sink)
		}
	}
	p.plan(upstream...)
	return true
}
