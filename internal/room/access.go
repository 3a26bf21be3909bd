package room

import (
	"net/http"
	"strings"

	"github.com/gorento/gorento/internal/auth"
)

// CodeUnauthorized answers requests the access token does not allow
// (OpenVidu, Kurento Room's successor, uses the same code).
const CodeUnauthorized = 401

// credential is what a socket presented when it connected: an access
// token in the URL (?access_token=, so unmodified KurentoRoom.js apps can
// pass it) or in an Authorization: Bearer header.
type credential struct {
	token  bool         // a token was presented
	claims *auth.Claims // signature-checked claims, also when expired
	err    error        // why the token is not valid now (nil: valid)
}

func (s *Server) credentialOf(r *http.Request) credential {
	tok := r.URL.Query().Get(auth.SecretParam)
	if tok == "" {
		tok = auth.BearerToken(r)
	}
	if tok == "" {
		return credential{}
	}
	c, err := s.cfg.Keys.Verify(tok)
	return credential{token: true, claims: c, err: err}
}

func unauthorized(format string, args ...any) error {
	return roomError(CodeUnauthorized, "Unauthorized: "+format, args...)
}

// authorizeJoin checks that a socket's credential lets it join room as
// user. It returns the claims the session keeps (nil: a tokenless session
// in development mode, which may do everything).
func (s *Server) authorizeJoin(c credential, room, user string) (*auth.Claims, error) {
	if !c.token {
		if s.cfg.DevMode {
			return nil, nil
		}
		return nil, unauthorized("an access token is required (add ?access_token=<token> to the room server URL)")
	}
	if c.err != nil {
		return nil, unauthorized("%v", c.err)
	}
	cl := c.claims
	switch {
	case !cl.Grants.Join:
		return nil, unauthorized("the access token does not grant joining rooms")
	case !cl.AllowsRoom(room):
		return nil, unauthorized("the access token is for room '%s', not '%s'", cl.Room, room)
	case cl.Identity() != user:
		return nil, unauthorized("the access token is for user '%s', not '%s'", cl.Identity(), user)
	}
	return cl, nil
}

// authorize checks a joined session's grant for a request.
func (s *Session) authorize(method string) error {
	s.mu.Lock()
	cl := s.claims
	s.mu.Unlock()
	if cl == nil {
		return nil
	}
	var granted bool
	var what string
	switch method {
	case "publishVideo", "customRequest":
		granted, what = cl.Grants.Publish, "publishing"
	case "receiveVideoFrom":
		granted, what = cl.Grants.Subscribe, "subscribing"
	case "sendMessage":
		granted, what = cl.Grants.SendMessage, "sending messages"
	default:
		return nil
	}
	if !granted {
		return unauthorized("the access token does not grant %s", what)
	}
	return nil
}

// mayResume reports whether a new socket may take over the session: it
// must present a token of the same identity (its validity period may have
// passed: the session was authorized when it joined).
func (s *Session) mayResume(c credential) bool {
	s.mu.Lock()
	cl := s.claims
	s.mu.Unlock()
	if cl == nil {
		return true
	}
	return c.claims != nil && c.claims.Identity() == cl.Identity()
}

// nameError turns a names error into the room protocol's error.
func nameError(err error) error {
	msg := err.Error()
	return roomError(CodeGeneric, "%s", strings.ToUpper(msg[:1])+msg[1:])
}
