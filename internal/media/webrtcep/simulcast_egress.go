package webrtcep

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/egress"
)

// selectLayers gives a video sink track its layer choice: of a simulcast
// source, the viewer gets the best layer its estimate allows
// (egress.LayerSelector); other sources pass unchanged.
func (t *sinkTrack) selectLayers() {
	if t.kind != media.Video {
		return
	}
	w := t.w
	t.layers = egress.NewLayerSelector(t.layerBudget(), func(l uint8) {
		w.core.Sink(media.Video).RequestLayerKeyframe(l)
	})
	t.dt.SetSelector(t.layers)
}

// layerBudget is what the viewer's layer is chosen from: the send-side
// estimate (transport-cc feedback, bwe.go; capped by the viewer's REMB and
// the send bandwidth limits) once there is one — a browser that negotiated
// transport-cc sends no REMB —; before its first feedback the estimator's
// start rate (as LiveKit, a viewer starts on a layer that rate allows and
// moves up as probes raise the estimate, instead of starting at the
// ceiling: the top layer's keyframe sent into a 600 kbit/s link); else
// (no transport-cc) the REMB budget.
func (t *sinkTrack) layerBudget() egress.Estimator {
	remb := t.rembBudget()
	return egress.EstimatorFunc(func(now int64) uint64 {
		if b := t.w.bwe; b != nil {
			if b.TargetBitrate() > 0 {
				return t.videoEstimate()
			}
			if t.dt.TransportCC() {
				return t.videoStartEstimate()
			}
		}
		return remb.Estimate(now)
	})
}

// rembBudget is the track's layer budget from its receiver's REMB.
func (t *sinkTrack) rembBudget() *rembBudget {
	return &rembBudget{
		remb:    func() (uint64, uint64) { return t.remb.Load(), t.estimate.Load() },
		ceiling: func() uint64 { return uint64(t.w.bw.maxVideoSend.Load()) * 1000 },
		rate:    func() uint64 { return t.layers.Layer().Bitrate },
	}
}

// SetLayerEstimator makes the layer a viewer gets follow est (a send-side
// bandwidth estimate) instead of the receiver's REMB; nil restores REMB.
func (w *Endpoint) SetLayerEstimator(est egress.Estimator) {
	t := w.tracks[media.Video]
	if est == nil {
		est = t.layerBudget()
	}
	t.layers.SetEstimator(est)
}

// VideoLayer returns the simulcast layer the endpoint sends to its viewer
// (Current -1: none, or its source has no layers).
func (w *Endpoint) VideoLayer() egress.LayerState { return w.tracks[media.Video].layers.Layer() }

// requestViewerKeyframe passes on a keyframe request of the viewer of
// track t: to the layer it gets when its source is simulcast.
func (w *Endpoint) requestViewerKeyframe(t *sinkTrack) {
	if t.layers != nil {
		if l := t.layers.Layer(); l.Layers > 0 && l.Current >= 0 {
			w.core.Sink(t.kind).RequestLayerKeyframe(uint8(l.Current))
			return
		}
	}
	w.core.Sink(t.kind).RequestKeyframe()
}

// layerStats adds the simulcast layer a sink track sends to its stats.
func (t *sinkTrack) layerStats(s *RTPStats) {
	if t.layers == nil {
		return
	}
	if l := t.layers.Layer(); l.Layers > 0 {
		s.Layers, s.Layer, s.TargetLayer = l.Layers, l.Current, l.Target
		s.LayerBitrate, s.LayerSwitches = l.Bitrate, l.Switches
	}
}
