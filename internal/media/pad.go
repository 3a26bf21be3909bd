package media

import (
	"sync/atomic"
	"time"
)

// DefaultPad is the media description used when none is given.
const DefaultPad = "default"

type padKey struct {
	mediaType MediaType
	desc      string
}

// SourcePad is an element output for one media type and description. It
// fans packets out to its sink pads through a copy-on-write list, so Push
// takes no lock and allocates nothing.
type SourcePad struct {
	owner     *Core
	mediaType MediaType
	desc      string
	sinks     atomic.Pointer[[]*SinkPad] // the pads Push reaches; replaced under Pipeline.graphMu
	flow      flowMeter
	history   atomic.Pointer[SourceRing] // video: made on first use
	// layerHistory are the histories of simulcast layers 1 and up.
	layerHistory [MaxLayers - 1]atomic.Pointer[SourceRing]

	// Guarded by Pipeline.graphMu.
	linked []*SinkPad     // the sinks connected to this pad (their source is this pad)
	tc     *transcoding   // the transcoder feeding the linked sinks that cannot take this pad's codec
	state  transcodeState // what MediaTranscodingStateChanged last reported
}

// SinkPad is an element input for one media type and description. It has at
// most one source; a new connection replaces the old one.
type SinkPad struct {
	owner     *Core
	mediaType MediaType
	desc      string
	source    atomic.Pointer[SourcePad] // the connected source; written under Pipeline.graphMu
	feed      atomic.Pointer[SourcePad] // the pad whose Push reaches p: source, or a transcoder output; written under Pipeline.graphMu
	flow      flowMeter
	latency   latencyMeter
	dropping  bool                      // waiting for a keyframe after an overflow; guarded by the owner's inputQueue.mu
	layers    atomic.Pointer[padLayers] // the layer choice of a simulcast source (layers.go)
}

// MediaType returns the pad's media type.
func (p *SourcePad) MediaType() MediaType { return p.mediaType }

// Owner returns the element the pad belongs to.
func (p *SourcePad) Owner() Element { return p.owner.self }

// MediaType returns the pad's media type.
func (p *SinkPad) MediaType() MediaType { return p.mediaType }

// Owner returns the element the pad belongs to.
func (p *SinkPad) Owner() Element { return p.owner.self }

// Source returns the pad p is connected to, or nil.
func (p *SinkPad) Source() *SourcePad { return p.source.Load() }

// Feed returns the pad whose packets reach p: its source, or the output of
// the transcoder between them; nil when nothing reaches p.
func (p *SinkPad) Feed() *SourcePad { return p.feed.Load() }

// Desc returns the pad's media description.
func (p *SourcePad) Desc() string { return p.desc }

// Desc returns the pad's media description.
func (p *SinkPad) Desc() string { return p.desc }

// Push delivers pkt to every connected sink, synchronously, in connection
// order. A sink that keeps it (a queue, an egress worker) holds its buffer.
// A video packet without a history (not read by a producer into a
// PacketBuf, see PushBuf) is copied once into one and kept in the pad's
// history, so every sink can answer retransmission requests from it.
func (p *SourcePad) Push(pkt *Packet) {
	now := p.owner.pipeline.clock.Now()
	p.flow.mark(now)
	list := p.sinks.Load()
	if list == nil || len(*list) == 0 {
		return
	}
	if p.mediaType == Video {
		if r, _ := pkt.history(); r == nil {
			if b := p.adopt(pkt, now); b != nil {
				p.fanOut(*list, &b.pkt, now)
				b.Release()
				return
			}
		}
	}
	p.fanOut(*list, pkt, now)
}

