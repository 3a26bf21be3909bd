package media

import "errors"

// Errors returned by graph operations.
var (
	ErrReleased       = errors.New("media: element or pipeline released")
	ErrOtherPipeline  = errors.New("media: elements do not share pipeline")
	ErrConnectionLoop = errors.New("media: connection would create a forwarding loop")
	ErrNotConnected   = errors.New("media: elements are not connected")
)
