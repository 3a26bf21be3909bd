package media

import (
	"sync"
	"sync/atomic"
)

// Pipeline is a set of elements that may be connected to each other. It
// owns one goroutine that turns pad activity into flow events; Release
// stops it.
type Pipeline struct {
	clock Clock

	graphMu  sync.Mutex // guards elements, every Core's pad maps and released flags, and connections
	elements map[*Core]struct{}
	released bool

	planMu      sync.Mutex // serialises transcoding plans (transcode.go); taken before graphMu
	transcoders TranscoderFactory

	latencyStats atomic.Bool
	codecMu      sync.Mutex // guards codecs
	codecs       [numMediaTypes]*Codec
	stop         chan struct{}
	stopped      chan struct{}
}

// PipelineOption configures NewPipeline.
type PipelineOption func(*Pipeline)

// WithClock makes the pipeline take its time from c instead of the real clock.
func WithClock(c Clock) PipelineOption { return func(p *Pipeline) { p.clock = c } }

// NewPipeline creates a pipeline and starts its flow checks.
func NewPipeline(opts ...PipelineOption) *Pipeline {
	p := &Pipeline{clock: RealClock{}, elements: make(map[*Core]struct{}), stop: make(chan struct{}), stopped: make(chan struct{})}
	for _, o := range opts {
		o(p)
	}
	go p.watchFlows(p.clock.NewTicker(flowTick))
	return p
}

// Now returns the pipeline clock's current time (monotonic nanoseconds).
func (p *Pipeline) Now() int64 { return p.clock.Now() }

// Clock returns the pipeline's clock.
func (p *Pipeline) Clock() Clock { return p.clock }

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

// LatencyStats reports whether latency is measured.
func (p *Pipeline) LatencyStats() bool { return p.latencyStats.Load() }

// EntryTime returns the timestamp a source element stamps on packets entering
// the pipeline: the current clock time when measuring latency, else 0.
func (p *Pipeline) EntryTime() int64 {
	if p.latencyStats.Load() {
		return p.clock.Now()
	}
	return 0
}

// PreferredCodec is the codec of mt first negotiated by an endpoint of the
// pipeline (nil if none): endpoints put it first in the offers they make
// (an answerer that takes it spares a transcoder), and processing elements
// expect it before media arrives.
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

// Release releases every element and stops the flow checks. Idempotent.
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
