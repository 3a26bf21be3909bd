package kms

import (
	"strconv"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/jsonrpc"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// Limits bound what one client can make the server hold; the keys, defaults
// and meaning are config.KurentoLimits' (docs/operations.md). A zero field
// takes its default.
type Limits = config.KurentoLimits

func withDefaultLimits(l Limits) Limits {
	d := config.DefaultKurentoLimits()
	for _, f := range []struct{ v, def *int }{
		{&l.MaxJSONDepth, &d.MaxJSONDepth}, {&l.MaxTransactionOperations, &d.MaxTransactionOperations}, {&l.MaxSessions, &d.MaxSessions},
		{&l.MaxSessionsPerConnection, &d.MaxSessionsPerConnection}, {&l.MaxSessionIDLength, &d.MaxSessionIDLength},
		{&l.MaxObjectsPerSession, &d.MaxObjectsPerSession}, {&l.MaxTagsPerObject, &d.MaxTagsPerObject},
		{&l.MaxTagBytesPerObject, &d.MaxTagBytesPerObject}, {&l.MaxIceCandidates, &d.MaxIceCandidates},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// errLimit is the answer to a request beyond a limit: NOT_ENOUGH_RESOURCES
// naming the configuration key that sets it.
func errLimit(key string, limit int, format string, args ...any) *jsonrpc.Error {
	e := kurentoError(wire.ErrNotEnoughResources, format, args...)
	e.Message += limitSuffix(key, limit)
	return e
}

func limitSuffix(key string, limit int) string {
	return " (limit " + strconv.Itoa(limit) + ", kurento." + key + ")"
}

// errTooDeep answers a frame nested deeper than the limit, before it is
// decoded: encoding/json would keep a stack as deep as the frame and copy
// every level kept raw (a 216 KiB frame of nested transactions cost ~1.7 GiB).
func errTooDeep(depth, limit int) *jsonrpc.Error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest,
		Message: "Invalid JSON-RPC request: JSON nested " + strconv.Itoa(depth) + " levels deep" + limitSuffix("maxJsonDepth", limit)}
}

// createsSession reports whether a request may open a session: every method
// but those that only use an existing one.
func createsSession(method, sessionID string) bool {
	switch method {
	case "ping", "keepAlive", "closeSession":
		return false
	case "connect":
		return sessionID == ""
	}
	return true
}

// admit checks a top-level request against the session limits and the
// connection's credential before it runs: the session id's length, whose
// session it names, and, when it would open a session, how many the
// connection and the server hold.
func (c *connState) admit(r *request) *jsonrpc.Error {
	s := c.server
	lim := s.cfg.Limits
	if len(r.sessionID) > lim.MaxSessionIDLength {
		return kurentoError(wire.ErrInvalidSession, "Invalid session: a session id has at most %d bytes, got %d (kurento.maxSessionIdLength)",
			lim.MaxSessionIDLength, len(r.sessionID))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.sessionID != "" {
		if sess := s.sessions[r.sessionID]; sess != nil {
			if !c.sees(sess) {
				return errInvalidSession()
			}
			return nil
		}
	}
	if !createsSession(r.method, r.sessionID) {
		return nil
	}
	if n := len(s.sessions); n >= lim.MaxSessions {
		return errLimit("maxSessions", lim.MaxSessions, "The server holds %d sessions: no new session", n)
	}
	if c.opened >= lim.MaxSessionsPerConnection {
		return errLimit("maxSessionsPerConnection", lim.MaxSessionsPerConnection, "This connection opened %d sessions: no new session", c.opened)
	}
	return nil
}

func errInvalidSession() *jsonrpc.Error {
	return kurentoError(wire.ErrInvalidSession, "Invalid session")
}

// checkObjectLimitLocked refuses a create in a session that holds its limit
// of objects.
func (s *Server) checkObjectLimitLocked(sess *session) error {
	if max := s.cfg.Limits.MaxObjectsPerSession; len(sess.objects) >= max {
		return errLimit("maxObjectsPerSession", max, "Session holds %d objects: release some before creating more", len(sess.objects))
	}
	return nil
}
