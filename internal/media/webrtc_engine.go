package media

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// ICESettings are the ICE options of one WebRtcEndpoint. The engine's
// configuration gives the defaults; KMS lets clients override the STUN, TURN,
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

// WebRTCConfig is the server-wide configuration of WebRtcEndpoints.
type WebRTCConfig struct {
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
	// UDPPort, when non-zero, serves every endpoint on this one UDP port
	// (ICE UDP mux). UDPAddress is the address to bind it to ("" = all).
	UDPPort    int
	UDPAddress string
	// TCPPort, when non-zero, accepts ICE-TCP on this port for endpoints
	// with iceTcp enabled.
	TCPPort int
	// MinPort and MaxPort bound per-endpoint UDP ports (0 = any).
	MinPort, MaxPort int
	// SRTPProfiles restricts the SRTP protection profiles (nil = Pion's default order).
	SRTPProfiles []string
	// DisconnectedTimeout and FailedTimeout tune ICE consent (0 = Pion defaults 5 s/25 s).
	DisconnectedTimeout, FailedTimeout time.Duration
	Logger                             *slog.Logger
}

// WebRTCEngine holds what WebRtcEndpoints share: the configuration, the
// certificates (generated once per process, as KMS does) and the optional
// single-port UDP and TCP muxes. Close releases the sockets.
type WebRTCEngine struct {
	cfg    WebRTCConfig
	log    *slog.Logger
	udp    net.PacketConn
	udpMux ice.UDPMux
	tcp    net.Listener
	tcpMux ice.TCPMux

	warm sync.WaitGroup // the certificate warm-up goroutine
}

// processCerts holds the DTLS certificates, one per key type per process
// (as KMS keeps one): every endpoint presents the same one.
var processCerts = struct {
	mu    sync.Mutex // guards certs
	certs map[string]*webrtc.Certificate
}{certs: map[string]*webrtc.Certificate{}}

// NewWebRTCEngine validates cfg and opens the configured mux sockets.
func NewWebRTCEngine(cfg WebRTCConfig) (*WebRTCEngine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ICE.STUNPort == 0 {
		cfg.ICE.STUNPort = 3478
	}
	if cfg.MinPort < 0 || cfg.MaxPort > 65535 || (cfg.MaxPort != 0 && cfg.MinPort > cfg.MaxPort) {
		return nil, fmt.Errorf("webrtc: invalid port range %d-%d", cfg.MinPort, cfg.MaxPort)
	}
	e := &WebRTCEngine{cfg: cfg, log: cfg.Logger.With("component", "webrtc")}
	if cfg.UDPPort != 0 {
		conn, err := net.ListenPacket("udp", net.JoinHostPort(e.bindAddress(cfg.UDPAddress), strconv.Itoa(cfg.UDPPort)))
		if err != nil {
			return nil, fmt.Errorf("webrtc: ICE UDP port: %w", err)
		}
		e.udp = conn
		e.udpMux = webrtc.NewICEUDPMux(nil, conn)
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

func (e *WebRTCEngine) bindAddress(addr string) string {
	if addr == "" && e.cfg.LoopbackOnly {
		return "127.0.0.1"
	}
	return addr
}

// Close closes the shared sockets.
func (e *WebRTCEngine) Close() {
	e.warm.Wait()
	if e.udpMux != nil {
		_ = e.udpMux.Close()
	}
	if e.udp != nil {
		_ = e.udp.Close()
	}
	if e.tcpMux != nil {
		_ = e.tcpMux.Close()
	}
	if e.tcp != nil {
		_ = e.tcp.Close()
	}
}

// Defaults returns the server-wide ICE settings, the starting point of every endpoint.
func (e *WebRTCEngine) Defaults() ICESettings { return e.cfg.ICE }

// certificate returns the process-wide certificate of a key type ("RSA" or
// "ECDSA"), generating it on first use: an RSA key takes ~100 ms to make,
// far too long to pay per endpoint.
func (e *WebRTCEngine) certificate(keyType string) (*webrtc.Certificate, error) {
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
func (e *WebRTCEngine) CertificatePEM(keyType string) (string, error) {
	c, err := e.certificate(keyType)
	if err != nil {
		return "", err
	}
	return c.PEM()
}

// newAPI builds the Pion API of one endpoint: its own media engine (so the
// answer can be restricted per endpoint), interceptors whose statistics
// belong to this endpoint, and the ICE settings in force.
func (e *WebRTCEngine) newAPI(ice ICESettings, onStats func(*rtpRecorder)) (*webrtc.API, webrtc.Configuration, error) {
	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m); err != nil {
		return nil, webrtc.Configuration{}, err
	}
	ir, err := interceptors(m, onStats)
	if err != nil {
		return nil, webrtc.Configuration{}, err
	}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: "urn:ietf:params:rtp-hdrext:sdes:mid"}, kind); err != nil {
			return nil, webrtc.Configuration{}, err
		}
	}
	se, err := e.settingEngine(ice)
	if err != nil {
		return nil, webrtc.Configuration{}, err
	}
	servers, err := iceServers(ice)
	if err != nil {
		return nil, webrtc.Configuration{}, err
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return api, webrtc.Configuration{ICEServers: servers, BundlePolicy: webrtc.BundlePolicyMaxBundle, RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire}, nil
}

