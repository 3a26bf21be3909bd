package player

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/player/source"
	"github.com/gorento/gorento/internal/media/workerleg"
)

// Options are a player's Kurento constructor parameters.
type Options struct {
	// URI is what to play: file:///abs/path, http(s)://… or rtsp://…
	// (already resolved: see uriep.Resolve).
	URI string
	// UseEncodedMedia is Kurento's flag. Gorento always sends the media as
	// encoded when the receivers take its codec (KMS does so only with
	// this flag; without it, it decodes and re-encodes everything); the
	// flag is kept and reported.
	UseEncodedMedia bool
	// NetworkCache is how long an RTSP source waits for late packets
	// (Kurento's networkCache; default 2 s).
	NetworkCache time.Duration
	// Open, when set, opens the media instead of URI, when play() starts
	// (an HttpPostEndpoint's upload); the player does not probe it in New.
	Open func(ctx context.Context) (source.Source, error)
	// Transcoders converts tracks no browser decodes (AAC) and tracks
	// whose codec is not the pipeline's (nil: they are not played, with
	// an Error event).
	Transcoders workerleg.Factory
}

// Config holds the server-wide player settings; zero fields take defaults.
type Config struct {
	// OpenTimeout bounds connecting to http(s) and rtsp sources (default 10 s).
	OpenTimeout time.Duration
	// ProbeTimeout bounds reading the source's tracks in New (default 3 s).
	ProbeTimeout time.Duration
	// AllowedPaths restricts file:// URIs (empty: anywhere).
	AllowedPaths []string
	// Limits bound what demuxers buffer from untrusted files.
	Limits container.DemuxLimits
	// HTTPClient for http(s) sources (default: the source package's).
	HTTPClient *http.Client
	Logger     *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.OpenTimeout <= 0 {
		c.OpenTimeout = 10 * time.Second
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = 3 * time.Second
	}
	c.Limits = c.Limits.WithDefaults()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
