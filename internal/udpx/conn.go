// Package udpx is the UDP socket of the ICE UDP mux port: a net.PacketConn
// that Pion's ICE UDP mux runs on unchanged (STUN, DTLS, SRTCP and fallback
// RTP, one datagram per call), plus [Batch], which sends many datagrams per
// system call: sendmmsg (raw on Linux, send_linux.go; elsewhere
// golang.org/x/net's WriteBatch), and UDP
// generic segmentation offload (GSO, Linux UDP_SEGMENT) for runs of
// equal-size datagrams to one destination. Sending one datagram per
// syscall is most of a forwarded packet's cost on Linux (see
// docs/performance.md); batching and GSO divide it.
package udpx

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// DefaultSocketBuffer is the send and receive buffer asked for by default: a
// keyframe fanned out to hundreds of viewers leaves at once.
const DefaultSocketBuffer = 4 << 20

// Options configure a Conn. The zero value takes the defaults.
type Options struct {
	// SendBuffer and ReceiveBuffer are the socket buffer sizes in bytes
	// (SO_SNDBUF, SO_RCVBUF; as root beyond the system maximum).
	// 0 = DefaultSocketBuffer, negative = leave the system default.
	SendBuffer, ReceiveBuffer int
	// NoGSO turns UDP segmentation offload off even where the kernel has it.
	NoGSO bool
	// NoRecvBatch reads one datagram per system call instead of a batch
	// per recvmmsg (Linux).
	NoRecvBatch bool
	// OrdinarySend makes sends ordinary system calls, as the standard
	// library's, instead of raw ones (send_linux.go): the runtime may hand
	// the P to another thread during a long send. A raw call keeps its P,
	// which costs less CPU but, when the operating system deschedules the
	// thread mid-call on cores shared with other busy processes, leaves the
	// P idle meanwhile.
	OrdinarySend bool
}

// Conn is a UDP socket shared by Pion's ICE UDP mux and by Batch senders.
// All methods are safe for concurrent use.
type Conn struct {
	uc    *net.UDPConn
	local netip.AddrPort
	pc4   *ipv4.PacketConn // IPv4 sockets
	pc6   *ipv6.PacketConn // IPv6 and dual-stack sockets

	gso atomic.Bool // UDP_SEGMENT usable: probed once, off after EIO

	rc syscall.RawConn // the socket for raw system calls (send_linux.go; nil: none)

	// writeBatch sends messages lo..hi-1 of a Batch (b.msgs, and b.raw
	// packed alike) with one sendmmsg; tests wrap it to inject errors.
	writeBatch func(b *Batch, lo, hi int) (int, error)

	inbound inboundRoutes // datagrams taken before the mux (inbound.go)

	readMu sync.Mutex   // serializes reads: guards recv's batch
	recv   *recvBatcher // recvmmsg batch (recv_linux.go; nil: one datagram per read)

	watching atomic.Int32 // len(watches), read on every single write
	watchMu  sync.Mutex   // guards watches
	watches  map[netip.AddrPort]*sendWatch

	stats connStats
}

// connStats counts system calls and datagrams (atomics: workers share a Conn).
type connStats struct {
	writeCalls, batchCalls, datagramsSent, gsoMessages, sendErrors atomic.Uint64
	readCalls, datagramsRead, datagramsTaken, truncated            atomic.Uint64
}

// Stats are a Conn's counters since it was opened.
type Stats struct {
	WriteCalls    uint64 // single-datagram sends (WriteTo, WriteToAddrPort, GSO fallback)
	BatchCalls    uint64 // sendmmsg calls (WriteBatch)
	DatagramsSent uint64 // datagrams handed to the kernel, GSO segments counted one by one
	GSOMessages   uint64 // messages sent with UDP_SEGMENT (each carries 2 or more datagrams)
	SendErrors    uint64 // messages that failed
	ReadCalls     uint64 // receive system calls (recvmmsg reads many datagrams per call)
	DatagramsRead uint64
	// Truncated are datagrams longer than the receive buffer (8 KiB),
	// dropped.
	Truncated uint64
	// DatagramsTaken are the datagrams read that an inbound handler took
	// (SetInbound) instead of Pion's mux.
	DatagramsTaken uint64
	GSO            bool // segmentation offload currently in use
}

// Listen opens a UDP socket ("udp", "udp4" or "udp6") on addr.
func Listen(network, addr string, o Options) (*Conn, error) {
	ua, err := net.ResolveUDPAddr(network, addr)
	if err != nil {
		return nil, fmt.Errorf("udpx: %w", err)
	}
	uc, err := net.ListenUDP(network, ua)
	if err != nil {
		return nil, fmt.Errorf("udpx: %w", err)
	}
	c, err := New(uc, o)
	if err != nil {
		_ = uc.Close()
		return nil, err
	}
	return c, nil
}

// New wraps an open UDP socket; the Conn owns it from now on.
func New(uc *net.UDPConn, o Options) (*Conn, error) {
	c := &Conn{uc: uc, local: uc.LocalAddr().(*net.UDPAddr).AddrPort()}
	// ipv4.Message and ipv6.Message are the same type; the family only
	// picks the wrapper.
	if c.local.Addr().Is4() {
		c.pc4 = ipv4.NewPacketConn(uc)
		c.writeBatch = func(b *Batch, lo, hi int) (int, error) { return c.pc4.WriteBatch(b.msgs[lo:hi], 0) }
	} else {
		c.pc6 = ipv6.NewPacketConn(uc)
		c.writeBatch = func(b *Batch, lo, hi int) (int, error) { return c.pc6.WriteBatch(b.msgs[lo:hi], 0) }
	}
	if rc, err := uc.SyscallConn(); err == nil && !o.OrdinarySend {
		c.rc = rc
	}
	if w := rawBatchWriter(c); w != nil {
		c.writeBatch = w
	}
	if err := c.setBuffers(o); err != nil {
		return nil, err
	}
	if !o.NoGSO {
		c.gso.Store(probeGSO(uc))
	}
	if !o.NoRecvBatch {
		c.recv = newRecvBatcher(uc)
	}
	return c, nil
}

