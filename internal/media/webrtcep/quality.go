package webrtcep

import (
	"time"

	"github.com/gorento/gorento/internal/media"
)

// QualityObserver is told the quality of an endpoint's streams, kind
// "audio" or "video", direction "in" (received: once a second while
// packets arrive, as the receiver reports the endpoint sends) or "out"
// (sent: per receiver report of the remote peer, with the round trip).
// metrics.StreamObserver implements it.
type QualityObserver interface {
	ObserveLoss(kind, direction string, fractionLost float64)
	ObserveRTT(kind, direction string, rtt time.Duration)
	ObserveJitter(kind, direction string, jitter time.Duration)
}

// qualitySeen is what reportQuality saw at its last run (the engine
// monitor's goroutine only).
type qualitySeen struct {
	inPackets  [2]uint64 // per media type
	outReports [2]uint64
}

// reportQuality reads the counters rtpstats already keeps, once a second
// from the monitor: nothing is added to the packet path.
func (w *Endpoint) reportQuality() {
	q := w.opts.Quality
	g := w.stats.Load()
	if q == nil || g == nil {
		return
	}
	for _, kind := range []media.MediaType{media.Audio, media.Video} {
		name := kind.String()
		if in := w.in[kind].Load(); in != nil {
			if st, ok := g.Inbound(in.ssrc); ok && st.Packets != w.quality.inPackets[kind] {
				w.quality.inPackets[kind] = st.Packets
				w.state.mu.Lock()
				frac := w.state.fraction[in.ssrc]
				w.state.mu.Unlock()
				q.ObserveLoss(name, "in", frac/256)
				q.ObserveJitter(name, "in", seconds(st.Jitter))
			}
		}
		if ssrc := w.tracks[kind].boundSSRC(); ssrc != 0 {
			if st, ok := g.Outbound(ssrc); ok && st.Reports != w.quality.outReports[kind] {
				w.quality.outReports[kind] = st.Reports
				q.ObserveLoss(name, "out", float64(st.FractionLost)/256)
				q.ObserveJitter(name, "out", seconds(st.Jitter))
				if st.RoundTripTime > 0 {
					q.ObserveRTT(name, "out", st.RoundTripTime)
				}
			}
		}
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
