package kms

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/gorento/gorento/internal/jsonrpc"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// ping answers {"value":"pong"}, with the sessionId when the request carried
// one or the connection is bound (KMS injects it).
func (r *request) ping() (any, error) {
	res := map[string]any{"value": "pong"}
	if r.sessionID != "" {
		res["sessionId"] = r.sessionID
	}
	return res, nil
}

func (r *request) describe() (any, error) {
	o, _, err := r.object("object")
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"type":          o.class.Name,
		"qualifiedType": o.class.QualifiedName(),
		"hierarchy":     o.class.Hierarchy(),
		"sessionId":     r.sessionID,
	}, nil
}

func (r *request) create() (any, error) {
	typeName, err := r.str("type")
	if err != nil {
		return nil, err
	}
	s := r.conn.server
	class := s.classes.factory(typeName)
	if class == nil {
		return nil, kurentoError(wire.ErrObjectNotAvailable, "Factory '%s' not found", typeName)
	}
	r.label = "create:" + class.Name
	raw, present := r.params["constructorParams"]
	p, ok := parseParams(raw)
	if !ok {
		return nil, kurentoError(wire.ErrMarshall, "'constructorParams' should be an object")
	}
	if !present && hasRequired(class.Constructor.Params) {
		return nil, kurentoError(wire.ErrMarshall, "'constructorParams' is required")
	}
	sess := r.session()
	s.mu.Lock()
	err = s.checkObjectLimitLocked(sess)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	cc := &createCall{server: s, class: class, session: sess}
	if err := class.Constructor.create(cc, p); err != nil {
		return nil, err
	}
	s.register(cc.obj, sess)
	s.markInUse(sess.id)
	return r.result(cc.obj.id), nil
}

func (r *request) invoke() (any, error) {
	o, sess, err := r.object("object")
	if err != nil {
		return nil, err
	}
	op, err := r.str("operation")
	if err != nil {
		return nil, err
	}
	raw, present := r.params["operationParams"]
	p, ok := parseParams(raw)
	m := o.class.lookup(op)
	bare := false
	if !ok && m != nil {
		p, bare = bareIDParams(m, raw)
		ok = bare
	}
	if m == nil {
		n := 0
		if ok {
			n = p.len()
		}
		return nil, kurentoError(wire.ErrMalformedTransaction, "Method '%s' with %d parameters not found", op, n)
	}
	r.label = "invoke:" + op
	if (!present || !ok) && hasRequired(m.Params) {
		return nil, kurentoError(wire.ErrMarshall, "'operationParams' is required")
	}
	if !ok {
		p, _ = parseParams(nil)
	}
	c := &call{server: r.conn.server, obj: o, session: sess, conn: r.conn}
	if o.released {
		return nil, errObjectNotFound(o.id)
	}
	value, err := m.invoke(c, p)
	if err != nil {
		var je *jsonrpc.Error
		if bare && p.len() < len(m.Params) && errors.As(err, &je) && je.Code == wire.ErrMarshall {
			return nil, kurentoError(wire.ErrMarshall, "%s: 'operationParams' arrived as the bare value %s, not an object: "+
				"kurento-client (JavaScript, up to 7.3) sends only the `id` of a method's parameters when one is called id "+
				"(its serializeParams takes any object with an id for a MediaObject), so %s's other parameters were lost; "+
				"call it from another client (Java, Python, Go) or over JSON-RPC", je.Message, raw, op)
		}
		return nil, err
	}
	return r.result(value), nil
}

// bareIDParams reads a bare JSON string or number given as operationParams
// as the method's "id" parameter. The npm kurento-client (7.3) turns the
// operationParams {id: "logo", …} of ImageOverlayFilter.addImage and
// removeImage into "logo": its serializeParams replaces every value with an
// id member by that id once the request names an object. removeImage(id)
// loses nothing; a method with more parameters then fails with the reason.
func bareIDParams(m *Method, raw json.RawMessage) (*params, bool) {
	v := bytes.TrimSpace(raw)
	if len(v) == 0 || (v[0] != '"' && v[0] != '-' && (v[0] < '0' || v[0] > '9')) || !json.Valid(v) {
		return nil, false
	}
	for _, ps := range m.Params {
		if ps.Name == "id" {
			return &params{raw: map[string]json.RawMessage{"id": json.RawMessage(v)}}, true
		}
	}
	return nil, false
}

