package rtpep

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

// Config holds the server-wide RtpEndpoint settings. Zero fields take the
// defaults of DefaultConfig.
type Config struct {
	// Address and Address6 are the local addresses the sockets bind to and
	// the SDP announces, for endpoints without and with useIpv6 (default
	// 127.0.0.1 and ::1: reachable from this machine only; set a LAN
	// address to talk to gateways elsewhere).
	Address, Address6 string
	// AnnouncedAddress and AnnouncedAddress6, when set, are written in the
	// SDP instead (a public address in front of a NAT).
	AnnouncedAddress, AnnouncedAddress6 string
	// MinPort and MaxPort bound the UDP ports (KMS: 1024–65535). Each
	// m-line takes an even port for RTP and the next one for RTCP.
	MinPort, MaxPort int
	// MaxEndpoints bounds the RtpEndpoints of the server (default 1000).
	MaxEndpoints int
	// MediaTimeout: no RTCP for this long turns the media state
	// DISCONNECTED (default 10s; ffmpeg sends RTCP every ~5 s).
	MediaTimeout time.Duration
	// KeySoftLimit is the number of packets protected with one SRTP key
	// after which OnKeySoftLimit is reported (default 2^48−2^16: libsrtp's
	// soft limit, 2^16 packets before the hard limit of RFC 3711).
	KeySoftLimit uint64
	// ReportInterval is the period of RTCP sender/receiver reports
	// (default 1s).
	ReportInterval time.Duration
	Logger         *slog.Logger
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{Address: "127.0.0.1", Address6: "::1", MinPort: 1024, MaxPort: 65535, MaxEndpoints: 1000,
		MediaTimeout: 10 * time.Second, KeySoftLimit: 1<<48 - 1<<16, ReportInterval: time.Second}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Address == "" {
		c.Address = d.Address
	}
	if c.Address6 == "" {
		c.Address6 = d.Address6
	}
	if c.MinPort == 0 && c.MaxPort == 0 {
		c.MinPort, c.MaxPort = d.MinPort, d.MaxPort
	}
	if c.MaxEndpoints <= 0 {
		c.MaxEndpoints = d.MaxEndpoints
	}
	if c.MediaTimeout <= 0 {
		c.MediaTimeout = d.MediaTimeout
	}
	if c.KeySoftLimit == 0 {
		c.KeySoftLimit = d.KeySoftLimit
	}
	if c.ReportInterval <= 0 {
		c.ReportInterval = d.ReportInterval
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate checks a configuration (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	for _, a := range []struct{ name, v string }{{"address", c.Address}, {"address6", c.Address6},
		{"announcedAddress", c.AnnouncedAddress}, {"announcedAddress6", c.AnnouncedAddress6}} {
		if a.v == "" {
			continue
		}
		if _, err := netip.ParseAddr(a.v); err != nil {
			return fmt.Errorf("rtp.%s %q is not an IP address", a.name, a.v)
		}
	}
	if c.MinPort < 1 || c.MaxPort > 65535 || c.MaxPort-c.MinPort < 1 {
		return fmt.Errorf("rtp.minPort %d – rtp.maxPort %d: want 1 ≤ minPort < maxPort ≤ 65535 (two ports per m-line)", c.MinPort, c.MaxPort)
	}
	return nil
}

// Engine holds what the server's RtpEndpoints share: the configuration and
// the count of endpoints.
type Engine struct {
	cfg       Config
	endpoints atomic.Int64
}

// NewEngine checks cfg and returns an engine.
func NewEngine(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg.withDefaults()}, nil
}

// Config returns the engine's configuration, defaults applied.
func (e *Engine) Config() Config { return e.cfg }

// Endpoints is the number of RtpEndpoints not released.
func (e *Engine) Endpoints() int { return int(e.endpoints.Load()) }

func (e *Engine) admit() bool {
	if e.endpoints.Add(1) > int64(e.cfg.MaxEndpoints) {
		e.endpoints.Add(-1)
		return false
	}
	return true
}

func (e *Engine) leave() { e.endpoints.Add(-1) }

// localAddr is the address sockets bind to, and the one the SDP announces.
func (e *Engine) localAddr(ipv6 bool) (bind, announce netip.Addr) {
	b, a := e.cfg.Address, e.cfg.AnnouncedAddress
	if ipv6 {
		b, a = e.cfg.Address6, e.cfg.AnnouncedAddress6
	}
	bind = netip.MustParseAddr(b)
	announce = bind
	if a != "" {
		announce = netip.MustParseAddr(a)
	}
	return bind, announce
}

// maxPortTries bounds the random port pairs tried before giving up.
const maxPortTries = 64

// listenPair binds an even RTP port and the next port for RTCP within the
// configured range.
func (e *Engine) listenPair(addr netip.Addr) (rtpConn, rtcpConn *net.UDPConn, err error) {
	lo, hi := e.cfg.MinPort, e.cfg.MaxPort
	if lo%2 == 1 {
		lo++
	}
	pairs := (hi - lo + 1) / 2
	if pairs <= 0 {
		return nil, nil, failure(ErrNoPorts, "No even UDP port with a free next port in %d–%d (rtp.minPort, rtp.maxPort)", e.cfg.MinPort, e.cfg.MaxPort)
	}
	netw := "udp4"
	if addr.Is6() {
		netw = "udp6"
	}
	start := rand.IntN(pairs)
	var last error
	for i := 0; i < min(pairs, maxPortTries); i++ {
		port := lo + 2*((start+i)%pairs)
		a, err := net.ListenUDP(netw, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(port))))
		if err != nil {
			last = err
			continue
		}
		b, err := net.ListenUDP(netw, net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, uint16(port+1))))
		if err != nil {
			last = err
			a.Close()
			continue
		}
		return a, b, nil
	}
	return nil, nil, failure(ErrNoPorts, "No free UDP port pair on %s in %d–%d (rtp.minPort, rtp.maxPort): %v", addr, e.cfg.MinPort, e.cfg.MaxPort, last)
}
