package room

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/jsonrpc"
)

// wsConn is one WebSocket connection. Its requests run one after another on
// its read goroutine, so a participant's requests take effect in order.
type wsConn struct {
	srv     *Server
	conn    *jsonrpc.Conn
	session *Session // set on the first non-ping request (guarded by Server.mu)
	cred    credential

	pingMu   sync.Mutex
	interval time.Duration // keepalive interval announced by the client
	lastPing time.Time
}

func newWsConn(s *Server, conn *jsonrpc.Conn, cred credential) *wsConn {
	return &wsConn{srv: s, conn: conn, cred: cred, interval: s.cfg.PingTimeout, lastPing: time.Now()}
}

func (w *wsConn) serve() {
	done := make(chan struct{})
	go w.watchdog(done)
	defer func() {
		close(done)
		_ = w.conn.Close()
		w.srv.mu.Lock()
		sess := w.session
		w.srv.mu.Unlock()
		if sess != nil {
			sess.detach(w)
		}
	}()
	for {
		frame, err := w.conn.ReadFrame()
		if err != nil {
			return
		}
		w.handle(frame)
	}
}

// watchdog closes the connection when the client stops pinging for three
// of its announced intervals, as the Kurento JSON-RPC server does.
func (w *wsConn) watchdog(done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-w.conn.Done():
			return
		case <-t.C:
		}
		w.pingMu.Lock()
		late := time.Since(w.lastPing) > 3*w.interval
		w.pingMu.Unlock()
		if late {
			w.srv.log.Info("closing silent room connection (no ping)", "addr", w.conn.RemoteAddr())
			_ = w.conn.Close()
			return
		}
	}
}

func (w *wsConn) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.srv.log.Error("marshal", "err", err)
		return
	}
	_ = w.conn.Send(b)
}

// handle decodes and executes one frame.
func (w *wsConn) handle(frame []byte) {
	req, perr := jsonrpc.DecodeRequest(frame)
	if perr != nil {
		w.send(jsonrpc.Response{Error: perr})
		return
	}
	var params map[string]any
	if req.Params != nil {
		if err := json.Unmarshal(req.Params, &params); err != nil {
			if req.HasID {
				w.send(jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "params must be an object"}})
			}
			return
		}
	}
	if params == nil {
		params = map[string]any{}
	}
	switch req.Method {
	case "ping":
		w.ping(req, params)
		return
	case "connect":
		w.reconnect(req, params)
		return
	}
	sess := w.sessionFor()
	if req.Method == "joinRoom" {
		sess.hold()
		defer sess.release()
	}
	start := time.Now()
	resp, after := sess.dispatch(req.Method, params)
	code := 0
	if resp.Error != nil {
		code = resp.Error.Code
	}
	w.srv.cfg.Requests.ObserveRequest(knownMethod(req.Method), time.Since(start), code)
	if req.HasID {
		resp.ID = req.ID
		w.send(sess.wrap(resp))
	}
	if after != nil {
		after()
	}
}

func (w *wsConn) ping(req *jsonrpc.Request, params map[string]any) {
	w.pingMu.Lock()
	w.lastPing = time.Now()
	if ms, ok := params["interval"].(float64); ok && ms > 0 {
		w.interval = time.Duration(ms) * time.Millisecond
	}
	w.pingMu.Unlock()
	if req.HasID {
		res := map[string]any{"value": "pong"}
		if sid, ok := params["sessionId"].(string); ok && sid != "" {
			res["sessionId"] = sid
		}
		w.send(jsonrpc.Response{ID: req.ID, Result: res})
	}
}

// reconnect re-attaches a session that lost its socket (within the grace
// period) to this connection.
func (w *wsConn) reconnect(req *jsonrpc.Request, params map[string]any) {
	sid, _ := params["sessionId"].(string)
	s := w.srv
	if sid == "" {
		sess := w.sessionFor()
		w.send(jsonrpc.Response{ID: req.ID, Result: map[string]any{"value": "OK", "sessionId": sess.id}})
		return
	}
	s.mu.Lock()
	sess := s.sessions[sid]
	s.mu.Unlock()
	if sess != nil && !sess.mayResume(w.cred) {
		w.send(jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{Code: CodeUnauthorized,
			Message: "Unauthorized: resuming a session needs an access token of its user"}})
		return
	}
	if sess == nil || !sess.attach(w) {
		w.send(jsonrpc.Response{ID: req.ID, Error: &jsonrpc.Error{Code: 40007, Message: "reconnection error"}})
		return
	}
	w.send(jsonrpc.Response{ID: req.ID, Result: map[string]any{"value": "reconnection successful", "sessionId": sess.id}})
}

// sessionFor returns the wsConn's session, creating it on first use.
func (w *wsConn) sessionFor() *Session {
	s := w.srv
	s.mu.Lock()
	if w.session == nil {
		sess := &Session{id: newSessionID(), srv: s, sock: w}
		w.session = sess
		s.sessions[sess.id] = sess
	}
	sess := w.session
	s.mu.Unlock()
	return sess
}

