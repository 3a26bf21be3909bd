package config

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"
)

// MediaFilesConfig configures RecorderEndpoint and PlayerEndpoint
// (docs/media-files.md).
type MediaFilesConfig struct {
	// DefaultPath completes relative URIs (KMS's UriEndpoint defaultPath).
	// Default: file://<dataDir>/media/ (KMS: file:///var/lib/kurento/,
	// which a server not running as the kurento user cannot write).
	DefaultPath string `json:"defaultPath"`
	// AllowedPaths restricts file:// URIs of recorders and players to
	// these directories. Empty: any path the server may read or write, as
	// KMS (a Kurento client can then read and write the server's files).
	AllowedPaths []string         `json:"allowedPaths"`
	Recorder     RecorderSettings `json:"recorder"`
	Player       PlayerSettings   `json:"player"`
}

// RecorderSettings are the server-wide RecorderEndpoint settings.
type RecorderSettings struct {
	// KeepCodecs records incoming codecs the container holds (Opus in MP4
	// and MKV, VP8/VP9 in MKV…) instead of transcoding them to the
	// profile's codecs as KMS does. Default false.
	KeepCodecs bool `json:"keepCodecs"`
	// FragmentDuration: the longest cluster/fragment, what a crash can lose
	// at most (default 1s, 100ms…10s).
	FragmentDuration Duration `json:"fragmentDuration"`
	// StartWait: how long the file waits for every connected track to
	// start (default 5s; 0s waits for ever, as KMS).
	StartWait Duration `json:"startWait"`
	// Sync: "never" (default: the kernel flushes; survives a crash of
	// gorento), "close" (fsync when finished) or "fragment" (every fragment).
	Sync string `json:"sync"`
	// HTTPMethod of uploads to http(s):// URIs: POST (default, as KMS) or PUT.
	HTTPMethod string `json:"httpMethod"`
	// UploadBufferBytes: bytes an upload may queue for a slow server
	// before the recording fails (default 32 MiB).
	UploadBufferBytes int `json:"uploadBufferBytes"`
	// UploadTimeout: how long a stop waits for the upload server's answer
	// (default 30s).
	UploadTimeout Duration `json:"uploadTimeout"`
	// StopTimeout bounds stopAndWait (default 4s, as KMS).
	StopTimeout Duration `json:"stopTimeout"`
	// QueuePackets sizes the queue between the call and a recorder
	// (default 256; a recorder that falls behind drops, never the call).
	QueuePackets int `json:"queuePackets"`
}

// PlayerSettings are the server-wide PlayerEndpoint settings.
type PlayerSettings struct {
	// OpenTimeout bounds connecting to http(s) and rtsp sources and each
	// RTSP request (default 10s).
	OpenTimeout Duration `json:"openTimeout"`
	// ProbeTimeout bounds reading a source's tracks when a player is
	// created, so that it can announce its codecs before the browser
	// negotiates (default 3s; the player then opens it again on play).
	ProbeTimeout Duration `json:"probeTimeout"`
	// MaxFrameBytes bounds one frame or header element read from a
	// source (default 64 MiB).
	MaxFrameBytes int64 `json:"maxFrameBytes"`
}

func defaultMediaFiles() MediaFilesConfig {
	return MediaFilesConfig{
		Recorder: RecorderSettings{FragmentDuration: Duration{time.Second}, StartWait: Duration{5 * time.Second},
			Sync: "never", HTTPMethod: http.MethodPost, UploadBufferBytes: 32 << 20, UploadTimeout: Duration{30 * time.Second},
			StopTimeout: Duration{4 * time.Second}, QueuePackets: 256},
		Player: PlayerSettings{OpenTimeout: Duration{10 * time.Second}, ProbeTimeout: Duration{3 * time.Second}, MaxFrameBytes: 64 << 20},
	}
}

// MediaDefaultPath is the default path in effect: DefaultPath, else the
// data directory's media folder.
func (c *Config) MediaDefaultPath() string {
	if c.MediaFiles.DefaultPath != "" {
		return c.MediaFiles.DefaultPath
	}
	dir, err := filepath.Abs(filepath.Join(c.DataDir, "media"))
	if err != nil {
		dir = filepath.Join(c.DataDir, "media")
	}
	return "file://" + filepath.ToSlash(dir) + "/"
}

func (c *Config) validateMediaFiles() []error {
	var errs []error
	m := c.MediaFiles
	r := m.Recorder
	if d := r.FragmentDuration.Duration; d < 100*time.Millisecond || d > 10*time.Second {
		errs = append(errs, fmt.Errorf("mediaFiles.recorder.fragmentDuration %v: want 100ms…10s", d))
	}
	if r.StartWait.Duration < 0 {
		errs = append(errs, fmt.Errorf("mediaFiles.recorder.startWait %v is negative", r.StartWait))
	}
	switch r.Sync {
	case "never", "close", "fragment":
	default:
		errs = append(errs, fmt.Errorf("mediaFiles.recorder.sync %q: want never, close or fragment", r.Sync))
	}
	switch strings.ToUpper(r.HTTPMethod) {
	case http.MethodPost, http.MethodPut:
	default:
		errs = append(errs, fmt.Errorf("mediaFiles.recorder.httpMethod %q: want POST or PUT", r.HTTPMethod))
	}
	for name, v := range map[string]int64{"recorder.uploadBufferBytes": int64(r.UploadBufferBytes), "recorder.queuePackets": int64(r.QueuePackets),
		"player.maxFrameBytes": m.Player.MaxFrameBytes} {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("mediaFiles.%s must be positive, not %d", name, v))
		}
	}
	for name, d := range map[string]Duration{"recorder.uploadTimeout": r.UploadTimeout, "recorder.stopTimeout": r.StopTimeout,
		"player.openTimeout": m.Player.OpenTimeout, "player.probeTimeout": m.Player.ProbeTimeout} {
		if d.Duration <= 0 {
			errs = append(errs, fmt.Errorf("mediaFiles.%s must be positive, not %v", name, d))
		}
	}
	for _, p := range m.AllowedPaths {
		if !filepath.IsAbs(p) {
			errs = append(errs, fmt.Errorf("mediaFiles.allowedPaths: %q is not an absolute path", p))
		}
	}
	if m.DefaultPath != "" && !strings.Contains(m.DefaultPath, "://") {
		errs = append(errs, fmt.Errorf("mediaFiles.defaultPath %q is not a URI (file:///dir/)", m.DefaultPath))
	}
	return errs
}
