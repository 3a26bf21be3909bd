package rtpep

import "github.com/gorento/gorento/internal/media"

// KeySoftLimit reports that an SRTP key of the MediaType's stream has
// protected or verified Config.KeySoftLimit packets: the key should be
// renewed (a new endpoint with a new key) before the hard limit.
type KeySoftLimit struct{ MediaType media.MediaType }

// MediaEvent implements media.Event.
func (KeySoftLimit) MediaEvent() {}
