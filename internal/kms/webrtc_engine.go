package kms

import (
	"log/slog"

	"github.com/gorento/gorento/internal/media"
)

// WebRTCDefaults are the server-wide WebRtcEndpoint settings.
type WebRTCDefaults = media.WebRTCConfig

// webrtcEngine owns the media engine's shared WebRTC state.
type webrtcEngine struct {
	engine *media.WebRTCEngine
}

func newWebRTCEngine(cfg WebRTCDefaults, log *slog.Logger) (*webrtcEngine, error) {
	if cfg.Logger == nil {
		cfg.Logger = log
	}
	e, err := media.NewWebRTCEngine(cfg)
	if err != nil {
		return nil, err
	}
	return &webrtcEngine{engine: e}, nil
}

func (e *webrtcEngine) close() { e.engine.Close() }
