package httpep

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/player"
	"github.com/gorento/gorento/internal/media/player/source"
	"github.com/gorento/gorento/internal/media/uriep"
	"github.com/gorento/gorento/internal/media/workerleg"
)

// Options are an endpoint's Kurento constructor parameters.
type Options struct {
	// DisconnectionTimeout is how long the URL waits for a new upload
	// after one ends (KMS: disconnectionTimeout, default 2 s).
	DisconnectionTimeout time.Duration
	// UseEncodedMedia is Kurento's flag, kept and reported (media browsers
	// decode is always sent as it is, as the PlayerEndpoint does).
	UseEncodedMedia bool
	// Transcoders converts tracks no browser decodes (see player.Options).
	Transcoders workerleg.Factory
}

// Endpoint is an HttpPostEndpoint.
type Endpoint struct {
	*player.Player
	engine *Engine
	opts   Options
	url    string

	mu       sync.Mutex // guards the fields below
	pending  *upload    // the upload the player opens next
	current  *upload    // the upload being received
	started  bool       // a first upload arrived (MediaSessionStarted)
	expired  bool       // the URL was removed (MediaSessionTerminated)
	released bool
	timer    *time.Timer // the disconnection timeout, while no upload runs
}

var _ media.Element = (*Endpoint)(nil)

// New creates an endpoint in p and registers its URL.
func New(p *media.Pipeline, e *Engine, opts Options, events media.EventHandler) (*Endpoint, error) {
	if opts.DisconnectionTimeout <= 0 {
		opts.DisconnectionTimeout = 2 * time.Second
	}
	if err := e.admit(); err != nil {
		return nil, err
	}
	ep := &Endpoint{engine: e, opts: opts}
	pl, err := player.New(p, player.Options{UseEncodedMedia: opts.UseEncodedMedia, Transcoders: opts.Transcoders, Open: ep.open},
		e.cfg.playerConfig(), events)
	if err != nil {
		e.leave()
		return nil, err
	}
	ep.Player = pl
	ep.url = e.register(ep)
	return ep, nil
}

// URL is where the media is POSTed (Kurento's getUrl).
func (ep *Endpoint) URL() string { return ep.url }

// open is the player's source: the upload that started it. A stop or a
// release while its header is read (ctx) ends the upload; the upload is
// closed by the source once opened, here when it cannot be.
func (ep *Endpoint) open(ctx context.Context) (source.Source, error) {
	ep.mu.Lock()
	u := ep.pending
	ep.pending = nil
	ep.mu.Unlock()
	if u == nil {
		return nil, fmt.Errorf("%w: nothing was POSTed to %s", source.ErrInvalidURI, ep.url)
	}
	stop := context.AfterFunc(ctx, func() { _ = u.Close() })
	o := &opening{upload: u}
	src, err := source.OpenReader(o, source.Options{Limits: ep.engine.cfg.Limits})
	stop()
	if err != nil {
		u.fail(err) // before Close: the handler answers with it
		_ = u.Close()
		return nil, err
	}
	o.opened.Store(true)
	return src, nil
}

// opening is an upload whose Close waits until the source is open, so
// that a failure to open is recorded before the handler answers.
type opening struct {
	*upload
	opened atomic.Bool
}

func (o *opening) Close() error {
	if o.opened.Load() {
		return o.upload.Close()
	}
	return nil
}

// upload plays one POST's body and answers when it is over: 200 when it
// was read to its end (or the endpoint stopped it), 413 when too large,
// 415 when it is not media the endpoint plays, 409 while another upload
// runs.
func (ep *Endpoint) upload(w http.ResponseWriter, r *http.Request) {
	u := newUpload(w, r, ep.engine.cfg.MaxUploadBytes, ep.engine.cfg.ReadTimeout)
	ep.mu.Lock()
	switch {
	case ep.released || ep.expired:
		ep.mu.Unlock()
		http.NotFound(w, r)
		return
	case ep.current != nil:
		ep.mu.Unlock()
		http.Error(w, "another upload to this endpoint is in progress", http.StatusConflict)
		return
	}
	ep.current, ep.pending = u, u
	if ep.timer != nil {
		ep.timer.Stop()
		ep.timer = nil
	}
	first := !ep.started
	ep.started = true
	ep.mu.Unlock()
	if first {
		ep.Core().Emit(media.MediaSessionStarted{})
	}
	if ep.State() != uriep.Stop {
		ep.Stop()
	}
	if !ep.Play() {
		_ = u.Close()
	}
	// A client that goes away fails the body's reads, which ends the
	// upload: the request's context is not watched (net/http may cancel
	// it early on a reused connection).
	<-u.done
	ep.mu.Lock()
	ep.current = nil
	if ep.pending == u { // never opened (a release came first)
		ep.pending = nil
	}
	if !ep.released && !ep.expired {
		ep.timer = time.AfterFunc(ep.opts.DisconnectionTimeout, ep.expire)
	}
	ep.mu.Unlock()
	if u.aborted() { // the rest of the body was not read
		w.Header().Set("Connection", "close")
	}
	switch err := u.failure(); {
	case err == nil:
		w.WriteHeader(http.StatusOK)
	case errors.As(err, new(*http.MaxBytesError)):
		http.Error(w, fmt.Sprintf("upload larger than %d bytes (httpEndpoint.maxUploadBytes)", ep.engine.cfg.MaxUploadBytes), http.StatusRequestEntityTooLarge)
	case errors.Is(err, source.ErrInvalidMedia):
		http.Error(w, "not WebM/Matroska or MP4 media the endpoint plays: "+err.Error(), http.StatusUnsupportedMediaType)
	default:
		w.WriteHeader(http.StatusOK) // the client went away: nobody reads this
	}
}

// expire removes the URL when no upload came within the disconnection
// timeout.
func (ep *Endpoint) expire() {
	ep.mu.Lock()
	if ep.released || ep.expired || ep.current != nil || ep.timer == nil {
		ep.mu.Unlock()
		return
	}
	ep.expired, ep.timer = true, nil
	ep.mu.Unlock()
	ep.engine.unregister(ep.url)
	ep.Core().Emit(media.MediaSessionTerminated{})
}

// Release removes the URL, ends an upload in progress and releases the
// player. Idempotent.
func (ep *Endpoint) Release() {
	ep.mu.Lock()
	if ep.released {
		ep.mu.Unlock()
		return
	}
	ep.released = true
	if ep.timer != nil {
		ep.timer.Stop()
		ep.timer = nil
	}
	pending := ep.pending
	ep.pending = nil
	ep.mu.Unlock()
	ep.engine.unregister(ep.url)
	if pending != nil {
		_ = pending.Close()
	}
	ep.Player.Release()
	ep.engine.leave()
}
