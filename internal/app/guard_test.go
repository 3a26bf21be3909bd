package app

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
)

func leakCheck(t *testing.T) { testutil.LeakCheck(t) }

// TestOrigins: on every WebSocket endpoint, browsers' pages of the same
// origin and of listed origins get in; pages of other origins (another
// port is another origin) get 403; clients without Origin get in.
func TestOrigins(t *testing.T) {
	leakCheck(t)
	a := start(t, func(c *config.Config) { c.Auth.AllowedOrigins = []string{"https://app.example.com"} })
	for _, ep := range []struct{ listener, path string }{{"kurento", "/kurento"}, {"web", "/kurento"}, {"web", "/room"}} {
		own := "http://" + a.Addr(ep.listener).String()
		for origin, want := range map[string]int{
			"":                        101,
			own:                       101,
			"https://app.example.com": 101,
			"http://127.0.0.1:1":      403,
			"http://evil.example":     403,
			"null":                    403,
			strings.Replace(own, "127.0.0.1", "localhost", 1): 403,
		} {
			if got, _ := handshake(t, a.wsURL(ep.listener, ep.path), originHeader(origin), ""); got != want {
				t.Errorf("%s %s origin %q: %d, want %d", ep.listener, ep.path, origin, got, want)
			}
		}
	}
}

// TestKurentoSecret: with a secret, the Kurento Protocol port needs it (in
// the URL query or an Authorization header) before any JSON-RPC.
func TestKurentoSecret(t *testing.T) {
	leakCheck(t)
	const secret = "kurento-test-secret-42"
	a := start(t, func(c *config.Config) { c.Auth.KurentoSecret = secret })
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("app:"+secret))
	for _, listener := range []string{"kurento", "web"} {
		u := a.wsURL(listener, "/kurento")
		for _, c := range []struct {
			name, query, header string
			want                int
		}{
			{"missing", "", "", 401},
			{"wrong", "?access_token=nope", "", 401},
			{"wrong header", "", "Bearer nope", 401},
			{"query", "?access_token=" + secret, "", 101},
			{"bearer", "", "Bearer " + secret, 101},
			{"basic", "", basic, 101},
		} {
			h := http.Header{}
			if c.header != "" {
				h.Set("Authorization", c.header)
			}
			if got, _ := handshake(t, u+c.query, h, ""); got != c.want {
				t.Errorf("%s %s: %d, want %d", listener, c.name, got, c.want)
			}
		}
	}
	cl, err := kurento.Dial(context.Background(), a.wsURL("kurento", "/kurento?access_token="+secret), kurento.Options{NoReconnect: true})
	if err != nil {
		t.Fatalf("Go client with the secret: %v", err)
	}
	p, err := cl.CreatePipeline(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Release(context.Background())
	_ = cl.Close()
	// The room endpoint is not the Kurento port: no Kurento secret there.
	if got, _ := handshake(t, a.wsURL("web", "/room"), nil, ""); got != 101 {
		t.Errorf("room endpoint: %d", got)
	}
}

// TestConnectionsPerAddress: beyond the cap, one address gets 429; other
// addresses and the connections already open are unharmed; a closed
// connection frees its slot.
func TestConnectionsPerAddress(t *testing.T) {
	leakCheck(t)
	a := start(t, func(c *config.Config) { c.Kurento.ConnectionsPerAddress, c.Room.ConnectionsPerAddress = 3, 2 })
	for _, ep := range []struct {
		listener, path string
		max            int
	}{{"kurento", "/kurento", 3}, {"web", "/kurento", 3}, {"web", "/room", 2}} {
		var open []*websocket.Conn
		for i := 0; i < ep.max; i++ {
			code, ws := handshake(t, a.wsURL(ep.listener, ep.path), nil, "127.0.0.1")
			if code != 101 {
				t.Fatalf("%s%s connection %d: %d", ep.listener, ep.path, i+1, code)
			}
			open = append(open, ws)
		}
		if code, _ := handshake(t, a.wsURL(ep.listener, ep.path), nil, "127.0.0.1"); code != http.StatusTooManyRequests {
			t.Errorf("%s%s beyond the cap: %d, want 429", ep.listener, ep.path, code)
		}
		if code, ws := handshake(t, a.wsURL(ep.listener, ep.path), nil, "127.0.0.2"); code != 101 {
			t.Errorf("another address refused: %d", code)
		} else {
			_ = ws.Close()
		}
		if ep.path == "/kurento" { // the open ones still work
			raw := open[0]
			_ = raw.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"interval":3000}}`))
			_ = raw.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, msg, err := raw.ReadMessage(); err != nil || !strings.Contains(string(msg), "pong") {
				t.Errorf("open connection after the refusal: %s %v", msg, err)
			}
		}
		for _, ws := range open {
			_ = ws.Close()
		}
		// Wait for the server to see every socket closed (a probing handshake
		// would hold a slot itself while the next round starts).
		testutil.Eventually(t, 10*time.Second, "slots freed", func() bool {
			return a.kurentoAddrs.total() == 0 && a.roomAddrs.total() == 0
		})
	}
}

// TestKurentoIdleTimeout: a socket that sends nothing is closed with 1001
// after the idle timeout; one that keeps sending stays open meanwhile.
func TestKurentoIdleTimeout(t *testing.T) {
	leakCheck(t)
	a := start(t, func(c *config.Config) { c.Kurento.IdleTimeout = config.Duration{Duration: 2 * time.Second} })
	_, silent := handshake(t, a.wsURL("kurento", "/kurento"), nil, "")
	_, chatty := handshake(t, a.wsURL("kurento", "/kurento"), nil, "")
	closed := make(chan error, 1)
	go func() {
		_ = silent.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, _, err := silent.ReadMessage()
		closed <- err
	}()
	pings := 0
	for {
		select {
		case err := <-closed:
			if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
				t.Errorf("silent socket: %v, want close 1001", err)
			}
			if pings == 0 {
				t.Error("no ping went through")
			}
			return
		default:
		}
		if err := chatty.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`)); err != nil {
			t.Fatalf("sending socket closed after %d pings: %v", pings, err)
		}
		_ = chatty.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := chatty.ReadMessage(); err != nil {
			t.Fatalf("sending socket closed after %d pings: %v", pings, err)
		}
		pings++
		time.Sleep(20 * time.Millisecond)
	}
}
