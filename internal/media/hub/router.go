package hub

import (
	"sync"
	"sync/atomic"

	"github.com/gorento/gorento/internal/media"
)

// router is a port's place in its hub's routes, per media type (audio,
// video): the port whose input leaves from this one, and the ports whose
// output is this one's input. The lists are copied on change and read
// without a lock on the media path.
type router struct {
	from  [2]atomic.Pointer[Port]
	dests [2]atomic.Pointer[[]*Port]
}

// routing forwards media between the ports of a hub without decoding it:
// the Dispatcher, DispatcherOneToMany and the Mixer's video.
type routing struct {
	mu sync.Mutex // serialises route changes
}

func routable(mt media.MediaType) bool { return mt == media.Audio || mt == media.Video }

// set makes sink's output of mt be source's input (nil: nothing). The new
// source is asked for a keyframe and the graph re-plans sink's output,
// whose codec may change.
func (r *routing) set(sink, source *Port, mt media.MediaType) {
	if !routable(mt) {
		return
	}
	r.mu.Lock()
	old := sink.route.from[mt].Load()
	if old == source {
		r.mu.Unlock()
		return
	}
	if old != nil {
		old.route.dests[mt].Store(withoutPort(old.route.dests[mt].Load(), sink))
	}
	if source != nil {
		next := append(append([]*Port(nil), deref(source.route.dests[mt].Load())...), sink)
		source.route.dests[mt].Store(&next)
	}
	sink.route.from[mt].Store(source)
	r.mu.Unlock()
	if source != nil && mt == media.Video && sink.core.Source(mt).HasSinks() {
		source.core.Sink(mt).RequestKeyframe()
	}
	sink.core.CodecsChanged()
}

// drop takes p out of every route: its outputs stop, and the ports it fed
// lose their source.
func (r *routing) drop(p *Port) {
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		r.set(p, nil, mt)
		for _, d := range deref(p.route.dests[mt].Load()) {
			r.set(d, nil, mt)
		}
	}
}

func deref(l *[]*Port) []*Port {
	if l == nil {
		return nil
	}
	return *l
}

func withoutPort(l *[]*Port, p *Port) *[]*Port {
	var next []*Port
	for _, x := range deref(l) {
		if x != p {
			next = append(next, x)
		}
	}
	return &next
}

// consume forwards what reaches p's default sink pads out of the ports
// routed from p: as a PassThrough does, no copy, no allocation.
func (r *routing) consume(p *Port, pad *media.SinkPad, pkt *media.Packet) {
	mt := pad.MediaType()
	if !routable(mt) || pad.Desc() != media.DefaultPad {
		return
	}
	if l := p.route.dests[mt].Load(); l != nil {
		for _, d := range *l {
			d.core.Source(mt).Push(pkt)
		}
	}
}

// keyframe asks the source of p's output.
func (r *routing) keyframe(p *Port, pad *media.SourcePad) {
	if mt := pad.MediaType(); routable(mt) {
		if from := p.route.from[mt].Load(); from != nil {
			from.core.Sink(mt).RequestKeyframe()
		}
	}
}

// codec is the codec reaching the source of p's output.
func (r *routing) codec(p *Port, pad *media.SourcePad) *media.Codec {
	if mt := pad.MediaType(); routable(mt) && pad.Desc() == media.DefaultPad {
		if from := p.route.from[mt].Load(); from != nil {
			return from.core.Sink(mt).Codec()
		}
	}
	return nil
}

// estimate is the lowest estimate of the receivers behind the ports p feeds.
func (r *routing) estimate(p *Port, pad *media.SinkPad) uint64 {
	mt := pad.MediaType()
	if !routable(mt) {
		return 0
	}
	var lowest uint64
	for _, d := range deref(p.route.dests[mt].Load()) {
		if e := d.core.Source(mt).DownstreamBitrate(); e != 0 && (lowest == 0 || e < lowest) {
			lowest = e
		}
	}
	return lowest
}

// sourceChanged: a new stream enters p: the ports it feeds re-plan (its
// codec may differ) and, when anyone watches, it starts with a keyframe.
func (r *routing) sourceChanged(p *Port, pad *media.SinkPad) {
	mt := pad.MediaType()
	if !routable(mt) {
		return
	}
	dests := deref(p.route.dests[mt].Load())
	for _, d := range dests {
		d.core.CodecsChanged()
	}
	if mt == media.Video && len(dests) > 0 {
		pad.RequestKeyframe()
	}
}
