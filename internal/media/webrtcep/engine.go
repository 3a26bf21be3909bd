package webrtcep

import (
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/egress"
)

// ICESettings are the ICE options of one WebRtcEndpoint. The engine's
// configuration gives the defaults; clients may override the STUN, TURN,
// interface and external-address settings per endpoint before gathering.
type ICESettings struct {
	STUNAddress       string
	STUNPort          int
	TURNURL           string // user:password@host:port[?transport=udp|tcp|tls]
	NetworkInterfaces string // comma-separated interface names; "" = all
	ExternalIPv4      string // advertised instead of local IPv4 host addresses
	ExternalIPv6      string
	ICETCP            bool
}

// Config is the server-wide configuration of endpoints.
type Config struct {
	ICE ICESettings
	// IPFilter keeps only local addresses inside these networks ("" = all).
	IPFilter []*net.IPNet
	// LoopbackOnly restricts gathering and remote candidates to loopback
	// addresses (tests and local demos).
	LoopbackOnly bool
	// IncludeLoopback advertises loopback host candidates.
	IncludeLoopback bool
	// IPv6 enables IPv6 candidates.
	IPv6 bool
	// UDPPort is the one UDP port every endpoint is served on (ICE UDP
	// mux; 0 = a free port, within MinPort–MaxPort when they are set).
	// UDPAddress is the address to bind it to ("" = every local address).
	UDPPort    int
	UDPAddress string
	// PerEndpointPorts gives each endpoint UDP ports of its own (within
	// MinPort–MaxPort) instead of the single port; its packets then always
	// leave through Pion's writer.
	PerEndpointPorts bool
	// TCPPort, when non-zero, accepts ICE-TCP on this port for endpoints
	// with iceTcp enabled.
	TCPPort int
	// MinPort and MaxPort bound the UDP ports (0 = any).
	MinPort, MaxPort int
	// SRTPProfiles restricts the SRTP protection profiles (nil = Pion's default order).
	SRTPProfiles []string
	// Egress configures the workers that send for the endpoints.
	Egress egress.Config
	// Video holds the video bandwidth defaults (bandwidth.go).
	Video VideoDefaults
	// DirectInbound reads the received media of endpoints on the egress
	// fast path straight from the single UDP port, without Pion's
	// goroutine hand-offs (direct.go); NACKs and receiver reports are then
	// the endpoint's own for every endpoint.
	DirectInbound bool
	// rxTick replaces the receive feedback tick (nackInterval) in tests
	// that must see what happens between ticks.
	rxTick time.Duration
	// DisconnectedTimeout and FailedTimeout tune ICE consent (0 = Pion defaults 5 s/25 s).
	DisconnectedTimeout, FailedTimeout time.Duration
	// ICEKeepalive is the interval of the binding requests sent on the
	// selected pair once connected (consent freshness, RFC 7675; 0 =
	// DefaultICEKeepalive; api.go).
	ICEKeepalive time.Duration
	// OrdinarySendCalls sends on the single UDP port with ordinary system
	// calls instead of raw ones (udpx.Options.OrdinarySend): for hosts whose
	// cores are shared with other busy processes.
	OrdinarySendCalls bool
	Logger            *slog.Logger
}

// Engine holds what endpoints share: the configuration, the certificates
// (generated once per process, as KMS does) and the optional single-port
// UDP and TCP muxes. Close releases the sockets.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	udp    *udpPort // nil with PerEndpointPorts
	tcp    net.Listener
	tcpMux ice.TCPMux
	egress *egress.Scheduler
	rx     *rxTicker   // receive feedback of endpoints (DirectInbound; feedback_rx.go)
	mon    *monitorHub // media state, REMB and loss of connected endpoints (monitor.go)
	// fastPaths counts the endpoints whose egress took the fast path.
	fastPaths atomic.Int64

	warm sync.WaitGroup // the certificate warm-up goroutine
}

// processCerts holds the DTLS certificates, one per key type per process
// (as KMS keeps one): every endpoint presents the same one.
var processCerts = struct {
	mu    sync.Mutex // guards certs
	certs map[string]*webrtc.Certificate
}{certs: map[string]*webrtc.Certificate{}}

