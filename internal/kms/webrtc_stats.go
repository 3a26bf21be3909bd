package kms

import (
	"strconv"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// webrtcStats is getStats for a WebRtcEndpoint: inbound and outbound RTP
// entries per SSRC, the endpoint latency entry while the pipeline measures
// latency, and data-channel entries. An empty report is null, as in KMS.
func webrtcStats(c *call, in statsQuery) (any, error) {
	st := endpoint(c).Stats(in.MediaType)
	now := nowFunc().UnixMilli()
	out := map[string]any{}
	base := func(typeName, id, statsType string) wire.StatsBase {
		return wire.StatsBase{Complex: wire.NewComplex(typeName), ID: id, Type: statsType, TimestampMillis: now}
	}
	for _, r := range st.RTP {
		common := wire.RTPStreamStats{SSRC: strconv.FormatUint(uint64(r.SSRC), 10), FirCount: int64(r.FIR), PliCount: int64(r.PLI),
			NackCount: int64(r.NACK), Remb: int64(r.REMB), PacketsLost: r.PacketsLost, FractionLost: r.FractionLost}
		if r.Inbound {
			s := wire.InboundRTPStats{StatsBase: base("RTCInboundRTPStreamStats", r.ID, wire.StatsInboundRTP), RTPStreamStats: common,
				PacketsReceived: int64(r.Packets), BytesReceived: int64(r.Bytes), Jitter: r.Jitter}
			if r.Layers > 0 {
				s.InboundLayer = &wire.InboundLayer{Rid: r.Rid, Layer: r.Layer}
			}
			out[r.ID] = s
		} else {
			s := wire.OutboundRTPStats{StatsBase: base("RTCOutboundRTPStreamStats", r.ID, wire.StatsOutboundRTP), RTPStreamStats: common,
				PacketsSent: int64(r.Packets), BytesSent: int64(r.Bytes), TargetBitrate: r.TargetBitrate, RoundTripTime: r.RoundTripTime}
			if r.Layers > 0 {
				s.OutboundLayer = &wire.OutboundLayer{Layer: r.Layer, TargetLayer: r.TargetLayer, Layers: r.Layers,
					LayerBitrate: int64(r.LayerBitrate), LayerSwitches: int64(r.LayerSwitches)}
			}
			if r.TemporalLayers > 0 {
				s.OutboundTemporal = &wire.OutboundTemporal{TemporalLayer: r.TemporalLayer, TargetTemporalLayer: r.TargetTemporalLayer,
					TemporalLayers: r.TemporalLayers}
			}
			out[r.ID] = s
		}
	}
	if st.InputLatency != nil {
		out[c.obj.id] = wire.EndpointStats{StatsBase: base("EndpointStats", c.obj.id, wire.StatsEndpoint),
			InputLatency: latencyList(lookup(st.InputLatency), nil), E2ELatency: latencyList(lookup(st.E2ELatency), nil)}
	}
	if d := st.Data; d != nil {
		id := c.obj.id + "_session"
		out[id] = wire.PeerConnectionStats{StatsBase: base("RTCPeerConnectionStats", id, wire.StatsSession),
			DataChannelsOpened: d.Opened, DataChannelsClosed: d.Closed}
		for _, ch := range d.Channels {
			out[ch.ID] = wire.DataChannelStats{StatsBase: base("RTCDataChannelStats", ch.ID, wire.StatsDataChannel),
				Label: ch.Label, Protocol: ch.Protocol, DataChannelID: ch.ChannelID, State: ch.State,
				MessagesSent: ch.MessagesSent, BytesSent: ch.BytesSent, MessagesReceived: ch.MessagesReceived, BytesReceived: ch.BytesReceived}
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// lookup reads a latency per media type from a map.
func lookup(m map[media.MediaType]float64) func(media.MediaType) (float64, bool) {
	return func(mt media.MediaType) (float64, bool) {
		v, ok := m[mt]
		return v, ok
	}
}
