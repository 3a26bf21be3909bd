package wire

// EventBase holds the fields every event carries in `onEvent` data.
// TimestampMillis is a string on the wire (unlike stats timestamps).
type EventBase struct {
	Source          string `json:"source"`
	Tags            []Tag  `json:"tags"`
	TimestampMillis string `json:"timestampMillis"`
	Type            string `json:"type"`
}

// Base returns the embedded base so generic code can fill it.
func (b *EventBase) Base() *EventBase { return b }

// Event is implemented by every event payload.
type Event interface{ Base() *EventBase }

// OnEventParams is the params member of an `onEvent` notification.
type OnEventParams struct {
	Value OnEventValue `json:"value"`
}

// OnEventValue is the envelope of one event notification.
type OnEventValue struct {
	Data   any    `json:"data"`
	Object string `json:"object"`
	Type   string `json:"type"`
}

// ObjectCreated is fired by the ServerManager when an object is created.
type ObjectCreated struct {
	EventBase
	Object string `json:"object"`
}

// ObjectDestroyed is fired by the ServerManager when an object is released.
type ObjectDestroyed struct {
	EventBase
	ObjectID string `json:"objectId"`
}

// ElementConnection is the payload of ElementConnected and ElementDisconnected.
type ElementConnection struct {
	EventBase
	Sink                   string `json:"sink"`
	MediaType              string `json:"mediaType"`
	SourceMediaDescription string `json:"sourceMediaDescription"`
	SinkMediaDescription   string `json:"sinkMediaDescription"`
}

// ErrorEvent is the payload of the Error event; its Type is the error type.
type ErrorEvent struct {
	EventBase
	Description string `json:"description"`
	ErrorCode   int    `json:"errorCode"`
}

// StateChange is the payload of MediaStateChanged and ConnectionStateChanged.
type StateChange struct {
	EventBase
	OldState string `json:"oldState"`
	NewState string `json:"newState"`
}

// MediaFlowStateChange is the payload of MediaFlowIn/OutStateChanged.
type MediaFlowStateChange struct {
	EventBase
	State     string `json:"state"`
	PadName   string `json:"padName"`
	MediaType string `json:"mediaType"`
}

// Plain is the payload of events without own fields (MediaSessionStarted,
// MediaSessionTerminated, IceGatheringDone...).
type Plain struct {
	EventBase
}

// IceCandidateFound is fired for each local ICE candidate.
type IceCandidateFound struct {
	EventBase
	Candidate IceCandidate `json:"candidate"`
}

// IceComponentStateChanged reports an ICE component state transition.
type IceComponentStateChanged struct {
	EventBase
	StreamID    int    `json:"streamId"`
	ComponentID int    `json:"componentId"`
	State       string `json:"state"`
}

// NewCandidatePairSelected reports the pair chosen by ICE.
type NewCandidatePairSelected struct {
	EventBase
	CandidatePair IceCandidatePair `json:"candidatePair"`
}

// DtlsConnectionStateChange reports a DTLS state transition.
type DtlsConnectionStateChange struct {
	EventBase
	StreamID     string `json:"streamId"`
	ComponentID  string `json:"componentId"`
	ConnectionID string `json:"connectionId"`
	State        string `json:"state"`
}

// DataChannelEvent is the payload of DataChannelOpened and DataChannelClosed.
type DataChannelEvent struct {
	EventBase
	ChannelID int `json:"channelId"`
}
