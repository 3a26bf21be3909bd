package media

import (
	"sort"
	"sync/atomic"
)

// Element is a node of a pipeline.
type Element interface {
	// Core returns the graph state shared by all element kinds.
	Core() *Core
	// Release disconnects the element and stops everything it runs.
	// It is idempotent.
	Release()
}

// Handler is what an element kind implements for the media it carries.
// Consume is the hot path: it must not block and must not allocate.
type Handler interface {
	// Consume handles one packet arriving on sink pad p.
	Consume(p *SinkPad, pkt *Packet)
	// RequestKeyframe asks the element to produce a keyframe on source pad p.
	RequestKeyframe(p *SourcePad)
	// BitrateEstimate returns the bitrate (bps) the receivers behind sink pad
	// p can take, or 0 when unknown.
	BitrateEstimate(p *SinkPad) uint64
	// SourceChanged is called (outside engine locks) after the source of
	// sink pad p was connected, replaced or removed.
	SourceChanged(p *SinkPad)
	// Forwards reports whether media entering the element's sink pads leaves
	// through its source pads (used to refuse connection loops).
	Forwards() bool
}

// Core is the graph state embedded in every element: its pipeline, its pads
// and its connections. Pads are created under Pipeline.graphMu.
type Core struct {
	// Owner is an opaque back-reference for the layer that created the
	// element (the protocol server stores its remote object here).
	Owner any

	pipeline *Pipeline
	self     Element
	handler  Handler
	events   EventHandler
	posted   eventQueue
	input    atomic.Pointer[inputQueue]            // set by UseQueue
	formats  [numMediaTypes]atomic.Pointer[Format] // forced input formats (SetFormat)
	// selectsLayers: the handler takes every simulcast layer (LayerAware).
	selectsLayers bool

	defaultSources [numMediaTypes]*SourcePad
	defaultSinks   [numMediaTypes]*SinkPad

	// Guarded by pipeline.graphMu.
	sources  map[padKey]*SourcePad
	sinks    map[padKey]*SinkPad
	released bool
}

// Init prepares the core of a new element and registers it in p. It fails
// when the pipeline was released.
func (c *Core) Init(p *Pipeline, self Element, h Handler, events EventHandler) error {
	c.pipeline, c.self, c.handler, c.events = p, self, h, events
	if la, ok := h.(LayerAware); ok {
		c.selectsLayers = la.SelectsLayers()
	}
	c.sources = make(map[padKey]*SourcePad)
	c.sinks = make(map[padKey]*SinkPad)
	for _, mt := range AllMediaTypes {
		c.defaultSources[mt] = c.sourcePadLocked(mt, DefaultPad)
		c.defaultSinks[mt] = c.sinkPadLocked(mt, DefaultPad)
	}
	return p.add(c)
}

// Pipeline returns the element's pipeline.
func (c *Core) Pipeline() *Pipeline { return c.pipeline }

// Source returns the default source pad for mt.
func (c *Core) Source(mt MediaType) *SourcePad { return c.defaultSources[mt] }

// Sink returns the default sink pad for mt.
func (c *Core) Sink(mt MediaType) *SinkPad { return c.defaultSinks[mt] }

// SourcePad returns the source pad (mt, desc), creating it if needed.
func (c *Core) SourcePad(mt MediaType, desc string) *SourcePad {
	c.pipeline.graphMu.Lock()
	defer c.pipeline.graphMu.Unlock()
	return c.sourcePadLocked(mt, desc)
}

// SinkPad returns the sink pad (mt, desc), creating it if needed.
func (c *Core) SinkPad(mt MediaType, desc string) *SinkPad {
	c.pipeline.graphMu.Lock()
	defer c.pipeline.graphMu.Unlock()
	return c.sinkPadLocked(mt, desc)
}

func (c *Core) sourcePadLocked(mt MediaType, desc string) *SourcePad {
	k := padKey{mt, desc}
	if p, ok := c.sources[k]; ok {
		return p
	}
	p := &SourcePad{owner: c, mediaType: mt, desc: desc}
	c.sources[k] = p
	return p
}

func (c *Core) sinkPadLocked(mt MediaType, desc string) *SinkPad {
	k := padKey{mt, desc}
	if p, ok := c.sinks[k]; ok {
		return p
	}
	p := &SinkPad{owner: c, mediaType: mt, desc: desc}
	c.sinks[k] = p
	return p
}

// Connection is one source→sink link.
type Connection struct {
	Source     Element
	Sink       Element
	MediaType  MediaType
	SourceDesc string
	SinkDesc   string
}

// ConnectionFilter selects connections by media type and/or description.
type ConnectionFilter struct {
	MediaType *MediaType
	Desc      string // "" matches any
}

func (f ConnectionFilter) match(mt MediaType, desc string) bool {
	return (f.MediaType == nil || *f.MediaType == mt) && (f.Desc == "" || f.Desc == desc)
}

// SourceConnections lists the connections feeding this element.
func (c *Core) SourceConnections(f ConnectionFilter) []Connection {
	c.pipeline.graphMu.Lock()
	defer c.pipeline.graphMu.Unlock()
	var out []Connection
	for k, sink := range c.sinks {
		src := sink.source.Load()
		if src == nil || !f.match(k.mediaType, k.desc) {
			continue
		}
		out = append(out, Connection{src.owner.self, c.self, k.mediaType, src.desc, k.desc})
	}
	sortConnections(out)
	return out
}

// SinkConnections lists the connections this element feeds.
func (c *Core) SinkConnections(f ConnectionFilter) []Connection {
	c.pipeline.graphMu.Lock()
	defer c.pipeline.graphMu.Unlock()
	var out []Connection
	for k, src := range c.sources {
		if !f.match(k.mediaType, k.desc) {
			continue
		}
		for _, sink := range src.linked {
			out = append(out, Connection{c.self, sink.owner.self, k.mediaType, k.desc, sink.desc})
		}
	}
	sortConnections(out)
	return out
}

func sortConnections(cs []Connection) {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].MediaType != cs[j].MediaType {
			return cs[i].MediaType < cs[j].MediaType
		}
		return cs[i].SourceDesc+"\x00"+cs[i].SinkDesc < cs[j].SourceDesc+"\x00"+cs[j].SinkDesc
	})
}

// IsFlowingIn reports whether media arrives on the sink pad (mt, desc).
func (c *Core) IsFlowingIn(mt MediaType, desc string) bool {
	c.pipeline.graphMu.Lock()
	p := c.sinks[padKey{mt, desc}]
	c.pipeline.graphMu.Unlock()
	return p != nil && p.flow.Flowing(c.pipeline.clock.Now())
}

// IsFlowingOut reports whether media leaves through the source pad (mt, desc).
func (c *Core) IsFlowingOut(mt MediaType, desc string) bool {
	c.pipeline.graphMu.Lock()
	p := c.sources[padKey{mt, desc}]
	c.pipeline.graphMu.Unlock()
	return p != nil && p.flow.Flowing(c.pipeline.clock.Now())
}

// InputLatency returns the average time (ns) packets took from entering the
// pipeline to reaching the default sink pad of mt.
func (c *Core) InputLatency(mt MediaType) (float64, bool) {
	return c.defaultSinks[mt].latency.Average()
}
