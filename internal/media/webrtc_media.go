package media

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// inboundStream is the stream received from the remote peer for one kind.
type inboundStream struct {
	ssrc  uint32
	kind  MediaType
	track *webrtc.TrackRemote
}

// keyframeInterval is the minimum time between two keyframe requests sent
// to the remote sender: receivers ask often, encoders need time to answer.
const keyframeInterval = 300 * time.Millisecond

// onTrack reads one received track and pushes its packets into the
// pipeline. It runs on the goroutine Pion starts for the track.
func (w *WebRtcEndpoint) onTrack(tr *webrtc.TrackRemote, rc *webrtc.RTPReceiver) {
	kind := kindOf(tr.Kind())
	if kind == Data {
		return
	}
	w.lifeMu.Lock()
	if w.closing {
		w.lifeMu.Unlock()
		return
	}
	w.wg.Add(1)
	w.lifeMu.Unlock()
	defer w.wg.Done()

	w.in[kind].Store(&inboundStream{ssrc: uint32(tr.SSRC()), kind: kind, track: tr})
	w.spawn(func() { w.readReceiverRTCP(rc) })
	if kind == Video {
		w.sendKeyframeRequest() // start the stream with a keyframe
	}
	w.readRTP(tr, kind)
}

// readRTP is the ingress hot path: one reused buffer and packet, no
// allocation per packet in Gorento's code.
func (w *WebRtcEndpoint) readRTP(tr *webrtc.TrackRemote, kind MediaType) {
	src := w.core.Source(kind)
	pipe := w.core.pipeline
	buf := make([]byte, 1500)
	var rp rtp.Packet
	var pkt Packet
	var pt uint8
	var codec *Codec
	var errs readErrors
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			if errs.fatal(err) {
				return
			}
			continue
		}
		errs = 0
		if w.opts.SendOnly {
			continue // read anyway so Pion's interceptors keep working
		}
		if !decodeRTP(buf[:n], &rp, &pkt) {
			continue
		}
		if codec == nil || rp.PayloadType != pt {
			pt, codec = rp.PayloadType, codecOf(tr.Codec())
		}
		pkt.Codec = codec
		pkt.EnteredAt = pipe.EntryTime()
		src.Push(&pkt)
	}
}

// readErrors counts consecutive read errors of one Pion stream. A packet
// that an interceptor cannot parse fails only its own read; the stream
// ends when it is closed.
type readErrors int

// maxReadErrors ends a stream that fails this many reads in a row with
// an error that does not say it is closed.
const maxReadErrors = 1000

// fatal reports whether the reader should stop after err.
func (e *readErrors) fatal(err error) bool {
	*e++
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) || *e >= maxReadErrors
}

// decodeRTP parses one received packet into pkt, reusing rp's storage. The
// payload excludes padding; Header.PaddingSize keeps its length so senders
// can reproduce it.
func decodeRTP(b []byte, rp *rtp.Packet, pkt *Packet) bool {
	if err := rp.Unmarshal(b); err != nil || rp.Version != 2 {
		return false
	}
	pkt.Header = rp.Header
	pkt.Payload = rp.Payload
	return true
}

// readReceiverRTCP drains the RTCP of the remote sender (sender reports):
// Pion's report interceptor needs it for round-trip times, and it proves
// the media session alive.
func (w *WebRtcEndpoint) readReceiverRTCP(rc *webrtc.RTPReceiver) {
	buf := make([]byte, 1500)
	var errs readErrors
	for {
		if _, _, err := rc.Read(buf); err != nil {
			if errs.fatal(err) {
				return
			}
			continue
		}
		errs = 0
		w.state.rtcpReceived()
	}
}

// startSenderReaders reads the RTCP that receivers of our tracks send:
// keyframe requests, REMB, receiver reports and NACKs (the NACK responder
// interceptor answers NACKs from its send history while this reads).
func (w *WebRtcEndpoint) startSenderReaders(pc *webrtc.PeerConnection) {
	for _, tr := range pc.GetTransceivers() {
		s := tr.Sender()
		if s == nil {
			continue
		}
		track, ok := s.Track().(*sinkTrack)
		if !ok {
			continue
		}
		w.spawn(func() { w.readSenderRTCP(s, track) })
	}
}

func (w *WebRtcEndpoint) readSenderRTCP(s *webrtc.RTPSender, t *sinkTrack) {
	buf := make([]byte, 1500)
	var errs readErrors
	for {
		n, _, err := s.Read(buf)
		if err != nil {
			if errs.fatal(err) {
				return
			}
			continue
		}
		errs = 0
		w.state.rtcpReceived()
		w.handleReceiverRTCP(buf[:n], t)
	}
}

