package player

import "errors"

// EndOfStream reports that the player reached the end of its media (after
// going to STOP).
type EndOfStream struct{}

// MediaEvent implements media.Event.
func (EndOfStream) MediaEvent() {}

// Errors. Failures to open or read the source are reported as ErrorEvents
// wrapping source.ErrInvalidURI (Kurento's INVALID_URI),
// source.ErrInvalidMedia (INVALID_MEDIA) or source.ErrUnsupportedScheme;
// these are returned by methods.
var (
	// ErrSeek: the media is not seekable, or the player is stopped
	// (Kurento's PLAYER_SEEK_FAIL).
	ErrSeek = errors.New("player: seek failed")
	// ErrTranscode: a track in a codec no receiver takes could not be
	// converted (no processing back end, or it failed).
	ErrTranscode = errors.New("player: cannot convert the media for the receivers")
)
