package process

import "errors"

// Debian packages the worker needs at run time (and, with the -dev ones, to build).
const debianPackages = "gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad " +
	"gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-opencv opencv-data " +
	"(build: libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev)"

// Errors of the processing back end. Worker failures reach elements wrapped in
// these, so callers can tell them apart with errors.Is.
var (
	ErrWorkerNotFound = errors.New("processing worker gorento-worker not found")
	ErrWorkerStart    = errors.New("processing worker failed to start")
	ErrWorkerCrashed  = errors.New("processing worker exited")
	ErrWorkerHung     = errors.New("processing worker hung and was killed")
	ErrTooManyWorkers = errors.New("too many processing workers")
	ErrClosed         = errors.New("processing element closed")
	ErrBackpressure   = errors.New("processing worker not keeping up, packet dropped")
	ErrRejected       = errors.New("processing worker refused the request")
)
