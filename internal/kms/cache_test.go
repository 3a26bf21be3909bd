package kms

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func TestRequestCacheExpiresInOrder(t *testing.T) {
	c := newRequestCache(50 * time.Millisecond)
	for i := 0; i < 100; i++ {
		c.put("s", json.RawMessage([]byte{byte('0' + i%10), byte(i)}), []byte("x"))
	}
	if c.get("s", json.RawMessage([]byte{'0', 0})) == nil {
		t.Fatal("fresh entry missing")
	}
	time.Sleep(60 * time.Millisecond)
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
