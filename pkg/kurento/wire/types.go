package wire

// Module is the `__module__` of every core, elements and filters type.
const Module = "kurento"

// MediaType values (enum MediaType).
const (
	MediaAudio = "AUDIO"
	MediaVideo = "VIDEO"
	MediaData  = "DATA"
)

// MediaState, ConnectionState, MediaFlowState and related enum values.
const (
	StateDisconnected = "DISCONNECTED"
	StateConnected    = "CONNECTED"
	FlowFlowing       = "FLOWING"
	FlowNotFlowing    = "NOT_FLOWING"
	NotTranscoding    = "NOT_TRANSCODING"
)

// Complex is embedded by every complex (register) type: KMS writes the module
// and the most-derived type name into each object it sends.
type Complex struct {
	Module string `json:"__module__"`
	Type   string `json:"__type__"`
}

// NewComplex returns the type tag for a Kurento complex type.
func NewComplex(typeName string) Complex { return Complex{Module: Module, Type: typeName} }

// IceCandidate is one ICE candidate in SDP attribute form.
type IceCandidate struct {
	Complex
	Candidate     string `json:"candidate"`
	SdpMid        string `json:"sdpMid"`
	SdpMLineIndex int    `json:"sdpMLineIndex"`
}

// Tag is a key/value pair attached to a media object.
type Tag struct {
	Complex
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ElementConnectionData describes one source→sink connection.
type ElementConnectionData struct {
	Complex
	Source            string `json:"source"`
	Sink              string `json:"sink"`
	Type              string `json:"type"`
	SourceDescription string `json:"sourceDescription"`
	SinkDescription   string `json:"sinkDescription"`
}

// ModuleInfo describes one loaded module and its factories.
type ModuleInfo struct {
	Complex
	Version        string   `json:"version"`
	Name           string   `json:"name"`
	GenerationTime string   `json:"generationTime"`
	Factories      []string `json:"factories"`
}

// ServerInfo is the result of ServerManager.getInfo.
type ServerInfo struct {
	Complex
	Version      string       `json:"version"`
	Modules      []ModuleInfo `json:"modules"`
	Type         string       `json:"type"`
	Capabilities []string     `json:"capabilities"`
}

// IceCandidatePair is the selected local/remote pair of an ICE component.
type IceCandidatePair struct {
	Complex
	StreamID        string `json:"streamId"`
	ComponentID     int    `json:"componentId"`
	LocalCandidate  string `json:"localCandidate"`
	RemoteCandidate string `json:"remoteCandidate"`
}

// IceConnection is the state of one ICE component.
type IceConnection struct {
	Complex
	StreamID    string `json:"streamId"`
	ComponentID int    `json:"componentId"`
	State       string `json:"state"`
}

// DtlsConnection is the state of one DTLS connection.
type DtlsConnection struct {
	Complex
	StreamID     string `json:"streamId"`
	ComponentID  string `json:"componentId"`
	ConnectionID string `json:"connectionId"`
	State        string `json:"state"`
}

// MediaLatencyStat is one latency average (nanoseconds) of a pad.
type MediaLatencyStat struct {
	Complex
	Name string  `json:"name"`
	Type string  `json:"type"`
	Avg  float64 `json:"avg"`
}
