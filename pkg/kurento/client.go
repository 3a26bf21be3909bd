// Package kurento is a Go client of the Kurento Protocol. It speaks only the
// wire protocol, so it works against Gorento and against a real Kurento
// Media Server: typed handles for pipelines and elements, events as typed
// callbacks, and transparent reconnection that keeps the server session.
package kurento

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gorento/gorento/internal/jsonrpc"
)

// Options tune a Client. The zero value gives the defaults.
type Options struct {
	// RequestTimeout bounds each call when the context has no deadline (default 20 s, as kurento-client).
	RequestTimeout time.Duration
	// NoReconnect disables reconnection: a lost connection closes the client.
	NoReconnect bool
	// MaxBackoff caps the delay between reconnection attempts (default 5 s).
	MaxBackoff time.Duration
	// PingInterval is the keepalive period; a ping without answer drops the
	// connection so it can be re-established (default 20 s, negative disables).
	PingInterval time.Duration
	// PingTimeout is how long a ping may go unanswered while nothing else
	// arrives either before the connection counts as dead (default
	// PingInterval). Answers to other requests prove the server alive, so
	// a ping queued behind slow requests does not drop a busy connection.
	PingTimeout time.Duration
	// OnDisconnect is called when the connection drops.
	OnDisconnect func(err error)
	// OnReconnect is called after a reconnection; sessionKept is false when
	// the server no longer knew the session (its objects are gone).
	OnReconnect func(sessionKept bool)
	// Logger receives client diagnostics (default slog.Default()).
	Logger *slog.Logger
	// Dialer overrides the WebSocket dialer.
	Dialer *websocket.Dialer
}

// Client is a connection to a Kurento Protocol server. It is safe for
// concurrent use. Close stops its goroutines.
type Client struct {
	url  string
	opts Options
	log  *slog.Logger

	mu        sync.Mutex // guards the fields below
	conn      *jsonrpc.Conn
	connected chan struct{} // closed while conn != nil
	pending   map[int64]chan response
	nextID    int64
	sessionID string
	serverID  string
	closed    bool
	handlers  map[handlerKey][]*Subscription

	events   *eventQueue
	lastRecv atomic.Int64 // unix nanoseconds of the last frame received
	done     chan struct{}
	wg       sync.WaitGroup
}

type response struct {
	result json.RawMessage
	err    error
}

// Dial connects to a Kurento Protocol URL such as ws://127.0.0.1:8888/kurento.
func Dial(ctx context.Context, url string, opts Options) (*Client, error) {
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 20 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 5 * time.Second
	}
	if opts.PingInterval == 0 {
		opts.PingInterval = 20 * time.Second
	}
	if opts.PingTimeout <= 0 {
		opts.PingTimeout = opts.PingInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Dialer == nil {
		opts.Dialer = &websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	}
	c := &Client{
		url: url, opts: opts, log: opts.Logger.With("component", "kurento-client", "url", url),
		pending: map[int64]chan response{}, handlers: map[handlerKey][]*Subscription{},
		connected: make(chan struct{}), done: make(chan struct{}),
	}
	c.events = newEventQueue()
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.wg.Add(1)
	go c.dispatchEvents()
	c.attach(conn)
	if opts.PingInterval > 0 {
		c.wg.Add(1)
		go c.pingLoop()
	}
	// The handshake every Kurento client does: it also issues the session.
	if _, err := c.Call(ctx, "describe", map[string]any{"object": serverManagerID}); err != nil {
		c.Close()
		return nil, fmt.Errorf("kurento: handshake with %s: %w", url, err)
	}
	return c, nil
}

func (c *Client) dial(ctx context.Context) (*jsonrpc.Conn, error) {
	ws, _, err := c.opts.Dialer.DialContext(ctx, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("kurento: dial %s: %w", c.url, err)
	}
	return jsonrpc.NewConn(ws, jsonrpc.ConnOptions{MaxFrameBytes: 64 << 20}), nil
}

// attach makes conn the current connection and starts its reader.
func (c *Client) attach(conn *jsonrpc.Conn) {
	c.mu.Lock()
	c.conn = conn
	close(c.connected)
	c.mu.Unlock()
	c.wg.Add(1)
	go c.readLoop(conn)
}

// Connected reports whether the client has a connection now (false while
// it reconnects).
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil && !c.closed
}

// SessionID returns the Kurento session of this client.
func (c *Client) SessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID
}

// ServerID returns the server process id learnt at the last reconnection.
func (c *Client) ServerID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.serverID
}

// Close closes the connection, fails pending calls and stops goroutines.
// Server objects are left to the server's garbage collector, as kurento-client does.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conn := c.conn
	close(c.done)
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
	c.events.close()
	c.wg.Wait()
	return nil
}

// Done is closed when the client is closed.
func (c *Client) Done() <-chan struct{} { return c.done }

// Call sends one request and returns the raw result. The session id is added
// to params (a map) for every method but ping and connect.
func (c *Client) Call(ctx context.Context, method string, params map[string]any) (json.RawMessage, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.RequestTimeout)
		defer cancel()
	}
	conn, err := c.waitConnected(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan response, 1)
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	if method != "ping" && method != "connect" && c.sessionID != "" {
		if params == nil {
			params = map[string]any{}
		}
		if _, set := params["sessionId"]; !set {
			params["sessionId"] = c.sessionID
		}
	}
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	var p any
	if params != nil {
		p = params
	}
	if err := conn.SendJSON(jsonrpc.OutgoingRequest{ID: id, Method: method, Params: p}); err != nil {
		return nil, ErrConnectionLost
	}
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		c.adoptSession(r.result)
		return r.result, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("kurento: %s: %w", method, ctx.Err())
	case <-c.done:
		return nil, ErrClosed
	}
}

