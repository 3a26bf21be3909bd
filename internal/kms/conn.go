package kms

import (
	"encoding/json"

	"github.com/gorento/gorento/internal/jsonrpc"
)

// connState is one client WebSocket. Its requests run one after another on
// the connection's read goroutine, so their effects happen in arrival order
// as KMS guarantees; answers and events share one ordered send queue.
type connState struct {
	server *Server
	conn   sender
	// session is the session bound to this connection (guarded by Server.mu).
	session *session
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
	for {
		frame, err := ws.ReadFrame()
		if err != nil {
			return
		}
		c.handleFrame(frame)
	}
}

func (c *connState) handleFrame(frame []byte) {
	s := c.server
	s.metrics.requests.Add(1)
	req, perr := jsonrpc.DecodeRequest(frame)
	if perr != nil {
		s.metrics.requestErrors.Add(1)
		c.send(jsonrpc.Response{Error: perr})
		return
	}
	resp, cached := c.execute(req)
	if !req.HasID {
		return
	}
	if cached != nil {
		_ = c.conn.Send(cached)
		return
	}
	if resp.Error != nil {
		s.metrics.requestErrors.Add(1)
	}
	c.send(resp)
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
// It returns either a response or cached response bytes.
func (c *connState) execute(req *jsonrpc.Request) (jsonrpc.Response, []byte) {
	s := c.server
	resp := jsonrpc.Response{ID: req.ID}
	r, err := newRequest(c, req.Method, req.Params, false)
	if err != nil {
		resp.Error = err
		return resp, nil
	}
	cacheable := !s.cfg.DisableRequestCache && req.HasID && r.sessionID != "" && r.method != "ping" && r.method != "connect"
	if cacheable {
		if b := s.cache.get(r.sessionID, req.ID); b != nil {
			return resp, b
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
	return resp, nil
}
