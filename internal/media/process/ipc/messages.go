package ipc

// Control operations (gorento → worker). Each Control carries a Req number
// the worker echoes in its Reply.
const (
	OpCreate          = "create"          // Spec: build the element (header's element id)
	OpRelease         = "release"         // tear the element down
	OpKeyframe        = "keyframe"        // Stream: make that output's encoder emit a keyframe
	OpBitrate         = "bitrate"         // Stream, Bitrate: set that output's target bitrate
	OpSetProperty     = "setProperty"     // Property: set a property of a named GStreamer element
	OpSetOverlay      = "setOverlay"      // Image: FaceOverlayFilter's image (Image.ID unused)
	OpUnsetOverlay    = "unsetOverlay"    //
	OpAddImage        = "addImage"        // Image: ImageOverlayFilter
	OpRemoveImage     = "removeImage"     // Image.ID
	OpSetBackground   = "setBackground"   // Image.URI: ChromaFilter
	OpUnsetBackground = "unsetBackground" //
	OpShutdown        = "shutdown"        // worker: release everything and exit
)

// Control is a request from gorento to the worker.
type Control struct {
	Req      uint64    `json:"req"`
	Op       string    `json:"op"`
	Spec     *Spec     `json:"spec,omitempty"`
	Stream   int       `json:"stream,omitempty"`
	Bitrate  *Bitrate  `json:"bitrate,omitempty"`
	Property *Property `json:"property,omitempty"`
	Image    *Image    `json:"image,omitempty"`
	// Dynamic kinds (hub.go).
	Input  *Stream `json:"input,omitempty"`
	Output *Stream `json:"output,omitempty"`
	Mix    *Mix    `json:"mix,omitempty"`
	Layout *Layout `json:"layout,omitempty"`
}

// Bitrate is an encoder target within bounds, bits per second (0 = unchanged).
type Bitrate struct {
	Target int `json:"target"`
	Min    int `json:"min,omitempty"`
	Max    int `json:"max,omitempty"`
}

// Property sets a property of an element named in a GStreamerFilter command
// (gst_util_set_object_arg semantics: the value is parsed for the property's type).
type Property struct {
	Element string `json:"element"`
	Name    string `json:"name"`
	Value   string `json:"value"`
}

// Image is an overlay image and its geometry. For FaceOverlayFilter the
// offsets and sizes are fractions of the detected face's size; for
// ImageOverlayFilter fractions of the frame.
type Image struct {
	ID              string  `json:"id,omitempty"`
	URI             string  `json:"uri"`
	OffsetX         float64 `json:"offsetX"`
	OffsetY         float64 `json:"offsetY"`
	Width           float64 `json:"width"`
	Height          float64 `json:"height"`
	KeepAspectRatio bool    `json:"keepAspectRatio,omitempty"`
	Center          bool    `json:"center,omitempty"`
}

// Reply answers one Control; Error is empty on success.
type Reply struct {
	Req   uint64 `json:"req"`
	Error string `json:"error,omitempty"`
}

// Hello is the worker's first message.
type Hello struct {
	PID       int    `json:"pid"`
	GStreamer string `json:"gstreamer"` // runtime version string
}

// Heartbeat is sent by the worker every interval. Progress counts RTP packets
// the worker produced so far (all elements), so gorento can tell a worker
// whose heartbeat thread lives but whose pipelines are stuck.
type Heartbeat struct {
	Progress uint64 `json:"progress"`
	Elements int    `json:"elements"`
}

// Event kinds (worker → gorento).
const (
	EventError        = "error"        // Message: the element failed and stopped
	EventWarning      = "warning"      // Message: reported, the element goes on
	EventFaces        = "faces"        // Faces (may be empty: no face any more)
	EventCode         = "code"         // CodeType, Value
	EventNeedKeyframe = "needKeyframe" // Stream: the decoder of that input needs a keyframe
	EventStats        = "stats"        // Stats
	EventMessage      = "message"      // Source, Name, Fields: any other element message
)

// Event is a notification from the worker about one element (header's id).
type Event struct {
	Kind     string         `json:"kind"`
	Stream   int            `json:"stream,omitempty"`
	Message  string         `json:"message,omitempty"`
	Faces    []Rect         `json:"faces,omitempty"`
	CodeType string         `json:"codeType,omitempty"`
	Value    string         `json:"value,omitempty"`
	Stats    *Stats         `json:"stats,omitempty"`
	Source   string         `json:"source,omitempty"`
	Name     string         `json:"name,omitempty"`
	Fields   map[string]any `json:"fields,omitempty"`
}

// Rect is a rectangle in pixels of the element's input frame.
type Rect struct {
	X      int `json:"x"`
	Y      int `json:"y"`
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Stats are an element's counters as the worker sees them.
type Stats struct {
	PacketsIn     uint64 `json:"packetsIn"`
	PacketsOut    uint64 `json:"packetsOut"`
	BytesOut      uint64 `json:"bytesOut"`
	InputDropped  uint64 `json:"inputDropped"`
	KeyframesSent uint64 `json:"keyframesSent"`
	Bitrate       int    `json:"bitrate"` // current encoder target of output 0
	Outputs       int    `json:"outputs"` // encoders running (one per output)
}