// interceptors builds the per-packet RTP/RTCP processing of one endpoint
// and registers the RTCP feedback it implies on m.
func interceptors(m *webrtc.MediaEngine, onStats func(*rtpRecorder)) (*interceptor.Registry, error) {
	ir := &interceptor.Registry{}
	// The recorder goes first (innermost) so it sees the RTCP the other
	// interceptors generate (NACKs and PLIs we send) and parses received
	// packets for all of them.
	ir.Add(rtpRecorderFactory{onNew: onStats})
	// NACK: Pion's generator asks for what we miss; our responder (see
	// nackResponderFactory) answers what receivers miss.
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, err
	}
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	ir.Add(nackResponderFactory{})
	ir.Add(gen)
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSender(m, ir); err != nil {
		return nil, err
	}
	return ir, nil
}

func (e *WebRTCEngine) settingEngine(s ICESettings) (webrtc.SettingEngine, error) {
	se := webrtc.SettingEngine{}
	se.LoggerFactory = pionLogger{e.log}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(e.cfg.IncludeLoopback || e.cfg.LoopbackOnly)
	if e.cfg.DisconnectedTimeout > 0 || e.cfg.FailedTimeout > 0 {
		se.SetICETimeouts(e.cfg.DisconnectedTimeout, e.cfg.FailedTimeout, 2*time.Second)
	}
	types := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	if e.cfg.IPv6 {
		types = append(types, webrtc.NetworkTypeUDP6)
	}
	if s.ICETCP && e.tcpMux != nil {
		se.SetICETCPMux(e.tcpMux)
		types = append(types, webrtc.NetworkTypeTCP4)
		if e.cfg.IPv6 {
			types = append(types, webrtc.NetworkTypeTCP6)
		}
	}
	se.SetNetworkTypes(types)
	if ifaces := splitNames(s.NetworkInterfaces); len(ifaces) > 0 {
		se.SetInterfaceFilter(func(name string) bool {
			for _, n := range ifaces {
				if n == name {
					return true
				}
			}
			return false
		})
	} else if e.cfg.LoopbackOnly {
		se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	}
	nets, loop := e.cfg.IPFilter, e.cfg.LoopbackOnly
	if loop || len(nets) > 0 {
		se.SetIPFilter(func(ip net.IP) bool {
			if loop {
				return ip.IsLoopback()
			}
			for _, n := range nets {
				if n.Contains(ip) {
					return true
				}
			}
			return false
		})
	}
	if loop {
		se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	if e.udpMux != nil {
		se.SetICEUDPMux(e.udpMux)
	} else if e.cfg.MinPort != 0 || e.cfg.MaxPort != 0 {
		maxPort := e.cfg.MaxPort
		if maxPort == 0 {
			maxPort = 65535
		}
		if err := se.SetEphemeralUDPPortRange(uint16(e.cfg.MinPort), uint16(maxPort)); err != nil {
			return se, fmt.Errorf("webrtc: port range: %w", err)
		}
	}
	var rules []webrtc.ICEAddressRewriteRule
	if s.ExternalIPv4 != "" {
		rules = append(rules, webrtc.ICEAddressRewriteRule{External: []string{s.ExternalIPv4}, AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode: webrtc.ICEAddressRewriteReplace, Networks: []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4}})
	}
	if s.ExternalIPv6 != "" {
		rules = append(rules, webrtc.ICEAddressRewriteRule{External: []string{s.ExternalIPv6}, AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode: webrtc.ICEAddressRewriteReplace, Networks: []webrtc.NetworkType{webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP6}})
	}
	if len(rules) > 0 {
		if err := se.SetICEAddressRewriteRules(rules...); err != nil {
			return se, fmt.Errorf("webrtc: external address: %w", err)
		}
	}
	if len(e.cfg.SRTPProfiles) > 0 {
		profiles, err := srtpProfiles(e.cfg.SRTPProfiles)
		if err != nil {
			return se, err
		}
		se.SetSRTPProtectionProfiles(profiles...)
	}
	return se, nil
}