// handleReceiverRTCP acts on RTCP from a receiver of track t: keyframe
// requests go upstream, estimates are recorded.
func (w *WebRtcEndpoint) handleReceiverRTCP(b []byte, t *sinkTrack) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return
	}
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			w.core.Sink(t.kind).RequestKeyframe()
		case *rtcp.ReceiverEstimatedMaximumBitrate:
			t.onREMB(uint64(p.Bitrate), &w.bw)
		}
	}
}

// Consume implements Handler: send a packet that reached a sink pad.
func (w *WebRtcEndpoint) Consume(p *SinkPad, pkt *Packet) {
	switch p.mediaType {
	case Audio, Video:
		w.tracks[p.mediaType].write(pkt)
	case Data:
		w.dc.send(pkt)
	}
}

// RequestKeyframe implements Handler: a receiver downstream wants a keyframe.
func (w *WebRtcEndpoint) RequestKeyframe(p *SourcePad) {
	if p.mediaType == Video {
		w.sendKeyframeRequest()
	}
}

// RequestKeyframe asks the remote peer for a keyframe (KMS requestKeyframe);
// false when no video is being received.
func (w *WebRtcEndpoint) RequestKeyframeNow() bool {
	if w.in[Video].Load() == nil {
		return false
	}
	w.state.lastPLI.Store(0)
	w.sendKeyframeRequest()
	return true
}

// sendKeyframeRequest sends a PLI for the received video, at most once per
// keyframeInterval.
func (w *WebRtcEndpoint) sendKeyframeRequest() {
	in := w.in[Video].Load()
	if in == nil {
		return
	}
	now := monotime()
	last := w.state.lastPLI.Load()
	if last != 0 && now-last < int64(keyframeInterval) || !w.state.lastPLI.CompareAndSwap(last, now) {
		return
	}
	pc := w.pcRef.Load()
	if pc != nil {
		_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: in.ssrc}})
	}
}

// BitrateEstimate implements Handler: what the remote receiver of our
// video said it can take, within min/maxVideoSendBandwidth.
func (w *WebRtcEndpoint) BitrateEstimate(p *SinkPad) uint64 {
	if p.mediaType != Video {
		return 0
	}
	return w.tracks[Video].estimate.Load()
}

// SourceChanged implements Handler: continue the output stream across the
// change and get a keyframe from the new source.
func (w *WebRtcEndpoint) SourceChanged(p *SinkPad) {
	if p.mediaType != Audio && p.mediaType != Video {
		return
	}
	w.tracks[p.mediaType].reanchor()
	if p.mediaType == Video {
		p.RequestKeyframe()
	}
}

// sinkTrack is the track an endpoint sends: a Pion TrackLocal fed by the
// endpoint's sink pad. It maps whatever source feeds it onto one SSRC, one
// payload type and continuous sequence numbers and timestamps.
type sinkTrack struct {
	w    *WebRtcEndpoint
	kind MediaType

	mu      sync.Mutex // guards the fields below; held briefly per packet, never contended but on source switches
	bound   bool
	ssrc    uint32
	codecs  []webrtc.RTPCodecParameters
	out     webrtc.TrackLocalWriter
	rw      rewriter
	hdr     rtp.Header // scratch header of write
	lastIn  *Codec
	lastPT  uint8
	lastOK  bool
	dropped uint64 // packets whose codec the receiver did not negotiate

	estimate atomic.Uint64 // clamped receiver estimate (bps)
	remb     atomic.Uint64 // last REMB received (bps)
	e2e      LatencyMeter
}

var _ webrtc.TrackLocal = (*sinkTrack)(nil)

func newSinkTrack(w *WebRtcEndpoint, kind MediaType) *sinkTrack {
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
	t.rw.reanchor = true
	t.mu.Unlock()
}

// payloadTypeLocked maps the codec of an incoming packet to the payload type
// the receiver negotiated; false when it cannot decode that codec.
func (t *sinkTrack) payloadTypeLocked(c *Codec) (uint8, bool) {
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
func (t *sinkTrack) write(pkt *Packet) {
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
	hdr.SSRC = t.ssrc
	hdr.PayloadType = pt
	t.rw.rewrite(hdr, pkt.Codec.ClockRate, monotime())
	if _, err := t.out.WriteRTP(hdr, pkt.Payload); err == nil {
		t.e2e.Observe(pkt.EnteredAt)
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
