// Package config holds Gorento's configuration: defaults in code, an
// optional JSON file, then environment variables and command-line flags on
// top, validated once at start.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as "240s" or "1m30s" in JSON.
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a Go duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		d.Duration = v
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration must be a string like \"240s\" or a number of seconds")
	}
	d.Duration = time.Duration(secs * float64(time.Second))
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Config is the whole server configuration.
type Config struct {
	// Kurento is the Kurento Protocol endpoint (KMS: ws 8888, wss 8433).
	Kurento KurentoConfig `json:"kurento"`
	// Web serves the demos, KurentoRoom.js and the room server over HTTPS.
	Web WebConfig `json:"web"`
	// Room configures the Kurento Room server.
	Room RoomConfig `json:"room"`
	// WebRTC holds the server-wide WebRtcEndpoint defaults.
	WebRTC WebRTCConfig `json:"webrtc"`
	// DataDir keeps the generated TLS certificate and debug dumps.
	DataDir string `json:"dataDir"`
	// Log configures structured logging.
	Log LogConfig `json:"log"`
	// Auth holds credentials and the Origin allow-list (docs/security.md).
	Auth AuthConfig `json:"auth"`
	// Metrics configures /metrics, /healthz and /readyz (docs/operations.md).
	Metrics MetricsConfig `json:"metrics"`
	// DrainTimeout bounds a graceful shutdown (SIGTERM): default 20s.
	DrainTimeout Duration `json:"drainTimeout"`
	// MediaFiles configures recorders and players (media_files.go).
	MediaFiles MediaFilesConfig `json:"mediaFiles"`
	// Processing configures the GStreamer worker processes (processing.go).
	Processing ProcessingConfig `json:"processing"`
	// RTP configures RtpEndpoints (rtp.go).
	RTP RTPConfig `json:"rtp"`
	// HTTPEndpoint configures HttpPostEndpoints (httpendpoint.go).
	HTTPEndpoint HTTPEndpointConfig `json:"httpEndpoint"`
}

// KurentoConfig configures the Kurento Protocol listeners.
type KurentoConfig struct {
	Listen        string   `json:"listen"`       // ws address, "" disables (default ":8888")
	SecureListen  string   `json:"secureListen"` // wss address, "" disables (default ":8433")
	Path          string   `json:"path"`         // default "/kurento"
	GCPeriod      Duration `json:"gcPeriod"`     // default 240s
	MaxFrameBytes int64    `json:"maxFrameBytes"`
	DisableCache  bool     `json:"disableRequestCache"`
	// Transport limits of the Kurento listeners (docs/operations.md).
	MaxQueueBytes         int64    `json:"maxQueueBytes"`         // unsent bytes per connection (default 16 MiB)
	ConnectionsPerAddress int      `json:"connectionsPerAddress"` // WebSockets per remote IP (default 256)
	IdleTimeout           Duration `json:"idleTimeout"`           // no frame for this long closes the socket (default 180s; 0s disables)
	// Limits inside the Kurento Protocol server (kurento_limits.go).
	KurentoLimits
}

// WebConfig configures the HTTPS listener for demos and the room server.
type WebConfig struct {
	Listen  string `json:"listen"`  // default ":8443"; "" disables
	TLSCert string `json:"tlsCert"` // PEM files; both empty = self-signed in DataDir
	TLSKey  string `json:"tlsKey"`
	Plain   bool   `json:"plain"` // serve plain HTTP instead of HTTPS (tests, reverse proxies)
}

// RoomConfig configures the Kurento Room server.
type RoomConfig struct {
	Path string `json:"path"` // default "/room"; "" disables
	// MediaServers are Kurento Protocol URIs; empty = the embedded server.
	MediaServers []string `json:"mediaServers"`
	// ReconnectGrace is how long a dropped participant is kept (default 10s).
	ReconnectGrace Duration `json:"reconnectGrace"`
	// MinVideoKbps and MaxVideoKbps bound every room endpoint's video (default 300–4000).
	MinVideoKbps int `json:"minVideoKbps"`
	MaxVideoKbps int `json:"maxVideoKbps"`
	// HatImageURL is the image of the demo's hat filter ("" = served by this server).
	HatImageURL string `json:"hatImageURL"`
	// Limits of the room server (docs/operations.md).
	MaxFrameBytes         int64    `json:"maxFrameBytes"`         // default 1,000,000 (upstream's)
	MaxQueueBytes         int64    `json:"maxQueueBytes"`         // default 4 MiB
	ConnectionsPerAddress int      `json:"connectionsPerAddress"` // default 64
	MaxUserNameLength     int      `json:"maxUserNameLength"`     // characters, default 64
	MaxRoomNameLength     int      `json:"maxRoomNameLength"`     // characters, default 100
	MediaPingInterval     Duration `json:"mediaPingInterval"`     // keepalive to media servers, default 2s
	OutageGrace           Duration `json:"outageGrace"`           // rooms of an unreachable media server close after this, default 30s
}

