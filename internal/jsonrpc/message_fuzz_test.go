package jsonrpc

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeRequest feeds arbitrary frames to the request decoder: it must
// never panic, and whatever it accepts must be a well-formed request.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","method":"ping","params":{"interval":5000},"id":0}`,
		`{"jsonrpc":"2.0","method":"create","params":{"type":"MediaPipeline"},"id":"a"}`,
		`[{"jsonrpc":"2.0"}]`, `{"jsonrpc":"2.0","id":{},"method":"x"}`, `nul`, `{}`, `"str"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		req, err := DecodeRequest(frame)
		if (req == nil) == (err == nil) {
			t.Fatalf("exactly one of request and error expected: %v %v", req, err)
		}
		if err != nil {
			if err.Code != CodeParseError && err.Code != CodeInvalidRequest {
				t.Fatalf("unexpected code %d", err.Code)
			}
			return
		}
		if req.HasID && !json.Valid(req.ID) {
			t.Fatalf("invalid id %q", req.ID)
		}
		if req.Params != nil && !json.Valid(req.Params) {
			t.Fatalf("invalid params %q", req.Params)
		}
		// Responses built for it must always marshal.
		if _, err := json.Marshal(Response{ID: req.ID, Result: map[string]any{"value": "pong"}}); err != nil {
			t.Fatal(err)
		}
	})
}
