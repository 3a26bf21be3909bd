package kms

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// TestRequestCacheExpiresInOrder: on a test clock (a put of the real
// clock could take longer than the TTL under load), entries put a
// millisecond apart expire oldest first, each after the TTL.
func TestRequestCacheExpiresInOrder(t *testing.T) {
	c := newRequestCache(50 * time.Millisecond)
	start := time.Unix(1000, 0)
	now := start
	c.now = func() time.Time { return now }
	id := func(i int) json.RawMessage { return json.RawMessage([]byte{byte('0' + i%10), byte(i)}) }
	for i := 0; i < 100; i++ {
		now = start.Add(time.Duration(i) * time.Millisecond)
		c.put("s", id(i), []byte("x"))
	}
	// The last put, at 99 ms, kept those put at 49 ms and later.
	if n := c.size(); n != 51 {
		t.Fatalf("%d entries, want the 51 of the last 50 ms", n)
	}
	if c.get("s", id(48)) != nil || c.get("s", id(49)) == nil || c.get("s", id(99)) == nil {
		t.Fatal("expired out of order")
	}
	now = now.Add(51 * time.Millisecond)
	if c.get("s", id(99)) != nil {
		t.Fatal("an entry outlived the TTL")
	}
	c.put("s", json.RawMessage("new"), []byte("y"))
	if n := c.size(); n != 1 {
		t.Fatalf("%d entries after the TTL, want only the new one", n)
	}
	if string(c.get("s", json.RawMessage("new"))) != "y" {
		t.Fatal("new entry missing")
	}
}

// TestRequestCacheDrains: after a burst expires the map is rebuilt small
// (a Go map keeps the room of its largest size), and drained reports the
// burst once.
func TestRequestCacheDrains(t *testing.T) {
	c := newRequestCache(time.Minute)
	t0 := time.Now()
	for i := 0; i < 5000; i++ {
		c.put("s", json.RawMessage(fmt.Sprint(i)), []byte("x"))
	}
	if c.drained(4096) {
		t.Fatal("drained while the burst is cached")
	}
	c.expire(t0.Add(2 * time.Minute))
	c.put("s", json.RawMessage("late"), []byte("y"))
	if n := c.size(); n != 1 {
		t.Fatalf("%d entries after the TTL, want 1", n)
	}
	if c.grown != 1 {
		t.Errorf("map not rebuilt after the burst: sized for %d entries", c.grown)
	}
	if !c.drained(4096) {
		t.Error("an expired burst of 5000 answers is not reported")
	}
	if c.drained(4096) {
		t.Error("the same burst reported twice")
	}
	if string(c.get("s", json.RawMessage("late"))) != "y" {
		t.Error("the live entry was lost by the rebuild")
	}
}
