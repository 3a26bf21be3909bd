package jsonrpc

import (
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ErrClosed is returned when sending on a closed connection.
var ErrClosed = errors.New("jsonrpc: connection closed")

// ErrSlowPeer is the reason a connection is dropped when its send queue overflows.
var ErrSlowPeer = errors.New("jsonrpc: send queue full")

// Conn wraps a WebSocket with one writer goroutine so that any goroutine may
// send without blocking on the network. Frames are written in Send order.
// The writer goroutine is owned by the Conn and exits on Close.
type Conn struct {
	ws           *websocket.Conn
	out          chan outFrame
	done         chan struct{}
	closeOnce    sync.Once
	writeTimeout time.Duration

	mu       sync.Mutex // guards closeErr
	closeErr error
}

type outFrame struct {
	data      []byte
	closeCode int // when non-zero: send a close frame with this code, then close
	reason    string
}

// ConnOptions tunes a Conn.
type ConnOptions struct {
	MaxFrameBytes int64         // read limit; 0 = 1 MiB
	QueueLen      int           // outbound frames buffered; 0 = 4096
	WriteTimeout  time.Duration // per frame; 0 = 10 s
}

// NewConn starts the writer goroutine for ws.
func NewConn(ws *websocket.Conn, opts ConnOptions) *Conn {
	if opts.MaxFrameBytes <= 0 {
		opts.MaxFrameBytes = 1 << 20
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 4096
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	ws.SetReadLimit(opts.MaxFrameBytes)
	c := &Conn{ws: ws, out: make(chan outFrame, opts.QueueLen), done: make(chan struct{}), writeTimeout: opts.WriteTimeout}
	go c.writeLoop()
	return c
}

// ReadFrame blocks for the next text frame.
func (c *Conn) ReadFrame() ([]byte, error) {
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			c.closeWith(err)
			return nil, err
		}
		if typ == websocket.TextMessage || typ == websocket.BinaryMessage {
			return data, nil
		}
	}
}

// SendJSON marshals v and queues it.
func (c *Conn) SendJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Send(b)
}

// Send queues one frame. It never blocks: a peer that cannot keep up with its
// queue is disconnected rather than stalling media or other sessions.
func (c *Conn) Send(b []byte) error { return c.enqueue(outFrame{data: b}) }

// CloseAfterFlush queues a close frame behind everything already queued.
func (c *Conn) CloseAfterFlush(code int, reason string) {
	_ = c.enqueue(outFrame{closeCode: code, reason: reason})
}

func (c *Conn) enqueue(f outFrame) error {
	select {
	case <-c.done:
		return ErrClosed
	default:
	}
	select {
	case c.out <- f:
		return nil
	case <-c.done:
		return ErrClosed
	default:
		c.closeWith(ErrSlowPeer)
		return ErrSlowPeer
	}
}

func (c *Conn) writeLoop() {
	for {
		select {
		case <-c.done:
			return
		case f := <-c.out:
			deadline := time.Now().Add(c.writeTimeout)
			_ = c.ws.SetWriteDeadline(deadline)
			if f.closeCode != 0 {
				_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(f.closeCode, f.reason), deadline)
				c.closeWith(nil)
				return
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
				c.closeWith(err)
				return
			}
		}
	}
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
