package udpx

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Batched receive: one recvmmsg(2) reads up to recvBatch datagrams, which
// ReadFromAddrPort then hands out one at a time (or to an inbound handler),
// so a burst costs one system call and one wake-up of the reading goroutine
// instead of one each. Written here with a raw system call because
// golang.org/x/net's ReadBatch returns each datagram's address as a newly
// allocated net.Addr: two allocations per packet on the receive path.

const (
	recvBatch   = 32
	recvBufSize = 8192 // per datagram, as Pion's ICE UDP mux reads (its receive MTU)
)

// mmsghdr is struct mmsghdr (Go pads it as C does on 32- and 64-bit).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// recvBatcher is a Conn's receive batch; its Conn's readMu guards it.
type recvBatcher struct {
	rc    syscall.RawConn
	hdrs  [recvBatch]mmsghdr
	iov   [recvBatch]unix.Iovec
	names [recvBatch]unix.RawSockaddrInet6
	bufs  [recvBatch][recvBufSize]byte
	n     int // datagrams in the batch
	next  int // the next one to hand out
	off   bool

	read  func(fd uintptr) bool // made once: a closure per call would allocate
	got   int
	errno syscall.Errno
}

func newRecvBatcher(uc *net.UDPConn) *recvBatcher {
	rc, err := uc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &recvBatcher{rc: rc}
	for i := range r.hdrs {
		r.iov[i].Base = &r.bufs[i][0]
		r.iov[i].SetLen(recvBufSize)
		h := &r.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Iov = &r.iov[i]
		h.SetIovlen(1)
	}
	r.read = func(fd uintptr) bool {
		// A raw system call, as the batched send (send_linux.go): with
		// MSG_DONTWAIT it never sleeps (the poller waits for data), and
		// a blocking-call hand-off would wake the runtime's monitor
		// thread on every batch.
		n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), recvBatch, unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EAGAIN || e == unix.EWOULDBLOCK {
			return false // wait until readable
		}
		r.got, r.errno = int(n), e
		return true
	}
	return r
}

// fill reads the next batch (blocking, with the socket's deadline).
func (r *recvBatcher) fill() error {
	for i := range r.n {
		r.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		r.hdrs[i].hdr.Flags = 0
	}
	if r.n == 0 { // first use
		for i := range r.hdrs {
			r.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		}
	}
	r.n, r.next = 0, 0
	if err := r.rc.Read(r.read); err != nil {
		return err
	}
	if r.errno != 0 {
		return os.NewSyscallError("recvmmsg", r.errno)
	}
	r.n = r.got
	return nil
}

// readFromAddrPort is ReadFromAddrPort with recvmmsg; ok false when this
// kernel has no recvmmsg (the caller reads one datagram at a time).
func (c *Conn) readBatched(b []byte) (n int, from netip.AddrPort, ok bool, err error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	r := c.recv
	if r == nil || r.off {
		return 0, netip.AddrPort{}, false, nil
	}
	for {
		if r.next >= r.n {
			err := r.fill()
			c.stats.readCalls.Add(1)
			if errors.Is(err, unix.ENOSYS) {
				r.off = true
				return 0, netip.AddrPort{}, false, nil
			}
			if err != nil {
				return 0, netip.AddrPort{}, true, err
			}
			continue
		}
		i := r.next
		r.next++
		m := &r.hdrs[i]
		c.stats.datagramsRead.Add(1)
		if m.hdr.Flags&unix.MSG_TRUNC != 0 {
			c.stats.truncated.Add(1)
			continue
		}
		d := r.bufs[i][:m.n]
		from := addrPortOf(&r.names[i])
		if c.inbound.handled(d, from) {
			c.stats.datagramsTaken.Add(1)
			continue
		}
		return copy(b, d), from, true, nil
	}
}

// addrPortOf reads a sockaddr_in or sockaddr_in6 without allocating (but
// for an IPv6 zone).
func addrPortOf(sa *unix.RawSockaddrInet6) netip.AddrPort {
	if sa.Family == unix.AF_INET {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:])
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port)
	}
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	a := netip.AddrFrom16(sa.Addr)
	if sa.Scope_id != 0 {
		a = a.WithZone(zoneName(sa.Scope_id))
	}
	return netip.AddrPortFrom(a, port)
}

// zoneName is an interface's name by index (its number if unknown), as
// the net package names the zone of a received address.
func zoneName(index uint32) string {
	if ifi, err := net.InterfaceByIndex(int(index)); err == nil {
		return ifi.Name
	}
	return strconv.FormatUint(uint64(index), 10)
}
