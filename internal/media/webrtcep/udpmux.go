package webrtcep

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/udpx"
)

// The single UDP port.
//
// By default every endpoint is served on one UDP port (Pion's ICE UDP mux),
// as LiveKit and Janus do: one socket per local address instead of one per
// endpoint, so the egress engine can batch the datagrams of many endpoints
// into one system call (udpx.Batch). Each local address gets its own
// udpx.Conn bound to that address, all on the same port (as
// ice.NewMultiUDPMuxFromPort does), so a datagram leaves from the address
// its ICE candidate advertised. Config.PerEndpointPorts restores a port per
// endpoint (then within MinPort–MaxPort).

// udpPort is the engine's single UDP port: its sockets and Pion's mux over them.
type udpPort struct {
	conns []*udpx.Conn
	mux   ice.UDPMux
}

// maxPortTries bounds the search for a port free on every local address.
const maxPortTries = 64

// openUDPPort binds the single port on every local address the
// configuration allows.
func (e *Engine) openUDPPort() (*udpPort, error) {
	addrs, err := e.muxAddresses()
	if err != nil {
		return nil, err
	}
	candidates := e.portCandidates()
	var lastErr error
	for _, port := range candidates {
		conns, err := listenAll(addrs, port, udpx.Options{OrdinarySend: e.cfg.OrdinarySendCalls})
		if err == nil {
			p := &udpPort{conns: conns}
			muxes := make([]ice.UDPMux, len(conns))
			for i, c := range conns {
				muxes[i] = webrtc.NewICEUDPMux(nil, c)
			}
			if len(muxes) == 1 {
				p.mux = muxes[0]
			} else {
				p.mux = ice.NewMultiUDPMuxDefault(muxes...)
			}
			return p, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("webrtc: UDP port: %w", lastErr)
}

// portCandidates lists the ports to try: the configured one, else random
// ports of MinPort–MaxPort when a range is set, else 0 (the system picks,
// and the other addresses take the same port).
func (e *Engine) portCandidates() []int {
	if e.cfg.UDPPort != 0 {
		return []int{e.cfg.UDPPort}
	}
	if e.cfg.MinPort == 0 && e.cfg.MaxPort == 0 {
		return []int{0, 0, 0, 0}
	}
	lo, hi := e.cfg.MinPort, e.cfg.MaxPort
	if lo == 0 {
		lo = 1024
	}
	if hi == 0 {
		hi = 65535
	}
	n := min(hi-lo+1, maxPortTries)
	out := make([]int, 0, n)
	start := rand.IntN(hi - lo + 1)
	for i := 0; i < n; i++ {
		out = append(out, lo+(start+i)%(hi-lo+1))
	}
	return out
}

// listenAll binds port (0 = chosen by the first bind) on every address.
func listenAll(addrs []netip.Addr, port int, o udpx.Options) ([]*udpx.Conn, error) {
	var conns []*udpx.Conn
	for _, a := range addrs {
		network := "udp4"
		if a.Is6() {
			network = "udp6"
		}
		c, err := udpx.Listen(network, net.JoinHostPort(a.String(), strconv.Itoa(port)), o)
		if err != nil {
			for _, c := range conns {
				_ = c.Close()
			}
			return nil, err
		}
		conns = append(conns, c)
		port = int(c.LocalAddrPort().Port())
	}
	return conns, nil
}

// muxAddresses lists the local addresses the single port binds: the
// configured one, loopback in loopback-only mode, else every address of the
// interfaces that are up, through the interface and IP filters (the
// wildcard when none is left).
func (e *Engine) muxAddresses() ([]netip.Addr, error) {
	if a := e.cfg.UDPAddress; a != "" {
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return nil, fmt.Errorf("webrtc: UDP address %q: %w", a, err)
		}
		return []netip.Addr{ip.Unmap()}, nil
	}
	if e.cfg.LoopbackOnly {
		out := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		if e.cfg.IPv6 {
			out = append(out, netip.IPv6Loopback())
		}
		return out, nil
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("webrtc: interfaces: %w", err)
	}
	names := splitNames(e.cfg.ICE.NetworkInterfaces)
	var out []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || (ifc.Flags&net.FlagLoopback != 0 && !e.cfg.IncludeLoopback) {
			continue
		}
		if len(names) > 0 && !contains(names, ifc.Name) {
			continue
		}
		as, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range as {
			ip, ok := ifaceIP(a)
			if !ok || !e.keepAddress(ip) {
				continue
			}
			out = append(out, ip)
		}
	}
	if len(out) == 0 {
		out = []netip.Addr{netip.IPv4Unspecified()}
	}
	return out, nil
}

