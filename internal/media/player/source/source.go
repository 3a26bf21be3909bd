// Package source opens what a PlayerEndpoint plays from a URI — file://,
// http(s):// and rtsp:// — and yields frames with their timestamps, codec
// parameters and keyframe flags (the formats of package frames), leaving
// pacing to the caller.
//
// Files and HTTP resources are WebM/Matroska or MP4 (progressive or
// fragmented), read through the container demuxers; HTTP resources are
// streamed, with range requests for seeking where the server supports them.
// RTSP is played with github.com/bluenviron/gortsplib/v5 (a maintained pure
// Go client: no GStreamer process for the most common camera source; its
// RTP goes through frames.Depacketizer like every other RTP in gorento).
package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorento/gorento/internal/media/container"
)

// Source is media to play.
type Source interface {
	Tracks() []container.Track
	// ReadSample returns the next frame in (approximately) time order and
	// io.EOF at the end. For live sources it blocks until a frame arrives
	// or Close is called.
	ReadSample() (container.Sample, error)
	// Duration is the media's duration when known (never for live ones).
	Duration() (time.Duration, bool)
	// Seekable reports whether Seek works.
	Seekable() bool
	// Seek moves to the video keyframe at or before pos and returns its time.
	Seek(pos time.Duration) (time.Duration, error)
	// Live reports a source with no end and no seek (RTSP).
	Live() bool
	// Close releases the source; a blocked ReadSample returns. Idempotent.
	Close() error
}

// Error kinds, to test with errors.Is. A PlayerEndpoint reports the first
// as Kurento's INVALID_URI and the second as INVALID_MEDIA.
var (
	// ErrInvalidURI: the source cannot be reached or read (bad URI, no such
	// file, HTTP error status, connection refused, RTSP failure).
	ErrInvalidURI = errors.New("source: invalid URI")
	// ErrInvalidMedia: the source was read but is not media gorento plays
	// (unknown container, no supported codec, corrupt headers).
	ErrInvalidMedia = errors.New("source: invalid media")
	// ErrUnsupportedScheme: a scheme other than file, http, https, rtsp(s).
	ErrUnsupportedScheme = errors.New("source: unsupported URI scheme")
)

// Options configure Open. Zero values mean the defaults.
type Options struct {
	// HTTPClient is used for http(s); default: a client with 10 s connect
	// and response-header timeouts.
	HTTPClient *http.Client
	// Timeout bounds connecting and each RTSP request (default 10 s).
	Timeout time.Duration
	// NetworkCache is how long RTSP waits for late or retransmitted
	// packets (Kurento's networkCache, default 2000 ms).
	NetworkCache time.Duration
	// QueueFrames bounds the frames a live source buffers for a slow
	// reader (default 512); beyond it frames are dropped (video until the
	// next keyframe).
	QueueFrames int
	// Limits bound what demuxers buffer.
	Limits container.DemuxLimits
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.NetworkCache <= 0 {
		o.NetworkCache = 2 * time.Second
	}
	if o.QueueFrames <= 0 {
		o.QueueFrames = 512
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.Limits = o.Limits.WithDefaults()
	return o
}

// Open opens uri. ctx bounds opening only; Close ends the source.
func Open(ctx context.Context, uri string, opts Options) (Source, error) {
	opts = opts.withDefaults()
	u, err := url.Parse(uri)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURI, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "file":
		return openFile(u, opts)
	case "http", "https":
		return openHTTP(ctx, u, opts)
	case "rtsp", "rtsps":
		return openRTSP(ctx, uri, opts)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnsupportedScheme, u.Scheme)
}

func uriError(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidURI, fmt.Sprintf(format, a...))
}

func mediaError(err error) error {
	return fmt.Errorf("%w: %v", ErrInvalidMedia, err)
}
