// Package uriep holds what Kurento's UriEndpoint subclasses share — the
// RecorderEndpoint (package recorder) and the PlayerEndpoint (package
// player): the STOP/START/PAUSE state and its change event, and the way a
// URI given by a client is completed and checked.
package uriep

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// State is a UriEndpoint's state.
type State uint8

// The states, in Kurento's order (UriEndpointState).
const (
	Stop State = iota
	Start
	Pause
)

// String returns Kurento's spelling: STOP, START, PAUSE.
func (s State) String() string {
	switch s {
	case Stop:
		return "STOP"
	case Start:
		return "START"
	case Pause:
		return "PAUSE"
	}
	return fmt.Sprintf("State(%d)", s)
}

// StateChanged reports a change of state (Kurento's UriEndpointStateChanged).
type StateChanged struct{ State State }

// MediaEvent implements media.Event.
func (StateChanged) MediaEvent() {}

// DefaultPath is Kurento's default for relative URIs (UriEndpoint.conf.ini).
const DefaultPath = "file:///var/lib/kurento/"

// ErrPathNotAllowed is returned for a file:// URI outside the allowed
// directories.
var ErrPathNotAllowed = errors.New("uri: path outside the allowed directories")

// Resolve completes a URI as KMS does: every "%2F" becomes "/", and a
// string that is not a URI with a scheme is taken as relative to
// defaultPath ("" = DefaultPath), joined with a "/".
func Resolve(uri, defaultPath string) string {
	uri = strings.ReplaceAll(uri, "%2F", "/")
	if hasScheme(uri) {
		return uri
	}
	if defaultPath == "" {
		defaultPath = DefaultPath
	}
	return defaultPath + "/" + uri
}

// hasScheme reports whether s starts with "scheme:" (RFC 3986: a letter,
// then letters, digits, "+", "-" or ".").
func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			return i > 0
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return false
}

// FilePath returns the local path of a file:// URI (cleaned), or false
// for other schemes.
func FilePath(uri string) (string, bool, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", false, fmt.Errorf("uri %q: %w", uri, err)
	}
	if !strings.EqualFold(u.Scheme, "file") {
		return "", false, nil
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", true, fmt.Errorf("uri %q: file URI with host %q", uri, u.Host)
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	if !filepath.IsAbs(p) {
		return "", true, fmt.Errorf("uri %q: file path is not absolute", uri)
	}
	return filepath.Clean(p), true, nil
}

// CheckPath returns ErrPathNotAllowed when roots is not empty and the
// local path of a file:// URI is not inside one of them (other schemes
// pass). Symbolic links are resolved as far as the path exists, so a link
// cannot lead out of a root.
func CheckPath(uri string, roots []string) error {
	if len(roots) == 0 {
		return nil
	}
	p, isFile, err := FilePath(uri)
	if !isFile {
		return nil
	}
	if err != nil {
		return err
	}
	real := resolveExisting(p)
	for _, r := range roots {
		root := resolveExisting(filepath.Clean(r))
		if real == root || strings.HasPrefix(real, root+string(filepath.Separator)) || root == string(filepath.Separator) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrPathNotAllowed, p)
}

// resolveExisting resolves symbolic links in the longest existing prefix
// of p and appends the rest.
func resolveExisting(p string) string {
	rest := ""
	for cur := p; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}
