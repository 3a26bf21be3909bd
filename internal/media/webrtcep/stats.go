package webrtcep

import (
	"sync"

	"github.com/google/uuid"

	"github.com/gorento/gorento/internal/media"
)

// RTPStats are the counters of one RTP stream of an endpoint: for a received stream FIR/PLI/NACK/REMB are what Gorento sent
// about it; for a sent stream they are what the receiver sent.
type RTPStats struct {
	ID            string // stable per SSRC
	SSRC          uint32
	Kind          media.MediaType
	Inbound       bool
	Packets       uint64
	Bytes         uint64
	Jitter        float64 // seconds
	PacketsLost   int64
	FractionLost  float64 // 0–255
	FIR, PLI      uint32
	NACK          uint32
	REMB          uint64  // bps
	TargetBitrate float64 // bps
	RoundTripTime float64 // seconds
	// Simulcast (Layers 0: none): for a received stream its layer and
	// rid; for a sent one the layer sent, the one it switches to at its
	// next keyframe, that layer's bitrate (bps) and the switches made.
	Layers, Layer, TargetLayer int
	Rid                        string
	LayerBitrate               uint64
	LayerSwitches              uint64
	// VP8 temporal layers of a sent stream (TemporalLayers 0: none): the
	// highest sent and the one it moves to (temporal.go).
	TemporalLayers, TemporalLayer, TargetTemporalLayer int
}

// EndpointStats are the statistics of an endpoint.
type EndpointStats struct {
	RTP []RTPStats
	// Latencies in ns per media type, measured only while the pipeline has
	// latency stats on: from pipeline entry to this endpoint's sink pad
	// (input) and to the network send (end to end).
	InputLatency map[media.MediaType]float64
	E2ELatency   map[media.MediaType]float64
	Data         *DataStats
}

type statsIDs struct {
	mu  sync.Mutex
	ids map[uint32]string
}

func (s *statsIDs) get(ssrc uint32) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[uint32]string{}
	}
	id, ok := s.ids[ssrc]
	if !ok {
		id = uuid.NewString()
		s.ids[ssrc] = id
	}
	return id
}

// Stats returns the endpoint's statistics, for one media type or all (nil).
func (w *Endpoint) Stats(only *media.MediaType) EndpointStats {
	var out EndpointStats
	want := func(k media.MediaType) bool { return only == nil || *only == k }
	ids := w.ids()
	if g := w.stats.Load(); g != nil {
		w.state.mu.Lock()
		rembSent := w.state.rembSent
		fraction := map[uint32]float64{}
		for k, v := range w.state.fraction {
			fraction[k] = v
		}
		w.state.mu.Unlock()
		for _, kind := range []media.MediaType{media.Audio, media.Video} {
			if !want(kind) {
				continue
			}
			for _, in := range w.inboundStreams(kind) {
				if r, ok := g.Inbound(in.ssrc); ok {
					s := RTPStats{ID: ids.get(in.ssrc), SSRC: in.ssrc, Kind: kind, Inbound: true,
						Packets: r.Packets, Bytes: r.Bytes, Jitter: r.Jitter, PacketsLost: r.PacketsLost,
						FractionLost: fraction[in.ssrc], FIR: r.FIR, PLI: r.PLI, NACK: r.NACK}
					if kind == media.Video {
						s.REMB = rembSent
					}
					w.inboundLayerStats(&s, in)
					out.RTP = append(out.RTP, s)
				}
			}
			t := w.tracks[kind]
			if ssrc := t.boundSSRC(); ssrc != 0 {
				if o, ok := g.Outbound(ssrc); ok {
					// Sent packets are counted by the downtrack: the egress
					// writes most of them past Pion's interceptors.
					ds := t.dt.Stats()
					s := RTPStats{ID: ids.get(ssrc), SSRC: ssrc, Kind: kind,
						Packets: ds.Packets, Bytes: ds.Bytes, PacketsLost: o.PacketsLost, FractionLost: float64(o.FractionLost),
						FIR: o.FIR, PLI: o.PLI, NACK: o.NACK, REMB: t.remb.Load(),
						TargetBitrate: float64(t.videoOrAudioEstimate()), RoundTripTime: o.RoundTripTime.Seconds()}
					t.layerStats(&s)
					t.temporalStats(&s)
					out.RTP = append(out.RTP, s)
				}
			}
		}
	}
	if w.core.Pipeline().LatencyStats() {
		out.InputLatency, out.E2ELatency = map[media.MediaType]float64{}, map[media.MediaType]float64{}
		for _, kind := range []media.MediaType{media.Audio, media.Video} {
			if !want(kind) {
				continue
			}
			if v, ok := w.core.InputLatency(kind); ok {
				out.InputLatency[kind] = v
			}
			if v, ok := w.tracks[kind].dt.Latency.Average(); ok {
				out.E2ELatency[kind] = v
			}
		}
	}
	if w.opts.UseDataChannels && (only == nil || *only == media.Data) {
		d := w.dc.stats(ids)
		out.Data = &d
	}
	return out
}

func (w *Endpoint) ids() *statsIDs { return &w.statIDs }