// NewEngine validates cfg and opens the configured mux sockets.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ICE.STUNPort == 0 {
		cfg.ICE.STUNPort = 3478
	}
	if cfg.MinPort < 0 || cfg.MaxPort > 65535 || (cfg.MaxPort != 0 && cfg.MinPort > cfg.MaxPort) {
		return nil, fmt.Errorf("webrtc: invalid port range %d-%d", cfg.MinPort, cfg.MaxPort)
	}
	if cfg.ICEKeepalive < 0 || cfg.DisconnectedTimeout < 0 || cfg.FailedTimeout < 0 {
		return nil, fmt.Errorf("webrtc: negative ICE interval (keepalive %v, disconnected %v, failed %v)",
			cfg.ICEKeepalive, cfg.DisconnectedTimeout, cfg.FailedTimeout)
	}
	video, err := cfg.Video.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg.Video = video
	if cfg.Egress.Tick == 0 {
		// Pacing and probing (bwe.go) release packets on the egress tick:
		// 5 ms keeps a probe cluster (15 ms) spread over ticks and a paced
		// keyframe smooth, for one timer per worker.
		cfg.Egress.Tick = 5 * time.Millisecond
	}
	e := &Engine{cfg: cfg, log: cfg.Logger.With("component", "webrtc")}
	e.egress = egress.NewScheduler(cfg.Egress, e.log)
	e.mon = newMonitorHub(monitorInterval)
	if !cfg.PerEndpointPorts {
		p, err := e.openUDPPort()
		if err != nil {
			e.egress.Close()
			e.mon.close()
			return nil, err
		}
		e.udp = p
		e.log.Info("webrtc UDP port", "addresses", e.UDPAddrs())
	}
	if cfg.DirectInbound {
		e.rx = newRxTicker(cmp.Or(cfg.rxTick, nackInterval))
	}
	if cfg.TCPPort != 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(e.bindAddress(cfg.UDPAddress), strconv.Itoa(cfg.TCPPort)))
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("webrtc: ICE TCP port: %w", err)
		}
		e.tcp = ln
		e.tcpMux = webrtc.NewICETCPMux(nil, ln, 8)
	}
	// Make the certificates now rather than in the first client's request
	// (an RSA key takes ~100 ms). certificate() waits for it if needed.
	e.warm.Add(1)
	go func() {
		defer e.warm.Done()
		for _, k := range []string{"RSA", "ECDSA"} {
			if _, err := e.certificate(k); err != nil {
				e.log.Warn("certificate warm-up", "key", k, "err", err)
			}
		}
	}()
	return e, nil
}

func (e *Engine) bindAddress(addr string) string {
	if addr == "" && e.cfg.LoopbackOnly {
		return "127.0.0.1"
	}
	return addr
}

// Close stops the egress workers and closes the shared sockets.
func (e *Engine) Close() {
	e.warm.Wait()
	e.egress.Close()
	e.mon.close()
	if e.rx != nil {
		e.rx.close()
	}
	e.udp.close()
	if e.tcpMux != nil {
		_ = e.tcpMux.Close()
	}
	if e.tcp != nil {
		_ = e.tcp.Close()
	}
}

// Defaults returns the server-wide ICE settings, the starting point of every endpoint.
func (e *Engine) Defaults() ICESettings { return e.cfg.ICE }

// certificate returns the process-wide certificate of a key type ("RSA" or
// "ECDSA"), generating it on first use: an RSA key takes ~100 ms to make,
// far too long to pay per endpoint.
func (e *Engine) certificate(keyType string) (*webrtc.Certificate, error) {
	processCerts.mu.Lock()
	defer processCerts.mu.Unlock()
	if c := processCerts.certs[keyType]; c != nil {
		return c, nil
	}
	var c *webrtc.Certificate
	var err error
	switch keyType {
	case "RSA":
		var k *rsa.PrivateKey
		if k, err = rsa.GenerateKey(rand.Reader, 2048); err == nil {
			c, err = webrtc.GenerateCertificate(k)
		}
	case "ECDSA":
		var k *ecdsa.PrivateKey
		if k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err == nil {
			c, err = webrtc.GenerateCertificate(k)
		}
	default:
		return nil, fmt.Errorf("webrtc: unknown certificate key type %q", keyType)
	}
	if err != nil {
		return nil, fmt.Errorf("webrtc: generate %s certificate: %w", keyType, err)
	}
	processCerts.certs[keyType] = c
	return c, nil
}

// CertificatePEM returns the PEM of the certificate of a key type (for tests
// and diagnostics).
func (e *Engine) CertificatePEM(keyType string) (string, error) {
	c, err := e.certificate(keyType)
	if err != nil {
		return "", err
	}
	return c.PEM()
}
