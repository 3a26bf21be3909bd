package httpep

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// pathPrefix starts every endpoint's path.
const pathPrefix = "/gorento/http-post/"

// Engine serves the URLs of a server's HttpPostEndpoints.
type Engine struct {
	cfg Config

	mu     sync.Mutex // guards the fields below
	eps    map[string]*Endpoint
	count  int // endpoints not released (MaxEndpoints)
	srv    *http.Server
	addr   string // the listener's host:port
	closed bool
	served sync.WaitGroup
}

// NewEngine checks cfg; the HTTP server starts with the first endpoint.
func NewEngine(cfg Config) (*Engine, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Engine{cfg: c, eps: map[string]*Endpoint{}}, nil
}

// admit counts a new endpoint and starts the server if needed.
func (e *Engine) admit() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return fmt.Errorf("%w: the server is closing", ErrListen)
	}
	if e.count >= e.cfg.MaxEndpoints {
		return fmt.Errorf("%w (limit %d, httpEndpoint.maxEndpoints)", ErrTooManyEndpoints, e.cfg.MaxEndpoints)
	}
	if e.srv == nil {
		ln, err := net.Listen("tcp", e.cfg.Listen)
		if err != nil {
			return fmt.Errorf("%w on %s (httpEndpoint.listen): %v", ErrListen, e.cfg.Listen, err)
		}
		e.addr = ln.Addr().String()
		e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
		srv := e.srv
		e.served.Add(1)
		go func() {
			defer e.served.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				e.cfg.Logger.Warn("HttpPostEndpoint server stopped", "err", err)
			}
		}()
	}
	e.count++
	return nil
}

// leave uncounts a released endpoint.
func (e *Engine) leave() {
	e.mu.Lock()
	e.count--
	e.mu.Unlock()
}

// register makes a new path for ep and returns its URL.
func (e *Engine) register(ep *Endpoint) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	e.mu.Lock()
	defer e.mu.Unlock()
	e.eps[token] = ep
	host := e.cfg.Announced
	if host == "" {
		host = e.addr
	}
	return "http://" + host + pathPrefix + token
}

// unregister removes a path: later requests get 404.
func (e *Engine) unregister(url string) {
	token := url[strings.LastIndexByte(url, '/')+1:]
	e.mu.Lock()
	delete(e.eps, token)
	e.mu.Unlock()
}

// ServeHTTP implements http.Handler: POST to an endpoint's path uploads.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, pathPrefix)
	e.mu.Lock()
	ep := e.eps[token]
	e.mu.Unlock()
	if !ok || ep == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST the media to this URL", http.StatusMethodNotAllowed)
		return
	}
	ep.upload(w, r)
}

// Close stops the HTTP server (uploads in progress end) and waits for it.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.closed = true
	srv := e.srv
	e.mu.Unlock()
	var err error
	if srv != nil {
		err = srv.Close()
	}
	e.served.Wait()
	return err
}
