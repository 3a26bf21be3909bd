package webrtcep

import (
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/bwe"
	"github.com/gorento/gorento/internal/media/egress"
)

// Send-side bandwidth estimation (issue 15.2): the egress stamps every
// packet with a transport-wide sequence number when the receiver
// negotiated transport-cc, and the endpoint's egress.BWE learns from the
// receiver's feedback what may be sent to it, paces to it, and publishes
// it: the video estimate of the sink (getStats targetBitrate, the demand
// the publisher's REMB follows, the simulcast layer selector through
// egress.Transport.Estimate). Receivers without transport-cc (REMB only)
// keep being served from their REMB.

// bweHeadroom is added to maxVideoSendBandwidth for the transport's bound:
// audio and retransmissions share the link with the video.
const bweHeadroom = 200_000

// unlimitedBWE bounds the estimate when maxVideoSendBandwidth is 0
// (unlimited, as KMS documents).
const unlimitedBWE = 50_000_000

// bweBounds maps KMS's video send limits (kbps) to the estimator's bounds (bit/s).
func bweBounds(minKbps, maxKbps int32) (lo, hi uint64) {
	lo = max(uint64(minKbps)*1000, 30_000)
	hi = unlimitedBWE
	if maxKbps > 0 {
		hi = uint64(maxKbps)*1000 + bweHeadroom
	}
	return lo, max(hi, lo)
}

// newBWE makes the endpoint's estimation hooks (nil if the bounds are refused).
func (w *Endpoint) newBWE() *egress.BWE {
	lo, hi := bweBounds(w.bw.minVideoSend.Load(), w.bw.maxVideoSend.Load())
	start := uint64(max(w.engine.cfg.Video.StartKbps, 300)) * 1000
	b, err := egress.NewBWE(bwe.Config{Initial: min(max(start, lo), hi), Min: lo, Max: hi})
	if err != nil {
		w.log.Warn("no send-side bandwidth estimation", "err", err)
		return nil
	}
	return b
}

// updateBWEBounds applies changed video send limits to the estimator.
func (w *Endpoint) updateBWEBounds() {
	if w.bwe != nil {
		w.bwe.SetBounds(bweBounds(w.bw.minVideoSend.Load(), w.bw.maxVideoSend.Load()))
	}
}

// updateBWERTT hands the round trip the video receiver's reports measured
// to the estimator (once a second, from the monitor).
func (w *Endpoint) updateBWERTT() {
	g := w.stats.Load()
	if w.bwe == nil || g == nil {
		return
	}
	for _, t := range w.tracks {
		if ssrc := t.boundSSRC(); ssrc != 0 {
			if o, ok := g.Outbound(ssrc); ok && o.RoundTripTime > 0 {
				w.bwe.SetRTT(o.RoundTripTime)
				return
			}
		}
	}
}

// videoEstimate is what the receiver of our video can take (bps, 0:
// unknown): the send-side estimate once its feedback arrived, capped by
// the receiver's REMB when it sends one too; within
// min/maxVideoSendBandwidth.
func (t *sinkTrack) videoEstimate() uint64 {
	w := t.w
	remb := t.estimate.Load() // already clamped
	if w.bwe != nil {
		if est := w.bwe.TargetBitrate(); est > 0 {
			est = clampKbps(est, w.bw.minVideoSend.Load(), w.bw.maxVideoSend.Load())
			if remb > 0 && remb < est {
				est = remb
			}
			return est
		}
	}
	return remb
}

// videoStartEstimate is the layer budget of a receiver that negotiated
// transport-cc before its first feedback: the estimator's start rate,
// within min/maxVideoSendBandwidth and below the receiver's REMB if any.
func (t *sinkTrack) videoStartEstimate() uint64 {
	w := t.w
	est := clampKbps(w.bwe.StartBitrate(), w.bw.minVideoSend.Load(), w.bw.maxVideoSend.Load())
	if remb := t.estimate.Load(); remb > 0 && remb < est {
		est = remb
	}
	return est
}

// clampKbps bounds bps to [lo, hi] kbps (hi 0: no maximum).
func clampKbps(bps uint64, lo, hi int32) uint64 {
	if l := uint64(lo) * 1000; bps < l {
		bps = l
	}
	if h := uint64(hi) * 1000; h > 0 && bps > h {
		bps = h
	}
	return bps
}

// twccExtID is the transport-cc header extension id a sender negotiated (0: none).
func twccExtID(exts []webrtc.RTPHeaderExtensionParameter) uint8 {
	for _, e := range exts {
		if e.URI == sdp.TransportCCURI && e.ID > 0 && e.ID < 15 {
			return uint8(e.ID)
		}
	}
	return 0
}

// videoOrAudioEstimate is the targetBitrate getStats reports for the track.
func (t *sinkTrack) videoOrAudioEstimate() uint64 {
	if t.kind == media.Video {
		return t.videoEstimate()
	}
	return t.estimate.Load()
}
