package media

// Event is a typed report from an element to its owner, the layer that
// created it. The engine defines the graph events and the events every
// session endpoint shares (below); element packages define their own
// (webrtcep.IceCandidateFound, …). Owners switch on the concrete type: the
// engine attaches no names or codes to them. MediaEvent only marks a type
// as an event.
type Event interface{ MediaEvent() }

// EventHandler receives the events of one element, in order, never while
// an engine lock is held: it may call back into the engine. It must not
// block for long.
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

// ErrorEvent reports an asynchronous failure of an element. Err is
// comparable with errors.Is against the sentinels of the element's package.
type ErrorEvent struct{ Err error }

// Events shared by every session endpoint (WebRTC, plain RTP, …).

// MediaSessionStarted is reported when a media negotiation completes.
type MediaSessionStarted struct{}

// MediaSessionTerminated is reported when a negotiated session ends.
type MediaSessionTerminated struct{}

// MediaStateChanged reports RTCP starting (Connected) or stopping.
type MediaStateChanged struct{ Connected bool }

// ConnectionStateChanged reports the transport going up or down.
type ConnectionStateChanged struct{ Connected bool }

// MediaEvent implements Event.
func (ElementConnected) MediaEvent() {}

// MediaEvent implements Event.
func (ElementDisconnected) MediaEvent() {}

// MediaEvent implements Event.
func (MediaFlowIn) MediaEvent() {}

// MediaEvent implements Event.
func (MediaFlowOut) MediaEvent() {}

// MediaEvent implements Event.
func (ErrorEvent) MediaEvent() {}

// MediaEvent implements Event.
func (MediaSessionStarted) MediaEvent() {}

// MediaEvent implements Event.
func (MediaSessionTerminated) MediaEvent() {}

// MediaEvent implements Event.
func (MediaStateChanged) MediaEvent() {}

// MediaEvent implements Event.
func (ConnectionStateChanged) MediaEvent() {}
