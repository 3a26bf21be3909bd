package kms

import (
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
)

// recorder is a sender that keeps the frames a connection would send.
type recorder struct {
	mu     sync.Mutex
	frames [][]byte
}

func (r *recorder) Send(b []byte) error {
	r.mu.Lock()
	r.frames = append(r.frames, b)
	r.mu.Unlock()
	return nil
}

func (r *recorder) Close() error { return nil }

func (r *recorder) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.frames
	r.frames = nil
	return out
}

// FuzzDispatch feeds arbitrary frames through the whole dispatcher of one
// connection. It must never panic, and every frame sent back must be a valid
// JSON-RPC 2.0 response (exactly one of result and error) or notification.
func FuzzDispatch(f *testing.F) {
	s, err := New(Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	rec := &recorder{}
	c := &connState{server: s, conn: rec}
	// A pipeline and element the fuzzer may guess at through "$P".
	c.handleFrame([]byte(`{"jsonrpc":"2.0","id":1,"method":"create","params":{"type":"MediaPipeline"}}`))
	rec.take()
	f.Fuzz(func(t *testing.T, frame []byte) {
		c.handleFrame(frame)
		for _, out := range rec.take() {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatalf("invalid JSON sent: %s", out)
			}
			if string(m["jsonrpc"]) != `"2.0"` {
				t.Fatalf("frame without jsonrpc 2.0: %s", out)
			}
			if _, isNote := m["method"]; isNote {
				continue
			}
			_, hasID := m["id"]
			_, hasResult := m["result"]
			_, hasError := m["error"]
			if !hasID || hasResult == hasError {
				t.Fatalf("malformed response: %s", out)
			}
		}
		// Keep the fuzzer's object table bounded.
		if len(s.pipelines()) > 50 {
			for _, p := range s.pipelines() {
				s.release(p)
			}
		}
	})
}
