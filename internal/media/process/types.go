package process

import "github.com/gorento/gorento/internal/media/process/ipc"

// The spec types are the protocol's own, re-exported so graph elements need
// not import the wire package.
type (
	Spec          = ipc.Spec
	Stream        = ipc.Stream
	Processing    = ipc.Processing
	ElementPolicy = ipc.ElementPolicy
	Window        = ipc.Window
	Image         = ipc.Image
	Bitrate       = ipc.Bitrate
	Rect          = ipc.Rect
	Stats         = ipc.Stats
)

// Codec and processing names (see package ipc).
const (
	CodecVP8  = ipc.CodecVP8
	CodecVP9  = ipc.CodecVP9
	CodecH264 = ipc.CodecH264
	CodecOpus = ipc.CodecOpus
	CodecPCMU = ipc.CodecPCMU
	CodecPCMA = ipc.CodecPCMA
	CodecAAC  = ipc.CodecAAC

	ProcNone         = ipc.ProcNone
	ProcFaceOverlay  = ipc.ProcFaceOverlay
	ProcImageOverlay = ipc.ProcImageOverlay
	ProcGStreamer    = ipc.ProcGStreamer
	ProcZBar         = ipc.ProcZBar
	ProcChroma       = ipc.ProcChroma
)

// EventKind names an Event.
type EventKind string

// Event kinds delivered to Handler.OnEvent.
const (
	EventError        EventKind = ipc.EventError        // Err: the element stopped (worker crash/hang, pipeline error)
	EventWarning      EventKind = ipc.EventWarning      // Message
	EventFaces        EventKind = ipc.EventFaces        // Faces
	EventCode         EventKind = ipc.EventCode         // CodeType, Value
	EventNeedKeyframe EventKind = ipc.EventNeedKeyframe // Stream: ask the source of that input for a keyframe
	EventStats        EventKind = ipc.EventStats        // Stats
	EventMessage      EventKind = ipc.EventMessage      // Source, Name, Fields
)

// Event is something an element reports.
type Event struct {
	Kind     EventKind
	Stream   int // input (NeedKeyframe) or output index
	Err      error
	Message  string
	Faces    []Rect
	CodeType string
	Value    string
	Stats    *Stats
	Source   string
	Name     string
	Fields   map[string]any
}

func eventFromWire(e *ipc.Event) Event {
	ev := Event{Kind: EventKind(e.Kind), Stream: e.Stream, Message: e.Message, Faces: e.Faces,
		CodeType: e.CodeType, Value: e.Value, Stats: e.Stats, Source: e.Source, Name: e.Name, Fields: e.Fields}
	if ev.Kind == EventError {
		ev.Err = &PipelineError{Message: e.Message}
	}
	return ev
}

// PipelineError is an error the worker's GStreamer pipeline reported.
type PipelineError struct{ Message string }

func (e *PipelineError) Error() string { return "processing pipeline: " + e.Message }

// Handler receives an element's output. Callbacks run on the element's own
// delivery goroutine, one at a time, never under a lock of this package; they
// should return quickly (hand packets to the graph's queue).
type Handler struct {
	// OnRTP receives one RTP packet of output `output`; pkt is only valid
	// during the call.
	OnRTP func(output int, pkt []byte)
	// OnEvent receives events; an EventError is the last event of the element.
	OnEvent func(Event)
}
