package auth

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// OriginPolicy decides which browser pages may open our WebSockets and
// call the room API: the server's own origin, plus a configured list.
// Requests without an Origin header come from non-browser clients (Node,
// Java, Go, curl), which no web page can impersonate; they are allowed.
type OriginPolicy struct {
	any     bool
	allowed map[string]bool // normalised "scheme://host:port"
}

// NewOriginPolicy builds a policy from "scheme://host[:port]" entries; "*"
// allows every origin and "null" the opaque origin (file://, sandboxes).
func NewOriginPolicy(list []string) (*OriginPolicy, error) {
	p := &OriginPolicy{allowed: map[string]bool{}}
	for _, o := range list {
		switch o {
		case "*":
			p.any = true
			continue
		case "null":
			p.allowed["null"] = true
			continue
		}
		n, err := normaliseOrigin(o)
		if err != nil {
			return nil, err
		}
		p.allowed[n] = true
	}
	return p, nil
}

// Allowed reports whether the request's Origin may proceed.
func (p *OriginPolicy) Allowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || p.any {
		return true
	}
	if origin == "null" {
		return p.allowed["null"]
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	// Same origin: the page was served by the host:port this request is
	// addressed to (what gorilla/websocket checks by default).
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	n, err := normaliseOrigin(origin)
	return err == nil && p.allowed[n]
}

// normaliseOrigin lower-cases scheme and host and adds the default port.
func normaliseOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("auth: %q is not an origin (scheme://host[:port])", o)
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		switch scheme {
		case "https", "wss":
			port = "443"
		default:
			port = "80"
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return scheme + "://" + host + ":" + port, nil
}
