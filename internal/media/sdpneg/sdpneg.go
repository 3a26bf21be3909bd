// Package sdpneg is the negotiation contract every SDP endpoint shares
// (Kurento's SdpEndpoint, the parent of WebRtcEndpoint and RtpEndpoint): one
// offer/answer exchange per endpoint, in the order Kurento allows, and the
// kinds of failure the protocol layer maps to Kurento's codes.
package sdpneg

import (
	"errors"
	"fmt"
)

// Kinds of failure, for errors.Is. The protocol layer maps them to its own
// codes; Error.Msg says what happened in words a client can show. Endpoints
// add kinds of their own and report them with the same Error.
var (
	// ErrInvalidSDP: an offer or answer that is empty or unparsable (or, for
	// WebRTC, has no media or no DTLS fingerprint).
	ErrInvalidSDP = errors.New("sdp: invalid SDP")
	// ErrAlreadyNegotiated: processOffer or generateOffer on an endpoint
	// that already negotiated.
	ErrAlreadyNegotiated = errors.New("sdp: already negotiated")
	// ErrNoOfferGenerated: processAnswer before generateOffer.
	ErrNoOfferGenerated = errors.New("sdp: no offer generated")
	// ErrAnswerProcessed: a second processAnswer.
	ErrAnswerProcessed = errors.New("sdp: answer already processed")
	// ErrGenerateOffer, ErrProcessOffer, ErrProcessAnswer: the step failed
	// (no media could be accepted, no port was free, the peer connection
	// refused it…).
	ErrGenerateOffer = errors.New("sdp: cannot generate offer")
	ErrProcessOffer  = errors.New("sdp: cannot process offer")
	ErrProcessAnswer = errors.New("sdp: cannot process answer")
)

// Error is a failed endpoint operation: Kind is one of the kinds above or
// an endpoint's own, Msg the description for the client.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap makes errors.Is(err, Kind) true.
func (e *Error) Unwrap() error { return e.Kind }

// Errorf makes an Error of kind with a formatted message.
func Errorf(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// State is where an endpoint's negotiation is.
type State uint8

const (
	Idle           State = iota // nothing exchanged yet
	OfferGenerated              // our offer sent, its answer awaited
	Done                        // negotiated: no second exchange
)

// CheckOffer says whether an offer may be generated or processed now (the
// messages are Kurento's).
func (s State) CheckOffer() error {
	if s != Idle {
		return Errorf(ErrAlreadyNegotiated, "Endpoint already negotiated")
	}
	return nil
}

// CheckAnswer says whether an answer may be processed now.
func (s State) CheckAnswer() error {
	switch s {
	case Idle:
		return Errorf(ErrNoOfferGenerated, "Offer not generated. It is not possible to process an answer.")
	case Done:
		return Errorf(ErrAnswerProcessed, "Sdp Answer already processed")
	}
	return nil
}
