package kms

import (
	"encoding/json"
	"time"

	"github.com/gorento/gorento/internal/jsonrpc"
)

// connState is one client WebSocket. Its requests run one after another on
// the connection's request goroutine, so their effects happen in arrival
// order as KMS guarantees; answers and events share one ordered send queue.
// A ping is answered by the read goroutine at once: a keepalive must not
// wait behind a slow request (a filter starting its worker, a recorder's
// stopAndWait), or a client with a short ping timeout (the room server's is
// 3 s) takes a busy media server for a dead one.
type connState struct {
	server *Server
	conn   sender
	// credential is the Kurento credential the connection presented ("" on
	// an open port): it scopes the sessions and objects it sees (scope.go).
	credential string

	// Guarded by Server.mu.
	session *session // the session bound to this connection
	opened  int      // live sessions this connection opened
}

// sender is the outgoing side of a connection (a *jsonrpc.Conn, or a
// recorder in fuzz tests).
type sender interface {
	Send(frame []byte) error
	Close() error
}

func (c *connState) serve(ws *jsonrpc.Conn) {
	s := c.server
	defer func() {
		_ = c.conn.Close()
		s.mu.Lock()
		delete(s.conns, c)
		if sess := c.session; sess != nil {
			if sess.conn == c {
				sess.conn = nil
				// A dropped client gets at least one full GC period to reconnect.
				sess.inUse = true
			}
			c.session = nil
		}
		s.mu.Unlock()
		s.metrics.connections.Add(-1)
	}()
	queue := make(chan queued, requestQueue)
	done := make(chan struct{})
	go func() { // the request goroutine, owned by serve
		defer close(done)
		for q := range queue {
			c.run(q.req, q.start)
		}
	}()
	defer func() {
		close(queue)
		<-done
	}()
	for {
		frame, err := ws.ReadFrame()
		if err != nil {
			return
		}
		start := time.Now()
		req := c.decode(frame, start)
		switch {
		case req == nil: // refused
		case req.Method == "ping":
			c.run(req, start)
		default:
			queue <- queued{req, start}
		}
	}
}

// requestQueue is how many decoded requests wait for the request goroutine
// before the reader stops reading (back-pressure on the client).
const requestQueue = 16

type queued struct {
	req   *jsonrpc.Request
	start time.Time
}

// handleFrame decodes and runs one frame on the calling goroutine.
func (c *connState) handleFrame(frame []byte) {
	start := time.Now()
	if req := c.decode(frame, start); req != nil {
		c.run(req, start)
	}
}

// decode checks and decodes one frame; nil when it was refused (answered).
func (c *connState) decode(frame []byte, start time.Time) *jsonrpc.Request {
	s := c.server
	s.metrics.requests.Add(1)
	// A frame nested deeper than any request is refused before it is
	// decoded (limits.go), answered with its id when it has a plain one.
	if depth, id := jsonrpc.Depth(frame); depth > s.cfg.Limits.MaxJSONDepth {
		c.refuse(start, jsonrpc.Response{ID: id, Error: errTooDeep(depth, s.cfg.Limits.MaxJSONDepth)})
		return nil
	}
	req, perr := jsonrpc.DecodeRequest(frame)
	if perr != nil {
		c.refuse(start, jsonrpc.Response{Error: perr})
		return nil
	}
	return req
}

// run executes one decoded request and answers it.
func (c *connState) run(req *jsonrpc.Request, start time.Time) {
	s := c.server
	resp, cached, r := c.execute(req)
	if resp.Error != nil {
		s.metrics.requestErrors.Add(1)
	}
	if req.HasID {
		if cached != nil {
			_ = c.conn.Send(cached)
		} else {
			c.send(resp)
		}
	}
	s.cfg.Requests.ObserveRequest(requestLabel(req.Method, r), time.Since(start), errorCode(resp.Error))
}

// refuse answers a frame that is not a request it can run.
func (c *connState) refuse(start time.Time, resp jsonrpc.Response) {
	c.server.metrics.requestErrors.Add(1)
	c.send(resp)
	c.server.cfg.Requests.ObserveRequest("invalid", time.Since(start), resp.Error.Code)
}

func (c *connState) send(resp jsonrpc.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		c.server.log.Error("marshal response", "err", err)
		return
	}
	_ = c.conn.Send(b)
}

// execute runs one top-level request: session injection, the request cache,
// dispatch, and connection⇄session binding from the answer's sessionId.
// It returns either a response or cached response bytes, and the request
// when it could be decoded.
func (c *connState) execute(req *jsonrpc.Request) (jsonrpc.Response, []byte, *request) {
	s := c.server
	resp := jsonrpc.Response{ID: req.ID}
	r, err := newRequest(c, req.Method, req.Params, "")
	if err != nil {
		resp.Error = err
		return resp, nil, nil
	}
	cacheable := !s.cfg.DisableRequestCache && req.HasID && r.sessionID != "" && r.method != "ping" && r.method != "connect"
	if cacheable {
		if b := s.cache.get(r.sessionID, req.ID); b != nil {
			return resp, b, r
		}
	}
	result, herr := r.dispatch()
	if herr != nil {
		resp.Error = toRPCError(herr, req.Method)
	} else {
		resp.Result = result
		if m, ok := result.(map[string]any); ok {
			if sid, ok := m["sessionId"].(string); ok && sid != "" {
				s.bind(c, sid)
			}
		}
	}
	if cacheable {
		if b, err := json.Marshal(resp); err == nil {
			s.cache.put(r.sessionID, req.ID, b)
		}
	}
	return resp, nil, r
}
