package kms

import (
	"encoding/json"
	"sync"
	"time"
)

// requestCache remembers the answer to each (session, request id) for a
// while, so a client that retries a request gets the same answer instead of
// executing it twice (KMS does the same for 20 s).
type requestCache struct {
	ttl     time.Duration
	mu      sync.Mutex // guards entries
	entries map[cacheKey]cacheEntry
}

type cacheKey struct{ session, id string }

type cacheEntry struct {
	frame   []byte
	expires time.Time
}

func newRequestCache(ttl time.Duration) *requestCache {
	return &requestCache{ttl: ttl, entries: map[cacheKey]cacheEntry{}}
}

func (c *requestCache) get(session string, id json.RawMessage) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[cacheKey{session, string(id)}]
	if !ok || time.Now().After(e.expires) {
		return nil
	}
	return e.frame
}

func (c *requestCache) put(session string, id json.RawMessage, frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[cacheKey{session, string(id)}] = cacheEntry{frame: frame, expires: time.Now().Add(c.ttl)}
}

// expire drops entries older than the TTL.
func (c *requestCache) expire(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if now.After(e.expires) {
			delete(c.entries, k)
		}
	}
}
