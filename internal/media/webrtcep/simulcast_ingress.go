package webrtcep

import (
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// simulcastIngest is what an endpoint receiving simulcast keeps: every
// layer leaves through the one video source pad, each packet tagged with
// its layer, and each sink chooses (media.LayerSwitch).
type simulcastIngest struct {
	info    atomic.Pointer[simulcastInfo] // set before Pion sees the offer
	in      [media.MaxLayers]atomic.Pointer[inboundStream]
	pushMu  sync.Mutex // the layers' readers push through one pad, one at a time
	lastPLI [media.MaxLayers]atomic.Int64
	delay   delayWatch // the uplink's queue (uplink_delay.go); guarded by pushMu
}

// layerTag tags the packets of one received simulcast layer (the
// reader's goroutine only).
type layerTag struct {
	layer    uint8
	w        *Endpoint // nil in tests: no delay watch
	mu       *sync.Mutex
	codec    *media.Codec
	classify func([]byte) (bool, uint8)
}

// push tags a packet read into b with its layer, keyframe flag and
// temporal layer, and pushes it.
func (t *layerTag) push(src *media.SourcePad, b *media.PacketBuf) {
	pkt := b.Packet()
	if pkt.Codec != t.codec {
		t.codec, t.classify = pkt.Codec, rtpx.Classify(pkt.Codec.MimeType)
	}
	pkt.Layer, pkt.Flags = t.layer, media.PacketSimulcast
	if t.classify != nil {
		key, tid := t.classify(pkt.Payload)
		pkt.TID = tid
		if key {
			pkt.Flags |= media.PacketKeyframe
		}
	}
	var queue bool
	var rate, full uint64
	var now int64
	t.mu.Lock()
	if t.w != nil {
		now = t.w.now()
		queue, rate, full = t.w.simul.delay.packet(t.layer, pkt.Header.Timestamp, now, len(pkt.Payload)+uplinkHeader)
	}
	src.PushBuf(b)
	t.mu.Unlock()
	if queue {
		t.w.uplinkQueued(rate)
	}
	if full > 0 {
		t.w.uplinkFull(now, full)
	}
}

// addInbound records a received stream; for a layer of a simulcast offer
// it returns the tag its packets get (nil otherwise). The endpoint's
// inbound video (w.in) is the lowest layer received.
func (w *Endpoint) addInbound(in *inboundStream, rid string) *layerTag {
	info := w.simul.info.Load()
	l := info.layerOf(rid)
	in.layer = -1
	if in.kind != media.Video || l < 0 || info.layers < 2 {
		w.in[in.kind].Store(in)
		return nil
	}
	in.layer, in.rid = l, rid
	w.simul.in[l].Store(in)
	for {
		cur := w.in[media.Video].Load()
		if cur != nil && cur.layer <= l || w.in[media.Video].CompareAndSwap(cur, in) {
			break
		}
	}
	return &layerTag{layer: uint8(l), w: w, mu: &w.simul.pushMu}
}

// inboundLayers returns the simulcast layers received (nil: none).
func (w *Endpoint) inboundLayers() []*inboundStream {
	var out []*inboundStream
	for i := range w.simul.in {
		if in := w.simul.in[i].Load(); in != nil {
			out = append(out, in)
		}
	}
	return out
}

// keyframeRequests are the PLIs for the received video: one per layer
// of a simulcast publisher.
func (w *Endpoint) keyframeRequests(in *inboundStream) []rtcp.Packet {
	layers := w.inboundLayers()
	if len(layers) == 0 {
		return []rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: in.ssrc}}
	}
	out := make([]rtcp.Packet, 0, len(layers))
	for _, l := range layers {
		out = append(out, &rtcp.PictureLossIndication{MediaSSRC: l.ssrc})
	}
	return out
}

// RequestLayerKeyframe implements media.LayerKeyframer: a PLI to one
// layer's SSRC, at most once per keyframeInterval per layer. It never
// blocks (egress workers call it): the RTCP is written on a goroutine the
// endpoint owns.
func (w *Endpoint) RequestLayerKeyframe(p *media.SourcePad, layer uint8) {
	if p.MediaType() != media.Video || layer >= media.MaxLayers {
		return
	}
	in := w.simul.in[layer].Load()
	if in == nil {
		if len(w.inboundLayers()) == 0 {
			w.sendKeyframeRequest() // not simulcast: the one stream
		}
		return
	}
	now := w.now()
	last := &w.simul.lastPLI[layer]
	prev := last.Load()
	if prev != 0 && now-prev < int64(keyframeInterval) || !last.CompareAndSwap(prev, now) {
		return
	}
	pc := w.pcRef.Load()
	if pc == nil {
		return
	}
	w.spawn(func() { _ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: in.ssrc}}) })
}

// SelectsLayers implements media.LayerAware: each sink track chooses the
// layer its viewer gets (egress.LayerSelector).
func (w *Endpoint) SelectsLayers() bool { return true }

// inboundStreams are the received streams of a kind: every layer of a
// simulcast publisher.
func (w *Endpoint) inboundStreams(kind media.MediaType) []*inboundStream {
	if kind == media.Video {
		if layers := w.inboundLayers(); len(layers) > 0 {
			return layers
		}
	}
	if in := w.in[kind].Load(); in != nil {
		return []*inboundStream{in}
	}
	return nil
}

// inboundLayerStats adds a received stream's layer to its stats.
func (w *Endpoint) inboundLayerStats(s *RTPStats, in *inboundStream) {
	if in.layer < 0 {
		return
	}
	if info := w.simul.info.Load(); info != nil {
		s.Layers = info.layers
	}
	s.Layer, s.Rid = in.layer, in.rid
}

// videoSSRCs are the SSRCs of the received video a REMB is about: every
// layer of a simulcast publisher.
func (w *Endpoint) videoSSRCs(in *inboundStream) []uint32 {
	layers := w.inboundLayers()
	if len(layers) == 0 {
		return []uint32{in.ssrc}
	}
	out := make([]uint32, len(layers))
	for i, l := range layers {
		out[i] = l.ssrc
	}
	return out
}
