package kms_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testutil"
)

// TestErrorPaths checks every error of the protocol (spec §1.9): exact code,
// message and data.type, and that the connection stays usable afterwards.
func TestErrorPaths(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)
	rawSession(t, c)
	p1 := create(t, c, "MediaPipeline", nil)
	p2 := create(t, c, "MediaPipeline", nil)
	a := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p1})
	b := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p2})
	r := strings.NewReplacer("$P1", p1, "$A", a, "$B", b)

	tests := []struct {
		name     string
		frame    string
		code     float64
		message  string
		dataType string // "" = no data member expected
		nullID   bool
	}{
		{"unparsable", `{"jsonrpc":"2.0",`, -32700, "Parse error.", "", true},
		{"batch", `[{"jsonrpc":"2.0","method":"ping","id":$ID}]`, -32600, "Invalid JSON-RPC request.", "", true},
		{"scalar", `42`, -32600, "Invalid JSON-RPC request.", "", true},
		{"wrong version", `{"jsonrpc":"1.0","method":"ping","id":$ID}`, -32600, "Invalid JSON-RPC request.", "", true},
		{"no version", `{"method":"ping","id":$ID}`, -32600, "Invalid JSON-RPC request.", "", true},
		{"object id", `{"jsonrpc":"2.0","method":"ping","id":{"a":1}}`, -32600, "Invalid JSON-RPC request.", "", true},
		{"no method", `{"jsonrpc":"2.0","id":$ID}`, -32600, "Invalid JSON-RPC request.", "", true},
		{"method not string", `{"jsonrpc":"2.0","id":$ID,"method":7}`, -32600, "Invalid JSON-RPC request.", "", true},
		{"unknown method", `{"jsonrpc":"2.0","id":$ID,"method":"fly"}`, -32601, "Method not found.", "", false},
		{"create without params", `{"jsonrpc":"2.0","id":$ID,"method":"create"}`, -32602, "'params' is required", "INVALID_PARAMS", false},
		{"create without type", `{"jsonrpc":"2.0","id":$ID,"method":"create","params":{}}`, -32000, "'type' parameter is required", "", false},
		{"create type not string", `{"jsonrpc":"2.0","id":$ID,"method":"create","params":{"type":5}}`, -32000, "'type' parameter should be a string", "", false},
		{"unknown type", `{"jsonrpc":"2.0","id":$ID,"method":"create","params":{"type":"Teleporter"}}`, 40108, "Factory 'Teleporter' not found", "MEDIA_OBJECT_NOT_AVAILABLE", false},
		{"abstract type", `{"jsonrpc":"2.0","id":$ID,"method":"create","params":{"type":"MediaElement"}}`, 40108, "Factory 'MediaElement' not found", "MEDIA_OBJECT_NOT_AVAILABLE", false},
		{"no constructorParams", `{"jsonrpc":"2.0","id":$ID,"method":"create","params":{"type":"PassThrough"}}`, 40001, "'constructorParams' is required", "MARSHALL_ERROR", false},
		{"missing ctor param", `{"jsonrpc":"2.0","id":$ID,"method":"create","params":{"type":"PassThrough","constructorParams":{}}}`, 40001, "'mediaPipeline' parameter is required", "MARSHALL_ERROR", false},
		{"ctor param type", `{"jsonrpc":"2.0","id":$ID,"method":"create","params":{"type":"PassThrough","constructorParams":{"mediaPipeline":5}}}`, 40001, "'mediaPipeline' parameter should be a string", "MARSHALL_ERROR", false},
		{"ctor unknown pipeline", `{"jsonrpc":"2.0","id":$ID,"method":"create","params":{"type":"PassThrough","constructorParams":{"mediaPipeline":"nope_kurento.MediaPipeline"}}}`, 40101, "Object 'nope_kurento.MediaPipeline' not found", "MEDIA_OBJECT_NOT_FOUND", false},
		{"describe unknown", `{"jsonrpc":"2.0","id":$ID,"method":"describe","params":{"object":"nonexistent_kurento.MediaPipeline"}}`, 40101, "Object 'nonexistent_kurento.MediaPipeline' not found", "MEDIA_OBJECT_NOT_FOUND", false},
		{"describe without object", `{"jsonrpc":"2.0","id":$ID,"method":"describe","params":{}}`, -32000, "'object' parameter is required", "", false},
		{"invoke unknown object", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"x","operation":"getName"}}`, 40101, "Object 'x' not found", "MEDIA_OBJECT_NOT_FOUND", false},
		{"invoke unknown operation", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"bogusOp","operationParams":{"x":1}}}`, 40008, "Method 'bogusOp' with 1 parameters not found", "MALFORMED_TRANSACTION", false},
		{"invoke without operation", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A"}}`, -32000, "'operation' parameter is required", "", false},
		{"operationParams required", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"getTag"}}`, 40001, "'operationParams' is required", "MARSHALL_ERROR", false},
		{"op param wrong type", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"setName","operationParams":{"name":3}}}`, 40001, "'name' parameter should be a string", "MARSHALL_ERROR", false},
		{"tag not found", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"getTag","operationParams":{"key":"k"}}}`, 40110, "Tag key not found", "MEDIA_OBJECT_TAG_KEY_NOT_FOUND", false},
		{"connect across pipelines", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"connect","operationParams":{"sink":"$B"}}}`, 40004, "Media elements do not share pipeline", "CONNECT_ERROR", false},
		{"bad media type", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"connect","operationParams":{"sink":"$A","mediaType":"SMELL"}}}`, 40001, "Invalid value for 'MediaType'", "MARSHALL_ERROR", false},
		{"flowing DATA", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"isMediaFlowingIn","operationParams":{"mediaType":"DATA"}}}`, 40107, "DATA is not a valid media type for this method", "MEDIA_OBJECT_ILLEGAL_PARAM_ERROR", false},
		{"passthrough loop", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"connect","operationParams":{"sink":"$A"}}}`, 40004, "Connection refused: it would make media loop between forwarding elements", "CONNECT_ERROR", false},
		{"subscribe unknown event", `{"jsonrpc":"2.0","id":$ID,"method":"subscribe","params":{"object":"$A","type":"Teleported"}}`, 40106, "Event 'Teleported' not supported", "MEDIA_OBJECT_EVENT_NOT_SUPPORTED", false},
		{"subscribe unknown object", `{"jsonrpc":"2.0","id":$ID,"method":"subscribe","params":{"object":"gone","type":"Error"}}`, 40101, "Object 'gone' not found", "MEDIA_OBJECT_NOT_FOUND", false},
		{"connect unknown session", `{"jsonrpc":"2.0","id":$ID,"method":"connect","params":{"sessionId":"no-such-session"}}`, 40007, "Invalid session", "INVALID_SESSION", false},
		{"keepAlive unknown session", `{"jsonrpc":"2.0","id":$ID,"method":"keepAlive","params":{"sessionId":"no-such-session"}}`, 40007, "Invalid session", "INVALID_SESSION", false},
		{"newref outside transaction", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"newref:0","operation":"getName"}}`, 40109, "Object 'newref:0' not found (newref outside a transaction)", "MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT", false},
		{"transaction ops not array", `{"jsonrpc":"2.0","id":$ID,"method":"transaction","params":{"operations":{}}}`, -32000, "'operations' parameter should be an array", "", false},
		{"transaction bad op id", `{"jsonrpc":"2.0","id":$ID,"method":"transaction","params":{"operations":[{"jsonrpc":"2.0","method":"ping","id":3}]}}`, 40008, "Id of request '0' should be '0'", "MALFORMED_TRANSACTION", false},
		{"getKmd unknown module", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"manager_ServerManager","operation":"getKmd","operationParams":{"moduleName":"nope"}}}`, 40500, "Module 'nope' not found", "SERVER_MANAGER_ERROR_KMD_NOT_FOUND", false},
		{"set read-only property", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$P1","operation":"setId","operationParams":{"id":"x"}}}`, 40008, "Method 'setId' with 1 parameters not found", "MALFORMED_TRANSACTION", false},
		{"video format not producible", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"setVideoFormat","operationParams":{"caps":{"codec":"H265","framerate":{"numerator":30,"denominator":1}}}}}`, 40107, "Gorento cannot produce H265 (it produces VP8, VP9, H264, OPUS, PCMU, PCMA)", "MEDIA_OBJECT_ILLEGAL_PARAM_ERROR", false},
		{"audio format unknown", `{"jsonrpc":"2.0","id":$ID,"method":"invoke","params":{"object":"$A","operation":"setAudioFormat","operationParams":{"caps":{"codec":"MP3","bitrate":1}}}}`, 40107, "Invalid parameter provided: MP3", "MEDIA_OBJECT_ILLEGAL_PARAM_ERROR", false},
	}
	for i, tc := range tests {
		// Unique ids: KMS (and Gorento) replay the cached answer to a
		// repeated (session, id) pair.
		id := 1000 + i
		t.Run(tc.name, func(t *testing.T) {
			c.SendRaw(strings.ReplaceAll(r.Replace(tc.frame), "$ID", strconv.Itoa(id)))
			m, ok := c.Next(5e9)
			if !ok {
				t.Fatal("no answer")
			}
			if m["jsonrpc"] != "2.0" {
				t.Errorf("jsonrpc = %v", m["jsonrpc"])
			}
			if tc.nullID {
				if id, has := m["id"]; !has || id != nil {
					t.Errorf("id = %v, want null", m["id"])
				}
			} else if m["id"] != float64(id) {
				t.Errorf("id = %v, want %d", m["id"], id)
			}
			e := testutil.ErrorOf(t, m)
			if e["code"] != tc.code || e["message"] != tc.message {
				t.Errorf("error = %v %q, want %v %q", e["code"], e["message"], tc.code, tc.message)
			}
			data, hasData := e["data"].(map[string]any)
			switch {
			case tc.dataType == "" && hasData:
				t.Errorf("unexpected data %v", data)
			case tc.dataType != "" && (!hasData || data["type"] != tc.dataType):
				t.Errorf("data = %v, want type %s", e["data"], tc.dataType)
			}
			// The connection survives every error.
			if pong := testutil.Result(t, c.Call("ping", nil)); pong["value"] != "pong" {
				t.Fatalf("ping after error: %v", pong)
			}
		})
	}
}

// TestNonErrors checks the calls KMS answers with success although they
// refer to unknown things: kurento-client depends on it.
func TestNonErrors(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)
	sid := rawSession(t, c)
	for _, call := range []struct {
		method string
		params map[string]any
	}{
		{"release", map[string]any{"object": "unknown_kurento.MediaPipeline"}},
		{"unsubscribe", map[string]any{"object": "unknown", "subscription": "unknown"}},
	} {
		r := testutil.Result(t, c.Call(call.method, call.params))
		if r["sessionId"] != sid {
			t.Errorf("%s: sessionId = %v, want %s", call.method, r["sessionId"], sid)
		}
	}
	// An empty ICE candidate and the null sdpMid are tolerated elsewhere;
	// here: setters answer value null and getters return what was set.
	p := create(t, c, "MediaPipeline", nil)
	set := testutil.Result(t, invoke(c, p, "setLatencyStats", map[string]any{"latencyStats": true}))
	if v, has := set["value"]; !has || v != nil {
		t.Errorf("setter result = %v, want value null", set)
	}
	get := testutil.Result(t, invoke(c, p, "getLatencyStats", nil))
	if get["value"] != true {
		t.Errorf("getLatencyStats = %v", get)
	}
	// release twice: idempotent.
	testutil.Result(t, c.Call("release", map[string]any{"object": p}))
	testutil.Result(t, c.Call("release", map[string]any{"object": p}))
}

// TestInvalidPath checks that a WebSocket on another path is closed with
// 1002 "Invalid path" as KMS does, and a query string is accepted.
func TestInvalidPath(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	ok := testutil.DialRaw(t, s.URL+"?access_token=abc")
	if testutil.Result(t, ok.Call("ping", nil))["value"] != "pong" {
		t.Fatal("ping with query string failed")
	}
	bad := testutil.DialRaw(t, strings.TrimSuffix(s.URL, "/kurento")+"/other")
	if m, ok := bad.Next(2e9); ok {
		t.Fatalf("expected the socket to be closed, got %v", m)
	}
	if code := bad.CloseCode(); code != 1002 {
		t.Fatalf("close code = %d, want 1002", code)
	}
}

// TestMaxFrameSize: a frame over the limit closes the socket with 1009
// (message too big); frames under it are served.
func TestMaxFrameSize(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{MaxFrameBytes: 1024})
	c := s.raw(t)
	if testutil.Result(t, c.Call("ping", nil))["value"] != "pong" {
		t.Fatal("small frame not served")
	}
	c.SendRaw(`{"jsonrpc":"2.0","id":9,"method":"ping","params":{"pad":"` + strings.Repeat("x", 2000) + `"}}`)
	if code := c.CloseCode(); code != 1009 {
		t.Fatalf("close code = %d, want 1009", code)
	}
}
