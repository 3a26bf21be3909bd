package media_test

import (
	"sync/atomic"
	"testing"

	"github.com/gorento/gorento/internal/media"
)

// TestEndOfStream: the end of a stream reaches the sinks that handle it,
// through PassThrough, and only on the media type that ended.
func TestEndOfStream(t *testing.T) {
	g := newGraph(t)
	src := g.source()
	pt := g.passThrough()
	d := add(g, func(h media.EventHandler) (*eosElement, error) { return newEOSElement(g.p, h) })
	e := add(g, func(h media.EventHandler) (*eosElement, error) { return newEOSElement(g.p, h) })
	g.connect(src, d, media.Video, def, def)
	g.connect(src, pt, media.Video, def, def)
	g.connect(pt, e, media.Video, def, def)
	g.connect(src, e, media.Audio, def, def)
	src.Core().Source(media.Video).PushEndOfStream()
	if d.ends[media.Video].Load() != 1 || e.ends[media.Video].Load() != 1 || e.ends[media.Audio].Load() != 0 {
		t.Fatalf("ends: direct %d, through %d, audio %d", d.ends[media.Video].Load(), e.ends[media.Video].Load(), e.ends[media.Audio].Load())
	}
	src.Core().Source(media.Audio).PushEndOfStream()
	if e.ends[media.Audio].Load() != 1 {
		t.Fatal("audio end of stream lost")
	}
}

// eosElement is a sink element that counts ends of stream.
type eosElement struct {
	core media.Core
	ends [3]atomic.Int64
}

func newEOSElement(p *media.Pipeline, h media.EventHandler) (*eosElement, error) {
	e := &eosElement{}
	return e, e.core.Init(p, e, e, h)
}

func (e *eosElement) Core() *media.Core                     { return &e.core }
func (e *eosElement) Release()                              { e.core.Detach() }
func (e *eosElement) Consume(*media.SinkPad, *media.Packet) {}
func (e *eosElement) RequestKeyframe(*media.SourcePad)      {}
func (e *eosElement) BitrateEstimate(*media.SinkPad) uint64 { return 0 }
func (e *eosElement) SourceChanged(*media.SinkPad)          {}
func (e *eosElement) Forwards() bool                        { return false }
func (e *eosElement) EndOfStream(p *media.SinkPad)          { e.ends[p.MediaType()].Add(1) }
