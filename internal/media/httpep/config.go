package httpep

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/player"
)

// Config holds the server-wide HttpPostEndpoint settings (KMS's
// HttpEndpoint.conf.ini); zero fields take the defaults.
type Config struct {
	// Listen is the HTTP server's address (default 127.0.0.1:9091, KMS's
	// port; ":0" style ports pick a free one).
	Listen string
	// Announced is the host[:port] written in URLs instead of the listening
	// address (a public name in front of a NAT or proxy).
	Announced string
	// MaxUploadBytes bounds one upload (default 2 GiB); a larger one is cut
	// with 413 and an Error event.
	MaxUploadBytes int64
	// MaxEndpoints bounds the HttpPostEndpoints of the server (default 100).
	MaxEndpoints int
	// ReadTimeout bounds the wait for each part of an upload's body
	// (default 30 s): a client that stalls longer loses its upload.
	ReadTimeout time.Duration
	// Limits bound what the demuxers buffer from untrusted uploads.
	Limits container.DemuxLimits
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:9091"
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return c, fmt.Errorf("httpEndpoint.listen %q: %w", c.Listen, err)
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = 2 << 30
	}
	if c.MaxEndpoints <= 0 {
		c.MaxEndpoints = 100
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 30 * time.Second
	}
	c.Limits = c.Limits.WithDefaults()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// playerConfig is the player configuration of the endpoints' sources.
func (c Config) playerConfig() player.Config {
	return player.Config{Limits: c.Limits, Logger: c.Logger}
}