// Session is a room JSON-RPC session: it outlives its socket for the
// reconnection grace period. Its id is the participant id.
type Session struct {
	id  string
	srv *Server

	mu             sync.Mutex // guards the fields below
	sock           *wsConn
	claims         *auth.Claims // the token it joined with (nil: tokenless, development mode)
	participant    *Participant
	grace          *time.Timer
	ended          bool
	holding        bool  // notifications wait until the join answer is out
	closeOnRelease bool  // ended while holding: release closes the socket
	held           []any // notifications waiting
}

// ID returns the session id.
func (s *Session) ID() string { return s.id }

// notify sends a notification if the session is connected.
func (s *Session) notify(method string, params any) {
	n := jsonrpc.Notification{Method: method, Params: params}
	if method != "iceCandidate" {
		s.srv.log.Debug("notify", "session", s.id, "method", method, "params", params, "user", s.userName())
	}
	s.mu.Lock()
	if s.holding {
		s.held = append(s.held, n)
		s.mu.Unlock()
		return
	}
	w := s.sock
	s.mu.Unlock()
	if w != nil {
		w.send(n)
	}
}

// hold delays notifications until release: a joining participant must get
// its join answer (the room as it is) before news about the room, or it
// would hear of participants it does not know yet.
func (s *Session) hold() {
	s.mu.Lock()
	s.holding = true
	s.mu.Unlock()
}

// release sends the held notifications, in order.
func (s *Session) release() {
	s.mu.Lock()
	held, w, closing := s.held, s.sock, s.closeOnRelease
	s.held, s.holding, s.closeOnRelease = nil, false, false
	s.mu.Unlock()
	if w == nil {
		return
	}
	for _, n := range held {
		w.send(n)
	}
	if closing { // the session ended while notifications were held
		w.conn.CloseAfterFlush(websocket.CloseNormalClosure, "session ended")
	}
}

// closeAfterFlush closes the session's socket once queued frames are sent.
func (s *Session) closeAfterFlush() {
	s.mu.Lock()
	w := s.sock
	s.mu.Unlock()
	if w != nil {
		w.conn.CloseAfterFlush(1000, "bye")
	}
}

// wrap puts the session id into a result, as the Kurento JSON-RPC server
// does; results that are not objects go under "value".
func (s *Session) wrap(resp jsonrpc.Response) jsonrpc.Response {
	if resp.Error != nil {
		return resp
	}
	switch r := resp.Result.(type) {
	case map[string]any:
		r["sessionId"] = s.id
	case nil:
		resp.Result = map[string]any{"sessionId": s.id}
	default:
		resp.Result = map[string]any{"value": r, "sessionId": s.id}
	}
	return resp
}

// detach is called when the session's socket closes: the participant stays
// for the grace period, then is evicted.
func (s *Session) detach(w *wsConn) {
	s.mu.Lock()
	if s.sock != w || s.ended {
		s.mu.Unlock()
		return
	}
	s.sock = nil
	s.grace = time.AfterFunc(s.srv.cfg.ReconnectGrace, s.evict)
	s.mu.Unlock()
}

// attach moves the session to a new socket; false if it already ended.
func (s *Session) attach(w *wsConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	if s.grace != nil {
		s.grace.Stop()
		s.grace = nil
	}
	if old := s.sock; old != nil && old != w {
		old.srv.mu.Lock()
		old.session = nil
		old.srv.mu.Unlock()
		_ = old.conn.Close()
	}
	s.sock = w
	w.srv.mu.Lock()
	w.session = s
	w.srv.mu.Unlock()
	return true
}

// evict removes the participant after the grace period (or closeSession):
// the others get participantLeft, the session participantEvicted.
func (s *Session) evict() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.mu.Lock()
	p := s.participant
	s.mu.Unlock()
	if p != nil {
		s.srv.log.Info("evicting participant", "room", p.room.name, "user", p.name)
		p.room.leave(ctx, p)
		s.notify("participantEvicted", map[string]any{})
	}
	s.end()
}

// end forgets the session.
func (s *Session) end() {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	if s.grace != nil {
		s.grace.Stop()
	}
	w := s.sock
	// While a join answer is being sent, notifications are held: the socket
	// closes after release has sent them (participantEvicted among them), or
	// they would be queued behind the close and lost.
	s.closeOnRelease = s.holding
	closeNow := !s.holding
	s.mu.Unlock()
	if w != nil && closeNow { // after what was queued (participantEvicted)
		w.conn.CloseAfterFlush(websocket.CloseNormalClosure, "session ended")
	}
	s.srv.mu.Lock()
	delete(s.srv.sessions, s.id)
	s.srv.mu.Unlock()
}

func (s *Session) userName() string {
	if p := s.participantOrNil(); p != nil {
		return p.name
	}
	return ""
}

func (s *Session) participantOrNil() *Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.participant
}
