package recorder

import "errors"

// Recording reports that the recorder started (or resumed) recording.
type Recording struct{}

// Paused reports that the recorder paused.
type Paused struct{}

// Stopped reports that the recording is finished: the file is complete (or
// the upload answered) as far as it could be.
type Stopped struct{}

// MediaEvent implements media.Event.
func (Recording) MediaEvent() {}

// MediaEvent implements media.Event.
func (Paused) MediaEvent() {}

// MediaEvent implements media.Event.
func (Stopped) MediaEvent() {}

// Errors reported in ErrorEvents (wrapped with the cause). Kurento's
// RESOURCE_ERROR_OPEN, RESOURCE_ERROR_WRITE, RESOURCE_ERROR_NO_SPACE_LEFT
// and STREAM_ERROR_FAILED.
var (
	// ErrOpen: the destination cannot be created (a URI that is neither
	// file:// nor http(s)://, a path outside the allowed directories,
	// directory, permissions, unreachable upload server, error status).
	ErrOpen = errors.New("recorder: cannot open the destination")
	// ErrWrite: writing failed during the recording.
	ErrWrite = errors.New("recorder: write failed")
	// ErrNoSpace: the disk is full (wraps ErrWrite too).
	ErrNoSpace = errors.New("recorder: no space left on device")
	// ErrTranscode: media the profile does not take could not be
	// converted (no processing back end, or it failed).
	ErrTranscode = errors.New("recorder: cannot convert the media to the profile's codecs")
)

// Errors returned by New.
var (
	// ErrProfile: a profile Gorento cannot record (FLV, JPEG_VIDEO_ONLY,
	// KURENTO_SPLIT_RECORDER) or an unknown one.
	ErrProfile = errors.New("recorder: media profile not supported")
)
