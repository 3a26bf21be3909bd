package kurento

import (
	"context"

	"github.com/gorento/gorento/pkg/kurento/wire"
)

// RtpEndpoint is an RtpEndpoint handle: plain RTP (or SDES-SRTP) with SDP
// offer/answer.
type RtpEndpoint struct{ MediaElement }

// RtpEndpointOptions are the optional constructor parameters.
type RtpEndpointOptions struct {
	// Crypto turns SDES-SRTP on when its Crypto (suite) or a key is set.
	Crypto  wire.SDES
	UseIPv6 bool
}

// CreateRtpEndpoint creates an RtpEndpoint in the pipeline.
func (p *MediaPipeline) CreateRtpEndpoint(ctx context.Context, o RtpEndpointOptions) (*RtpEndpoint, error) {
	params := map[string]any{"mediaPipeline": p.id}
	if c := o.Crypto; c.Crypto != "" || c.Key != "" || c.KeyBase64 != "" {
		c.Complex = wire.NewComplex("SDES")
		params["crypto"] = c
	}
	if o.UseIPv6 {
		params["useIpv6"] = true
	}
	id, err := p.c.Create(ctx, "RtpEndpoint", params)
	if err != nil {
		return nil, err
	}
	return &RtpEndpoint{MediaElement{MediaObject{c: p.c, id: id}}}, nil
}

func (e *RtpEndpoint) sdp(ctx context.Context, op string, params map[string]any) (string, error) {
	var out string
	return out, e.Invoke(ctx, op, params, &out)
}

// ProcessOffer answers a remote offer.
func (e *RtpEndpoint) ProcessOffer(ctx context.Context, offer string) (string, error) {
	return e.sdp(ctx, "processOffer", map[string]any{"offer": offer})
}

// GenerateOffer makes an offer (audio and video).
func (e *RtpEndpoint) GenerateOffer(ctx context.Context) (string, error) {
	return e.sdp(ctx, "generateOffer", nil)
}

// ProcessAnswer applies the answer to a generated offer.
func (e *RtpEndpoint) ProcessAnswer(ctx context.Context, answer string) (string, error) {
	return e.sdp(ctx, "processAnswer", map[string]any{"answer": answer})
}

// OnKeySoftLimit subscribes to OnKeySoftLimit.
func (e *RtpEndpoint) OnKeySoftLimit(ctx context.Context, fn func(wire.OnKeySoftLimit)) (*Subscription, error) {
	return On(ctx, e, "OnKeySoftLimit", fn)
}