// WebRTCConfig is the server-wide WebRtcEndpoint configuration (KMS's
// WebRtcEndpoint.conf.ini plus ICE transport settings).
type WebRTCConfig struct {
	STUNServerAddress string   `json:"stunServerAddress"`
	STUNServerPort    int      `json:"stunServerPort"`
	TURNURL           string   `json:"turnURL"`
	NetworkInterfaces string   `json:"networkInterfaces"` // comma-separated interface names
	ExternalIPv4      string   `json:"externalIPv4"`
	ExternalIPv6      string   `json:"externalIPv6"`
	ICETCP            bool     `json:"iceTcp"`
	MinPort           int      `json:"minPort"`
	MaxPort           int      `json:"maxPort"`
	UDPPort           int      `json:"udpPort"`          // the one UDP port of every endpoint (ICE UDP mux); 0 = a free port (within minPort–maxPort when set)
	PerEndpointPorts  bool     `json:"perEndpointPorts"` // a UDP port per endpoint instead of the single port
	UDPAddress        string   `json:"udpAddress"`       // address the single UDP/TCP ports bind to ("" = all)
	TCPPort           int      `json:"tcpPort"`          // ICE-TCP port (0 = no ICE-TCP)
	IPFilter          []string `json:"ipFilter"`         // CIDRs of local addresses to gather
	LoopbackOnly      bool     `json:"loopbackOnly"`
	IncludeLoopback   bool     `json:"includeLoopback"`
	IPv6              bool     `json:"ipv6"`
	SRTPProfiles      []string `json:"srtpProfiles"`  // e.g. ["AEAD_AES_128_GCM","AES_CM_128_HMAC_SHA1_80"]
	EgressWorkers     int      `json:"egressWorkers"` // goroutines sending for the endpoints (0 = one per core)
	DirectInbound     bool     `json:"directInbound"` // endpoints on the egress fast path read their media from the UDP port without Pion's hand-offs (default on; false: Pion's path; docs/performance.md)
	// EgressFrameHold is how long an egress worker may hold a video frame's
	// first packets for the rest of it, so it leaves as one GSO message per
	// viewer (default 1ms; 0s sends each packet at once).
	EgressFrameHold Duration `json:"egressFrameHold"`
	// ICEKeepalive is the interval of the consent checks (STUN binding
	// requests) each endpoint sends on its selected pair (default 4s).
	ICEKeepalive Duration `json:"iceKeepalive"`
	// OrdinarySendCalls sends on the single UDP port with ordinary system
	// calls instead of raw ones (less CPU; docs/performance.md): for hosts
	// whose cores are shared with other busy processes (default false).
	OrdinarySendCalls bool `json:"ordinarySendCalls"`
	// Video bandwidth defaults (docs/kurento-protocol.md, issue 15.1): every
	// endpoint's initial maxVideoSendBandwidth/minVideoSendBandwidth (KMS: 500/100),
	// the REMB sent to a publisher when nothing limits it, the start bitrate
	// announced to Chromium (x-google-start-bitrate; -1 = none), and whom the
	// publisher's REMB follows: "best" (the best-served receiver) or "lowest" (KMS).
	MaxVideoSendKbps  int    `json:"maxVideoSendKbps"`
	MinVideoSendKbps  int    `json:"minVideoSendKbps"`
	VideoCeilingKbps  int    `json:"videoCeilingKbps"`
	StartVideoKbps    int    `json:"startVideoKbps"`
	PublisherFeedback string `json:"publisherFeedback"`
	// MaxPlayoutDelay caps the minimum playout delay asked of viewers (the
	// playout-delay RTP header extension) while their publisher's uplink
	// needs repairs, so the repairs come in time for their jitter buffers
	// (default 200ms; 0s: never asked, not negotiated; docs/impaired-links.md).
	MaxPlayoutDelay Duration `json:"maxPlayoutDelay"`
	// TestInitialSeq starts every sent stream at this sequence number (tests
	// crossing a rollover-counter wrap; Go code only, not in files or env).
	TestInitialSeq *uint16 `json:"-"`
}

