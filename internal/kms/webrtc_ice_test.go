package kms_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

func freeUDPPort(t *testing.T) int {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// TestUDPPorts: by default every endpoint is reached on one UDP port (ICE
// UDP mux), chosen at start or fixed by webrtc.udpPort; with
// webrtc.perEndpointPorts each endpoint has its own. Media flows in each.
func TestUDPPorts(t *testing.T) {
	fixed := freeUDPPort(t)
	for _, tc := range []struct {
		name     string
		edit     func(*kms.Config)
		samePort bool
	}{
		{"default", func(*kms.Config) {}, true},
		{"fixed", func(c *kms.Config) { c.WebRTC.UDPPort = fixed }, true},
		{"per-endpoint", func(c *kms.Config) { c.WebRTC.PerEndpointPorts = true }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			cfg := loopbackConfig()
			tc.edit(&cfg)
			s := startServer(t, cfg)
			ctx := context.Background()
			c := dial(t, s.URL)
			p, _ := c.CreatePipeline(ctx)
			var seen []string
			for i := 0; i < 2; i++ {
				ep, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
				ports := make(chan string, 8)
				if _, err := ep.OnIceCandidateFound(ctx, func(e wire.IceCandidateFound) {
					f := strings.Fields(e.Candidate.Candidate)
					if len(f) > 5 {
						ports <- f[5]
					}
				}); err != nil {
					t.Fatal(err)
				}
				peer := newPeer(t, testpeer.Options{SendVideo: true, RecvVideo: true})
				connectPeer(t, ctx, ep, peer, nil)
				select {
				case got := <-ports:
					seen = append(seen, got)
				case <-time.After(10 * time.Second):
					t.Fatal("no candidate")
				}
				if err := ep.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
					t.Fatal(err)
				}
				peer.StartMedia()
				testutil.Eventually(t, 10*time.Second, "echo", func() bool {
					return peer.Received(webrtc.RTPCodecTypeVideo).Marked > 10
				})
			}
			if same := seen[0] == seen[1]; same != tc.samePort {
				t.Errorf("endpoints advertise ports %v, want the same port: %v", seen, tc.samePort)
			}
			if tc.name == "fixed" && seen[0] != strconv.Itoa(fixed) {
				t.Errorf("endpoint advertises port %s, want the configured %d", seen[0], fixed)
			}
		})
	}
}

// TestPerEndpointICESettings: settings made before gatherCandidates apply to
// that endpoint: here the advertised external address.
func TestPerEndpointICESettings(t *testing.T) {
	leakCheck(t)
	s := startServer(t, loopbackConfig())
	ctx := context.Background()
	c := dial(t, s.URL)
	p, _ := c.CreatePipeline(ctx)
	ep, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err := ep.Invoke(ctx, "setExternalIPv4", map[string]any{"externalIPv4": "198.51.100.7"}, nil); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := ep.Invoke(ctx, "getExternalIPv4", nil, &got); err != nil || got != "198.51.100.7" {
		t.Fatalf("getExternalIPv4 = %q, %v", got, err)
	}
	cands := make(chan string, 8)
	if _, err := ep.OnIceCandidateFound(ctx, func(e wire.IceCandidateFound) { cands <- e.Candidate.Candidate }); err != nil {
		t.Fatal(err)
	}
	peer := newPeer(t, testpeer.Options{SendVideo: true})
	offer, _ := peer.Offer()
	if _, err := ep.ProcessOffer(ctx, offer); err != nil {
		t.Fatal(err)
	}
	if err := ep.GatherCandidates(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case cand := <-cands:
		if !strings.Contains(cand, " 198.51.100.7 ") || !strings.HasPrefix(cand, "candidate:") {
			t.Fatalf("candidate %q does not advertise the external address", cand)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no candidate")
	}
}
