package webrtcep

import "github.com/gorento/gorento/internal/media"

// The REMB a publisher gets from us (issue 15.3). Its transport-cc
// feedback (Pion's TWCC sender, stamped where ingress reads the packet)
// already tells its congestion controller what we can receive; the REMB
// is a cap on top of that, which says what the receivers downstream can
// use. With the "best" policy (default) it follows the best-served
// receiver: the highest demand of the sinks behind the source, unbounded
// when one of them sets no limit or has given no estimate yet. So one
// viewer on a weak downlink does not drag the publisher (and every other
// viewer) down to its rate; that viewer is served by its own adaptation.
// The "lowest" policy relays the lowest receiver estimate, as KMS does.

// minREMB is the floor KMS applies to the REMB it sends (bps).
const minREMB = 30000

// publisherREMB is the REMB for the received video, in bps (0: send none).
func (w *Endpoint) publisherREMB() uint64 {
	src := w.core.Source(media.Video)
	ceiling := uint64(w.bw.maxVideoRecv.Load()) * 1000
	var want uint64
	if w.engine.cfg.Video.PublisherFeedback == PublisherFeedbackLowest {
		// As before issue 15: nothing while neither a limit nor an estimate is known.
		want = src.DownstreamBitrate()
		if ceiling > 0 && (want == 0 || want > ceiling) {
			want = ceiling
		}
		if want == 0 {
			return 0
		}
	} else {
		if ceiling == 0 {
			ceiling = uint64(w.engine.cfg.Video.CeilingKbps) * 1000
		}
		want = src.DownstreamDemand()
		if want == 0 || want > ceiling {
			want = ceiling
		}
	}
	if lo := uint64(w.bw.minVideoRecv.Load()) * 1000; want < lo {
		want = lo
	}
	return max(want, minREMB)
}

// BitrateDemand implements media.DemandReporter: the most the remote
// receiver of our video can use: its estimate (bwe.go) within
// min/maxVideoSendBandwidth, or unbounded (0) before there is one, or
// when the source is simulcast (the receiver adapts by layer: every layer
// should be sent for the viewers that can take it).
func (w *Endpoint) BitrateDemand(p *media.SinkPad) uint64 {
	if p.MediaType() != media.Video {
		return 0
	}
	t := w.tracks[media.Video]
	if t.layers.Layer().Layers > 0 {
		return 0
	}
	return t.videoEstimate()
}
