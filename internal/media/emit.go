package media

import "sync"

// eventQueue delivers the events of one element to its handler in the
// order they were posted, one at a time, never while an engine lock is
// held. Whichever goroutine finds the queue idle delivers everything
// pending, including what others post meanwhile (the pattern of Pion's
// operations queue, without a goroutine of its own). A handler that calls
// back into the element, which posts and delivers again, finds the queue
// busy and returns: its events follow once the current one is handled.
type eventQueue struct {
	mu         sync.Mutex // guards the fields below
	pending    []Event
	spare      []Event // the previous batch, reused
	delivering bool
}

// Post queues events without delivering them. Call it while holding the
// lock that orders the state changes the events report, then Deliver once
// that lock is released.
func (c *Core) Post(events ...Event) {
	q := &c.posted
	q.mu.Lock()
	q.pending = append(q.pending, events...)
	q.mu.Unlock()
}

// Deliver hands the queued events to the element's handler, in order. When
// another goroutine is already delivering, it returns at once and that
// goroutine delivers them. Call it with no lock held.
func (c *Core) Deliver() {
	q := &c.posted
	q.mu.Lock()
	if q.delivering {
		q.mu.Unlock()
		return
	}
	q.delivering = true
	for len(q.pending) > 0 {
		batch := q.pending
		q.pending, q.spare = q.spare[:0], nil
		q.mu.Unlock()
		for i, e := range batch {
			if c.events != nil {
				c.events(e)
			}
			batch[i] = nil
		}
		q.mu.Lock()
		q.spare = batch[:0]
	}
	q.delivering = false
	q.mu.Unlock()
}

// Emit posts events and delivers them. Call it with no lock held.
func (c *Core) Emit(events ...Event) {
	c.Post(events...)
	c.Deliver()
}
