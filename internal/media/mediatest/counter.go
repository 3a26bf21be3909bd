package mediatest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// Counter is a sink element that only counts what it consumes: it
// allocates nothing, for allocation tests and benchmarks.
type Counter struct {
	core media.Core
	n    atomic.Int64
}

var _ media.Element = (*Counter)(nil)

// NewCounter creates a Counter in p, consuming through a queue when q is set.
func NewCounter(p *media.Pipeline, q *media.QueueConfig) (*Counter, error) {
	c := &Counter{}
	if err := c.core.Init(p, c, c, nil); err != nil {
		return nil, err
	}
	if q != nil {
		c.core.UseQueue(*q)
	}
	return c, nil
}

// Core implements media.Element.
func (c *Counter) Core() *media.Core { return &c.core }

// Release implements media.Element.
func (c *Counter) Release() { c.core.Detach() }

// Count returns the packets consumed.
func (c *Counter) Count() int64 { return c.n.Load() }

// Wait waits until n packets were consumed, failing the test after 10 s.
func (c *Counter) Wait(t testing.TB, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); c.n.Load() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("consumed %d packets, want %d", c.n.Load(), n)
		}
	}
}

// Consume implements media.Handler.
func (c *Counter) Consume(*media.SinkPad, *media.Packet) { c.n.Add(1) }

// RequestKeyframe implements media.Handler.
func (c *Counter) RequestKeyframe(*media.SourcePad) {}

// BitrateEstimate implements media.Handler.
func (c *Counter) BitrateEstimate(*media.SinkPad) uint64 { return 0 }

// SourceChanged implements media.Handler.
func (c *Counter) SourceChanged(*media.SinkPad) {}

// Forwards implements media.Handler.
func (c *Counter) Forwards() bool { return false }
