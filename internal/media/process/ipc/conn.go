package ipc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
)

// Conn is one end of the socketpair. Send and SendRTP are safe for concurrent
// use (the kernel keeps each datagram whole); Recv is for one reader.
type Conn struct {
	uc      *net.UnixConn
	bufPool sync.Pool
}

// Socketpair makes a connected SOCK_SEQPACKET pair: local for this process
// and remote to hand to the child (as its fd 3). Both are close-on-exec;
// exec.Cmd.ExtraFiles clears that on the child's copy.
func Socketpair() (local *Conn, remote *os.File, err error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	for _, fd := range fds {
		// Room for bursts of video packets while the other side is busy.
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, 1<<20)
		_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1<<20)
	}
	lf := os.NewFile(uintptr(fds[0]), "gorento-ipc")
	remote = os.NewFile(uintptr(fds[1]), "gorento-worker-ipc")
	local, err = FileConn(lf)
	lf.Close() // FileConn duplicated it
	if err != nil {
		remote.Close()
		return nil, nil, err
	}
	return local, remote, nil
}

// FileConn wraps an inherited socket (the worker's fd 3). The caller may close f.
func FileConn(f *os.File) (*Conn, error) {
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("ipc socket: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("ipc socket: %T is not a unix socket", c)
	}
	return &Conn{uc: uc}, nil
}

// Close closes this end; the peer's Recv then fails.
func (c *Conn) Close() error { return c.uc.Close() }

func (c *Conn) getBuf() *[]byte {
	if p, ok := c.bufPool.Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 0, 2048)
	return &b
}

// Send writes one message, blocking while the peer's buffer is full.
func (c *Conn) Send(h Header, payload []byte) error {
	if HeaderSize+len(payload) > MaxMessage {
		return ErrTooBig
	}
	p := c.getBuf()
	b := append(AppendHeader((*p)[:0], h), payload...)
	_, err := c.uc.Write(b)
	*p = b[:0]
	c.bufPool.Put(p)
	return err
}

// SendJSON marshals v and sends it with header h.
func (c *Conn) SendJSON(h Header, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("ipc: marshal %s: %w", h.Type, err)
	}
	return c.Send(h, b)
}

// ErrFull is returned by TrySend when the peer is not keeping up.
var ErrFull = errors.New("ipc: peer not reading, message dropped")

// TrySend writes one message without waiting: when the socket buffer is full
// it returns ErrFull at once (real-time media is dropped, not queued).
func (c *Conn) TrySend(h Header, payload []byte) error {
	if HeaderSize+len(payload) > MaxMessage {
		return ErrTooBig
	}
	p := c.getBuf()
	b := append(AppendHeader((*p)[:0], h), payload...)
	rc, err := c.uc.SyscallConn()
	if err == nil {
		var serr error
		werr := rc.Write(func(fd uintptr) bool {
			for {
				serr = syscall.Sendmsg(int(fd), b, nil, nil, syscall.MSG_DONTWAIT)
				if serr != syscall.EINTR {
					return true // never wait for writability
				}
			}
		})
		switch {
		case werr != nil:
			err = werr
		case serr == syscall.EAGAIN:
			err = ErrFull
		default:
			err = serr
		}
	}
	*p = b[:0]
	c.bufPool.Put(p)
	return err
}

// Recv reads one message into buf (which should be MaxMessage+1 long so an
// oversized message is detected) and decodes its header. The payload aliases buf.
func (c *Conn) Recv(buf []byte) (Header, []byte, error) {
	n, err := c.uc.Read(buf)
	if err != nil {
		return Header{}, nil, err
	}
	if n == 0 {
		return Header{}, nil, net.ErrClosed // SEQPACKET: zero-length read is EOF
	}
	return Decode(buf[:n])
}
