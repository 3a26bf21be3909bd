package mediatest

import (
	"sync"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// Clock is a media.Clock that moves only when told: Advance moves time and
// fires the tickers whose period has elapsed, dropping ticks a busy reader
// has not taken, as time.Ticker does.
type Clock struct {
	mu      sync.Mutex // guards the fields below
	now     int64
	tickers []*ticker
}

var _ media.Clock = (*Clock)(nil)

// NewClock returns a clock at one second.
func NewClock() *Clock { return &Clock{now: int64(time.Second)} }

// Now implements media.Clock.
func (c *Clock) Now() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now += int64(d)
	for _, t := range c.tickers {
		if !t.stopped && c.now >= t.next {
			for t.next <= c.now {
				t.next += int64(t.period)
			}
			select {
			case t.ch <- time.Unix(0, c.now):
			default:
			}
		}
	}
}

// NewTicker implements media.Clock.
func (c *Clock) NewTicker(d time.Duration) media.Ticker {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &ticker{clock: c, period: d, next: c.now + int64(d), ch: make(chan time.Time, 1)}
	c.tickers = append(c.tickers, t)
	return t
}

type ticker struct {
	clock   *Clock
	period  time.Duration
	next    int64 // guarded by clock.mu
	stopped bool  // guarded by clock.mu
	ch      chan time.Time
}

func (t *ticker) C() <-chan time.Time { return t.ch }

func (t *ticker) Stop() {
	t.clock.mu.Lock()
	t.stopped = true
	t.clock.mu.Unlock()
}