// The minimum playout delay asked of viewers of a publisher that needs
// repairs: the default cap, and the largest allowed (webrtc.maxPlayoutDelay).
const (
	DefaultMaxPlayoutDelay = 200 * time.Millisecond
	MaxPlayoutDelayLimit   = time.Second
)

// LogConfig configures log/slog output.
type LogConfig struct {
	Level  string `json:"level"`  // debug, info, warn, error
	Format string `json:"format"` // text or json
}

// Default returns the embedded default configuration (KMS's ports).
func Default() Config {
	return Config{
		Kurento: KurentoConfig{Listen: ":8888", SecureListen: ":8433", Path: "/kurento",
			GCPeriod: Duration{240 * time.Second}, MaxFrameBytes: 10 << 20,
			MaxQueueBytes: 16 << 20, ConnectionsPerAddress: 256, IdleTimeout: Duration{180 * time.Second},
			KurentoLimits: DefaultKurentoLimits()},
		Web: WebConfig{Listen: ":8443"},
		Room: RoomConfig{Path: "/room", ReconnectGrace: Duration{10 * time.Second}, MinVideoKbps: 300, MaxVideoKbps: 4000,
			MaxFrameBytes: 1_000_000, MaxQueueBytes: 4 << 20, ConnectionsPerAddress: 64, MaxUserNameLength: 64,
			MaxRoomNameLength: 100, MediaPingInterval: Duration{2 * time.Second}, OutageGrace: Duration{30 * time.Second}},
		Auth:         AuthConfig{TokenTTL: Duration{6 * time.Hour}},
		DrainTimeout: Duration{20 * time.Second},
		WebRTC: WebRTCConfig{STUNServerPort: 3478, ICETCP: true, IncludeLoopback: true,
			MaxVideoSendKbps: 4000, MinVideoSendKbps: 100, VideoCeilingKbps: 4000, StartVideoKbps: 1500, PublisherFeedback: "best",
			EgressFrameHold: Duration{time.Millisecond}, DirectInbound: true, MaxPlayoutDelay: Duration{DefaultMaxPlayoutDelay}},
		DataDir:    defaultDataDir(),
		Log:        LogConfig{Level: "info", Format: "text"},
		MediaFiles: defaultMediaFiles(),
		Processing: defaultProcessing(),
	}
}

func defaultDataDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return d + "/gorento"
	}
	return ".gorento"
}

// LoadFile merges a JSON config file over c. Unknown keys are errors, so
// typos are caught at start.
func (c *Config) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// envVars maps environment variables to the settings they override.
var envVars = map[string]func(c *Config, v string) error{
	"GORENTO_KURENTO_LISTEN":        func(c *Config, v string) error { c.Kurento.Listen = v; return nil },
	"GORENTO_KURENTO_SECURE_LISTEN": func(c *Config, v string) error { c.Kurento.SecureListen = v; return nil },
	"GORENTO_WEB_LISTEN":            func(c *Config, v string) error { c.Web.Listen = v; return nil },
	"GORENTO_DATA_DIR":              func(c *Config, v string) error { c.DataDir = v; return nil },
	"GORENTO_LOG_LEVEL":             func(c *Config, v string) error { c.Log.Level = v; return nil },
	"GORENTO_MEDIA_SERVERS": func(c *Config, v string) error {
		c.Room.MediaServers = splitList(v)
		return nil
	},
	"GORENTO_KURENTO_SECRET":  func(c *Config, v string) error { c.Auth.KurentoSecret = v; return nil },
	"GORENTO_ALLOWED_ORIGINS": func(c *Config, v string) error { c.Auth.AllowedOrigins = splitList(v); return nil },
	"GORENTO_METRICS_LISTEN":  func(c *Config, v string) error { c.Metrics.Listen = v; return nil },
	"GORENTO_AUTH_KEYS":       parseKeysEnv,
	"GORENTO_EXTERNAL_IPV4":   func(c *Config, v string) error { c.WebRTC.ExternalIPv4 = v; return nil },
	"GORENTO_UDP_PORT": func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		c.WebRTC.UDPPort = n
		return err
	},
	"GORENTO_MAX_PLAYOUT_DELAY": func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.WebRTC.MaxPlayoutDelay = Duration{d}
		return err
	},
	"GORENTO_DIRECT_INBOUND": func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.WebRTC.DirectInbound = b
		return err
	},
}

