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

// cheapConn is the socket shared by the peers of a Socket. It is a
// blocking socket of its own (not Go's netpoller) bound to every local
// address, read by one goroutine on a locked thread (readLoop) with
// recvmmsg: it counts every SRTP packet from its clear header and drops
// all but a sample of them; everything else (STUN, DTLS, SRTCP) and the
// samples go to the peer the datagram is addressed to (IP_PKTINFO tells
// which). With sampleEvery = 1 every packet goes up.
type cheapConn struct {
	sock        *Socket
	fd          int
	port        int
	sampleEvery int
	epoch       time.Time
	closed      atomic.Bool

	hdrs  []mmsghdr
	names []syscall.RawSockaddrInet4
	iovs  []syscall.Iovec
	bufs  [][]byte
	oobs  [][]byte

	rtp   atomic.Int64 // RTP packets read
	reads atomic.Int64 // recvmmsg calls that returned packets
	cpuNs atomic.Int64 // CPU time of the reader's thread
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

// pktinfoSpace is the control buffer of one datagram: an IP_PKTINFO.
var pktinfoSpace = syscall.CmsgSpace(syscall.SizeofInet4Pktinfo)

func newCheapConn(sock *Socket, sampleEvery int, epoch time.Time) (*cheapConn, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, syscall.IP_PKTINFO, 1); err != nil {
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
	c := &cheapConn{sock: sock, fd: fd, port: got.(*syscall.SockaddrInet4).Port, sampleEvery: sampleEvery, epoch: epoch,
		hdrs: make([]mmsghdr, batch), names: make([]syscall.RawSockaddrInet4, batch), iovs: make([]syscall.Iovec, batch),
		bufs: make([][]byte, batch), oobs: make([][]byte, batch)}
	for i := range c.hdrs {
		c.bufs[i] = make([]byte, 1500)
		c.oobs[i] = make([]byte, pktinfoSpace)
		c.iovs[i].Base = &c.bufs[i][0]
		c.iovs[i].SetLen(1500)
		c.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&c.names[i]))
		c.hdrs[i].hdr.Iov = &c.iovs[i]
		c.hdrs[i].hdr.Iovlen = 1
		c.hdrs[i].hdr.Control = &c.oobs[i][0]
	}
	return c, nil
}

const msgWaitForOne = 0x10000

// recv fills the batch: blocking for the first datagram, or not at all.
func (c *cheapConn) recv(block bool) (int, error) {
	for i := range c.hdrs {
		c.hdrs[i].hdr.Namelen = syscall.SizeofSockaddrInet4
		c.hdrs[i].hdr.SetControllen(pktinfoSpace)
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

// readLoop reads until Close. It keeps its thread, so that thread's CPU
// time is the generator's receive cost.
func (c *cheapConn) readLoop() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for {
		c.cpuNs.Store(threadCPU())
		if c.closed.Load() {
			return
		}
		n, err := c.recv(false)
		if errors.Is(err, syscall.EAGAIN) || n == 0 {
			n, err = c.recv(true)
		}
		if err != nil {
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
				continue
			}
			return
		}
		c.reads.Add(1)
		now := time.Since(c.epoch).Nanoseconds()
		handed := 0
		for i := 0; i < n; i++ {
			nm := &c.names[i]
			port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&nm.Port))[:])
			dst, ok := pktinfoDst(c.oobs[i][:c.hdrs[i].hdr.Controllen])
			if !ok {
				continue
			}
			// A stream is told apart by the peer that receives it (its
			// address's low 16 bits) and the sender's address and SSRC.
			addr := uint64(dst[2])<<56 | uint64(dst[3])<<48 | uint64(binary.BigEndian.Uint32(nm.Addr[:]))<<16 | uint64(port)
			p := c.bufs[i][:c.hdrs[i].n]
			if c.keep(p, addr, now) {
				c.sock.dispatch(dst, netip.AddrPortFrom(netip.AddrFrom4(nm.Addr), port), p)
				handed++
			}
		}
		if n < batch/2 && handed == 0 {
			time.Sleep(coalesce)
		}
	}
}

// pktinfoDst reads the datagram's destination address from its IP_PKTINFO
// (the only control message asked for; parsed by hand: the standard
// parser allocates, and this runs for every packet).
func pktinfoDst(oob []byte) ([4]byte, bool) {
	hl := syscall.CmsgLen(0)
	if len(oob) < hl+syscall.SizeofInet4Pktinfo {
		return [4]byte{}, false
	}
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
	if h.Level != syscall.IPPROTO_IP || h.Type != syscall.IP_PKTINFO {
		return [4]byte{}, false
	}
	return (*syscall.Inet4Pktinfo)(unsafe.Pointer(&oob[hl])).Addr, true
}

// send sends one datagram from src to addr.
func (c *cheapConn) send(b []byte, src [4]byte, addr netip.AddrPort) (int, error) {
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	if !addr.Addr().Is4() {
		return 0, errors.New("cheapConn: IPv4 only")
	}
	oob := make([]byte, pktinfoSpace)
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level, h.Type = syscall.IPPROTO_IP, syscall.IP_PKTINFO
	h.SetLen(syscall.CmsgLen(syscall.SizeofInet4Pktinfo))
	info := (*syscall.Inet4Pktinfo)(unsafe.Pointer(&oob[syscall.CmsgLen(0)]))
	info.Spec_dst = src
	sa := &syscall.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	if err := syscall.Sendmsg(c.fd, b, oob, sa, 0); err != nil {
		return 0, err
	}
	return len(b), nil
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
	return c.sock.Counter.observe(addr, binary.BigEndian.Uint32(p[8:]), binary.BigEndian.Uint16(p[2:]), now, c.sampleEvery)
}

// Close closes the socket; a blocked read returns within the receive timeout.
func (c *cheapConn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	_ = syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
	go func() { time.Sleep(200 * time.Millisecond); syscall.Close(c.fd) }()
	return nil
}
