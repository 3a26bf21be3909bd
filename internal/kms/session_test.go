package kms_test

import (
	"testing"
	"time"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testutil"
)

// TestSessionBindingAndInjection follows kurento-client's start-up: the
// first ping has no session, describe issues one, and later requests
// without sessionId are injected with the bound session.
func TestSessionBindingAndInjection(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)

	pong := testutil.Result(t, c.Call("ping", map[string]any{"interval": 5000}))
	if _, has := pong["sessionId"]; has || pong["value"] != "pong" {
		t.Fatalf("first ping = %v, want {value:pong} without sessionId", pong)
	}
	desc := testutil.Result(t, c.Call("describe", map[string]any{"object": "manager_ServerManager"}))
	sid, _ := desc["sessionId"].(string)
	if len(sid) != 36 {
		t.Fatalf("sessionId %q is not a UUID", sid)
	}
	if desc["type"] != "ServerManager" || desc["qualifiedType"] != "kurento.ServerManager" {
		t.Errorf("describe = %v", desc)
	}
	if h, _ := desc["hierarchy"].([]any); len(h) != 1 || h[0] != "kurento.MediaObject" {
		t.Errorf("hierarchy = %v", desc["hierarchy"])
	}
	// A create without sessionId (kurento-client sends it before the
	// describe answer arrives) is injected with the bound session.
	r := testutil.Result(t, c.Call("create", map[string]any{"type": "MediaPipeline", "properties": map[string]any{}}))
	if r["sessionId"] != sid {
		t.Fatalf("create sessionId = %v, want injected %s", r["sessionId"], sid)
	}
	pong = testutil.Result(t, c.Call("ping", nil))
	if pong["sessionId"] != sid {
		t.Errorf("ping on a bound connection = %v, want sessionId %s", pong, sid)
	}
	// An explicit session id in a request rebinds the connection to it.
	other := testutil.Result(t, c.Call("describe", map[string]any{"object": "manager_ServerManager", "sessionId": "my-own-session"}))
	if other["sessionId"] != "my-own-session" {
		t.Fatalf("explicit session not honoured: %v", other)
	}
	if p := testutil.Result(t, c.Call("ping", nil)); p["sessionId"] != "my-own-session" {
		t.Errorf("binding did not move: %v", p)
	}
	// Two connections get two sessions.
	c2 := s.raw(t)
	if sid2 := rawSession(t, c2); sid2 == sid {
		t.Error("second connection reused the first session")
	}
	sessions := testutil.Result(t, invoke(c, "manager_ServerManager", "getSessions", nil))["value"].([]any)
	if len(sessions) != 3 {
		t.Errorf("getSessions = %v, want 3 sessions", sessions)
	}
}

// TestInOrderExecution pipelines requests without waiting: effects must
// follow arrival order, answers come in request order.
func TestInOrderExecution(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)
	rawSession(t, c)
	p := create(t, c, "MediaPipeline", nil)
	var ids []int
	for i := 0; i < 20; i++ {
		ids = append(ids, c.Send("invoke", map[string]any{"object": p, "operation": "setName", "operationParams": map[string]any{"name": string(rune('a' + i))}}))
		ids = append(ids, c.Send("invoke", map[string]any{"object": p, "operation": "getName"}))
	}
	for i, id := range ids {
		m, ok := c.Next(10 * time.Second)
		if !ok || m["id"] != float64(id) {
			t.Fatalf("answer %d = %v, want id %d", i, m, id)
		}
		if i%2 == 1 {
			if got := m["result"].(map[string]any)["value"]; got != string(rune('a'+i/2)) {
				t.Fatalf("getName #%d = %v: effects out of order", i/2, got)
			}
		}
	}
}

