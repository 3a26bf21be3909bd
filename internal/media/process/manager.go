// Package process is gorento's side of the media processing back end: it runs
// GStreamer work in gorento-worker processes, one per key (a MediaPipeline),
// and exposes each piece of work as an Element that takes RTP in and gives
// RTP and events out. It is pure Go; it never links GStreamer, so gorento
// starts and serves everything else when the worker or the libraries are
// missing. See docs/processing.md.
package process

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Manager owns the worker processes. It is safe for concurrent use.
type Manager struct {
	cfg Config

	mu      sync.Mutex // guards workers, refs, closed
	workers map[string]*worker
	refs    map[*worker]int // elements created or being created per worker
	closed  bool

	failures atomic.Uint64 // workers that crashed or hung
}

// NewManager returns a manager; no process starts until the first Create.
func NewManager(cfg Config) *Manager {
	return &Manager{cfg: cfg.withDefaults(), workers: map[string]*worker{}, refs: map[*worker]int{}}
}

// Workers returns the number of worker processes running or starting.
func (m *Manager) Workers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.workers)
}

// WorkerPID returns the pid of the worker for key, or 0.
func (m *Manager) WorkerPID(key string) int {
	m.mu.Lock()
	w := m.workers[key]
	m.mu.Unlock()
	if w == nil {
		return 0
	}
	select {
	case <-w.ready:
		return w.pid
	default:
		return 0
	}
}

// Create builds a processing element in the worker for key (started on
// first use). The element's callbacks start after Create returns. Close it to
// release it; the worker stops when its last element is closed.
func (m *Manager) Create(ctx context.Context, key string, spec Spec, h Handler) (*Element, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if spec.Processing.Kind == ProcGStreamer {
		// The element policy is the server's configuration, never the caller's.
		p := m.cfg.Policy
		spec.Processing.Policy = &p
	}
	w, err := m.acquire(key)
	if err != nil {
		return nil, err
	}
	select {
	case <-w.ready:
	case <-ctx.Done():
		m.release(w)
		return nil, ctx.Err()
	}
	if w.startErr != nil {
		m.release(w)
		return nil, w.startErr
	}
	el := newElement(m, w, spec, h)
	w.mu.Lock()
	if w.deadErr != nil {
		err := w.deadErr
		w.mu.Unlock()
		m.release(w)
		return nil, err
	}
	w.elements[el.id] = el
	w.mu.Unlock()
	w.lastProgress.Store(nowNano()) // a new element has not produced yet
	if err := w.request(ctx, el.id, controlCreate(&spec)); err != nil {
		w.mu.Lock()
		delete(w.elements, el.id)
		w.mu.Unlock()
		el.stopDelivery()
		m.release(w)
		return nil, fmt.Errorf("create %s element: %w", kindName(spec.Processing.Kind), err)
	}
	el.startDelivery()
	return el, nil
}

// acquire returns the worker for key, starting one, and counts a reference.
func (m *Manager) acquire(key string) (*worker, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	w := m.workers[key]
	if w != nil && w.dead() != nil {
		delete(m.workers, key) // gone; its elements hold their own pointer
		w = nil
	}
	if w == nil {
		if m.cfg.MaxWorkers > 0 && len(m.workers) >= m.cfg.MaxWorkers {
			return nil, fmt.Errorf("%w: %d running (processing.maxWorkers)", ErrTooManyWorkers, len(m.workers))
		}
		path, err := FindWorker(m.cfg.WorkerPath)
		if err != nil {
			return nil, err
		}
		w = newWorker(key, m.cfg, path)
		m.workers[key] = w
		go w.run(m.gone)
	}
	m.refs[w]++
	return w, nil
}

// release drops a reference; the last one stops the worker and waits for it.
func (m *Manager) release(w *worker) {
	m.mu.Lock()
	m.refs[w]--
	last := m.refs[w] <= 0
	if last {
		delete(m.refs, w)
		if m.workers[w.key] == w {
			delete(m.workers, w.key)
		}
	}
	m.mu.Unlock()
	if last {
		w.requestStop()
		<-w.done
	}
}

// gone is called by a worker's owner goroutine when it ends.
func (m *Manager) gone(w *worker) {
	m.mu.Lock()
	if m.workers[w.key] == w {
		delete(m.workers, w.key)
	}
	m.mu.Unlock()
	w.mu.Lock()
	failed := errors.Is(w.deadErr, ErrWorkerCrashed) || errors.Is(w.deadErr, ErrWorkerHung)
	w.mu.Unlock()
	if failed {
		m.failures.Add(1)
	}
}

// Failures returns how many workers crashed or hung since the start.
func (m *Manager) Failures() uint64 { return m.failures.Load() }

// Close stops every worker; their elements get an error event unless closed
// before. It waits for the processes to exit.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	ws := make([]*worker, 0, len(m.workers)+len(m.refs))
	for w := range m.refs {
		ws = append(ws, w)
	}
	m.mu.Unlock()
	for _, w := range ws {
		w.fail(fmt.Errorf("%w: the processing back end closed", ErrClosed))
		w.requestStop()
	}
	for _, w := range ws {
		<-w.done
	}
	return nil
}

func kindName(k string) string {
	if k == "" {
		return "conversion"
	}
	return k
}