// ApplyEnv applies GORENTO_* environment variables.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	for name, set := range envVars {
		if v, ok := lookup(name); ok {
			if err := set(c, v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Validate checks the configuration and explains the first problems found.
func (c *Config) Validate() error {
	var errs []error
	for name, addr := range map[string]string{"kurento.listen": c.Kurento.Listen, "kurento.secureListen": c.Kurento.SecureListen, "web.listen": c.Web.Listen, "metrics.listen": c.Metrics.Listen} {
		if addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", name, addr))
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s: bad port %q", name, port))
		}
	}
	if !strings.HasPrefix(c.Kurento.Path, "/") {
		errs = append(errs, fmt.Errorf("kurento.path must start with /: %q", c.Kurento.Path))
	}
	if c.Kurento.GCPeriod.Duration < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("kurento.gcPeriod too short: %v", c.Kurento.GCPeriod))
	}
	if c.Room.Path != "" && (!strings.HasPrefix(c.Room.Path, "/") || c.Room.Path == "/") {
		errs = append(errs, fmt.Errorf("room.path must start with / and not be /: %q", c.Room.Path))
	}
	if c.Room.MinVideoKbps < 0 || c.Room.MaxVideoKbps < 0 || (c.Room.MaxVideoKbps > 0 && c.Room.MinVideoKbps > c.Room.MaxVideoKbps) {
		errs = append(errs, fmt.Errorf("room video bandwidth %d–%d kbps is invalid", c.Room.MinVideoKbps, c.Room.MaxVideoKbps))
	}
	if (c.Web.TLSCert == "") != (c.Web.TLSKey == "") {
		errs = append(errs, errors.New("web.tlsCert and web.tlsKey must be given together"))
	}
	w := c.WebRTC
	if w.MinPort < 0 || w.MaxPort > 65535 || w.MinPort > w.MaxPort && w.MaxPort != 0 {
		errs = append(errs, fmt.Errorf("webrtc port range %d-%d is invalid", w.MinPort, w.MaxPort))
	}
	if w.UDPPort < 0 || w.UDPPort > 65535 {
		errs = append(errs, fmt.Errorf("webrtc.udpPort %d is invalid", w.UDPPort))
	}
	if w.EgressWorkers < 0 {
		errs = append(errs, fmt.Errorf("webrtc.egressWorkers %d is invalid", w.EgressWorkers))
	}
	if h := w.EgressFrameHold.Duration; h < 0 || h > 50*time.Millisecond {
		errs = append(errs, fmt.Errorf("webrtc.egressFrameHold %v must be within 0s-50ms", h))
	}
	if d := w.MaxPlayoutDelay.Duration; d < 0 || d > MaxPlayoutDelayLimit {
		errs = append(errs, fmt.Errorf("webrtc.maxPlayoutDelay %v must be within 0s-%v", d, MaxPlayoutDelayLimit))
	}
	if w.MaxVideoSendKbps < 0 || w.MinVideoSendKbps < 0 || w.VideoCeilingKbps < 0 {
		errs = append(errs, fmt.Errorf("webrtc video bandwidth defaults must not be negative"))
	}
	if w.MaxVideoSendKbps > 0 && w.MinVideoSendKbps > w.MaxVideoSendKbps {
		errs = append(errs, fmt.Errorf("webrtc.minVideoSendKbps %d is above webrtc.maxVideoSendKbps %d", w.MinVideoSendKbps, w.MaxVideoSendKbps))
	}
	switch w.PublisherFeedback {
	case "", "best", "lowest":
	default:
		errs = append(errs, fmt.Errorf("webrtc.publisherFeedback %q: want best or lowest", w.PublisherFeedback))
	}
	if w.UDPPort != 0 && w.PerEndpointPorts {
		errs = append(errs, errors.New("webrtc.udpPort and webrtc.perEndpointPorts exclude each other"))
	}
	for _, ip := range []string{w.ExternalIPv4, w.ExternalIPv6, w.STUNServerAddress} {
		if ip != "" && net.ParseIP(ip) == nil {
			errs = append(errs, fmt.Errorf("webrtc: %q is not an IP address", ip))
		}
	}
	for _, cidr := range w.IPFilter {
		if _, _, err := net.ParseCIDR(cidr); err != nil {
			errs = append(errs, fmt.Errorf("webrtc.ipFilter: %q is not a CIDR", cidr))
		}
	}
	errs = append(errs, c.validateSecurity()...)
	errs = append(errs, c.Kurento.validate()...)
	errs = append(errs, c.validateMediaFiles()...)
	errs = append(errs, c.validateProcessing()...)
	errs = append(errs, c.validateRTP()...)
	errs = append(errs, c.validateHTTPEndpoint()...)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", c.Log.Format))
	}
	return errors.Join(errs...)
}
