package target

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/bench/internal/peer"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

func init() {
	avail := func(env Env) error {
		if env.GorentoBin == "" {
			return fmt.Errorf("no gorento binary")
		}
		_, err := os.Stat(env.GorentoBin)
		return err
	}
	Register(Factory{Name: "gorento", New: func(env Env) Server { return &Gorento{bin: env.GorentoBin} }, Available: avail})
	Register(Factory{Name: "gorento-room", New: func(env Env) Server { return &Gorento{bin: env.GorentoBin, viaRoom: true} }, Available: avail})
	Register(Factory{Name: "gorento-base", New: func(env Env) Server { return &Gorento{bin: env.GorentoBaseBin, name: "gorento-base"} },
		Available: func(env Env) error {
			if env.GorentoBaseBin == "" {
				return fmt.Errorf("no -gorento-base binary")
			}
			_, err := os.Stat(env.GorentoBaseBin)
			return err
		}})
}

// Gorento runs `gorento serve` and drives it over the Kurento Protocol
// (pipelines, WebRtcEndpoints, PassThrough), or with viaRoom through the
// KurentoRoom protocol of its room server.
type Gorento struct {
	bin     string
	name    string // server name when not "gorento" / "gorento-room"
	viaRoom bool
	// UDPPort, when set, is the single UDP port of every endpoint (ICE UDP mux).
	UDPPort int
	// PerEndpointPorts gives each endpoint its own ports (older binaries
	// did so by default and do not know the setting).
	PerEndpointPorts bool

	proc    *process
	kmsURL  string
	roomURL string
	client  *kurento.Client
}

// Name implements Server.
func (g *Gorento) Name() string {
	if g.name != "" {
		return g.name
	}
	if g.viaRoom {
		return "gorento-room"
	}
	return "gorento"
}

// Start implements Server.
func (g *Gorento) Start(ctx context.Context, o Options) error {
	profiles := map[string][]string{"cm": {"AES_CM_128_HMAC_SHA1_80"}, "gcm": {"AEAD_AES_128_GCM"}}[o.SRTP]
	web, roomPath := "", ""
	if g.viaRoom {
		web, roomPath = "127.0.0.1:0", "/room"
	}
	cfg := map[string]any{
		// Every load-tool peer connects from 127.0.0.1: no per-address cap.
		"kurento": map[string]any{"listen": "127.0.0.1:0", "secureListen": "", "connectionsPerAddress": 1 << 30},
		"web":     map[string]any{"listen": web, "plain": true},
		"room":    map[string]any{"path": roomPath, "connectionsPerAddress": 1 << 30},
		"webrtc":  map[string]any{"loopbackOnly": true, "iceTcp": false, "udpPort": g.UDPPort, "srtpProfiles": profiles},
		"dataDir": filepath.Join(o.Dir, "gorento-data"),
		"log":     map[string]any{"level": "info"},
	}
	if g.PerEndpointPorts {
		cfg["webrtc"].(map[string]any)["perEndpointPorts"] = true
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	cfgPath := filepath.Join(o.Dir, "gorento.json")
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		return err
	}
	p, err := startProcess(o.Dir, g.Name(), o.CPU, nil, g.bin, "serve", "-config", cfgPath)
	if err != nil {
		return err
	}
	g.proc = p
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	m, err := p.waitLine(wctx, regexp.MustCompile(`msg=listening listener=kurento addr=(\S+)`))
	if err != nil {
		g.Stop()
		return err
	}
	g.kmsURL = "ws://" + m[1] + "/kurento"
	if g.viaRoom {
		m, err := p.waitLine(wctx, regexp.MustCompile(`msg=listening listener=web addr=(\S+)`))
		if err != nil {
			g.Stop()
			return err
		}
		g.roomURL = "ws://" + m[1] + "/room"
		return nil
	}
	c, err := kurento.Dial(ctx, g.kmsURL, kurento.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), NoReconnect: true, PingInterval: -1})
	if err != nil {
		g.Stop()
		return err
	}
	g.client = c
	return nil
}

// PID implements Server.
func (g *Gorento) PID() int { return g.proc.pid() }

// Stop implements Server.
func (g *Gorento) Stop() {
	if g.client != nil {
		_ = g.client.Close()
		g.client = nil
	}
	g.proc.stop(5 * time.Second)
	g.proc = nil
}

// negotiate runs KMS's signalling for one endpoint: the peer's offer
// carries its candidates, the server's trickle back after gatherCandidates.
func negotiate(ctx context.Context, ep *kurento.WebRtcEndpoint, p *peer.Peer) error {
	offer, err := p.Offer(ctx)
	if err != nil {
		return err
	}
	answered := make(chan struct{})
	if _, err := ep.OnIceCandidateFound(ctx, func(e wire.IceCandidateFound) {
		<-answered
		mid, idx := e.Candidate.SdpMid, uint16(e.Candidate.SdpMLineIndex)
		_ = p.AddCandidate(webrtc.ICECandidateInit{Candidate: e.Candidate.Candidate, SDPMid: &mid, SDPMLineIndex: &idx})
	}); err != nil {
		return err
	}
	answer, err := ep.ProcessOffer(ctx, offer)
	if err != nil {
		close(answered)
		return err
	}
	err = p.SetAnswer(answer)
	close(answered)
	if err != nil {
		return err
	}
	if err := ep.GatherCandidates(ctx); err != nil {
		return err
	}
	return p.WaitConnected(ctx)
}

// Echo implements Server: a pipeline with one WebRtcEndpoint connected to itself.
func (g *Gorento) Echo(ctx context.Context, p *peer.Peer) (func(context.Context) error, error) {
	if g.viaRoom {
		return nil, ErrUnsupported
	}
	pl, err := g.client.CreatePipeline(ctx)
	if err != nil {
		return nil, err
	}
	release := func(ctx context.Context) error { return pl.Release(ctx) }
	ep, err := pl.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err == nil {
		err = ep.Connect(ctx, ep, kurento.ConnectOptions{})
	}
	if err == nil {
		err = negotiate(ctx, ep, p)
	}
	if err != nil {
		_ = release(context.Background())
		return nil, err
	}
	return release, nil
}

// NewRoom implements Server.
func (g *Gorento) NewRoom(ctx context.Context, name string) (Room, error) {
	if g.viaRoom {
		return &kurentoRoom{url: g.roomURL, name: name}, nil
	}
	pl, err := g.client.CreatePipeline(ctx)
	if err != nil {
		return nil, err
	}
	pt, err := pl.CreatePassThrough(ctx)
	if err != nil {
		_ = pl.Release(ctx)
		return nil, err
	}
	return &kmsRoom{pl: pl, pt: pt}, nil
}

// kmsRoom is WebRtcEndpoint → PassThrough → N WebRtcEndpoints.
type kmsRoom struct {
	pl *kurento.MediaPipeline
	pt *kurento.PassThrough
}

func (r *kmsRoom) Publish(ctx context.Context, p *peer.Peer) error {
	ep, err := r.pl.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err != nil {
		return err
	}
	if err := ep.Connect(ctx, r.pt, kurento.ConnectOptions{}); err != nil {
		return err
	}
	return negotiate(ctx, ep, p)
}

func (r *kmsRoom) Subscribe(ctx context.Context, p *peer.Peer) error {
	ep, err := r.pl.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err != nil {
		return err
	}
	if err := r.pt.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
		return err
	}
	return negotiate(ctx, ep, p)
}

func (r *kmsRoom) Close(ctx context.Context) error { return r.pl.Release(ctx) }

// SupportsEcho implements Server.
func (g *Gorento) SupportsEcho() bool { return !g.viaRoom }
