package webrtcep

import (
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

// startSenderReaders reads the RTCP that receivers of our tracks send:
// keyframe requests, REMB, receiver reports and NACKs (answered from the
// source's history through the track's sequencer).
func (w *Endpoint) startSenderReaders(pc *webrtc.PeerConnection) {
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

func (w *Endpoint) readSenderRTCP(s *webrtc.RTPSender, t *sinkTrack) {
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
func (w *Endpoint) handleReceiverRTCP(b []byte, t *sinkTrack) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		return
	}
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			w.requestViewerKeyframe(t)
		case *rtcp.ReceiverEstimatedMaximumBitrate:
			t.onREMB(uint64(p.Bitrate), &w.bw)
		case *rtcp.TransportLayerNack:
			t.dt.NACK(p)
		}
	}
	w.tx.OnRTCP(pkts)
}

// RequestKeyframe implements media.Handler: a receiver downstream wants a keyframe.
func (w *Endpoint) RequestKeyframe(p *media.SourcePad) {
	if p.MediaType() == media.Video {
		w.sendKeyframeRequest()
	}
}

// RequestKeyframeNow asks the remote peer for a keyframe at once (not
// rate-limited); false when no video is being received.
func (w *Endpoint) RequestKeyframeNow() bool {
	if w.in[media.Video].Load() == nil {
		return false
	}
	w.state.lastPLI.Store(0)
	w.sendKeyframeRequest()
	return true
}

// sendKeyframeRequest sends a PLI for the received video, at most once per
// keyframeInterval.
func (w *Endpoint) sendKeyframeRequest() {
	in := w.in[media.Video].Load()
	if in == nil {
		return
	}
	now := w.now()
	last := w.state.lastPLI.Load()
	if last != 0 && now-last < int64(keyframeInterval) || !w.state.lastPLI.CompareAndSwap(last, now) {
		return
	}
	pc := w.pcRef.Load()
	if pc != nil {
		_ = pc.WriteRTCP(w.keyframeRequests(in))
	}
}

// BitrateEstimate implements media.Handler: what the remote receiver of
// our video said it can take, within min/maxVideoSendBandwidth. A viewer
// of a simulcast source adapts by layer, so its estimate does not hold the
// publisher back (0: unknown).
func (w *Endpoint) BitrateEstimate(p *media.SinkPad) uint64 {
	if p.MediaType() != media.Video {
		return 0
	}
	t := w.tracks[media.Video]
	if t.layers.Layer().Layers > 0 {
		return 0 // a viewer of a simulcast source adapts by layer
	}
	return t.videoEstimate()
}
