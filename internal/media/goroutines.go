package media

import "sync"

// Goroutines owns the goroutines of an element: they start through it
// while the element lives, see Done close when it is released, and are
// all joined by Wait. Every goroutine has an owner and an exit.
type Goroutines struct {
	mu      sync.Mutex // guards closing and wg.Add
	closing bool
	wg      sync.WaitGroup
	done    chan struct{}
}

// NewGoroutines returns an open group.
func NewGoroutines() *Goroutines { return &Goroutines{done: make(chan struct{})} }

// Go runs f in a goroutine of the group; false (f not run) once stopped.
func (g *Goroutines) Go(f func()) bool {
	if !g.Enter() {
		return false
	}
	go func() {
		defer g.Leave()
		f()
	}()
	return true
}

// Enter counts a goroutine someone else started (a library callback) as
// the group's until its Leave; false once stopped.
func (g *Goroutines) Enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.wg.Add(1)
	return true
}

// Leave ends what Enter began.
func (g *Goroutines) Leave() { g.wg.Done() }

// Done is closed by Stop.
func (g *Goroutines) Done() <-chan struct{} { return g.done }

// Stop refuses new goroutines and closes Done. It is idempotent.
func (g *Goroutines) Stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closing {
		g.closing = true
		close(g.done)
	}
}

// Wait returns when every goroutine of the group has returned.
func (g *Goroutines) Wait() { g.wg.Wait() }