func (c *Conn) setBuffers(o Options) error {
	for _, b := range []struct {
		size int
		rcv  bool
	}{{o.SendBuffer, false}, {o.ReceiveBuffer, true}} {
		if b.size < 0 {
			continue
		}
		if b.size == 0 {
			b.size = DefaultSocketBuffer
		}
		if err := setSocketBuffer(c.uc, b.size, b.rcv); err != nil {
			return fmt.Errorf("udpx: socket buffer: %w", err)
		}
	}
	return nil
}

// Stats returns the counters.
func (c *Conn) Stats() Stats {
	s := &c.stats
	return Stats{
		WriteCalls: s.writeCalls.Load(), BatchCalls: s.batchCalls.Load(),
		DatagramsSent: s.datagramsSent.Load(), GSOMessages: s.gsoMessages.Load(),
		SendErrors: s.sendErrors.Load(), ReadCalls: s.readCalls.Load(),
		DatagramsRead: s.datagramsRead.Load(), DatagramsTaken: s.datagramsTaken.Load(), Truncated: s.truncated.Load(),
		GSO: c.gso.Load(),
	}
}

// GSO reports whether UDP segmentation offload is in use on this socket.
func (c *Conn) GSO() bool { return c.gso.Load() }

// ReadFromAddrPort reads one datagram (Pion's allocation-free mux path).
// Datagrams that an inbound handler takes (SetInbound) are not returned:
// the call reads on until one is left for the caller. On Linux a system
// call reads a batch (recvmmsg) that the next calls hand out; concurrent
// calls are serialized.
func (c *Conn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	if n, from, ok, err := c.readBatched(b); ok {
		return n, from, err
	}
	for {
		n, ap, err := c.uc.ReadFromUDPAddrPort(b)
		c.stats.readCalls.Add(1)
		if err != nil {
			return n, ap, err
		}
		c.stats.datagramsRead.Add(1)
		if c.inbound.handled(b[:n], ap) {
			c.stats.datagramsTaken.Add(1)
			continue
		}
		return n, ap, nil
	}
}

// WriteToAddrPort sends one datagram at once, outside any batch.
func (c *Conn) WriteToAddrPort(b []byte, to netip.AddrPort) (int, error) {
	if c.watching.Load() > 0 {
		c.watch(b, to)
	}
	n, raw, err := c.rawWriteTo(b, to)
	if !raw {
		n, err = c.uc.WriteToUDPAddrPort(b, to)
	}
	c.stats.writeCalls.Add(1)
	if err != nil {
		c.stats.sendErrors.Add(1)
		return n, err
	}
	c.stats.datagramsSent.Add(1)
	return n, nil
}

// WatchSends calls f with each datagram that WriteTo or WriteToAddrPort
// (not a Batch) sends to the address to, before it is sent, until f
// returns true or cancel is called. f must not keep b or block. It lets the
// egress check that keys it derived are the ones Pion encrypts with (see
// webrtcep's fast path); a write costs one atomic load while nothing is
// watched. One watch per address: a new one replaces the old.
func (c *Conn) WatchSends(to netip.AddrPort, f func(b []byte) bool) (cancel func()) {
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	w := &sendWatch{f: f}
	c.watchMu.Lock()
	if c.watches == nil {
		c.watches = map[netip.AddrPort]*sendWatch{}
	}
	c.watches[to] = w
	c.watching.Store(int32(len(c.watches)))
	c.watchMu.Unlock()
	return func() { c.unwatch(to, w) }
}

// sendWatch is one WatchSends registration.
type sendWatch struct{ f func([]byte) bool }

// unwatch removes w (not a later watch of the same address).
func (c *Conn) unwatch(to netip.AddrPort, w *sendWatch) {
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	if c.watches[to] == w {
		delete(c.watches, to)
		c.watching.Store(int32(len(c.watches)))
	}
}

func (c *Conn) watch(b []byte, to netip.AddrPort) {
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	c.watchMu.Lock()
	w := c.watches[to]
	c.watchMu.Unlock()
	if w != nil && w.f(b) {
		c.unwatch(to, w)
	}
}

// ReadFrom implements net.PacketConn.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := c.ReadFromAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// WriteTo implements net.PacketConn.
func (c *Conn) WriteTo(b []byte, to net.Addr) (int, error) {
	ua, ok := to.(*net.UDPAddr)
	if !ok {
		return 0, fmt.Errorf("udpx: write to %T: %w", to, errNotUDP)
	}
	return c.WriteToAddrPort(b, ua.AddrPort())
}

var errNotUDP = errors.New("not a UDP address")

// Close closes the socket; blocked reads and writes return net.ErrClosed.
func (c *Conn) Close() error { return c.uc.Close() }

// LocalAddr implements net.PacketConn.
func (c *Conn) LocalAddr() net.Addr { return c.uc.LocalAddr() }

// LocalAddrPort is the bound address.
func (c *Conn) LocalAddrPort() netip.AddrPort { return c.local }

// SetDeadline implements net.PacketConn.
func (c *Conn) SetDeadline(t time.Time) error { return c.uc.SetDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.uc.SetReadDeadline(t) }

// SetWriteDeadline implements net.PacketConn; it bounds Batch flushes too.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.uc.SetWriteDeadline(t) }

var _ net.PacketConn = (*Conn)(nil)
