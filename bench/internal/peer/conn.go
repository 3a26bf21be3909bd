package peer

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// batch is how many datagrams one recvmmsg may return.
const batch = 64

// coalesce is how long the reader sleeps after a small batch so the next
// one is larger: fewer syscalls and wake-ups per packet on the generator,
// and no wake-up at all charged to the server's sends while the reader is
// asleep. It adds at most this much to every latency sample, the direct
// Pion→Pion baseline included, so it cancels out of added latency.
const coalesce = 250 * time.Microsecond

// cheapConn is the peers' UDP socket, handed to Pion's ICE UDP mux. It is a
// blocking socket of its own (not Go's netpoller): the mux's reader
// goroutine calls recvmmsg directly, counts every SRTP packet from its
// clear header and drops all but a sample of them before Pion sees them;
// everything else (STUN, DTLS, SRTCP) goes up unchanged. With sampleEvery
// = 1 every packet goes up.
type cheapConn struct {
	fd          int
	local       *net.UDPAddr
	counter     *Counter
	sampleEvery int
	epoch       time.Time
	closed      atomic.Bool

	hdrs    []mmsghdr
	names   []syscall.RawSockaddrInet4
	iovs    []syscall.Iovec
	bufs    [][]byte
	pending []int // indexes into bufs still to hand to Pion
	next    int

	rtp    atomic.Int64 // RTP packets read
	reads  atomic.Int64 // recvmmsg calls that returned packets
	cpuNs  atomic.Int64 // CPU time of the reader's thread
	locked bool
}

// threadCPU returns the calling thread's CPU time.
func threadCPU() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return ts.Nano()
}

// mmsghdr is struct mmsghdr of linux/amd64 and linux/arm64.
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
	_   [4]byte
}

func newCheapConn(ip net.IP, counter *Counter, sampleEvery int, epoch time.Time) (*cheapConn, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	sa := &syscall.SockaddrInet4{}
	copy(sa.Addr[:], ip.To4())
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, rcvBuf) != nil {
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvBuf)
	}
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4<<20)
	// wake up now and then so Close is noticed
	tv := syscall.NsecToTimeval(int64(100 * time.Millisecond))
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	got, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	a := got.(*syscall.SockaddrInet4)
	c := &cheapConn{fd: fd, local: &net.UDPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port},
		counter: counter, sampleEvery: sampleEvery, epoch: epoch,
		hdrs: make([]mmsghdr, batch), names: make([]syscall.RawSockaddrInet4, batch), iovs: make([]syscall.Iovec, batch), bufs: make([][]byte, batch)}
	for i := range c.hdrs {
		c.bufs[i] = make([]byte, 1500)
		c.iovs[i].Base = &c.bufs[i][0]
		c.iovs[i].SetLen(1500)
		c.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&c.names[i]))
		c.hdrs[i].hdr.Iov = &c.iovs[i]
		c.hdrs[i].hdr.Iovlen = 1
	}
	return c, nil
}

const msgWaitForOne = 0x10000

// recv fills the batch: blocking for the first datagram, or not at all.
func (c *cheapConn) recv(block bool) (int, error) {
	for i := range c.hdrs {
		c.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrInet4
		c.hdrs[i].hdr.Flags = 0
	}
	flags := uintptr(msgWaitForOne)
	if !block {
		flags = syscall.MSG_DONTWAIT
	}
	call := syscall.Syscall6
	if !block {
		call = syscall.RawSyscall6
	}
	n, _, e := call(syscall.SYS_RECVMMSG, uintptr(c.fd), uintptr(unsafe.Pointer(&c.hdrs[0])), uintptr(len(c.hdrs)), flags, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// ReadFromAddrPort is what Pion's UDP mux calls.
func (c *cheapConn) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		if c.next < len(c.pending) {
			i := c.pending[c.next]
			c.next++
			n := copy(b, c.bufs[i][:c.hdrs[i].n])
			nm := &c.names[i]
			port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&nm.Port))[:])
			return n, netip.AddrPortFrom(netip.AddrFrom4(nm.Addr), port), nil
		}
		c.pending, c.next = c.pending[:0], 0
		if !c.locked {
			// The mux's reader keeps this thread, so its CPU time is the
			// generator's receive cost.
			runtime.LockOSThread()
			c.locked = true
		}
		c.cpuNs.Store(threadCPU())
		if c.closed.Load() {
			c.unlock()
			return 0, netip.AddrPort{}, net.ErrClosed
		}
		n, err := c.recv(false)
		if errors.Is(err, syscall.EAGAIN) || n == 0 {
			n, err = c.recv(true)
		}
		if err != nil {
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
				continue
			}
			c.unlock()
			if c.closed.Load() {
				return 0, netip.AddrPort{}, net.ErrClosed
			}
			return 0, netip.AddrPort{}, err
		}
		c.reads.Add(1)
		now := time.Since(c.epoch).Nanoseconds()
		for i := 0; i < n; i++ {
			nm := &c.names[i]
			port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&nm.Port))[:])
			addr := uint64(binary.BigEndian.Uint32(nm.Addr[:]))<<16 | uint64(port)
			if c.keep(c.bufs[i][:c.hdrs[i].n], addr, now) {
				c.pending = append(c.pending, i)
			}
		}
		if n < batch/2 && len(c.pending) == 0 {
			time.Sleep(coalesce)
		}
	}
}

// unlock releases the reader's thread before the mux's reader goroutine
// ends, so the thread returns to the pool instead of exiting.
func (c *cheapConn) unlock() {
	if c.locked {
		runtime.UnlockOSThread()
		c.locked = false
	}
}

// keep classifies one datagram (RFC 7983) and counts SRTP.
func (c *cheapConn) keep(p []byte, addr uint64, now int64) bool {
	if len(p) < 12 || p[0] < 128 || p[0] > 191 {
		return true // STUN, DTLS, or junk: Pion decides
	}
	if pt := p[1] & 0x7f; pt >= 64 && pt <= 95 {
		return true // RTCP
	}
	if p[0]&0x20 != 0 && len(p) < 300 {
		// padding-only probe (bandwidth probing): not media, not counted
		return c.sampleEvery == 1
	}
	c.rtp.Add(1)
	return c.counter.observe(addr, binary.BigEndian.Uint32(p[8:]), binary.BigEndian.Uint16(p[2:]), now, c.sampleEvery)
}

// ReadFrom satisfies net.PacketConn.
func (c *cheapConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, ap, err := c.ReadFromAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

// WriteToAddrPort sends one datagram.
func (c *cheapConn) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	if !addr.Addr().Is4() {
		return 0, errors.New("cheapConn: IPv4 only")
	}
	sa := &syscall.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	if err := syscall.Sendto(c.fd, b, 0, sa); err != nil {
		return 0, err
	}
	return len(b), nil
}

// WriteTo satisfies net.PacketConn.
func (c *cheapConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, errors.New("cheapConn: not a UDP address")
	}
	return c.WriteToAddrPort(b, ua.AddrPort())
}

// LocalAddr satisfies net.PacketConn.
func (c *cheapConn) LocalAddr() net.Addr { return c.local }

// Close closes the socket; a blocked read returns within the receive timeout.
func (c *cheapConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	_ = syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
	go func() { time.Sleep(200 * time.Millisecond); syscall.Close(c.fd) }()
	return nil
}

// SetDeadline, SetReadDeadline and SetWriteDeadline are not used by the mux.
func (c *cheapConn) SetDeadline(time.Time) error      { return nil }
func (c *cheapConn) SetReadDeadline(time.Time) error  { return nil }
func (c *cheapConn) SetWriteDeadline(time.Time) error { return nil }