// PushBuf is Push for a producer that read the packet into b (GetPacketBuf,
// then ParseRTP or its own filling, not published): b is published, kept in
// the pad's history (video) and pushed; a video packet the history holds
// already (received twice) is dropped. The caller gives b up.
func (p *SourcePad) PushBuf(b *PacketBuf) {
	now := p.owner.pipeline.clock.Now()
	p.flow.mark(now)
	list := p.sinks.Load()
	if list == nil || len(*list) == 0 {
		b.Free()
		return
	}
	if p.mediaType == Video {
		r := p.HistoryOf(b.pkt.Layer)
		ext := r.Extend(b.pkt.Header.SequenceNumber)
		if r.holds(ext) {
			b.Free() // received twice: see holds
			return
		}
		b.setHistory(r, ext)
		b.Publish()
		r.put(b, now)
	} else {
		b.Publish()
	}
	p.fanOut(*list, &b.pkt, now)
	b.Release()
}

func (p *SourcePad) fanOut(list []*SinkPad, pkt *Packet, now int64) {
	for _, sink := range list {
		sink.deliver(pkt, now)
	}
}

// adopt copies pkt into a buffer kept in the pad's history; nil when it
// does not fit (it is then pushed as it is, without history).
func (p *SourcePad) adopt(pkt *Packet, now int64) *PacketBuf {
	b := GetPacketBuf()
	if !b.copyFrom(pkt) {
		b.Free()
		return nil
	}
	r := p.HistoryOf(pkt.Layer)
	b.setHistory(r, r.Extend(pkt.Header.SequenceNumber))
	b.Publish()
	r.put(b, now)
	return b
}

// History returns the pad's retransmission history, made on first use.
func (p *SourcePad) History() *SourceRing {
	if r := p.history.Load(); r != nil {
		return r
	}
	r := NewSourceRing(DefaultHistorySlots, DefaultHistoryRetention)
	if p.history.CompareAndSwap(nil, r) {
		return r
	}
	return p.history.Load()
}

// closeHistory releases the packets the pad keeps (the element is released).
func (p *SourcePad) closeHistory() {
	if r := p.history.Load(); r != nil {
		r.Close()
	}
	for i := range p.layerHistory {
		if r := p.layerHistory[i].Load(); r != nil {
			r.Close()
		}
	}
}

// HasSinks reports whether Push reaches any sink.
func (p *SourcePad) HasSinks() bool {
	l := p.sinks.Load()
	return l != nil && len(*l) > 0
}

// Sinks returns a snapshot of the sink pads Push reaches (connected sinks
// that take p's codec, and the input of p's transcoder).
func (p *SourcePad) Sinks() []*SinkPad {
	if l := p.sinks.Load(); l != nil {
		return *l
	}
	return nil
}

func (p *SinkPad) deliver(pkt *Packet, now int64) {
	if pkt.Flags&PacketSimulcast != 0 && !p.owner.selectsLayers && !p.pickLayer(pkt, now) {
		return
	}
	p.flow.mark(now)
	if pkt.EnteredAt != 0 {
		p.latency.observe(time.Duration(now - pkt.EnteredAt))
	}
	if q := p.owner.input.Load(); q != nil {
		q.push(p, pkt, now)
		return
	}
	p.owner.handler.Consume(p, pkt)
}

// RequestKeyframe asks whatever feeds p for a keyframe (video only): its
// source, or the encoder of the transcoder between them.
func (p *SinkPad) RequestKeyframe() {
	if src := p.feed.Load(); src != nil {
		src.owner.handler.RequestKeyframe(src)
	}
}

// DownstreamBitrate is the lowest bitrate estimate (bps) reported by the
// receivers behind p's sinks, or 0 when none is known.
func (p *SourcePad) DownstreamBitrate() uint64 {
	var lowest uint64
	for _, sink := range p.Sinks() {
		if e := sink.owner.handler.BitrateEstimate(sink); e != 0 && (lowest == 0 || e < lowest) {
			lowest = e
		}
	}
	return lowest
}

func (p *SourcePad) addSink(s *SinkPad) {
	old := p.Sinks()
	next := make([]*SinkPad, 0, len(old)+1)
	next = append(next, old...)
	next = append(next, s)
	p.sinks.Store(&next)
}

func (p *SourcePad) removeSink(s *SinkPad) {
	old := p.Sinks()
	next := make([]*SinkPad, 0, len(old))
	for _, x := range old {
		if x != s {
			next = append(next, x)
		}
	}
	p.sinks.Store(&next)
}
