package kms

import (
	"net/http"
	"sort"

	"github.com/gorento/gorento/internal/auth"
)

// Credential scoping. When the Kurento port has credentials (auth), the
// transport attaches the one a connection presented to its request
// context. Sessions and objects belong to the credential of the connection
// that opened or created them, and a connection sees only its own:
// getSessions and getPipelines list them, connect and every request naming
// a session of another credential get "Invalid session", a request whose
// target object belongs to another credential gets "object not found", and
// ObjectCreated/ObjectDestroyed reach only sessions of the object's
// credential. Tags are kept per credential too (tags.go): the
// ServerManager's are shared by every client. On an open port every connection has the credential "" and
// sees everything, as with KMS.

// credentialOf returns the credential the transport attached to r.
func credentialOf(r *http.Request) string {
	if id, ok := auth.IdentityFrom(r.Context()); ok {
		return id.Credential
	}
	return ""
}

// sees reports whether the connection may use sess.
func (c *connState) sees(sess *session) bool { return sess.credential == c.credential }

// seesObject reports whether the connection may address o.
func (c *connState) seesObject(o *Object) bool {
	return c == nil || o.owner == c.credential || o == c.server.manager
}

// sessionIDs lists the sessions the connection sees, sorted.
func (c *connState) sessionIDs() []string {
	s := c.server
	s.mu.Lock()
	ids := make([]string, 0, len(s.sessions))
	for id, sess := range s.sessions {
		if c.sees(sess) {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	sort.Strings(ids)
	return ids
}

// pipelineIDs lists the pipelines the connection sees, oldest first.
func (c *connState) pipelineIDs() []string {
	ids := []string{}
	for _, p := range c.server.pipelines() {
		if c.seesObject(p) {
			ids = append(ids, p.id)
		}
	}
	return ids
}

// lookupVisible resolves an object id for a request of connection c.
func (s *Server) lookupVisible(c *connState, id string) (*Object, error) {
	o, err := s.lookupObject(id)
	if err != nil {
		return nil, err
	}
	if !c.seesObject(o) {
		return nil, errObjectNotFound(id)
	}
	return o, nil
}

// ownerOf is the credential an object created in sess belongs to.
func ownerOf(sess *session) string {
	if sess == nil {
		return ""
	}
	return sess.credential
}
