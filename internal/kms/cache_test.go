package kms

import (
	"encoding/json"
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
