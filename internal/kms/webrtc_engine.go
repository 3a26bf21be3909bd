package kms

import (
	"log/slog"

	"github.com/gorento/gorento/internal/media/webrtcep"
)

// WebRTCDefaults are the server-wide WebRtcEndpoint settings.
type WebRTCDefaults = webrtcep.Config

// webrtcEngine owns the media engine's shared WebRTC state.
type webrtcEngine struct {
	engine *webrtcep.Engine
}

func newWebRTCEngine(cfg WebRTCDefaults, log *slog.Logger) (*webrtcEngine, error) {
	if cfg.Logger == nil {
		cfg.Logger = log
	}
	e, err := webrtcep.NewEngine(cfg)
	if err != nil {
		return nil, err
	}
	return &webrtcEngine{engine: e}, nil
}

func (e *webrtcEngine) close() { e.engine.Close() }

// WebRTCEngine is the engine shared by the server's WebRtcEndpoints (its
// egress statistics, for tests and diagnostics).
func (s *Server) WebRTCEngine() *webrtcep.Engine { return s.webrtc.engine }
