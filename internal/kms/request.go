package kms

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"runtime/debug"

	"github.com/gorento/gorento/internal/jsonrpc"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// request is one Kurento Protocol call being executed, top-level or inside a
// transaction.
type request struct {
	conn      *connState
	method    string
	params    map[string]json.RawMessage // nil when the request had no params
	sessionID string                     // explicit, injected, or "" (issued on demand)
	inTx      bool
	label     string // metrics name once the class table resolved it (requestLabel)
}

// handler executes one protocol method and returns its result object.
type handler func(r *request) (any, error)

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"ping":         (*request).ping,
		"create":       (*request).create,
		"invoke":       (*request).invoke,
		"describe":     (*request).describe,
		"subscribe":    (*request).subscribe,
		"unsubscribe":  (*request).unsubscribe,
		"release":      (*request).releaseObject,
		"transaction":  (*request).transaction,
		"connect":      (*request).connect,
		"keepAlive":    (*request).keepAlive,
		"ref":          (*request).ref,
		"unref":        (*request).unref,
		"closeSession": (*request).closeSession,
	}
}

// paramsOptional lists the methods that may be sent without params.
var paramsOptional = map[string]bool{"ping": true, "connect": true}

// newRequest decodes a request's params once. Inside a transaction,
// txSession is the transaction's session, which every operation runs in.
func newRequest(c *connState, method string, raw json.RawMessage, txSession string) (*request, *jsonrpc.Error) {
	if _, ok := handlers[method]; !ok {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound, Message: "Method not found."}
	}
	inTx := txSession != ""
	r := &request{conn: c, method: method, inTx: inTx}
	if inTx && raw != nil && isJSONNull(raw) {
		raw = nil
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &r.params); err != nil || r.params == nil {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "'params' should be an object", Data: map[string]string{"type": "INVALID_PARAMS"}}
		}
	} else if inTx {
		r.params = map[string]json.RawMessage{} // an operation's params carry at least its session
	} else if !paramsOptional[method] {
		return nil, errParamsRequired
	}
	if inTx {
		r.sessionID = txSession
		return r, nil
	}
	if raw, ok := r.params["sessionId"]; ok && !isJSONNull(raw) {
		if err := json.Unmarshal(raw, &r.sessionID); err != nil {
			return nil, errTopLevel("sessionId", "should be a string")
		}
	}
	if r.sessionID == "" && c != nil && method != "connect" {
		c.server.mu.Lock()
		if c.session != nil {
			r.sessionID = c.session.id // KMS injects the bound session
		}
		c.server.mu.Unlock()
	}
	if c != nil {
		if err := c.admit(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// dispatch runs the request's handler. A panic in it (a bug) becomes an
// UNEXPECTED_ERROR answer and a logged stack: one bad request never takes
// the server down.
func (r *request) dispatch() (result any, err error) {
	defer func() {
		if v := recover(); v != nil {
			log := slog.Default()
			if r.conn != nil {
				log = r.conn.server.log
			}
			log.Error("panic while handling a request", "method", r.method, "panic", v, "stack", string(debug.Stack()))
			result, err = nil, kurentoError(wire.ErrUnexpected, "Internal error while processing '%s'", r.method)
		}
	}()
	return handlers[r.method](r)
}

func isJSONNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// str reads a required top-level string param (KMS: -32000 errors).
func (r *request) str(name string) (string, error) {
	raw, ok := r.params[name]
	if !ok {
		return "", errTopLevel(name, "is required")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errTopLevel(name, "should be a string")
	}
	return s, nil
}

// session returns the request's session, creating it when needed.
func (r *request) session() *session {
	s := r.conn.server
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessionLocked(r.sessionID, r.conn)
	r.sessionID = sess.id
	return sess
}

// object resolves a top-level object param and references it from the
// request's session, as KMS does for describe, invoke and subscribe.
func (r *request) object(name string) (*Object, *session, error) {
	id, err := r.str(name)
	if err != nil {
		return nil, nil, err
	}
	s := r.conn.server
	o, err := s.lookupVisible(r.conn, id)
	if err != nil {
		return nil, nil, err
	}
	sess := r.session()
	s.mu.Lock()
	if !o.released {
		s.refLocked(o, sess)
	}
	s.mu.Unlock()
	return o, sess, nil
}

func (r *request) result(value any) map[string]any {
	return map[string]any{"value": value, "sessionId": r.sessionID}
}

func (r *request) sessionOnly() map[string]any { return map[string]any{"sessionId": r.sessionID} }
