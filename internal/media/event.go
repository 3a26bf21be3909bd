package media

// Event is something an element reports to its owner (the protocol layer).
// Events are delivered from engine goroutines, never while an engine lock is
// held, so handlers may call back into the engine.
type Event interface{ eventName() string }

// EventHandler receives the events of one element. It must not block for long.
type EventHandler func(Event)

// ElementConnected reports a new connection from this element to Sink.
type ElementConnected struct {
	Sink       Element
	MediaType  MediaType
	SourceDesc string
	SinkDesc   string
}

// ElementDisconnected reports a removed connection from this element to Sink.
type ElementDisconnected ElementConnected

// MediaFlowIn reports media starting or stopping on a sink pad.
type MediaFlowIn struct {
	Flowing   bool
	Pad       string
	MediaType MediaType
}

// MediaFlowOut reports media starting or stopping on a source pad.
type MediaFlowOut MediaFlowIn

// MediaStateChanged reports RTCP starting (Connected) or stopping.
type MediaStateChanged struct{ Connected bool }

// ConnectionStateChanged reports the transport (ICE+DTLS) going up or down.
type ConnectionStateChanged struct{ Connected bool }

// MediaSessionStarted is reported when an SDP negotiation completes.
type MediaSessionStarted struct{}

// MediaSessionTerminated is reported when a negotiated session ends.
type MediaSessionTerminated struct{}

// IceCandidateFound reports a local ICE candidate.
type IceCandidateFound struct {
	Candidate     string // "candidate:..." attribute value
	SdpMid        string
	SdpMLineIndex int
}

// IceGatheringDone reports the end of local candidate gathering.
type IceGatheringDone struct{}

// IceComponentStateChanged reports an ICE component state (Kurento names).
type IceComponentStateChanged struct {
	StreamID    int
	ComponentID int
	State       string
}

// NewCandidatePairSelected reports the ICE pair in use.
type NewCandidatePairSelected struct {
	StreamID        string
	ComponentID     int
	LocalCandidate  string
	RemoteCandidate string
}

// DtlsStateChanged reports a DTLS state (Kurento names).
type DtlsStateChanged struct {
	StreamID     string
	ComponentID  string
	ConnectionID string
	State        string
}

// DataChannelOpened reports a data channel that opened.
type DataChannelOpened struct{ ChannelID int }

// DataChannelClosed reports a data channel that closed.
type DataChannelClosed struct{ ChannelID int }

// ErrorEvent reports an asynchronous element failure.
type ErrorEvent struct {
	Type        string // e.g. "ICE_FAILED"
	Description string
	Code        int
}

func (ElementConnected) eventName() string         { return "ElementConnected" }
func (ElementDisconnected) eventName() string      { return "ElementDisconnected" }
func (MediaFlowIn) eventName() string              { return "MediaFlowInStateChanged" }
func (MediaFlowOut) eventName() string             { return "MediaFlowOutStateChanged" }
func (MediaStateChanged) eventName() string        { return "MediaStateChanged" }
func (ConnectionStateChanged) eventName() string   { return "ConnectionStateChanged" }
func (MediaSessionStarted) eventName() string      { return "MediaSessionStarted" }
func (MediaSessionTerminated) eventName() string   { return "MediaSessionTerminated" }
func (IceCandidateFound) eventName() string        { return "IceCandidateFound" }
func (IceGatheringDone) eventName() string         { return "IceGatheringDone" }
func (IceComponentStateChanged) eventName() string { return "IceComponentStateChanged" }
func (NewCandidatePairSelected) eventName() string { return "NewCandidatePairSelected" }
func (DtlsStateChanged) eventName() string         { return "DtlsConnectionStateChange" }
func (DataChannelOpened) eventName() string        { return "DataChannelOpened" }
func (DataChannelClosed) eventName() string        { return "DataChannelClosed" }
func (ErrorEvent) eventName() string               { return "Error" }

// EventName returns the Kurento event name of e.
func EventName(e Event) string { return e.eventName() }
