package config

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"
)

// AuthConfig holds the credentials of every entry point. With no room keys
// and no Kurento secret the server runs in development mode: open, as KMS
// is, and says so loudly at start (docs/security.md).
type AuthConfig struct {
	// Keys sign and verify room access tokens (JWT, HS256): API key → secret
	// (at least 32 bytes). A token names its key in "iss". Empty = dev mode:
	// an ephemeral key signs the demos' tokens and tokenless joins are allowed.
	Keys map[string]string `json:"keys"`
	// KurentoSecret is the shared secret of the Kurento Protocol port (the
	// credential named "default"); KurentoSecrets adds named ones
	// (name → secret). Clients send it as ?access_token= (kurento-client's
	// access_token option) or an Authorization header (Bearer, or Basic with
	// the secret as password). Empty = the port is open, as KMS.
	KurentoSecret  string            `json:"kurentoSecret"`
	KurentoSecrets map[string]string `json:"kurentoSecrets"`
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed
	// to open WebSockets and call the room API besides the server's own
	// origin; "*" allows every origin. Requests without Origin (non-browser
	// clients) are always allowed.
	AllowedOrigins []string `json:"allowedOrigins"`
	// TokenTTL is the default lifetime of minted tokens (default 6h).
	TokenTTL Duration `json:"tokenTTL"`
	// RequireCredentials refuses to start when a listener on a non-loopback
	// address has no credentials (default: a start-up warning).
	RequireCredentials bool `json:"requireCredentials"`
	// LegacyCloseGET serves Kurento Room's GET /close?room= (state change
	// by GET: any page can trigger it with an <img>). Off by default.
	LegacyCloseGET bool `json:"legacyCloseGet"`
}

// MetricsConfig configures the Prometheus and health endpoints.
type MetricsConfig struct {
	// Listen is a separate plain-HTTP address for /metrics, /healthz and
	// /readyz. Empty: they are served on the web listener (or, without it,
	// on the Kurento ws listener).
	Listen string `json:"listen"`
}

// minSecretBytes is the shortest accepted HMAC key or shared secret.
const minSecretBytes = 32

// KurentoCredentials returns every Kurento port credential, name → secret.
func (a AuthConfig) KurentoCredentials() map[string]string {
	out := map[string]string{}
	for k, v := range a.KurentoSecrets {
		out[k] = v
	}
	if a.KurentoSecret != "" {
		out["default"] = a.KurentoSecret
	}
	return out
}

// DevMode reports whether no credential at all is configured.
func (a AuthConfig) DevMode() bool {
	return len(a.Keys) == 0 && len(a.KurentoCredentials()) == 0
}

// parseKeysEnv reads GORENTO_AUTH_KEYS: "key1:secret1,key2:secret2".
func parseKeysEnv(c *Config, v string) error {
	keys := map[string]string{}
	for _, pair := range splitList(v) {
		k, secret, ok := strings.Cut(pair, ":")
		if !ok || k == "" {
			return fmt.Errorf("want key:secret pairs separated by commas")
		}
		keys[k] = secret
	}
	c.Auth.Keys = keys
	return nil
}

func (c *Config) validateSecurity() []error {
	var errs []error
	names := make([]string, 0, len(c.Auth.Keys))
	for k := range c.Auth.Keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if len(c.Auth.Keys[k]) < minSecretBytes {
			errs = append(errs, fmt.Errorf("auth.keys[%q]: the secret must have at least %d bytes", k, minSecretBytes))
		}
	}
	for name, secret := range c.Auth.KurentoCredentials() {
		if len(secret) < 16 {
			errs = append(errs, fmt.Errorf("auth kurento secret %q: at least 16 bytes", name))
		}
	}
	for _, o := range c.Auth.AllowedOrigins {
		if o == "*" || o == "null" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
			errs = append(errs, fmt.Errorf("auth.allowedOrigins: %q is not scheme://host[:port]", o))
		}
	}
	if c.Auth.TokenTTL.Duration < time.Minute {
		errs = append(errs, fmt.Errorf("auth.tokenTTL %v: at least 1m", c.Auth.TokenTTL))
	}
	positive := map[string]int64{
		"kurento.maxFrameBytes": c.Kurento.MaxFrameBytes, "kurento.maxQueueBytes": c.Kurento.MaxQueueBytes,
		"kurento.connectionsPerAddress": int64(c.Kurento.ConnectionsPerAddress),
		"room.maxFrameBytes":            c.Room.MaxFrameBytes, "room.maxQueueBytes": c.Room.MaxQueueBytes,
		"room.connectionsPerAddress": int64(c.Room.ConnectionsPerAddress),
		"room.maxUserNameLength":     int64(c.Room.MaxUserNameLength), "room.maxRoomNameLength": int64(c.Room.MaxRoomNameLength),
	}
	for name, v := range positive {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive (got %d)", name, v))
		}
	}
	if c.Kurento.IdleTimeout.Duration < 0 || (c.Kurento.IdleTimeout.Duration > 0 && c.Kurento.IdleTimeout.Duration < time.Second) {
		errs = append(errs, fmt.Errorf("kurento.idleTimeout %v: 0 (off) or at least 1s", c.Kurento.IdleTimeout))
	}
	if c.Room.MediaPingInterval.Duration < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("room.mediaPingInterval %v: at least 100ms", c.Room.MediaPingInterval))
	}
	if c.Room.OutageGrace.Duration < 0 {
		errs = append(errs, fmt.Errorf("room.outageGrace %v is negative", c.Room.OutageGrace))
	}
	if c.DrainTimeout.Duration < 0 {
		errs = append(errs, fmt.Errorf("drainTimeout %v is negative", c.DrainTimeout))
	}
	return errs
}

// InsecureListeners lists the listeners on non-loopback addresses that
// accept clients without credentials (for the start-up warning).
func (c *Config) InsecureListeners() []string {
	var out []string
	kurentoOpen := len(c.Auth.KurentoCredentials()) == 0
	roomOpen := len(c.Auth.Keys) == 0 && c.Room.Path != ""
	check := func(name, addr string, open bool) {
		if addr != "" && open && !isLoopbackAddr(addr) {
			out = append(out, name+" "+addr)
		}
	}
	check("kurento.listen", c.Kurento.Listen, kurentoOpen)
	check("kurento.secureListen", c.Kurento.SecureListen, kurentoOpen)
	check("web.listen", c.Web.Listen, kurentoOpen || roomOpen)
	return out
}

// isLoopbackAddr reports whether a listen address binds loopback only.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
