package kms

import "log/slog"

// WebRTCDefaults are the server-wide WebRtcEndpoint settings.
type WebRTCDefaults struct{}

// webrtcEngine builds WebRtcEndpoints with the server-wide settings.
type webrtcEngine struct{}

func newWebRTCEngine(WebRTCDefaults, *slog.Logger) (*webrtcEngine, error) {
	return &webrtcEngine{}, nil
}

func (e *webrtcEngine) close() {}
