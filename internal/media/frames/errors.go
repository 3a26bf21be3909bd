package frames

import "errors"

var (
	// ErrUnsupportedCodec is returned for a codec frames cannot (de)packetise.
	ErrUnsupportedCodec = errors.New("unsupported codec")
	// ErrBadParams is returned for invalid constructor parameters.
	ErrBadParams = errors.New("invalid parameters")
)