// TestReconnectKeepsObjectsAndSubscriptions: after the socket drops, a new
// socket sends `connect` with the old session and keeps objects and event
// subscriptions; events arrive on the new socket.
func TestReconnectKeepsObjectsAndSubscriptions(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)
	sid := rawSession(t, c)
	p := create(t, c, "MediaPipeline", nil)
	a := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
	b := create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
	testutil.Result(t, c.Call("subscribe", map[string]any{"object": a, "type": "ElementConnected"}))
	c.Close()

	c2 := s.raw(t)
	c2.SetNextID(100) // like kurento-client, keep counting ids across reconnections
	testutil.Result(t, c2.Call("ping", nil))
	r := testutil.Result(t, c2.Call("connect", map[string]any{"sessionId": sid}))
	if r["sessionId"] != sid || r["serverId"] != s.ServerID() {
		t.Fatalf("connect = %v", r)
	}
	if testutil.Result(t, invoke(c2, a, "getName", nil))["sessionId"] != sid {
		t.Fatal("object lost or session changed after reconnection")
	}
	testutil.Result(t, invoke(c2, a, "connect", map[string]any{"sink": b, "mediaType": "VIDEO"}))
	evs := events(c2, 1, 10*time.Second)
	if len(evs) != 1 || evs[0]["type"] != "ElementConnected" || evs[0]["object"] != a {
		t.Fatalf("events after reconnection = %v", evs)
	}
	data := evs[0]["data"].(map[string]any)
	if data["sink"] != b || data["mediaType"] != "VIDEO" || data["source"] != a {
		t.Errorf("event data = %v", data)
	}
	if ts, ok := data["timestampMillis"].(string); !ok || len(ts) < 13 {
		t.Errorf("timestampMillis = %#v, want a string of ms", data["timestampMillis"])
	}
}

// TestGarbageCollector: the objects of a session whose connection is gone
// are released after the GC period, and `connect` then answers 40007.
func TestGarbageCollector(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{GCPeriod: 200 * time.Millisecond})
	watcher := s.raw(t)
	rawSession(t, watcher)

	c := s.raw(t)
	sid := rawSession(t, c)
	p := create(t, c, "MediaPipeline", nil)
	create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})

	// A live connection keeps its session across many periods.
	time.Sleep(700 * time.Millisecond)
	if len(pipelines(t, watcher)) != 1 {
		t.Fatal("pipeline of a connected session was collected")
	}
	c.Close()
	testutil.Eventually(t, 10*time.Second, "the pipeline to be collected", func() bool { return len(pipelines(t, watcher)) == 0 })

	c2 := s.raw(t)
	e := testutil.ErrorOf(t, c2.Call("connect", map[string]any{"sessionId": sid}))
	if e["code"] != float64(40007) {
		t.Fatalf("connect after GC = %v, want 40007", e)
	}
}

// TestKeepAliveRefUnrefCloseSession covers the methods the JS client never
// sends but KMS accepts.
func TestKeepAliveRefUnrefCloseSession(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	a := s.raw(t)
	sidA := rawSession(t, a)
	p := create(t, a, "MediaPipeline", nil)

	b := s.raw(t)
	sidB := rawSession(t, b)
	if r := testutil.Result(t, b.Call("keepAlive", map[string]any{"sessionId": sidB})); r["sessionId"] != sidB {
		t.Errorf("keepAlive = %v", r)
	}
	testutil.Result(t, b.Call("ref", map[string]any{"object": p, "sessionId": sidB}))
	// A drops the pipeline from its session; B still references it.
	testutil.Result(t, a.Call("unref", map[string]any{"object": p, "sessionId": sidA}))
	if len(pipelines(t, b)) != 1 {
		t.Fatal("pipeline released while still referenced by another session")
	}
	// closeSession answers result null and drops the session's objects.
	resp := b.Call("closeSession", map[string]any{"sessionId": sidB})
	if v, has := resp["result"]; !has || v != nil {
		t.Fatalf("closeSession = %v, want result null", resp)
	}
	if len(pipelines(t, a)) != 0 {
		t.Fatal("closeSession did not release the unreferenced pipeline")
	}
}

// TestRequestCache: a retried (session, id) gets the same answer without a
// second execution.
func TestRequestCache(t *testing.T) {
	leakCheck(t)
	s := startServer(t, kms.Config{})
	c := s.raw(t)
	sid := rawSession(t, c)
	frame := `{"jsonrpc":"2.0","id":777,"method":"create","params":{"type":"MediaPipeline","sessionId":"` + sid + `"}}`
	c.SendRaw(frame)
	first, _ := c.Response(777)
	c.SendRaw(frame)
	second, _ := c.Response(777)
	if testutil.Result(t, first)["value"] != testutil.Result(t, second)["value"] {
		t.Fatalf("retry executed twice: %v vs %v", first, second)
	}
	if n := len(pipelines(t, c)); n != 1 {
		t.Fatalf("%d pipelines after a retried create, want 1", n)
	}
}

func pipelines(t *testing.T, c *testutil.RawClient) []any {
	t.Helper()
	v, _ := testutil.Result(t, invoke(c, "manager_ServerManager", "getPipelines", nil))["value"].([]any)
	return v
}
