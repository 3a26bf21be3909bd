package kms_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testutil"
)

// leakCheck verifies, after every other cleanup of the test has run, that the
// test left no goroutine behind.
func leakCheck(t *testing.T) { testutil.LeakCheck(t) }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// server is a running protocol server for one test.
type server struct {
	*kms.Server
	http *httptest.Server
	URL  string // ws://127.0.0.1:port/kurento
}

func startServer(t *testing.T, cfg kms.Config) *server {
	t.Helper()
	ks, err := kms.New(cfg, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ks)
	s := &server{Server: ks, http: hs, URL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/kurento"}
	t.Cleanup(func() {
		_ = ks.Close()
		hs.Close()
	})
	return s
}

func (s *server) raw(t *testing.T) *testutil.RawClient { return testutil.DialRaw(t, s.URL) }

// rawSession performs the kurento-client handshake and returns the session id.
func rawSession(t *testing.T, c *testutil.RawClient) string {
	t.Helper()
	r := testutil.Result(t, c.Call("describe", map[string]any{"object": "manager_ServerManager"}))
	sid, _ := r["sessionId"].(string)
	if sid == "" {
		t.Fatalf("describe issued no session: %v", r)
	}
	return sid
}

func create(t *testing.T, c *testutil.RawClient, typ string, ctor map[string]any) string {
	t.Helper()
	p := map[string]any{"type": typ, "properties": map[string]any{}}
	if ctor != nil {
		p["constructorParams"] = ctor
	}
	r := testutil.Result(t, c.Call("create", p))
	id, _ := r["value"].(string)
	if id == "" {
		t.Fatalf("create %s returned no id: %v", typ, r)
	}
	return id
}

func invoke(c *testutil.RawClient, object, op string, params map[string]any) map[string]any {
	p := map[string]any{"object": object, "operation": op}
	if params != nil {
		p["operationParams"] = params
	}
	return c.Call("invoke", p)
}

// events collects onEvent notifications until n have arrived or timeout.
func events(c *testutil.RawClient, n int, timeout time.Duration) []map[string]any {
	var out []map[string]any
	deadline := time.Now().Add(timeout)
	for len(out) < n && time.Now().Before(deadline) {
		m, ok := c.Next(time.Until(deadline))
		if !ok {
			break
		}
		if m["method"] == "onEvent" {
			v, _ := m["params"].(map[string]any)["value"].(map[string]any)
			out = append(out, v)
		}
	}
	return out
}
