package kms_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testutil"
)

// health is what a limit test checks the server kept: goroutines, open
// files and live heap (RSS is logged: the Go runtime returns memory to the
// system lazily, so the live heap is what shows a leak).
type health struct{ goroutines, fds, heap, rss int }

func measure(t *testing.T) health {
	t.Helper()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc")
	}
	rss := 0
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		var size, pages int
		if _, err := fmt.Sscan(string(b), &size, &pages); err == nil {
			rss = pages * os.Getpagesize()
		}
	}
	return health{goroutines: runtime.NumGoroutine(), fds: len(fds), heap: int(m.HeapAlloc), rss: rss}
}

// unharmed checks, once the client that hit a limit is gone, that the
// server is back to what it held before (heap within slack bytes).
func unharmed(t *testing.T, before health, slack int) {
	t.Helper()
	var now health
	deadline := time.Now().Add(10 * time.Second)
	for {
		now = measure(t)
		if now.goroutines <= before.goroutines && now.fds <= before.fds {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines and files not back to the baseline: before %+v, after %+v\n%s", before, now, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("before %+v, after %+v", before, now)
	if now.heap > before.heap+slack {
		t.Errorf("live heap grew by %d bytes (> %d)", now.heap-before.heap, slack)
	}
}

func errorOf(t *testing.T, resp map[string]any, code float64, text string) {
	t.Helper()
	e := testutil.ErrorOf(t, resp)
	if e["code"] != code || !strings.Contains(fmt.Sprint(e["message"]), text) {
		t.Fatalf("error %v, want %v mentioning %q", e, code, text)
	}
}

// TestSessionLimits: client-chosen session ids are bounded in length, a
// connection in the sessions it opens, the server in the sessions it
// holds; the sessions already open keep working.
func TestSessionLimits(t *testing.T) {
	cfg := kms.Config{Limits: kms.Limits{MaxSessionsPerConnection: 3, MaxSessions: 5}}
	s := startServer(t, cfg)
	before := measure(t)
	func() {
		c := s.raw(t)
		defer c.Close()
		describe := func(sid string) map[string]any {
			return c.Call("describe", map[string]any{"object": "manager_ServerManager", "sessionId": sid})
		}
		errorOf(t, describe(strings.Repeat("x", 129)), 40007, "maxSessionIdLength")
		for i := 0; i < 3; i++ {
			testutil.Result(t, describe(fmt.Sprintf("own-%d", i)))
		}
		for i := 0; i < 1000; i++ {
			errorOf(t, describe(fmt.Sprintf("flood-%d", i)), 40009, "kurento.maxSessionsPerConnection")
		}
		testutil.Result(t, describe("own-1")) // an open session still works
		c2 := s.raw(t)
		defer c2.Close()
		for _, sid := range []string{"c2-a", "c2-b"} {
			testutil.Result(t, c2.Call("describe", map[string]any{"object": "manager_ServerManager", "sessionId": sid}))
		}
		errorOf(t, c2.Call("describe", map[string]any{"object": "manager_ServerManager", "sessionId": "one-more"}), 40009, "kurento.maxSessions")
		if got := s.Metrics().Snapshot().Sessions; got != 5 {
			t.Errorf("%d sessions held, want 5", got)
		}
		testutil.Result(t, c.Call("closeSession", map[string]any{"sessionId": "own-0"}))
		testutil.Result(t, describe("after-close")) // a closed session frees its place
	}()
	unharmed(t, before, 1<<20)
}

// TestTransactionOperationsLimit: a transaction of more operations than
// allowed is refused whole.
func TestTransactionOperationsLimit(t *testing.T) {
	s := startServer(t, kms.Config{Limits: kms.Limits{MaxTransactionOperations: 10}})
	c := s.raw(t)
	rawSession(t, c)
	ops := func(n int) []any {
		var out []any
		for i := 0; i < n; i++ {
			out = append(out, map[string]any{"jsonrpc": "2.0", "id": i, "method": "ping"})
		}
		return out
	}
	if v := testutil.Result(t, c.Call("transaction", map[string]any{"operations": ops(10)}))["value"].([]any); len(v) != 10 {
		t.Fatalf("10 operations answered %d", len(v))
	}
	errorOf(t, c.Call("transaction", map[string]any{"operations": ops(11)}), 40009, "kurento.maxTransactionOperations")
}

// TestObjectsPerSessionLimit: a session holding its limit of objects
// cannot create more until it releases one; other sessions are unaffected.
func TestObjectsPerSessionLimit(t *testing.T) {
	s := startServer(t, kms.Config{Limits: kms.Limits{MaxObjectsPerSession: 4}})
	before := measure(t)
	func() {
		c := s.raw(t)
		defer c.Close()
		rawSession(t, c)
		p := create(t, c, "MediaPipeline", nil)
		var last string
		for i := 0; i < 3; i++ {
			last = create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
		}
		for i := 0; i < 100; i++ {
			errorOf(t, c.Call("create", map[string]any{"type": "PassThrough", "constructorParams": map[string]any{"mediaPipeline": p}}),
				40009, "kurento.maxObjectsPerSession")
		}
		other := s.raw(t)
		defer other.Close()
		rawSession(t, other)
		defer other.Call("release", map[string]any{"object": create(t, other, "MediaPipeline", nil)})
		testutil.Result(t, c.Call("release", map[string]any{"object": last}))
		create(t, c, "PassThrough", map[string]any{"mediaPipeline": p})
		if n := s.Metrics().Snapshot().Objects["PassThrough"]; n != 3 {
			t.Errorf("%d PassThrough objects live, want 3", n)
		}
		testutil.Result(t, c.Call("release", map[string]any{"object": p}))
	}()
	unharmed(t, before, 1<<20)
}

// TestTagLimits: tags are bounded in count and bytes; tags a session sets
// on the shared ServerManager, and its sendTagsInEvents, end with it.
func TestTagLimits(t *testing.T) {
	s := startServer(t, kms.Config{Limits: kms.Limits{MaxTagsPerObject: 3, MaxTagBytesPerObject: 1000}})
	const manager = "manager_ServerManager"
	watcher := s.raw(t)
	rawSession(t, watcher)
	testutil.Result(t, watcher.Call("subscribe", map[string]any{"object": manager, "type": "ObjectCreated"}))
	before := measure(t)
	func() {
		c := s.raw(t)
		defer c.Close()
		sid := rawSession(t, c)
		for i := 0; i < 3; i++ {
			testutil.Result(t, invoke(c, manager, "addTag", map[string]any{"key": fmt.Sprint("k", i), "value": "v"}))
		}
		errorOf(t, invoke(c, manager, "addTag", map[string]any{"key": "k3", "value": "v"}), 40009, "kurento.maxTagsPerObject")
		testutil.Result(t, invoke(c, manager, "addTag", map[string]any{"key": "k0", "value": "replaced"})) // replacing is fine
		errorOf(t, invoke(c, manager, "addTag", map[string]any{"key": "k1", "value": strings.Repeat("x", 1<<20)}), 40009, "kurento.maxTagBytesPerObject")
		testutil.Result(t, invoke(c, manager, "setSendTagsInEvents", map[string]any{"sendTagsInEvents": true}))
		create(t, c, "MediaPipeline", nil)
		ev := events(watcher, 1, 10*time.Second)
		if len(ev) != 1 || len(ev[0]["data"].(map[string]any)["tags"].([]any)) != 3 {
			t.Fatalf("ObjectCreated with the manager's tags = %v", ev)
		}
		testutil.Result(t, c.Call("closeSession", map[string]any{"sessionId": sid, "release": true}))
	}()
	tags := testutil.Result(t, invoke(watcher, manager, "getTags", nil))["value"].([]any)
	if len(tags) != 0 {
		t.Errorf("tags of a closed session still on the ServerManager: %v", tags)
	}
	if on := testutil.Result(t, invoke(watcher, manager, "getSendTagsInEvents", nil))["value"]; on != false {
		t.Errorf("sendTagsInEvents of a closed session still on: %v", on)
	}
	// The refused 1 MiB tag went through the connection's read buffers,
	// which the allocator may still count as live: allow twice its size.
	unharmed(t, before, 2<<20)
}

// TestCredentialScoping: with credentials on the port, a connection sees
// and uses only the sessions and objects of its own credential.
func TestCredentialScoping(t *testing.T) {
	leakCheck(t)
	ks, err := kms.New(kms.Config{}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	// The guard of internal/app attaches the credential; this stands in for it.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cred := r.URL.Query().Get("as"); cred != "" {
			r = r.WithContext(auth.WithIdentity(r.Context(), auth.Identity{Credential: cred}))
		}
		ks.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { _ = ks.Close(); hs.Close() })
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/kurento?as="
	alice, bob := testutil.DialRaw(t, url+"alice"), testutil.DialRaw(t, url+"bob")
	const manager = "manager_ServerManager"
	aliceSID, bobSID := rawSession(t, alice), rawSession(t, bob)
	testutil.Result(t, bob.Call("subscribe", map[string]any{"object": manager, "type": "ObjectCreated"}))
	p := create(t, alice, "MediaPipeline", nil)

	sessions := testutil.Result(t, invoke(bob, manager, "getSessions", nil))["value"].([]any)
	if len(sessions) != 1 || sessions[0] != bobSID {
		t.Errorf("bob's getSessions = %v, want only %s", sessions, bobSID)
	}
	if pipes := testutil.Result(t, invoke(bob, manager, "getPipelines", nil))["value"].([]any); len(pipes) != 0 {
		t.Errorf("bob lists alice's pipelines: %v", pipes)
	}
	if pipes := testutil.Result(t, invoke(alice, manager, "getPipelines", nil))["value"].([]any); len(pipes) != 1 {
		t.Errorf("alice's pipelines = %v", pipes)
	}
	errorOf(t, bob.Call("connect", map[string]any{"sessionId": aliceSID}), 40007, "Invalid session")
	errorOf(t, bob.Call("describe", map[string]any{"object": manager, "sessionId": aliceSID}), 40007, "Invalid session")
	errorOf(t, bob.Call("keepAlive", map[string]any{"sessionId": aliceSID}), 40007, "Invalid session")
	errorOf(t, bob.Call("closeSession", map[string]any{"sessionId": aliceSID}), 40007, "Invalid session")
	errorOf(t, invoke(bob, p, "getName", nil), 40101, "not found")
	testutil.Result(t, bob.Call("release", map[string]any{"object": p})) // answered as for an unknown object…
	testutil.Result(t, invoke(alice, p, "getName", nil))                 // …and nothing released
	if ev := events(bob, 1, 500*time.Millisecond); len(ev) != 0 {
		t.Errorf("bob got an event about alice's object: %v", ev)
	}
	testutil.Result(t, invoke(alice, manager, "addTag", map[string]any{"key": "app", "value": "alice's"}))
	if tags := testutil.Result(t, invoke(bob, manager, "getTags", nil))["value"].([]any); len(tags) != 0 {
		t.Errorf("bob reads alice's tags on the ServerManager: %v", tags)
	}
	errorOf(t, invoke(bob, manager, "getTag", map[string]any{"key": "app"}), 40110, "not found")
	// The same credential on another connection resumes the session.
	again := testutil.DialRaw(t, url+"alice")
	if r := testutil.Result(t, again.Call("connect", map[string]any{"sessionId": aliceSID})); r["sessionId"] != aliceSID {
		t.Errorf("connect with alice's credential = %v", r)
	}
}