func (c *Client) waitConnected(ctx context.Context) (*jsonrpc.Conn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		conn, wait := c.conn, c.connected
		c.mu.Unlock()
		if conn != nil {
			return conn, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, fmt.Errorf("kurento: not connected: %w", ctx.Err())
		case <-c.done:
			return nil, ErrClosed
		}
	}
}

// adoptSession keeps the sessionId the server answers with, as kurento-client does.
func (c *Client) adoptSession(result json.RawMessage) {
	var r struct {
		SessionID string `json:"sessionId"`
	}
	if json.Unmarshal(result, &r) == nil && r.SessionID != "" {
		c.mu.Lock()
		c.sessionID = r.SessionID
		c.mu.Unlock()
	}
}

func (c *Client) readLoop(conn *jsonrpc.Conn) {
	defer c.wg.Done()
	for {
		frame, err := conn.ReadFrame()
		if err != nil {
			c.connectionLost(conn, err)
			return
		}
		c.lastRecv.Store(time.Now().UnixNano())
		msg, err := jsonrpc.DecodeIncoming(frame)
		if err != nil {
			c.log.Debug("dropping frame", "err", err)
			continue
		}
		if msg.Method == "onEvent" {
			c.events.push(msg.Params)
			continue
		}
		if len(msg.ID) == 0 {
			continue
		}
		id, err := strconv.ParseInt(string(msg.ID), 10, 64)
		if err != nil {
			continue
		}
		c.mu.Lock()
		ch := c.pending[id]
		delete(c.pending, id) // exactly one answer per call
		c.mu.Unlock()
		if ch == nil {
			continue
		}
		if msg.Error != nil {
			ch <- response{err: toError(msg.Error)}
		} else {
			ch <- response{result: msg.Result}
		}
	}
}

func toError(e *jsonrpc.Error) *Error {
	out := &Error{Code: e.Code, Message: e.Message}
	if e.Data != nil {
		out.Data, _ = json.Marshal(e.Data)
		var d struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(out.Data, &d) == nil {
			out.Type = d.Type
		}
	}
	return out
}

// connectionLost fails pending calls and starts reconnecting.
func (c *Client) connectionLost(conn *jsonrpc.Conn, err error) {
	c.mu.Lock()
	if c.conn != conn {
		c.mu.Unlock()
		return
	}
	c.conn = nil
	c.connected = make(chan struct{})
	for id, ch := range c.pending {
		ch <- response{err: ErrConnectionLost}
		delete(c.pending, id)
	}
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return
	}
	c.log.Warn("connection lost", "err", err)
	if c.opts.OnDisconnect != nil {
		c.opts.OnDisconnect(err)
	}
	if c.opts.NoReconnect {
		go c.Close()
		return
	}
	c.wg.Add(1)
	go c.reconnectLoop()
}

// reconnectLoop re-dials with back-off and re-attaches the session with
// `connect`, as kurento-client does.
func (c *Client) reconnectLoop() {
	defer c.wg.Done()
	delay := 100 * time.Millisecond
	for {
		select {
		case <-c.done:
			return
		case <-time.After(delay):
		}
		if delay *= 2; delay > c.opts.MaxBackoff {
			delay = c.opts.MaxBackoff
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := c.dial(ctx)
		cancel()
		if err != nil {
			c.log.Debug("reconnect failed", "err", err)
			continue
		}
		c.attach(conn)
		kept := c.resume()
		if c.opts.OnReconnect != nil {
			c.opts.OnReconnect(kept)
		}
		return
	}
}

// resume sends `connect` with the old session; on 40007 the session is lost.
func (c *Client) resume() bool {
	sid := c.SessionID()
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.RequestTimeout)
	defer cancel()
	params := map[string]any{}
	if sid != "" {
		params["sessionId"] = sid
	}
	res, err := c.Call(ctx, "connect", params)
	if err != nil {
		if IsCode(err, 40007) {
			c.log.Warn("server lost our session; objects and subscriptions are gone", "session", sid)
			c.mu.Lock()
			c.sessionID = ""
			c.handlers = map[handlerKey][]*Subscription{}
			c.mu.Unlock()
		}
		return false
	}
	var r struct {
		ServerID string `json:"serverId"`
	}
	_ = json.Unmarshal(res, &r)
	c.mu.Lock()
	c.serverID = r.ServerID
	c.mu.Unlock()
	return true
}

// pingLoop keeps the connection alive and detects dead ones.
func (c *Client) pingLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		c.mu.Lock()
		conn := c.conn
		c.mu.Unlock()
		if conn == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.PingTimeout)
		_, err := c.Call(ctx, "ping", nil)
		cancel()
		if err == nil || errors.Is(err, ErrClosed) || errors.Is(err, ErrConnectionLost) {
			continue
		}
		if time.Since(time.Unix(0, c.lastRecv.Load())) < c.opts.PingTimeout {
			continue // busy, not dead: other answers are arriving
		}
		c.log.Warn("ping failed, dropping connection", "err", err)
		_ = conn.Close()
	}
}
