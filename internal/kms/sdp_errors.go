package kms

import (
	"errors"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/sdpneg"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// kindCode maps one kind of engine failure to a Kurento code.
type kindCode struct {
	kind error
	code int
}

// sdpErrorCodes are the negotiation failures every SdpEndpoint shares.
var sdpErrorCodes = []kindCode{
	{sdpneg.ErrInvalidSDP, wire.ErrSDPParse},
	{sdpneg.ErrAlreadyNegotiated, wire.ErrSDPAlreadyNegotiated},
	{sdpneg.ErrNoOfferGenerated, wire.ErrSDPNotOfferGenerated},
	{sdpneg.ErrAnswerProcessed, wire.ErrSDPAnswerAlreadyProcessed},
	{sdpneg.ErrGenerateOffer, wire.ErrSDPGenerateOffer},
	{sdpneg.ErrProcessOffer, wire.ErrSDPProcessOffer},
	{sdpneg.ErrProcessAnswer, wire.ErrSDPProcessAnswer},
}

// sdpEndpointError maps an SdpEndpoint's failure to a Kurento error: by
// the shared negotiation kinds, then the class's own, a released object as
// not found, anything else unexpected (its message kept).
func sdpEndpointError(err error, own []kindCode) error {
	if err == nil {
		return nil
	}
	for _, codes := range [][]kindCode{sdpErrorCodes, own} {
		for _, m := range codes {
			if errors.Is(err, m.kind) {
				return kurentoError(m.code, "%v", err)
			}
		}
	}
	if errors.Is(err, media.ErrReleased) {
		return kurentoError(wire.ErrObjectNotFound, "Object was released")
	}
	return kurentoError(wire.ErrUnexpected, "%v", err)
}
