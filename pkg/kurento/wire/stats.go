package wire

// Stats type strings (enum StatsType).
const (
	StatsInboundRTP  = "inboundrtp"
	StatsOutboundRTP = "outboundrtp"
	StatsEndpoint    = "endpoint"
	StatsElement     = "element"
	StatsSession     = "session"
	StatsDataChannel = "datachannel"
)

// StatsBase holds the fields of every stats entry. TimestampMillis is a JSON
// number here (events use a string).
type StatsBase struct {
	Complex
	ID              string `json:"id"`
	Type            string `json:"type"`
	TimestampMillis int64  `json:"timestampMillis"`
}

// RTPStreamStats holds the fields common to inbound and outbound RTP stats.
type RTPStreamStats struct {
	SSRC             string  `json:"ssrc"`
	AssociateStatsID string  `json:"associateStatsId"`
	IsRemote         bool    `json:"isRemote"`
	MediaTrackID     string  `json:"mediaTrackId"`
	TransportID      string  `json:"transportId"`
	CodecID          string  `json:"codecId"`
	FirCount         int64   `json:"firCount"`
	PliCount         int64   `json:"pliCount"`
	NackCount        int64   `json:"nackCount"`
	SliCount         int64   `json:"sliCount"`
	Remb             int64   `json:"remb"`
	PacketsLost      int64   `json:"packetsLost"`
	FractionLost     float64 `json:"fractionLost"`
}

// InboundRTPStats is RTCInboundRTPStreamStats: one received SSRC.
type InboundRTPStats struct {
	StatsBase
	RTPStreamStats
	PacketsReceived int64   `json:"packetsReceived"`
	BytesReceived   int64   `json:"bytesReceived"`
	Jitter          float64 `json:"jitter"`
	// Gorento extension: the simulcast layer this SSRC is (absent without simulcast).
	*InboundLayer
}

// InboundLayer is a received simulcast layer (Gorento extension).
type InboundLayer struct {
	Rid   string `json:"rid,omitempty"`
	Layer int    `json:"simulcastLayer"`
}

// OutboundLayer is what a sink sends of a simulcast source (Gorento
// extension): the layer (0 = lowest), the layer it switches to at its next
// keyframe, how many layers the source sends, the layer's bitrate (bps)
// and the switches made.
type OutboundLayer struct {
	Layer         int   `json:"simulcastLayer"`
	TargetLayer   int   `json:"simulcastTargetLayer"`
	Layers        int   `json:"simulcastLayers"`
	LayerBitrate  int64 `json:"simulcastLayerBitrate"`
	LayerSwitches int64 `json:"simulcastLayerSwitches"`
}

// OutboundRTPStats is RTCOutboundRTPStreamStats: one sent SSRC.
type OutboundRTPStats struct {
	StatsBase
	RTPStreamStats
	PacketsSent   int64   `json:"packetsSent"`
	BytesSent     int64   `json:"bytesSent"`
	TargetBitrate float64 `json:"targetBitrate"`
	RoundTripTime float64 `json:"roundTripTime"`
	// Gorento extension: the simulcast layer sent (absent without simulcast).
	*OutboundLayer
	// Gorento extension: the VP8 temporal layers sent (absent when the
	// stream has none).
	*OutboundTemporal
}

// OutboundTemporal is what a sink sends of a VP8 stream's temporal layers
// (Gorento extension): the highest sent (0 = the base layer, a quarter of
// the frame rate with Chrome's three layers), the one it moves to, and how
// many the stream has.
type OutboundTemporal struct {
	TemporalLayer       int `json:"temporalLayer"`
	TargetTemporalLayer int `json:"targetTemporalLayer"`
	TemporalLayers      int `json:"temporalLayers"`
}

// EndpointStats carries the latency figures of an endpoint.
type EndpointStats struct {
	StatsBase
	InputLatency []MediaLatencyStat `json:"inputLatency"`
	E2ELatency   []MediaLatencyStat `json:"E2ELatency"`
}

// ElementStats carries the input latency of a non-endpoint element.
type ElementStats struct {
	StatsBase
	InputLatency []MediaLatencyStat `json:"inputLatency"`
}

// PeerConnectionStats counts data channels of a WebRtcEndpoint.
type PeerConnectionStats struct {
	StatsBase
	DataChannelsOpened int64 `json:"dataChannelsOpened"`
	DataChannelsClosed int64 `json:"dataChannelsClosed"`
}

// DataChannelStats describes one data channel.
type DataChannelStats struct {
	StatsBase
	Label            string `json:"label"`
	Protocol         string `json:"protocol"`
	DataChannelID    int64  `json:"datachannelid"`
	State            string `json:"state"`
	MessagesSent     int64  `json:"messagesSent"`
	BytesSent        int64  `json:"bytesSent"`
	MessagesReceived int64  `json:"messagesReceived"`
	BytesReceived    int64  `json:"bytesReceived"`
}
