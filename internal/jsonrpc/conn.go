package jsonrpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ErrClosed is returned when sending on a closed connection.
var ErrClosed = errors.New("jsonrpc: connection closed")

// ErrSlowPeer is the reason a connection is dropped when its send queue overflows.
var ErrSlowPeer = errors.New("jsonrpc: send queue full")

// ErrFrameTooBig is the reason a connection is dropped when a frame exceeds
// MaxFrameBytes (the peer gets close code 1009 with the limit).
var ErrFrameTooBig = errors.New("jsonrpc: frame too big")

// ErrIdle is the reason a connection is dropped when its peer sent nothing
// for the idle timeout.
var ErrIdle = errors.New("jsonrpc: idle timeout")

// frameOverhead is what a queued frame costs besides its bytes; it keeps a
// flood of tiny frames bounded by MaxQueueBytes too.
const frameOverhead = 64

// Conn wraps a WebSocket with one writer goroutine so that any goroutine may
// send without blocking on the network. Frames are written in Send order.
// The writer goroutine is owned by the Conn and exits on Close.
type Conn struct {
	ws           *websocket.Conn
	opts         ConnOptions
	wake         chan struct{} // capacity 1: frames were queued
	done         chan struct{}
	closeOnce    sync.Once
	writeTimeout time.Duration

	mu          sync.Mutex // guards queue, queuedBytes, closeErr
	queue       []outFrame
	queuedBytes int64
	closeErr    error
}

type outFrame struct {
	data      []byte
	closeCode int // when non-zero: send a close frame with this code, then close
	reason    string
}

// ConnOptions tunes a Conn. Limits the transport carries (see
// TransportLimits) tighten them.
type ConnOptions struct {
	MaxFrameBytes int64         // read limit; 0 = 1 MiB
	MaxQueueBytes int64         // unsent bytes before the peer counts as too slow; 0 = 16 MiB
	WriteTimeout  time.Duration // per frame; 0 = 10 s
	IdleTimeout   time.Duration // no incoming frame for this long closes; 0 = none
}

// Default limits.
const (
	DefaultMaxFrameBytes = 1 << 20
	DefaultMaxQueueBytes = 16 << 20
)

// NewConn starts the writer goroutine for ws.
func NewConn(ws *websocket.Conn, opts ConnOptions) *Conn {
	opts = opts.tighten(transportLimits(ws.NetConn()))
	if opts.MaxFrameBytes <= 0 {
		opts.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if opts.MaxQueueBytes <= 0 {
		opts.MaxQueueBytes = DefaultMaxQueueBytes
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	c := &Conn{ws: ws, opts: opts, wake: make(chan struct{}, 1), done: make(chan struct{}), writeTimeout: opts.WriteTimeout}
	go c.writeLoop()
	return c
}

// Options returns the limits in force (after the transport's).
func (c *Conn) Options() ConnOptions { return c.opts }

// ReadFrame blocks for the next text frame. A frame over MaxFrameBytes
// closes the connection with 1009 (message too big); silence longer than
// IdleTimeout closes it with 1001 and ErrIdle.
func (c *Conn) ReadFrame() ([]byte, error) {
	for {
		if c.opts.IdleTimeout > 0 {
			_ = c.ws.SetReadDeadline(time.Now().Add(c.opts.IdleTimeout))
		}
		typ, data, err := c.readMessage()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.closeWithFrame(websocket.CloseGoingAway, "idle timeout")
				err = ErrIdle
			} else if errors.Is(err, ErrFrameTooBig) {
				c.closeWithFrame(websocket.CloseMessageTooBig, fmt.Sprintf("frame exceeds %d bytes", c.opts.MaxFrameBytes))
			}
			c.closeWith(err)
			return nil, err
		}
		if typ == websocket.TextMessage || typ == websocket.BinaryMessage {
			return data, nil
		}
	}
}

// readMessage reads one message, keeping at most MaxFrameBytes of it (the
// rest is never read: the connection is closed).
func (c *Conn) readMessage() (int, []byte, error) {
	typ, r, err := c.ws.NextReader()
	if err != nil {
		return 0, nil, err
	}
	data, err := io.ReadAll(io.LimitReader(r, c.opts.MaxFrameBytes+1))
	if err != nil {
		return 0, nil, err
	}
	if int64(len(data)) > c.opts.MaxFrameBytes {
		return 0, nil, ErrFrameTooBig
	}
	return typ, data, nil
}

// closeWithFrame tells the peer why, best effort (WriteControl may run
// concurrently with the writer goroutine).
func (c *Conn) closeWithFrame(code int, reason string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

// SendJSON marshals v and queues it.
func (c *Conn) SendJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Send(b)
}

// Send queues one frame. It never blocks: a peer whose unsent frames would
// exceed MaxQueueBytes is disconnected rather than stalling media or other
// sessions, or holding the server's memory.
func (c *Conn) Send(b []byte) error { return c.enqueue(outFrame{data: b}) }

// CloseAfterFlush queues a close frame behind everything already queued.
func (c *Conn) CloseAfterFlush(code int, reason string) {
	_ = c.enqueue(outFrame{closeCode: code, reason: reason})
}

// QueuedBytes returns the bytes waiting to be written.
func (c *Conn) QueuedBytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queuedBytes
}

func (c *Conn) enqueue(f outFrame) error {
	size := int64(len(f.data)) + frameOverhead
	c.mu.Lock()
	select {
	case <-c.done:
		c.mu.Unlock()
		return ErrClosed
	default:
	}
	if f.closeCode == 0 && c.queuedBytes+size > c.opts.MaxQueueBytes {
		c.mu.Unlock()
		c.closeWith(ErrSlowPeer)
		return ErrSlowPeer
	}
	c.queue = append(c.queue, f)
	c.queuedBytes += size
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

func (c *Conn) writeLoop() {
	var batch []outFrame
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
		c.mu.Lock()
		batch, c.queue = c.queue, batch[:0]
		c.mu.Unlock()
		for i, f := range batch {
			if !c.write(f) {
				return
			}
			c.mu.Lock()
			c.queuedBytes -= int64(len(f.data)) + frameOverhead
			c.mu.Unlock()
			batch[i] = outFrame{} // drop the reference for the collector
		}
	}
}

// write sends one frame; false when the connection is finished.
func (c *Conn) write(f outFrame) bool {
	deadline := time.Now().Add(c.writeTimeout)
	_ = c.ws.SetWriteDeadline(deadline)
	if f.closeCode != 0 {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(f.closeCode, f.reason), deadline)
		c.closeWith(nil)
		return false
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
		c.closeWith(err)
		return false
	}
	return true
}

// Close closes the connection immediately, dropping queued frames.
func (c *Conn) Close() error {
	c.closeWith(nil)
	return nil
}

func (c *Conn) closeWith(err error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closeErr = err
		c.mu.Unlock()
		close(c.done)
		_ = c.ws.Close()
	})
}

// Done is closed when the connection is closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns the error that closed the connection, if any.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

// RemoteAddr returns the peer address for logs.
func (c *Conn) RemoteAddr() string { return c.ws.RemoteAddr().String() }