func (r *request) subscribe() (any, error) {
	o, sess, err := r.object("object")
	if err != nil {
		return nil, err
	}
	event, err := r.str("type")
	if err != nil {
		return nil, err
	}
	if !o.class.HasEvent(event) {
		return nil, kurentoError(wire.ErrEventNotSupported, "Event '%s' not supported", event)
	}
	id := uuid.NewString()
	s := r.conn.server
	s.mu.Lock()
	if !o.released {
		s.subs.addLocked(id, subscriptionKey{object: o.id, event: event, session: sess.id})
	}
	s.mu.Unlock()
	return r.result(id), nil
}

// unsubscribe always succeeds: kurento-client unsubscribes after releasing.
func (r *request) unsubscribe() (any, error) {
	if _, err := r.str("object"); err != nil {
		return nil, err
	}
	sub, err := r.str("subscription")
	if err != nil {
		return nil, err
	}
	r.session()
	s := r.conn.server
	s.mu.Lock()
	s.subs.removeLocked(sub)
	s.mu.Unlock()
	return r.sessionOnly(), nil
}

// releaseObject succeeds for unknown and already released objects.
func (r *request) releaseObject() (any, error) {
	id, err := r.str("object")
	if err != nil {
		return nil, err
	}
	r.session()
	s := r.conn.server
	s.mu.Lock()
	o := s.objects[id]
	s.mu.Unlock()
	if o != nil && r.conn.seesObject(o) {
		s.release(o)
	}
	return r.sessionOnly(), nil
}

// connect re-attaches a client to its session after a reconnection.
func (r *request) connect() (any, error) {
	s := r.conn.server
	if r.sessionID == "" {
		r.session()
	} else if !s.markInUse(r.sessionID) {
		return nil, kurentoError(wire.ErrInvalidSession, "Invalid session")
	}
	return map[string]any{"serverId": s.serverID, "sessionId": r.sessionID}, nil
}

func (r *request) keepAlive() (any, error) {
	if r.sessionID == "" {
		return nil, errTopLevel("sessionId", "is required")
	}
	if !r.conn.server.markInUse(r.sessionID) {
		return nil, kurentoError(wire.ErrInvalidSession, "Invalid session")
	}
	return r.sessionOnly(), nil
}

func (r *request) ref() (any, error) {
	_, _, err := r.object("object")
	if err != nil {
		return nil, err
	}
	r.conn.server.markInUse(r.sessionID)
	return r.sessionOnly(), nil
}

func (r *request) unref() (any, error) {
	id, err := r.str("object")
	if err != nil {
		return nil, err
	}
	s := r.conn.server
	o, err := s.lookupVisible(r.conn, id)
	if err != nil {
		return nil, err
	}
	sess := r.session()
	s.unrefObject(o, sess)
	return r.sessionOnly(), nil
}

// closeSession drops the session; KMS answers "result": null.
func (r *request) closeSession() (any, error) {
	if r.sessionID == "" {
		return nil, errTopLevel("sessionId", "is required")
	}
	release := false
	if raw, ok := r.params["release"]; ok {
		if err := json.Unmarshal(raw, &release); err != nil {
			return nil, errTopLevel("release", "should be a boolean")
		}
	}
	s := r.conn.server
	s.mu.Lock()
	sess := s.sessions[r.sessionID]
	s.mu.Unlock()
	if sess == nil {
		return nil, kurentoError(wire.ErrInvalidSession, "Invalid session")
	}
	s.dropSession(sess, release)
	return nil, nil
}

func hasRequired(specs []ParamSpec) bool {
	for _, p := range specs {
		if p.Required {
			return true
		}
	}
	return false
}

// call is the context of one invoke on an object.
type call struct {
	server  *Server
	obj     *Object
	session *session
	conn    *connState
}

// createCall is the context of one create; the class's Constructor fills obj.
type createCall struct {
	server  *Server
	class   *Class
	session *session
	obj     *Object
}

// newObject allocates the object for this create under parent (nil for a
// pipeline); the caller then attaches the implementation.
func (cc *createCall) newObject(parent *Object) *Object {
	o := &Object{class: cc.class, parent: parent, created: nowFunc()}
	o.id = newObjectID(parent, cc.class)
	o.name = o.id
	if parent == nil {
		o.pipeline = o
	} else {
		o.pipeline = parent.pipeline
	}
	cc.obj = o
	return o
}

// errNotImplemented is returned by operations Gorento does not provide yet.
func errNotImplemented(what string) error {
	return kurentoError(wire.ErrNotImplemented, "%s is not implemented by Gorento", what)
}
