// Package testutil holds helpers shared by Gorento's tests: a raw
// JSON-RPC WebSocket client, a TCP proxy that can cut connections, and
// polling helpers. Everything listens and dials on 127.0.0.1 only.
package testutil

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// RawClient speaks JSON-RPC frames directly, for exact wire assertions.
type RawClient struct {
	t    testing.TB
	ws   *websocket.Conn
	mu   sync.Mutex
	next int
	in   chan map[string]any
	done chan struct{}
	err  error // read error that ended the connection, set before done closes

	backlog []map[string]any // notifications seen while waiting for a response
}

// DialRaw connects to a WebSocket URL.
func DialRaw(t testing.TB, url string) *RawClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c := &RawClient{t: t, ws: ws, in: make(chan map[string]any, 1024), done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { c.Close() })
	return c
}

func (c *RawClient) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.err = err
			close(c.in)
			return
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			m = map[string]any{"_raw": string(data)}
		}
		c.in <- m
	}
}

// Close closes the socket and waits for the reader.
func (c *RawClient) Close() {
	_ = c.ws.Close()
	<-c.done
}

// CloseCode waits for the connection to end and returns the close code the
// server sent (0 if none).
func (c *RawClient) CloseCode() int {
	<-c.done
	var ce *websocket.CloseError
	if errors.As(c.err, &ce) {
		return ce.Code
	}
	return 0
}

// SendRaw writes one text frame.
func (c *RawClient) SendRaw(frame string) {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// SetNextID sets the id of the next request. A client that resumes a
// session must not reuse ids: the server replays cached answers to them.
func (c *RawClient) SetNextID(id int) {
	c.mu.Lock()
	c.next = id
	c.mu.Unlock()
}

// Send writes a request with the next id and returns that id.
func (c *RawClient) Send(method string, params any) int {
	c.t.Helper()
	c.mu.Lock()
	id := c.next
	c.next++
	c.mu.Unlock()
	req := map[string]any{"jsonrpc": "2.0", "method": method, "id": id}
	if params != nil {
		req["params"] = params
	}
	b, _ := json.Marshal(req)
	c.SendRaw(string(b))
	return id
}

// Next returns the next frame (response or notification), starting with
// notifications that arrived while Response waited.
func (c *RawClient) Next(timeout time.Duration) (map[string]any, bool) {
	c.mu.Lock()
	if len(c.backlog) > 0 {
		m := c.backlog[0]
		c.backlog = c.backlog[1:]
		c.mu.Unlock()
		return m, true
	}
	c.mu.Unlock()
	return c.recv(timeout)
}

func (c *RawClient) recv(timeout time.Duration) (map[string]any, bool) {
	select {
	case m, ok := <-c.in:
		return m, ok
	case <-time.After(timeout):
		return nil, false
	}
}

// Response waits for the response with id. Notifications received before
// it are returned and also kept for Next.
func (c *RawClient) Response(id int) (map[string]any, []map[string]any) {
	c.t.Helper()
	var notes []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	defer func() {
		c.mu.Lock()
		c.backlog = append(c.backlog, notes...)
		c.mu.Unlock()
	}()
	for time.Now().Before(deadline) {
		m, ok := c.recv(time.Until(deadline))
		if !ok {
			break
		}
		if rid, has := m["id"]; has {
			if f, isNum := rid.(float64); isNum && int(f) == id {
				return m, notes
			}
			continue
		}
		notes = append(notes, m)
	}
	c.t.Fatalf("no response to request %d", id)
	return nil, nil
}

// Call sends a request and waits for its response.
func (c *RawClient) Call(method string, params any) map[string]any {
	c.t.Helper()
	resp, _ := c.Response(c.Send(method, params))
	return resp
}

// Result returns resp.result, failing the test on an error response.
func Result(t testing.TB, resp map[string]any) map[string]any {
	t.Helper()
	if e, ok := resp["error"]; ok {
		t.Fatalf("unexpected error response: %v", e)
	}
	r, _ := resp["result"].(map[string]any)
	return r
}

// ErrorOf returns resp.error, failing the test on a success response.
func ErrorOf(t testing.TB, resp map[string]any) map[string]any {
	t.Helper()
	e, ok := resp["error"].(map[string]any)
	if !ok {
		t.Fatalf("expected an error response, got %v", resp)
	}
	return e
}

// Eventually polls cond until it is true or the timeout expires.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
