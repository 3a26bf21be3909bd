package webrtcep

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/egress"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// Consume implements media.Handler: send a packet that reached a sink pad.
func (w *Endpoint) Consume(p *media.SinkPad, pkt *media.Packet) {
	switch mt := p.MediaType(); mt {
	case media.Audio, media.Video:
		w.tracks[mt].write(pkt)
	case media.Data:
		w.dc.send(pkt)
	}
}

// SourceChanged implements media.Handler: continue the output stream
// across the change and get a keyframe from the new source.
func (w *Endpoint) SourceChanged(p *media.SinkPad) {
	mt := p.MediaType()
	if mt != media.Audio && mt != media.Video {
		return
	}
	w.tracks[mt].reanchor()
	if mt == media.Video {
		p.RequestKeyframe()
	}
}

// sinkTrack is the track an endpoint sends: a Pion TrackLocal fed by the
// endpoint's sink pad. It maps whatever source feeds it onto one SSRC, one
// payload type and continuous sequence numbers and timestamps.
type sinkTrack struct {
	w    *Endpoint
	kind media.MediaType

	mu      sync.Mutex // guards the fields below; held briefly per packet, never contended but on source switches
	bound   bool
	ssrc    uint32
	codecs  []webrtc.RTPCodecParameters
	out     webrtc.TrackLocalWriter
	rw      rtpx.Rewriter
	seq     egress.Sequencer // output sequence number → source packet, for NACKs
	hdr     rtp.Header       // scratch header of write
	rtxHdr  rtp.Header       // scratch header of resend
	lastIn  *media.Codec
	lastPT  uint8
	lastOK  bool
	dropped uint64 // packets whose codec the receiver did not negotiate

	estimate atomic.Uint64 // clamped receiver estimate (bps)
	remb     atomic.Uint64 // last REMB received (bps)
	e2e      media.LatencyMeter
}

var _ webrtc.TrackLocal = (*sinkTrack)(nil)

func newSinkTrack(w *Endpoint, kind media.MediaType) *sinkTrack {
	return &sinkTrack{w: w, kind: kind}
}

// Bind implements webrtc.TrackLocal: keep the negotiated codecs and the
// stream to write to.
func (t *sinkTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if isRTX(c) {
			continue
		}
		t.mu.Lock()
		t.bound, t.ssrc, t.codecs, t.out, t.lastIn = true, uint32(ctx.SSRC()), ctx.CodecParameters(), ctx.WriteStream(), nil
		t.mu.Unlock()
		return c, nil
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

// Unbind implements webrtc.TrackLocal.
func (t *sinkTrack) Unbind(webrtc.TrackLocalContext) error {
	t.mu.Lock()
	t.bound, t.out = false, nil
	t.mu.Unlock()
	return nil
}

// ID implements webrtc.TrackLocal.
func (t *sinkTrack) ID() string { return strings.ToLower(t.kind.String()) }

// RID implements webrtc.TrackLocal.
func (t *sinkTrack) RID() string { return "" }

// StreamID implements webrtc.TrackLocal.
func (t *sinkTrack) StreamID() string { return t.w.stream }

// Kind implements webrtc.TrackLocal.
func (t *sinkTrack) Kind() webrtc.RTPCodecType { return rtpKind(t.kind) }

func (t *sinkTrack) reanchor() {
	t.mu.Lock()
	t.rw.Reanchor()
	t.mu.Unlock()
}

// payloadTypeLocked maps the codec of an incoming packet to the payload type
// the receiver negotiated; false when it cannot decode that codec.
func (t *sinkTrack) payloadTypeLocked(c *media.Codec) (uint8, bool) {
	if c == t.lastIn {
		return t.lastPT, t.lastOK
	}
	t.lastIn, t.lastOK = c, false
	for _, n := range t.codecs {
		if !isRTX(n) && c.Matches(codecOf(n)) {
			t.lastPT, t.lastOK = uint8(n.PayloadType), true
			break
		}
	}
	return t.lastPT, t.lastOK
}

// write sends one packet: the egress hot path. The header is rewritten in
// the track's scratch header (a stack copy would escape through the writer
// interface and cost an allocation per packet); the payload is passed
// through untouched. The lock is held across the write, which also keeps
// the output in order when a source is replaced.
func (t *sinkTrack) write(pkt *media.Packet) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.bound {
		return
	}
	pt, ok := t.payloadTypeLocked(pkt.Codec)
	if !ok {
		t.dropped++
		return
	}
	hdr := &t.hdr
	*hdr = pkt.Header
	// Header extension ids are negotiated per connection: the sender's ids
	// mean nothing to this receiver.
	hdr.Extension, hdr.Extensions, hdr.ExtensionProfile = false, nil, 0
	now := t.w.now()
	t.rw.Rewrite(hdr, pkt.Codec.ClockRate, now) // before the SSRC changes: it sees a new source SSRC
	hdr.SSRC = t.ssrc
	hdr.PayloadType = pt
	ring, ext := pkt.History()
	t.seq.Record(hdr.SequenceNumber, ring, ext, hdr.Timestamp-pkt.Header.Timestamp)
	if _, err := t.out.WriteRTP(hdr, pkt.Payload); err == nil {
		t.e2e.Observe(now, pkt.EnteredAt)
	}
}

// resend answers a receiver's NACK for output sequence number seq from the
// source's history, with the header it was first sent with.
func (t *sinkTrack) resendLocked(seq uint16, now int64) {
	r, ok := t.seq.Lookup(seq, now, egress.DefaultResendGap, egress.DefaultResendBudget)
	if !ok {
		return
	}
	defer r.Buf.Release()
	src := r.Buf.Packet()
	pt, ok := t.payloadTypeLocked(src.Codec)
	if !ok {
		return
	}
	hdr := &t.rtxHdr
	*hdr = src.Header
	hdr.Extension, hdr.Extensions, hdr.ExtensionProfile = false, nil, 0
	hdr.SSRC, hdr.PayloadType, hdr.SequenceNumber = t.ssrc, pt, seq
	hdr.Timestamp += r.TSDelta
	_, _ = t.out.WriteRTP(hdr, src.Payload)
}

// onNACK resends what a receiver's NACK asks for.
func (t *sinkTrack) onNACK(n *rtcp.TransportLayerNack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.bound || n.MediaSSRC != t.ssrc {
		return
	}
	now := t.w.now()
	for _, p := range n.Nacks {
		egress.NACKed(p.PacketID, uint16(p.LostPackets), func(seq uint16) { t.resendLocked(seq, now) })
	}
}

// onREMB records a receiver estimate, clamped to the endpoint's video send
// bandwidth limits (kbps, 0 = no maximum).
func (t *sinkTrack) onREMB(bps uint64, bw *bandwidths) {
	t.remb.Store(bps)
	if lo := uint64(bw.minVideoSend.Load()) * 1000; bps < lo {
		bps = lo
	}
	if hi := uint64(bw.maxVideoSend.Load()) * 1000; hi > 0 && bps > hi {
		bps = hi
	}
	t.estimate.Store(bps)
}

// boundSSRC returns the SSRC the track sends with (0 before negotiation).
func (t *sinkTrack) boundSSRC() uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.bound {
		return 0
	}
	return t.ssrc
}
