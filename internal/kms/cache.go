package kms

import (
	"encoding/json"
	"sync"
	"time"
)

// requestCache remembers the answer to each (session, request id) for a
// while, so a client that retries a request gets the same answer instead of
// executing it twice (KMS does the same for 20 s). Entries expire in
// insertion order, so memory is bounded by the answers of one TTL.
type requestCache struct {
	ttl     time.Duration
	now     func() time.Time // time.Now; a test's clock
	mu      sync.Mutex       // guards entries and order
	entries map[cacheKey]cacheEntry
	order   []cacheKey // insertion order; order[0] is the oldest
	// grown is the most entries held since the map was last rebuilt: a Go
	// map keeps the room of its largest size, so after a burst has expired
	// the map is rebuilt to give that room back.
	grown int
	// peak is the most entries held since the memory trimmer last looked (trim.go).
	peak int
}

type cacheKey struct{ session, id string }

type cacheEntry struct {
	frame   []byte
	expires time.Time
}

func newRequestCache(ttl time.Duration) *requestCache {
	return &requestCache{ttl: ttl, now: time.Now, entries: map[cacheKey]cacheEntry{}}
}

func (c *requestCache) get(session string, id json.RawMessage) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[cacheKey{session, string(id)}]
	if !ok || c.now().After(e.expires) {
		return nil
	}
	return e.frame
}

func (c *requestCache) put(session string, id json.RawMessage, frame []byte) {
	now := c.now()
	k := cacheKey{session, string(id)}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expireLocked(now)
	if _, ok := c.entries[k]; !ok {
		c.order = append(c.order, k)
	}
	c.entries[k] = cacheEntry{frame: frame, expires: now.Add(c.ttl)}
	c.grown = max(c.grown, len(c.entries))
	c.peak = max(c.peak, len(c.entries))
}

// expire drops entries older than the TTL.
func (c *requestCache) expire(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expireLocked(now)
}

func (c *requestCache) expireLocked(now time.Time) {
	n := 0
	for n < len(c.order) {
		k := c.order[n]
		if e, ok := c.entries[k]; ok && !now.After(e.expires) {
			break
		}
		delete(c.entries, k)
		n++
	}
	if n > 0 {
		c.order = append(c.order[:0:0], c.order[n:]...)
	}
	if c.grown >= shrinkMin && len(c.entries) <= c.grown/4 {
		m := make(map[cacheKey]cacheEntry, len(c.entries))
		for k, e := range c.entries {
			m[k] = e
		}
		c.entries, c.grown = m, len(m)
	}
}

// shrinkMin is the map size below which the cache is never rebuilt.
const shrinkMin = 1024

// drained reports whether a burst of at least min answers has expired since
// the last call (the cache holds at most 1/8 of its peak), and starts a new
// peak.
func (c *requestCache) drained(min int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ok := c.peak >= min && len(c.entries) <= c.peak/8
	if ok {
		c.peak = len(c.entries)
	}
	return ok
}

// size returns the number of cached answers.
func (c *requestCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
