package mediatest

import (
	"sync"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// Events records the events of one or more elements.
type Events struct {
	mu     sync.Mutex // guards list
	list   []media.Event
	notify chan struct{}
}

// NewEvents returns an empty recorder.
func NewEvents() *Events { return &Events{notify: make(chan struct{}, 1)} }

// Handler returns the media.EventHandler that records into e.
func (e *Events) Handler() media.EventHandler {
	return func(ev media.Event) {
		e.mu.Lock()
		e.list = append(e.list, ev)
		e.mu.Unlock()
		select {
		case e.notify <- struct{}{}:
		default:
		}
	}
}

// All returns a copy of the events recorded so far, in order.
func (e *Events) All() []media.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]media.Event(nil), e.list...)
}

// Reset forgets the events recorded so far.
func (e *Events) Reset() {
	e.mu.Lock()
	e.list = nil
	e.mu.Unlock()
}

// WaitFor waits until an event equal to want has been recorded, failing
// the test after timeout.
func (e *Events) WaitFor(t testing.TB, want media.Event, timeout time.Duration) {
	t.Helper()
	e.Wait(t, timeout, func(list []media.Event) bool {
		for _, ev := range list {
			if ev == want {
				return true
			}
		}
		return false
	}, "%#v", want)
}

// Wait waits until done holds for the events recorded, failing the test
// with the formatted description after timeout.
func (e *Events) Wait(t testing.TB, timeout time.Duration, done func([]media.Event) bool, format string, args ...any) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for !done(e.All()) {
		select {
		case <-e.notify:
		case <-deadline.C:
			t.Fatalf("timed out waiting for "+format+"; events: %#v", append(args, e.All())...)
		}
	}
}
