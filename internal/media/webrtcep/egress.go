package webrtcep

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/egress"
)

// Consume implements media.Handler: send a packet that reached a sink pad.
// Audio and video go to the track's egress worker (never blocking).
func (w *Endpoint) Consume(p *media.SinkPad, pkt *media.Packet) {
	switch mt := p.MediaType(); mt {
	case media.Audio, media.Video:
		w.tracks[mt].dt.Enqueue(pkt)
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
	w.tracks[mt].dt.SourceChanged()
	if mt == media.Video {
		w.tracks[mt].layers.Reset()
		p.RequestKeyframe()
	}
}

// rtcpWriter sends RTCP on the endpoint's peer connection (the egress
// worker's sender reports).
type rtcpWriter struct{ w *Endpoint }

func (r rtcpWriter) WriteRTCP(pkts []rtcp.Packet) error {
	pc := r.w.pcRef.Load()
	if pc == nil {
		return webrtc.ErrConnectionClosed
	}
	return pc.WriteRTCP(pkts)
}

// sinkTrack is the track an endpoint sends: for Pion a TrackLocal (SDP,
// SSRC, the negotiated codecs), for the engine an egress.Downtrack fed by
// the endpoint's sink pad, which does the sending.
type sinkTrack struct {
	w    *Endpoint
	kind media.MediaType
	dt   *egress.Downtrack

	estimate atomic.Uint64         // clamped receiver estimate (bps)
	remb     atomic.Uint64         // last REMB received (bps)
	layers   *egress.LayerSelector // video: the simulcast layer the viewer gets
}

var _ webrtc.TrackLocal = (*sinkTrack)(nil)

func newSinkTrack(w *Endpoint, kind media.MediaType) *sinkTrack {
	t := &sinkTrack{w: w, kind: kind}
	t.dt = w.tx.AddTrack(egress.TrackParams{Kind: kind, OnGap: func() { w.core.Sink(kind).RequestKeyframe() }})
	t.selectLayers()
	return t
}

// Bind implements webrtc.TrackLocal: the negotiated codecs (and their RTX
// payload types), the SSRCs and Pion's writer go to the downtrack.
func (t *sinkTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	params := ctx.CodecParameters()
	var first *webrtc.RTPCodecParameters
	var codecs []egress.CodecPT
	for i, c := range params {
		if isRTX(c) {
			continue
		}
		if first == nil {
			first = &params[i]
		}
		codecs = append(codecs, egress.CodecPT{Codec: codecOf(c), PT: uint8(c.PayloadType), RTXPT: rtxFor(params, c.PayloadType)})
	}
	if first == nil {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	t.dt.Bind(egress.Binding{SSRC: uint32(ctx.SSRC()), RTXSSRC: uint32(ctx.SSRCRetransmission()), Codecs: codecs, Writer: ctx.WriteStream(),
		TWCCExtID: twccExtID(ctx.HeaderExtensions()), PlayoutExtID: oneByteExtID(ctx.HeaderExtensions(), egress.PlayoutDelayURI)})
	return *first, nil
}

// rtxFor is the payload type of the RTX codec whose apt is pt (0: none).
func rtxFor(params []webrtc.RTPCodecParameters, pt webrtc.PayloadType) uint8 {
	want := "apt=" + strconv.Itoa(int(pt))
	for _, c := range params {
		if !isRTX(c) {
			continue
		}
		for _, kv := range strings.Split(c.SDPFmtpLine, ";") {
			if strings.TrimSpace(kv) == want {
				return uint8(c.PayloadType)
			}
		}
	}
	return 0
}

// Unbind implements webrtc.TrackLocal.
func (t *sinkTrack) Unbind(webrtc.TrackLocalContext) error {
	t.dt.Unbind()
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
func (t *sinkTrack) boundSSRC() uint32 { return t.dt.SSRC() }
