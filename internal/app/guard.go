package app

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/metrics"
)

// wsGuard admits WebSocket handshakes to one kind of endpoint ("kurento",
// "room") before any JSON-RPC reaches the protocol server behind it: it
// refuses them while the server drains, from a browser page of a foreign
// origin, without the endpoint's credential, or beyond the connections
// allowed per remote address. Plain HTTP requests pass through.
type wsGuard struct {
	endpoint string
	origins  *auth.OriginPolicy
	secrets  *auth.Secrets // nil: no credential needed
	addrs    *addrLimiter
	draining *atomic.Bool
	conns    metrics.ConnObserver
	log      *slog.Logger
	next     http.Handler
}

func (g *wsGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		g.next.ServeHTTP(w, r)
		return
	}
	refuse := func(status int, reason, msg string) {
		g.conns.ConnRefused(g.endpoint, reason)
		g.log.Debug("websocket refused", "endpoint", g.endpoint, "reason", reason, "addr", r.RemoteAddr, "origin", r.Header.Get("Origin"))
		http.Error(w, msg, status)
	}
	if g.draining.Load() {
		w.Header().Set("Retry-After", "5")
		refuse(http.StatusServiceUnavailable, "draining", "gorento is shutting down")
		return
	}
	if !g.origins.Allowed(r) {
		refuse(http.StatusForbidden, "origin", "origin not allowed: "+r.Header.Get("Origin")+" (see auth.allowedOrigins)")
		return
	}
	if g.secrets != nil {
		name, ok := g.secrets.Check(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gorento `+g.endpoint+`"`)
			refuse(http.StatusUnauthorized, "credential", "a valid credential is required (?access_token=<secret> or Authorization header)")
			return
		}
		r = r.WithContext(auth.WithIdentity(r.Context(), auth.Identity{Credential: name}))
	}
	ip := remoteIP(r)
	if !g.addrs.acquire(ip) {
		refuse(http.StatusTooManyRequests, "address-limit", "too many WebSocket connections from "+ip)
		return
	}
	defer g.addrs.release(ip)
	g.conns.ConnOpened(g.endpoint)
	defer g.conns.ConnClosed(g.endpoint)
	g.next.ServeHTTP(w, r) // returns when the WebSocket closes
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// addrLimiter counts open connections per remote address.
type addrLimiter struct {
	max int

	mu   sync.Mutex // guards open
	open map[string]int
}

func newAddrLimiter(max int) *addrLimiter { return &addrLimiter{max: max, open: map[string]int{}} }

func (l *addrLimiter) acquire(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.open[ip] >= l.max {
		return false
	}
	l.open[ip]++
	return true
}

// total returns the open connections of every address.
func (l *addrLimiter) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.open {
		n += c
	}
	return n
}

func (l *addrLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}
