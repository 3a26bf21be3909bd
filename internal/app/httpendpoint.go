package app

import (
	"log/slog"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media/httpep"
)

// httpEndpointConfig is the HttpPostEndpoint engine's configuration.
func httpEndpointConfig(h config.HTTPEndpointConfig, log *slog.Logger) httpep.Config {
	return httpep.Config{Listen: h.Listen, Announced: h.AnnouncedAddress, MaxUploadBytes: h.MaxUploadBytes,
		MaxEndpoints: h.MaxEndpoints, ReadTimeout: h.ReadTimeout.Duration, Logger: log}
}
