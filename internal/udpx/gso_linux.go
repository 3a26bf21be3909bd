package udpx

import (
	"encoding/binary"
	"errors"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// gsoCmsgLen is the control message carrying UDP_SEGMENT: a cmsghdr and a
// uint16 segment size, padded (CMSG_SPACE(2)).
var gsoCmsgLen = unix.CmsgSpace(2)

// probeGSO reports whether the kernel knows UDP_SEGMENT (Linux 4.18+) on
// this socket; whether the outgoing device can segment is learnt on the
// first send (EIO turns GSO off).
func probeGSO(uc *net.UDPConn) bool {
	rc, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	_ = rc.Control(func(fd uintptr) {
		_, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		ok = err == nil
	})
	return ok
}

// putGSOCmsg writes the UDP_SEGMENT control message for segments of size
// bytes into b (len(b) >= gsoCmsgLen).
func putGSOCmsg(b []byte, size uint16) {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level = unix.SOL_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(b[unix.CmsgLen(0):], size)
}

// gsoUnsupported reports an error that means the device cannot segment.
func gsoUnsupported(err error) bool { return errors.Is(err, syscall.EIO) }

// setSocketBuffer sets SO_SNDBUF or SO_RCVBUF, past the system maximum
// (SO_*BUFFORCE) when the process may.
func setSocketBuffer(uc *net.UDPConn, size int, rcv bool) error {
	rc, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	force, plain := unix.SO_SNDBUFFORCE, unix.SO_SNDBUF
	if rcv {
		force, plain = unix.SO_RCVBUFFORCE, unix.SO_RCVBUF
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, force, size) != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, plain, size)
		}
	}); err != nil {
		return err
	}
	return serr
}
