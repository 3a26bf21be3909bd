package webrtcep

import (
	"errors"
	"fmt"
)

// Kinds of failure, for errors.Is. The protocol layer maps them to its own
// codes; Error.Msg is the description for the client.
var (
	// ErrInvalidSDP: an offer or answer that is empty, unparsable, has no
	// media or no DTLS fingerprint.
	ErrInvalidSDP = errors.New("webrtc: invalid SDP")
	// ErrAlreadyNegotiated: processOffer or generateOffer on an endpoint
	// that already negotiated.
	ErrAlreadyNegotiated = errors.New("webrtc: already negotiated")
	// ErrNoOfferGenerated: processAnswer before generateOffer.
	ErrNoOfferGenerated = errors.New("webrtc: no offer generated")
	// ErrAnswerProcessed: a second processAnswer.
	ErrAnswerProcessed = errors.New("webrtc: answer already processed")
	// ErrGenerateOffer, ErrProcessOffer, ErrProcessAnswer: the peer
	// connection refused the step.
	ErrGenerateOffer  = errors.New("webrtc: cannot generate offer")
	ErrProcessOffer   = errors.New("webrtc: cannot process offer")
	ErrProcessAnswer  = errors.New("webrtc: cannot process answer")
	ErrGather         = errors.New("webrtc: cannot gather candidates")
	ErrAddCandidate   = errors.New("webrtc: cannot add candidate")
	ErrBothDirections = errors.New("webrtc: an endpoint cannot be both recvonly and sendonly")
	// ErrDataChannelsDisabled: data-channel operations on an endpoint
	// created without UseDataChannels.
	ErrDataChannelsDisabled = errors.New("data channels are not enabled in this endpoint (useDataChannels)")
	// ErrICEFailed is reported in an ErrorEvent when connectivity checks fail.
	ErrICEFailed = errors.New("ICE connectivity checks failed")
)

// Error is a failed endpoint operation: Kind is one of the errors above,
// Msg says what happened in words a client can show.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, Kind) true.
func (e *Error) Unwrap() error { return e.Kind }

func failure(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}
