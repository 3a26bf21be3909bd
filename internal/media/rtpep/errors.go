package rtpep

import (
	"errors"
	"fmt"
)

// Kinds of failure, for errors.Is. The protocol layer maps them to its own
// codes; Error.Msg says what happened in words a client can show.
var (
	// ErrInvalidSDP: an offer or answer that is empty or unparsable.
	ErrInvalidSDP = errors.New("rtp: invalid SDP")
	// ErrAlreadyNegotiated: processOffer or generateOffer a second time.
	ErrAlreadyNegotiated = errors.New("rtp: already negotiated")
	// ErrNoOfferGenerated: processAnswer before generateOffer.
	ErrNoOfferGenerated = errors.New("rtp: no offer generated")
	// ErrAnswerProcessed: a second processAnswer.
	ErrAnswerProcessed = errors.New("rtp: answer already processed")
	// ErrGenerateOffer, ErrProcessOffer, ErrProcessAnswer: the step failed
	// (no media could be accepted, no port was free…).
	ErrGenerateOffer = errors.New("rtp: cannot generate offer")
	ErrProcessOffer  = errors.New("rtp: cannot process offer")
	ErrProcessAnswer = errors.New("rtp: cannot process answer")
	// ErrCrypto: an SDES parameter that is not a usable key or suite.
	ErrCrypto = errors.New("rtp: invalid SDES crypto")
	// ErrTooManyEndpoints: Config.MaxEndpoints endpoints exist already.
	ErrTooManyEndpoints = errors.New("rtp: too many RtpEndpoints")
	// ErrNoPorts: no free UDP port pair in the configured range.
	ErrNoPorts = errors.New("rtp: no free UDP port pair")
)

// Error is a failed endpoint operation: Kind is one of the errors above.
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
