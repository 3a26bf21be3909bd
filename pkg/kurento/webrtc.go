package kurento

import (
	"context"

	"github.com/gorento/gorento/pkg/kurento/wire"
)

// WebRtcEndpoint is a WebRtcEndpoint handle.
type WebRtcEndpoint struct{ MediaElement }

// WebRtcEndpointOptions are the constructor parameters of a WebRtcEndpoint.
type WebRtcEndpointOptions struct {
	RecvOnly, SendOnly, UseDataChannels bool
	CertificateKeyType                  string // "", "RSA" or "ECDSA"
}

// CreateWebRtcEndpoint creates a WebRtcEndpoint in the pipeline.
func (p *MediaPipeline) CreateWebRtcEndpoint(ctx context.Context, o WebRtcEndpointOptions) (*WebRtcEndpoint, error) {
	params := map[string]any{"mediaPipeline": p.id}
	if o.RecvOnly {
		params["recvonly"] = true
	}
	if o.SendOnly {
		params["sendonly"] = true
	}
	if o.UseDataChannels {
		params["useDataChannels"] = true
	}
	if o.CertificateKeyType != "" {
		params["certificateKeyType"] = o.CertificateKeyType
	}
	id, err := p.c.Create(ctx, "WebRtcEndpoint", params)
	if err != nil {
		return nil, err
	}
	return &WebRtcEndpoint{MediaElement{MediaObject{c: p.c, id: id}}}, nil
}

// WebRtcEndpoint returns a handle for an existing endpoint id.
func (c *Client) WebRtcEndpoint(id string) *WebRtcEndpoint {
	return &WebRtcEndpoint{MediaElement{MediaObject{c: c, id: id}}}
}

func (e *WebRtcEndpoint) sdpCall(ctx context.Context, op, key, sdp string) (string, error) {
	var out string
	var params map[string]any
	if key != "" {
		params = map[string]any{key: sdp}
	}
	return out, e.Invoke(ctx, op, params, &out)
}

// ProcessOffer answers a remote offer.
func (e *WebRtcEndpoint) ProcessOffer(ctx context.Context, offer string) (string, error) {
	return e.sdpCall(ctx, "processOffer", "offer", offer)
}

// GenerateOffer makes an offer (both kinds offered for reception).
func (e *WebRtcEndpoint) GenerateOffer(ctx context.Context) (string, error) {
	return e.sdpCall(ctx, "generateOffer", "", "")
}

// ProcessAnswer applies the answer to a generated offer.
func (e *WebRtcEndpoint) ProcessAnswer(ctx context.Context, answer string) (string, error) {
	return e.sdpCall(ctx, "processAnswer", "answer", answer)
}

// LocalSessionDescriptor returns the local SDP.
func (e *WebRtcEndpoint) LocalSessionDescriptor(ctx context.Context) (string, error) {
	return e.sdpCall(ctx, "getLocalSessionDescriptor", "", "")
}

// GatherCandidates starts ICE gathering.
func (e *WebRtcEndpoint) GatherCandidates(ctx context.Context) error {
	return e.Invoke(ctx, "gatherCandidates", nil, nil)
}

// AddIceCandidate adds a remote candidate.
func (e *WebRtcEndpoint) AddIceCandidate(ctx context.Context, candidate, sdpMid string, sdpMLineIndex int) error {
	return e.Invoke(ctx, "addIceCandidate", map[string]any{"candidate": wire.IceCandidate{
		Complex: wire.NewComplex("IceCandidate"), Candidate: candidate, SdpMid: sdpMid, SdpMLineIndex: sdpMLineIndex}}, nil)
}

// RequestKeyframe asks the remote sender for a keyframe.
func (e *WebRtcEndpoint) RequestKeyframe(ctx context.Context) error {
	return e.Invoke(ctx, "requestKeyframe", nil, nil)
}

// SetIntProperty sets an int property such as maxVideoRecvBandwidth.
func (e *WebRtcEndpoint) SetIntProperty(ctx context.Context, name string, v int) error {
	return e.Invoke(ctx, "set"+upperFirst(name), map[string]any{name: v}, nil)
}

// MediaState returns "CONNECTED" or "DISCONNECTED".
func (e *WebRtcEndpoint) MediaState(ctx context.Context) (string, error) {
	var s string
	return s, e.Invoke(ctx, "getMediaState", nil, &s)
}

// OnIceCandidateFound subscribes to local candidates.
func (e *WebRtcEndpoint) OnIceCandidateFound(ctx context.Context, fn func(wire.IceCandidateFound)) (*Subscription, error) {
	return On(ctx, e, "IceCandidateFound", fn)
}

// OnIceGatheringDone subscribes to the end of gathering.
func (e *WebRtcEndpoint) OnIceGatheringDone(ctx context.Context, fn func(wire.Plain)) (*Subscription, error) {
	return On(ctx, e, "IceGatheringDone", fn)
}

// OnMediaStateChanged subscribes to MediaStateChanged.
func (e *WebRtcEndpoint) OnMediaStateChanged(ctx context.Context, fn func(wire.StateChange)) (*Subscription, error) {
	return On(ctx, e, "MediaStateChanged", fn)
}

// OnConnectionStateChanged subscribes to ConnectionStateChanged.
func (e *WebRtcEndpoint) OnConnectionStateChanged(ctx context.Context, fn func(wire.StateChange)) (*Subscription, error) {
	return On(ctx, e, "ConnectionStateChanged", fn)
}

// OnIceComponentStateChanged subscribes to IceComponentStateChanged.
func (e *WebRtcEndpoint) OnIceComponentStateChanged(ctx context.Context, fn func(wire.IceComponentStateChanged)) (*Subscription, error) {
	return On(ctx, e, "IceComponentStateChanged", fn)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}
