package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestDepth(t *testing.T) {
	deep := strings.Repeat("[", 500) + strings.Repeat("]", 500)
	tests := []struct {
		frame string
		depth int
		id    string
	}{
		{`{"jsonrpc":"2.0","id":7,"method":"ping"}`, 1, `7`},
		{`{"jsonrpc":"2.0","method":"ping","params":{"a":[1,{"b":2}]},"id":"x-1"}`, 4, `"x-1"`},
		{`{"params":{"id":5},"id": 12 }`, 2, `12`},
		{`{"method":"a","params":{"s":"not { a [ nest \" ]"},"id":-3}`, 2, `-3`},
		{`{"id":{"x":1}}`, 2, ``},
		{`{"params":` + deep + `,"id":9}`, 501, `9`},
		{`{"id":"esc\"aped"}`, 1, `"esc\"aped"`},
		{`{"key":"id","v":1}`, 1, ``},
		{`[1,2]`, 1, ``},
		{`{"id":1,"x":2,"id":"two"}`, 1, `"two"`},
		{`not json`, 0, ``},
	}
	for _, tc := range tests {
		depth, id := Depth([]byte(tc.frame))
		if depth != tc.depth || string(id) != tc.id {
			t.Errorf("Depth(%.60s) = %d, %q; want %d, %q", tc.frame, depth, id, tc.depth, tc.id)
		}
	}
}

func TestDepthAllocatesNothing(t *testing.T) {
	frame := []byte(`{"jsonrpc":"2.0","method":"transaction","params":{"operations":[` + strings.Repeat(`[`, 1000) + strings.Repeat(`]`, 1000) + `]},"id":1}`)
	if n := testing.AllocsPerRun(100, func() { Depth(frame) }); n != 0 {
		t.Errorf("Depth allocates %v times per frame", n)
	}
}

// FuzzDepth checks Depth against encoding/json on valid frames: the same
// nesting depth, and the same top-level scalar id.
func FuzzDepth(f *testing.F) {
	for _, s := range []string{`{"jsonrpc":"2.0","id":7,"method":"ping"}`, `{"params":{"id":[1,{"a":"}"}]},"id":"q"}`, `[[[]]]`, `"s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		depth, id := Depth(frame)
		if !json.Valid(frame) {
			return
		}
		want, ok := tokenDepth(frame)
		if !ok {
			return // deeper than encoding/json decodes
		}
		if depth != want {
			t.Fatalf("depth %d, encoding/json's tokens say %d", depth, want)
		}
		var top map[string]json.RawMessage
		var wantID json.RawMessage
		if json.Unmarshal(frame, &top) == nil {
			if raw, ok := top["id"]; ok && (raw[0] == '"' || raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
				wantID = raw
			}
		}
		if !bytes.Equal(id, wantID) {
			t.Fatalf("id %q, encoding/json says %q", id, wantID)
		}
	})
}

// tokenDepth is the nesting depth encoding/json's tokenizer sees (a decoded
// value would hide objects under repeated keys).
func tokenDepth(frame []byte) (int, bool) {
	dec := json.NewDecoder(bytes.NewReader(frame))
	depth, level := 0, 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return depth, errors.Is(err, io.EOF)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			level++
			depth = max(depth, level)
		case json.Delim('}'), json.Delim(']'):
			level--
		}
	}
}
