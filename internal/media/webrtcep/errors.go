package webrtcep

import (
	"errors"

	"github.com/gorento/gorento/internal/media/sdpneg"
)

// Kinds of failure of a WebRtcEndpoint beyond the negotiation's own
// (sdpneg's), for errors.Is. The protocol layer maps them to its own codes;
// failures are reported as *sdpneg.Error, whose Msg is the description for
// the client.
var (
	ErrGather         = errors.New("webrtc: cannot gather candidates")
	ErrAddCandidate   = errors.New("webrtc: cannot add candidate")
	ErrBothDirections = errors.New("webrtc: an endpoint cannot be both recvonly and sendonly")
	// ErrDataChannelsDisabled: data-channel operations on an endpoint
	// created without UseDataChannels.
	ErrDataChannelsDisabled = errors.New("data channels are not enabled in this endpoint (useDataChannels)")
	// ErrICEFailed is reported in an ErrorEvent when connectivity checks fail.
	ErrICEFailed = errors.New("ICE connectivity checks failed")
)

// failure is a failed operation of kind, described for the client.
func failure(kind error, format string, args ...any) error {
	return sdpneg.Errorf(kind, format, args...)
}
