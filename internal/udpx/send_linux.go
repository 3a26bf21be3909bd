package udpx

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Batched send without the Go scheduler's system-call hand-off.
//
// A sendmmsg of a fan-out is long: on loopback the kernel also runs every
// receiver's side, so one call of 64 GSO messages takes hundreds of
// microseconds. Made as a blocking system call (syscall.Syscall, which is
// what golang.org/x/net's WriteBatch uses), it tells the runtime that the
// goroutine may block: the monitor thread (sysmon) is woken and polls every
// 20 µs while the call lasts, and after one poll it hands the P to another
// thread, which then has to be parked again, and the sender has to get a P
// back when the call returns. With the server on one core that was ~18 % of
// its CPU at a fan-out of 100 (docs/performance.md, issue 13). The socket
// is non-blocking and sendmmsg never sleeps on it (a full buffer returns
// EAGAIN, and the runtime's poller waits for room), so it is made here as a
// raw system call: the thread keeps its P, nothing else is woken. The cost
// is that a stop-the-world (GC) waits for the call to end.

// rawSender is a Batch's packed messages for sendmmsg (one goroutine).
type rawSender struct {
	hdrs []mmsghdr
	iov  []unix.Iovec

	write  func(fd uintptr) bool // made once: a closure per call would allocate
	lo, hi int                   // the messages of the call in progress
	sent   int
	errno  syscall.Errno
}

// sockaddr is a destination in the kernel's form, made once per Dest.
type sockaddr struct {
	raw unix.RawSockaddrInet6 // sockaddr_in or sockaddr_in6
	len uint32
}

// makeSockaddr encodes ap for a socket of the family of local (an IPv6
// socket reaches IPv4 destinations as IPv4-mapped addresses; an IPv6
// destination on an IPv4 socket stays IPv6, which the kernel refuses).
func makeSockaddr(local, ap netip.AddrPort) sockaddr {
	var sa sockaddr
	port := ap.Port()
	if local.Addr().Is4() && ap.Addr().Unmap().Is4() {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sa.raw))
		sa4.Family = unix.AF_INET
		p := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		sa4.Addr = ap.Addr().Unmap().As4()
		sa.len = unix.SizeofSockaddrInet4
		return sa
	}
	sa.raw.Family = unix.AF_INET6
	p := (*[2]byte)(unsafe.Pointer(&sa.raw.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	sa.raw.Addr = ap.Addr().As16()
	if z := ap.Addr().Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.raw.Scope_id = uint32(ifi.Index)
		}
	}
	sa.len = unix.SizeofSockaddrInet6
	return sa
}

func newRawSender(n int) *rawSender {
	s := &rawSender{hdrs: make([]mmsghdr, n), iov: make([]unix.Iovec, n)}
	s.write = func(fd uintptr) bool {
		hs := s.hdrs[s.lo:s.hi]
		n, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hs[0])), uintptr(len(hs)), 0, 0, 0)
		if e == unix.EAGAIN || e == unix.EWOULDBLOCK {
			return false // wait until writable
		}
		s.sent, s.errno = int(n), e
		if e != 0 {
			s.sent = 0
		}
		return true
	}
	return s
}

// pack fills message i from m (the arena span, its Dest, its GSO control
// message in oob when it has several segments).
func (s *rawSender) pack(i int, arena []byte, m *message, oob []byte) {
	s.iov[i].Base = &arena[m.off]
	s.iov[i].SetLen(m.n)
	h := &s.hdrs[i].hdr
	h.Name = (*byte)(unsafe.Pointer(&m.dest.sa.raw))
	h.Namelen = m.dest.sa.len
	h.Iov = &s.iov[i]
	h.SetIovlen(1)
	h.Control, h.Controllen, h.Flags = nil, 0, 0
	if len(oob) > 0 {
		h.Control = &oob[0]
		h.SetControllen(len(oob))
	}
	s.hdrs[i].n = 0
}

// clear drops the pointers into the arena and the Dests.
func (s *rawSender) clear(n int) {
	clear(s.hdrs[:n])
	clear(s.iov[:n])
}

// rawBatchWriter is the Conn's sendmmsg of packed messages (nil: the
// socket has no raw handle; golang.org/x/net's WriteBatch is used).
func rawBatchWriter(c *Conn) func(b *Batch, lo, hi int) (int, error) {
	if c.rc == nil {
		return nil
	}
	return func(b *Batch, lo, hi int) (int, error) { return sendRaw(c, c.rc, b, lo, hi) }
}

// sendRaw sends messages lo..hi-1 of b's packed batch on c with one
// sendmmsg; it returns how many the kernel took.
func sendRaw(c *Conn, rc syscall.RawConn, b *Batch, lo, hi int) (int, error) {
	s := b.raw
	s.lo, s.hi, s.sent, s.errno = lo, hi, 0, 0
	if err := rc.Write(s.write); err != nil {
		return 0, &net.OpError{Op: "write", Net: "udp", Source: c.uc.LocalAddr(), Err: err}
	}
	if s.errno != 0 {
		return s.sent, &net.OpError{Op: "write", Net: "udp", Source: c.uc.LocalAddr(), Err: os.NewSyscallError("sendmmsg", s.errno)}
	}
	return s.sent, nil
}

// rawOne is the state of one raw sendto (pooled: a closure made per call
// would allocate).
type rawOne struct {
	write func(fd uintptr) bool
	b     []byte
	sa    sockaddr
	n     int
	errno syscall.Errno
}

var rawOnes = sync.Pool{New: func() any {
	o := &rawOne{}
	o.write = func(fd uintptr) bool {
		var p unsafe.Pointer
		if len(o.b) > 0 {
			p = unsafe.Pointer(&o.b[0])
		}
		n, _, e := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(p), uintptr(len(o.b)), 0,
			uintptr(unsafe.Pointer(&o.sa.raw)), uintptr(o.sa.len))
		if e == unix.EAGAIN || e == unix.EWOULDBLOCK {
			return false // wait until writable
		}
		o.n, o.errno = int(n), e
		if e != 0 {
			o.n = 0
		}
		return true
	}
	return o
}}

// rawWriteTo is WriteToAddrPort's sendto without the blocking-call
// hand-off (see the top of this file): Pion's STUN, DTLS and RTCP writes
// on the shared socket, a few hundred a second at a fan-out of 100, each
// of which woke the runtime's monitor thread into its 20 µs polling.
// ok is false where there is no raw handle (the caller then writes
// through the net package).
func (c *Conn) rawWriteTo(b []byte, to netip.AddrPort) (n int, ok bool, err error) {
	if c.rc == nil {
		return 0, false, nil
	}
	o := rawOnes.Get().(*rawOne)
	o.b, o.sa, o.n, o.errno = b, makeSockaddr(c.local, to), 0, 0
	if to.Addr().Zone() != "" {
		// The zone's interface index is looked up each time: leave that
		// rare case to the net package, which caches it.
		o.b = nil
		rawOnes.Put(o)
		return 0, false, nil
	}
	if werr := c.rc.Write(o.write); werr != nil {
		err = &net.OpError{Op: "write", Net: "udp", Source: c.uc.LocalAddr(), Addr: net.UDPAddrFromAddrPort(to), Err: werr}
	} else if o.errno != 0 {
		err = &net.OpError{Op: "write", Net: "udp", Source: c.uc.LocalAddr(), Addr: net.UDPAddrFromAddrPort(to), Err: os.NewSyscallError("sendto", o.errno)}
	}
	n = o.n
	o.b = nil
	rawOnes.Put(o)
	return n, true, err
}