// iceServers turns KMS's STUN and TURN settings into Pion ICE servers.
func iceServers(s ICESettings) ([]webrtc.ICEServer, error) {
	var out []webrtc.ICEServer
	if s.STUNAddress != "" {
		out = append(out, webrtc.ICEServer{URLs: []string{"stun:" + net.JoinHostPort(s.STUNAddress, strconv.Itoa(s.STUNPort))}})
	}
	if s.TURNURL != "" {
		creds, hostPart, ok := strings.Cut(s.TURNURL, "@")
		if !ok {
			return nil, errors.New("turnUrl must look like user:password@host:port[?transport=udp]")
		}
		user, pass, _ := strings.Cut(creds, ":")
		scheme := "turn:"
		if strings.Contains(hostPart, "transport=tls") {
			scheme = "turns:"
			hostPart = strings.Replace(hostPart, "transport=tls", "transport=tcp", 1)
		}
		out = append(out, webrtc.ICEServer{URLs: []string{scheme + hostPart}, Username: user, Credential: pass})
	}
	return out, nil
}

func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// pionLogger routes Pion's logs to slog at debug level (warnings and errors
// keep their level).
type pionLogger struct{ log *slog.Logger }

func (l pionLogger) NewLogger(scope string) logging.LeveledLogger {
	return pionScope{l.log.With("pion", scope)}
}

type pionScope struct{ log *slog.Logger }

func (s pionScope) Trace(string)              {}
func (s pionScope) Tracef(string, ...any)     {}
func (s pionScope) Debug(msg string)          { s.log.Debug(msg) }
func (s pionScope) Debugf(f string, a ...any) { s.log.Debug(fmt.Sprintf(f, a...)) }
func (s pionScope) Info(msg string)           { s.log.Debug(msg) }
func (s pionScope) Infof(f string, a ...any)  { s.log.Debug(fmt.Sprintf(f, a...)) }

// Pion warns about normal events of a connection's life (checks before
// candidates, streams closing): those go to debug, its errors to warn.
func (s pionScope) Warn(msg string)           { s.log.Debug(msg) }
func (s pionScope) Warnf(f string, a ...any)  { s.log.Debug(fmt.Sprintf(f, a...)) }
func (s pionScope) Error(msg string)          { s.log.Warn(msg) }
func (s pionScope) Errorf(f string, a ...any) { s.log.Warn(fmt.Sprintf(f, a...)) }
