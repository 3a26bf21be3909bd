package peer

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// Socket is one UDP socket, read by one thread (cheapConn), shared by the
// peers given it. Each peer has an address of its own on it: 127.1.x.y
// (the whole 127/8 is local on lo), all on the socket's port, so that a
// server serving every endpoint on one UDP port (ICE UDP mux) still sees
// a distinct remote address per peer, as it would with real browsers.
// The reader counts every SRTP packet from its clear header and hands the
// rest (STUN, DTLS, SRTCP, sampled SRTP) to the peer it is addressed to,
// whose Pion UDP mux runs on its own view of the socket (peerConn).
type Socket struct {
	Counter *Counter
	conn    *cheapConn

	mu    sync.Mutex // guards peers and next
	peers map[[4]byte]*peerConn
	next  int
}

// rcvBuf is the receive buffer asked for (SO_RCVBUFFORCE, past rmem_max,
// when root): a keyframe fanned out to hundreds of subscribers arrives at once.
const rcvBuf = 32 << 20

// NewSocket opens the socket (on every local address, which inside the
// benchmark's network namespace is loopback only) and starts its reader.
func NewSocket(sampleEvery int, epoch time.Time) (*Socket, error) {
	if sampleEvery <= 0 {
		sampleEvery = 32
	}
	s := &Socket{Counter: NewCounter(), peers: map[[4]byte]*peerConn{}}
	conn, err := newCheapConn(s, sampleEvery, epoch)
	if err != nil {
		return nil, err
	}
	s.conn = conn
	go conn.readLoop()
	return s, nil
}

// newMux gives a peer its own address on the socket and a Pion ICE UDP
// mux over it.
func (s *Socket) newMux() (ice.UDPMux, error) {
	s.mu.Lock()
	s.next++
	n := s.next
	if n >= 1<<16-1 {
		s.mu.Unlock()
		return nil, fmt.Errorf("peer: more than %d peers on one socket", 1<<16-2)
	}
	ip := [4]byte{127, 1, byte(n >> 8), byte(n)}
	pc := &peerConn{sock: s, ip: ip, local: &net.UDPAddr{IP: net.IP(ip[:]), Port: s.conn.port},
		in: make(chan datagram, 1024), closed: make(chan struct{})}
	s.peers[ip] = pc
	s.mu.Unlock()
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled // teardown noise ("write on closed pipe")
	return webrtc.NewICEUDPMux(quiet.NewLogger("ice"), pc), nil
}

// dispatch hands a datagram to the peer it is addressed to.
func (s *Socket) dispatch(dst [4]byte, from netip.AddrPort, b []byte) {
	s.mu.Lock()
	pc := s.peers[dst]
	s.mu.Unlock()
	if pc == nil {
		return
	}
	select {
	case pc.in <- datagram{b: append([]byte(nil), b...), from: from}:
	default: // the peer's mux is not reading: as a full socket buffer would
	}
}

func (s *Socket) remove(pc *peerConn) {
	s.mu.Lock()
	if s.peers[pc.ip] == pc {
		delete(s.peers, pc.ip)
	}
	s.mu.Unlock()
}

// Stats returns the RTP packets read so far, the recvmmsg calls made, and
// the CPU time of the reader's thread (recvmmsg, counting, handing samples
// to Pion): the generator's own receive cost.
func (s *Socket) Stats() (packets, reads int64, readerCPU time.Duration) {
	return s.conn.rtp.Load(), s.conn.reads.Load(), time.Duration(s.conn.cpuNs.Load())
}

// Close closes every peer's view and the socket.
func (s *Socket) Close() {
	s.mu.Lock()
	peers := make([]*peerConn, 0, len(s.peers))
	for _, pc := range s.peers {
		peers = append(peers, pc)
	}
	s.mu.Unlock()
	for _, pc := range peers {
		_ = pc.Close()
	}
	_ = s.conn.Close()
}

// datagram is one received datagram handed to a peer.
type datagram struct {
	b    []byte
	from netip.AddrPort
}

// peerConn is one peer's view of the shared socket: what was addressed to
// its address, and sends from that address. Pion's UDP mux runs on it.
type peerConn struct {
	sock      *Socket
	ip        [4]byte
	local     *net.UDPAddr
	in        chan datagram
	closed    chan struct{}
	closeOnce sync.Once
}

// ReadFromAddrPort is what Pion's UDP mux calls.
func (c *peerConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	select {
	case d := <-c.in:
		return copy(b, d.b), d.from, nil
	case <-c.closed:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

// ReadFrom satisfies net.PacketConn.
func (c *peerConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := c.ReadFromAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// WriteToAddrPort sends one datagram from the peer's address.
func (c *peerConn) WriteToAddrPort(b []byte, to netip.AddrPort) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	return c.sock.conn.send(b, c.ip, to)
}

// WriteTo satisfies net.PacketConn.
func (c *peerConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, fmt.Errorf("peerConn: %T is not a UDP address", addr)
	}
	return c.WriteToAddrPort(b, ua.AddrPort())
}

// LocalAddr satisfies net.PacketConn.
func (c *peerConn) LocalAddr() net.Addr { return c.local }

// Close ends the peer's view (its mux's reader returns).
func (c *peerConn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.sock.remove(c)
	})
	return nil
}

// SetDeadline, SetReadDeadline and SetWriteDeadline are not used by the mux.
func (c *peerConn) SetDeadline(time.Time) error      { return nil }
func (c *peerConn) SetReadDeadline(time.Time) error  { return nil }
func (c *peerConn) SetWriteDeadline(time.Time) error { return nil }
