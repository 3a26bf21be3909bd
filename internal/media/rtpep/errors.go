package rtpep

import (
	"errors"

	"github.com/gorento/gorento/internal/media/sdpneg"
)

// Kinds of failure of an RtpEndpoint beyond the negotiation's own
// (sdpneg's), for errors.Is. The protocol layer maps them to its own codes;
// failures are reported as *sdpneg.Error, whose Msg says what happened in
// words a client can show.
var (
	// ErrCrypto: an SDES parameter that is not a usable key or suite.
	ErrCrypto = errors.New("rtp: invalid SDES crypto")
	// ErrTooManyEndpoints: Config.MaxEndpoints endpoints exist already.
	ErrTooManyEndpoints = errors.New("rtp: too many RtpEndpoints")
	// ErrNoPorts: no free UDP port pair in the configured range.
	ErrNoPorts = errors.New("rtp: no free UDP port pair")
)

// failure is a failed operation of kind, described for the client.
func failure(kind error, format string, args ...any) error {
	return sdpneg.Errorf(kind, format, args...)
}
