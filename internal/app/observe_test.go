package app

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// loopback runs the hello-world call: a test peer's media through one
// WebRtcEndpoint connected to itself; it returns once media comes back.
func loopback(t *testing.T, c *kurento.Client) (*kurento.MediaPipeline, *testpeer.Peer) {
	t.Helper()
	ctx := context.Background()
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	peer, err := testpeer.New(testpeer.Options{SendAudio: true, SendVideo: true, RecvAudio: true, RecvVideo: true, PeerID: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peer.Close)
	if _, err := ep.OnIceCandidateFound(ctx, func(e wire.IceCandidateFound) {
		_ = peer.AddRemoteCandidate(e.Candidate.Candidate, e.Candidate.SdpMid, e.Candidate.SdpMLineIndex)
	}); err != nil {
		t.Fatal(err)
	}
	if err := ep.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	offer, _ := peer.Offer()
	answer, err := ep.ProcessOffer(ctx, offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.SetAnswer(answer); err != nil {
		t.Fatal(err)
	}
	cands, _ := peer.WaitCandidates(10 * time.Second)
	for _, cd := range cands {
		_ = ep.AddIceCandidate(ctx, cd.Candidate, *cd.SDPMid, int(*cd.SDPMLineIndex))
	}
	if err := ep.GatherCandidates(ctx); err != nil {
		t.Fatal(err)
	}
	if err := peer.WaitConnected(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	peer.StartMedia()
	testutil.Eventually(t, 10*time.Second, "media back through the endpoint", func() bool {
		return peer.Received(webrtc.RTPCodecTypeVideo).Senders[7] > 20
	})
	return p, peer
}

// TestMetricsDuringMedia scrapes /metrics (parsed with the Prometheus
// text parser) while a call and a room are live, and after they end.
func TestMetricsDuringMedia(t *testing.T) {
	a := start(t, nil)
	cl, err := kurento.Dial(context.Background(), a.wsURL("kurento", "/kurento"), kurento.Options{NoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	before := scrape(t, a.httpURL("web", "/metrics"), nil)
	pipe, _ := loopback(t, cl)
	member := testutil.DialRaw(t, a.wsURL("web", "/room"))
	testutil.Result(t, member.Call("joinRoom", map[string]any{"user": "ann", "room": "metrics"}))
	during := scrape(t, a.httpURL("web", "/metrics"), nil)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"gorento_kurento_objects", []string{"class", "WebRtcEndpoint"}, 1},
		{"gorento_pipelines", nil, 2}, // the call's and the room's
		{"gorento_websocket_connections", []string{"endpoint", "kurento"}, 1},
		{"gorento_websocket_connections", []string{"endpoint", "room"}, 1},
		{"gorento_rooms", nil, 1},
		{"gorento_room_participants", nil, 1},
		{"gorento_room_media_server_up", nil, 1},
		{"gorento_request_duration_seconds", []string{"component", "room", "method", "joinRoom"}, 1},
	} {
		if got := metric(during, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if got, was := metric(during, "gorento_kurento_requests_total"), metric(before, "gorento_kurento_requests_total"); got < was+6 {
		t.Errorf("requests %v → %v: the call's requests not counted", was, got)
	}
	if metric(during, "gorento_kurento_events_sent_total") <= metric(before, "gorento_kurento_events_sent_total") {
		t.Error("events sent not counted")
	}
	if metric(during, "process_resident_memory_bytes") <= 0 || metric(during, "go_goroutines") <= 0 {
		t.Error("process metrics missing")
	}
	if err := pipe.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	member.Call("leaveRoom", map[string]any{})
	testutil.Eventually(t, 10*time.Second, "objects released in the metrics", func() bool {
		after := scrape(t, a.httpURL("web", "/metrics"), nil)
		return metric(after, "gorento_pipelines") == 0 && metric(after, "gorento_rooms") == 0 &&
			metric(after, "gorento_kurento_objects", "class", "WebRtcEndpoint") == 0
	})
}

// TestObservabilityEndpoints: /healthz and /readyz are open; /metrics on
// the public web port needs an admin token once auth is configured, and is
// open on its own (private) listener.
func TestObservabilityEndpoints(t *testing.T) {
	leakCheck(t)
	const secret = "observability-key-0123456789abcdef"
	a := start(t, func(c *config.Config) { c.Auth.Keys = map[string]string{"ops": secret} })
	keys, _ := auth.NewKeys(map[string]string{"ops": secret})
	adminTok, _, _ := keys.Mint(auth.TokenRequest{Room: auth.AnyRoom, Grants: auth.Grants{RoomAdmin: true}, TTL: time.Minute})
	userTok, _, _ := keys.Mint(auth.TokenRequest{Identity: "u", Room: auth.AnyRoom, Grants: auth.ParticipantGrants, TTL: time.Minute})
	if getStatus(t, a.httpURL("web", "/healthz")) != 200 || getStatus(t, a.httpURL("web", "/readyz")) != 200 {
		t.Error("health endpoints not open")
	}
	for tok, want := range map[string]int{"": 401, userTok: 401, adminTok: 200} {
		req, _ := http.NewRequest("GET", a.httpURL("web", "/metrics"), nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("/metrics with %.10q: %d, want %d", tok, resp.StatusCode, want)
		}
	}
	b := start(t, func(c *config.Config) {
		c.Auth.Keys = map[string]string{"ops": secret}
		c.Metrics.Listen = "127.0.0.1:0"
	})
	scrape(t, b.httpURL("metrics", "/metrics"), nil)
	if getStatus(t, b.httpURL("metrics", "/readyz")) != 200 {
		t.Error("readyz on the metrics listener")
	}
	if code := getStatus(t, b.httpURL("web", "/metrics")); code != 404 {
		t.Errorf("/metrics also on the web listener: %d", code)
	}
}
