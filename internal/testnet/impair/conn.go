package impair

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// Conn is a net.PacketConn whose reads (Up: what its peers send to it) and
// writes (Down: what it sends to its peers) go through an impairment profile
// each. A goroutine reads the socket so that delayed packets can be handed out
// later; Close stops it.
type Conn struct {
	pc   net.PacketConn
	up   *pipe
	down *pipe
	in   chan inbound
	stop chan struct{}
	done chan struct{}
	once sync.Once

	mu       sync.Mutex // guards deadline
	deadline time.Time
}

type inbound struct {
	buf  *[]byte
	n    int
	from net.Addr
}

// inboundQueue bounds the packets read but not yet taken by ReadFrom.
const inboundQueue = 4096

// NewConn wraps pc; it owns pc from now on (Close closes it).
func NewConn(pc net.PacketConn, up, down Profile) (*Conn, error) {
	if err := up.Validate(); err != nil {
		return nil, err
	}
	if err := down.Validate(); err != nil {
		return nil, err
	}
	c := &Conn{pc: pc, in: make(chan inbound, inboundQueue), stop: make(chan struct{}), done: make(chan struct{})}
	c.up = newPipe(up, c.enqueue)
	c.down = newPipe(down, func(b []byte, to net.Addr) { _, _ = pc.WriteTo(b, to) })
	go c.readLoop()
	return c, nil
}

func (c *Conn) readLoop() {
	defer close(c.done)
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := c.pc.ReadFrom(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		if c.up.submit(buf[:n], from) == verdictNow {
			c.enqueue(buf[:n], from)
		}
	}
}

// enqueue hands a packet to ReadFrom (a copy; b is the caller's).
func (c *Conn) enqueue(b []byte, from net.Addr) {
	bp := bufPool.Get().(*[]byte)
	if len(b) > len(*bp) {
		nb := make([]byte, len(b))
		bp = &nb
	}
	n := copy(*bp, b)
	select {
	case c.in <- inbound{buf: bp, n: n, from: from}:
	default:
		c.up.overflow.Add(1)
		bufPool.Put(bp)
	}
}

// ReadFrom returns the next packet that survived the Up profile.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	var timeout <-chan time.Time
	c.mu.Lock()
	dl := c.deadline
	c.mu.Unlock()
	if !dl.IsZero() {
		d := time.Until(dl)
		if d <= 0 {
			return 0, nil, os.ErrDeadlineExceeded
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p := <-c.in:
		n := copy(b, (*p.buf)[:p.n])
		if cap(*p.buf) == maxDatagram {
			bufPool.Put(p.buf)
		}
		return n, p.from, nil
	case <-timeout:
		return 0, nil, os.ErrDeadlineExceeded
	case <-c.stop:
		return 0, nil, net.ErrClosed
	}
}

// WriteTo sends b through the Down profile. A lost packet still reports
// success, as on a real network.
func (c *Conn) WriteTo(b []byte, to net.Addr) (int, error) {
	select {
	case <-c.stop:
		return 0, net.ErrClosed
	default:
	}
	if c.down.submit(b, to) == verdictNow {
		return c.pc.WriteTo(b, to)
	}
	return len(b), nil
}

// SetProfile changes one direction's impairment; packets already held keep
// their due time.
func (c *Conn) SetProfile(d Direction, p Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	c.pipe(d).setProfile(p)
	return nil
}

// Profile is the impairment in force for d.
func (c *Conn) Profile(d Direction) Profile { return c.pipe(d).profile() }

// Stats counts the packets of direction d.
func (c *Conn) Stats(d Direction) DirStats {
	s := c.pipe(d).stats()
	if d == Up {
		s.Queued += len(c.in)
	}
	return s
}

func (c *Conn) pipe(d Direction) *pipe {
	if d == Down {
		return c.down
	}
	return c.up
}

// Close closes the socket, stops both pipes and waits for the reader.
func (c *Conn) Close() error {
	var err error
	c.once.Do(func() {
		close(c.stop)
		err = c.pc.Close()
		<-c.done
		c.up.close()
		c.down.close()
	})
	return err
}

// LocalAddr is the socket's address.
func (c *Conn) LocalAddr() net.Addr { return c.pc.LocalAddr() }

// SetDeadline sets the read deadline (writes never block).
func (c *Conn) SetDeadline(t time.Time) error { return c.SetReadDeadline(t) }

// SetReadDeadline bounds the next ReadFrom calls.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

// SetWriteDeadline is accepted and ignored: writes never block.
func (c *Conn) SetWriteDeadline(time.Time) error { return nil }

var _ net.PacketConn = (*Conn)(nil)
