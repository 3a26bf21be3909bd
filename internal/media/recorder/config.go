package recorder

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/workerleg"
)

// Options are a recorder's Kurento constructor parameters.
type Options struct {
	// URI is where the recording goes: file:///abs/path or http(s)://…
	// (already resolved: see uriep.Resolve).
	URI string
	// Profile is Kurento's MediaProfileSpecType (default WEBM).
	Profile container.Profile
	// StopOnEndOfStream stops the recording when the stream feeding it ends
	// (a PlayerEndpoint reaching the end of its file).
	StopOnEndOfStream bool
	// Transcoders makes the legs that convert media the profile does not
	// take (nil: such media is dropped, with one Error event).
	Transcoders workerleg.Factory
}

// Config holds the server-wide recorder settings; zero fields take the
// defaults.
type Config struct {
	// Queue sizes the slow-sink queue between the call and the recorder.
	Queue media.QueueConfig
	// FragmentDuration is the longest cluster/fragment (default 1 s): what
	// a crash can lose at most.
	FragmentDuration time.Duration
	// StartWait is how much media the recorder waits, after the first
	// frame, for every connected track to start before starting the file
	// with those it has (default 5 s; negative = wait for ever, as KMS).
	StartWait time.Duration
	// Sync is the fsync policy of files (default: leave it to the kernel).
	Sync container.SyncPolicy
	// KeepCodecs records incoming codecs the profile's container can hold
	// without transcoding them to the profile's codecs (Opus in MP4/MKV,
	// VP8/VP9/AV1 in MKV, VP9/AV1 in WebM, VP9/AV1 in MP4). Off by
	// default: files have the codecs KMS's profiles give (docs/media-files.md).
	KeepCodecs bool
	// AllowedPaths restricts file:// URIs to these directories (empty:
	// anywhere the server may write, as KMS).
	AllowedPaths []string
	// HTTP uploads (http(s):// URIs): the client (default: 10 s connect
	// timeout, no overall timeout), the method (default POST, as KMS; PUT
	// for servers that want it), how many bytes may wait for a slow server
	// before the recording fails (default 32 MiB), and how long a stop
	// waits for the server's answer (default 30 s).
	HTTPClient    *http.Client
	HTTPMethod    string
	UploadBuffer  int
	UploadTimeout time.Duration
	// StopTimeout bounds stopAndWait (KMS: 4 s); the file is finished in
	// the background even when it returns first.
	StopTimeout time.Duration
	Logger      *slog.Logger
}

// Defaults.
const (
	DefaultStartWait     = 5 * time.Second
	DefaultUploadBuffer  = 32 << 20
	DefaultUploadTimeout = 30 * time.Second
	DefaultStopTimeout   = 4 * time.Second
)

func (c Config) withDefaults() Config {
	if c.FragmentDuration <= 0 {
		c.FragmentDuration = time.Second
	}
	if c.StartWait == 0 {
		c.StartWait = DefaultStartWait
	}
	if c.HTTPClient == nil {
		c.HTTPClient = defaultHTTPClient
	}
	if c.HTTPMethod == "" {
		c.HTTPMethod = http.MethodPost
	}
	if c.UploadBuffer <= 0 {
		c.UploadBuffer = DefaultUploadBuffer
	}
	if c.UploadTimeout <= 0 {
		c.UploadTimeout = DefaultUploadTimeout
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

var defaultHTTPClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           dialer.DialContext,
	TLSHandshakeTimeout:   10 * time.Second,
	ResponseHeaderTimeout: 0, // the answer comes after the whole upload
	ForceAttemptHTTP2:     true,
}}