// keepAddress applies the engine's address rules to a local address.
func (e *Engine) keepAddress(ip netip.Addr) bool {
	if ip.IsLinkLocalUnicast() || ip.IsMulticast() || (ip.Is6() && !e.cfg.IPv6) {
		return false
	}
	if ip.IsLoopback() && !e.cfg.IncludeLoopback {
		return false
	}
	if len(e.cfg.IPFilter) == 0 {
		return true
	}
	for _, n := range e.cfg.IPFilter {
		if n.Contains(ip.AsSlice()) {
			return true
		}
	}
	return false
}

func ifaceIP(a net.Addr) (netip.Addr, bool) {
	var ip net.IP
	switch v := a.(type) {
	case *net.IPNet:
		ip = v.IP
	case *net.IPAddr:
		ip = v.IP
	default:
		return netip.Addr{}, false
	}
	addr, ok := netip.AddrFromSlice(ip)
	return addr.Unmap(), ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// close closes the mux and its sockets.
func (p *udpPort) close() {
	if p == nil {
		return
	}
	_ = p.mux.Close()
	for _, c := range p.conns {
		_ = c.Close()
	}
}

// UDPAddrs returns the addresses of the single UDP port (nil with a port
// per endpoint).
func (e *Engine) UDPAddrs() []netip.AddrPort {
	if e.udp == nil {
		return nil
	}
	out := make([]netip.AddrPort, len(e.udp.conns))
	for i, c := range e.udp.conns {
		out[i] = c.LocalAddrPort()
	}
	return out
}

// conn returns the socket of the single port bound to local (nil when the
// address is not one of them: a port per endpoint, TCP, a relay).
func (e *Engine) conn(local netip.AddrPort) *udpx.Conn {
	if e.udp == nil {
		return nil
	}
	local = netip.AddrPortFrom(local.Addr().Unmap(), local.Port())
	for _, c := range e.udp.conns {
		la := c.LocalAddrPort()
		if la.Port() == local.Port() && (la.Addr() == local.Addr() || la.Addr().IsUnspecified()) {
			return c
		}
	}
	return nil
}

// filteredUDPMux is the single port as one endpoint sees it: only the
// local addresses its own interface setting allows (Kurento's
// networkInterfaces, set per endpoint).
type filteredUDPMux struct {
	ice.UDPMux
	keep map[string]bool // address strings
}

// GetListenAddresses implements ice.UDPMux.
func (m filteredUDPMux) GetListenAddresses() []net.Addr {
	var out []net.Addr
	for _, a := range m.UDPMux.GetListenAddresses() {
		if ua, ok := a.(*net.UDPAddr); ok && m.keep[ua.IP.String()] {
			out = append(out, a)
		}
	}
	return out
}

// endpointUDPMux is the mux an endpoint with these settings uses: the
// whole single port, or the part on the interfaces it names.
func (e *Engine) endpointUDPMux(s ICESettings) ice.UDPMux {
	names := splitNames(s.NetworkInterfaces)
	if len(names) == 0 || s.NetworkInterfaces == e.cfg.ICE.NetworkInterfaces {
		return e.udp.mux
	}
	keep := map[string]bool{}
	for _, n := range names {
		ifc, err := net.InterfaceByName(n)
		if err != nil {
			continue
		}
		as, _ := ifc.Addrs()
		for _, a := range as {
			if ip, ok := ifaceIP(a); ok {
				keep[ip.String()] = true
			}
		}
	}
	return filteredUDPMux{UDPMux: e.udp.mux, keep: keep}
}
