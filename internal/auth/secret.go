package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"sort"
	"strings"
)

// SecretParam is the URL query parameter carrying a credential: the name
// kurento-client uses for its access_token option.
const SecretParam = "access_token"

// Secrets are the Kurento Protocol port's shared secrets: credential name →
// secret. The name becomes the connection's Identity.
type Secrets struct {
	names   []string
	digests [][32]byte // sha256 of each secret: fixed-length, constant-time comparison
}

// NewSecrets holds the credentials; nil when there are none (open port).
func NewSecrets(byName map[string]string) *Secrets {
	if len(byName) == 0 {
		return nil
	}
	s := &Secrets{}
	for name := range byName {
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	for _, name := range s.names {
		s.digests = append(s.digests, sha256.Sum256([]byte(byName[name])))
	}
	return s
}

// Check finds the credential a WebSocket handshake presents: the
// access_token query parameter, or an Authorization header (Bearer
// <secret>, or Basic with the secret as password, as Node's ws sends for
// ws://user:secret@host URIs). It returns the credential's name.
func (s *Secrets) Check(r *http.Request) (string, bool) {
	for _, candidate := range Presented(r) {
		if name, ok := s.match(candidate); ok {
			return name, true
		}
	}
	return "", false
}

func (s *Secrets) match(candidate string) (string, bool) {
	d := sha256.Sum256([]byte(candidate))
	found := -1
	for i := range s.digests { // no early exit: time does not depend on which one matched
		if subtle.ConstantTimeCompare(d[:], s.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return s.names[found], true
}

// Presented returns the credentials a request carries, query first.
func Presented(r *http.Request) []string {
	var out []string
	if v := r.URL.Query().Get(SecretParam); v != "" {
		out = append(out, v)
	}
	h := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(h, " "); ok {
		switch strings.ToLower(scheme) {
		case "bearer":
			out = append(out, strings.TrimSpace(rest))
		case "basic":
			if _, pass, ok := r.BasicAuth(); ok {
				out = append(out, pass)
			}
		}
	}
	return out
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) string {
	scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(rest)
}
