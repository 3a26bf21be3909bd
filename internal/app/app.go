// Package app assembles a running Gorento from its configuration: the
// Kurento Protocol listeners, the web server with the demos and the room
// server. cmd/gorento and the end-to-end tests both start it from here.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/jsonrpc"
	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/media/egress"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/webrtcep"
	"github.com/gorento/gorento/internal/metrics"
	"github.com/gorento/gorento/internal/names"
	"github.com/gorento/gorento/internal/room"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/web"
)

// Version is set at build time with -ldflags "-X .../internal/app.Version=...".
var Version = "dev"

// App is a running Gorento. Shutdown drains it; Close stops it.
type App struct {
	cfg     config.Config
	log     *slog.Logger
	started time.Time
	KMS     *kms.Server
	// Processing runs the GStreamer worker processes of filters (processing.go).
	Processing *process.Manager
	Room       *room.Server
	Metrics    *metrics.Registry
	health     *metrics.Health
	embed      *memListener
	servers    []*http.Server
	addrs      map[string]net.Addr
	wg         sync.WaitGroup

	draining     atomic.Bool // Shutdown began: new WebSockets are refused
	origins      *auth.OriginPolicy
	roomKeys     *auth.Keys // nil in development mode
	kurentoAddrs *addrLimiter
	roomAddrs    *addrLimiter
}

// Start binds every configured listener and starts serving.
func Start(cfg config.Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	reg := metrics.New()
	procs := process.NewManager(processingConfig(cfg.Processing, log))
	ks, err := kms.New(kms.Config{
		Path: cfg.Kurento.Path, GCPeriod: cfg.Kurento.GCPeriod.Duration, MaxFrameBytes: cfg.Kurento.MaxFrameBytes,
		DisableRequestCache: cfg.Kurento.DisableCache, Version: Version, DataDir: cfg.DataDir,
		WebRTC: webrtcDefaults(cfg.WebRTC), Processing: procs,
		Limits: cfg.Kurento.KurentoLimits, Requests: reg.Requests("kurento"), Streams: reg.Streams(),
		URIDefaultPath: cfg.MediaDefaultPath(), Recorder: recorderConfig(cfg, log), Player: playerConfig(cfg, log),
		RTP: rtpConfig(cfg.RTP, log), HTTPPost: httpEndpointConfig(cfg.HTTPEndpoint, log),
	}, log)
	if err != nil {
		_ = procs.Close()
		return nil, fmt.Errorf("kurento server: %w", err)
	}
	a := &App{cfg: cfg, log: log, started: time.Now(), KMS: ks, Processing: procs, addrs: map[string]net.Addr{}, Metrics: reg, health: metrics.NewHealth(),
		kurentoAddrs: newAddrLimiter(cfg.Kurento.ConnectionsPerAddress), roomAddrs: newAddrLimiter(cfg.Room.ConnectionsPerAddress)}
	if err := a.setupSecurity(); err != nil {
		_ = ks.Close()
		_ = procs.Close()
		return nil, err
	}
	a.Metrics.SetKurento(kmsStats{ks})
	a.Metrics.SetMedia(ks)
	if cfg.Room.Path != "" {
		if err := a.startRoom(); err != nil {
			a.Close()
			return nil, err
		}
	}
	if err := a.listen(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// listen starts every configured listener: the Kurento Protocol on ws and
// wss (KMS's 8888 and 8433) and the web server (demos, /kurento, /room).
func (a *App) listen() error {
	cfg := a.cfg
	var tlsFiles *[2]string
	needTLS := cfg.Kurento.SecureListen != "" || (cfg.Web.Listen != "" && !cfg.Web.Plain)
	if needTLS {
		cert, key, err := ensureCertificate(cfg.Web.TLSCert, cfg.Web.TLSKey, cfg.DataDir)
		if err != nil {
			return err
		}
		tlsFiles = &[2]string{cert, key}
	}
	// Metrics and health go on their own listener, else on the web one,
	// else on the Kurento ws one.
	observeOn := "metrics"
	switch {
	case cfg.Metrics.Listen != "":
	case cfg.Web.Listen != "":
		observeOn = "web"
	default:
		observeOn = "kurento"
	}
	if cfg.Kurento.Listen != "" {
		h := a.kurentoHandler()
		if observeOn == "kurento" {
			h = a.withObservability(h, false)
		}
		if err := a.serve("kurento", cfg.Kurento.Listen, h, nil); err != nil {
			return err
		}
	}
	if cfg.Kurento.SecureListen != "" {
		if err := a.serve("kurento-tls", cfg.Kurento.SecureListen, a.kurentoHandler(), tlsFiles); err != nil {
			return err
		}
	}
	if cfg.Web.Listen != "" {
		files := tlsFiles
		if cfg.Web.Plain {
			files = nil
		}
		h := a.webHandler()
		if observeOn == "web" {
			h = a.withObservability(h, a.roomKeys != nil)
		}
		if err := a.serve("web", cfg.Web.Listen, h, files); err != nil {
			return err
		}
	}
	if cfg.Metrics.Listen != "" {
		if err := a.serve("metrics", cfg.Metrics.Listen, a.withObservability(http.NotFoundHandler(), false), nil); err != nil {
			return err
		}
	}
	return nil
}

// webHandler routes the web port: the Kurento Protocol at its path, the
// room server and its HTTP API, and the embedded demos everywhere else.
func (a *App) webHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(a.cfg.Kurento.Path, a.kurentoHandler())
	if a.Room != nil {
		api := a.Room.APIHandler(a.cfg.Room.Path + "/api")
		mux.Handle(a.cfg.Room.Path, a.guard("room", a.roomAddrs, nil, a.Room))
		mux.Handle(a.cfg.Room.Path+"/api/", api)
		mux.Handle("/getAllRooms", api)
		mux.Handle("/close", api)
	}
	mux.Handle("/admin/api/", a.adminAPI())
	mux.Handle("/", web.Handler())
	return mux
}

// startRoom starts the room server on the configured media servers, or on
// the embedded one through an in-process connection.
func (a *App) startRoom() error {
	cfg := a.cfg.Room
	var targets []room.MediaTarget
	for _, uri := range cfg.MediaServers {
		targets = append(targets, room.MediaTarget{URI: uri})
	}
	if len(targets) == 0 {
		a.embed = newMemListener()
		srv := &http.Server{Handler: a.KMS, ReadHeaderTimeout: 10 * time.Second}
		a.servers = append(a.servers, srv)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			_ = srv.Serve(a.embed)
		}()
		dialer := &websocket.Dialer{NetDialContext: a.embed.DialContext, HandshakeTimeout: 10 * time.Second}
		targets = []room.MediaTarget{{URI: "ws://embedded" + a.cfg.Kurento.Path, Options: kurento.Options{Dialer: dialer}}}
	}
	hat := room.DefaultHat
	hat.ImageURL = cfg.HatImageURL
	if hat.ImageURL == "" {
		uri, err := hatImageFile(a.cfg.DataDir)
		if err != nil {
			return err
		}
		hat.ImageURL = uri
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	users, rooms := names.UserRules, names.RoomRules
	users.MaxLength, rooms.MaxLength = cfg.MaxUserNameLength, cfg.MaxRoomNameLength
	rs, err := room.New(ctx, room.Config{MediaServers: targets, ReconnectGrace: cfg.ReconnectGrace.Duration,
		MinVideoKbps: cfg.MinVideoKbps, MaxVideoKbps: cfg.MaxVideoKbps, CustomRequest: room.HatFilter(hat),
		MaxFrameBytes: cfg.MaxFrameBytes, MaxQueueBytes: cfg.MaxQueueBytes,
		Keys: a.roomKeys, DevMode: a.roomKeys == nil, TokenTTL: a.cfg.Auth.TokenTTL.Duration, Origins: a.origins,
		LegacyCloseGET: a.cfg.Auth.LegacyCloseGET, UserNames: users, RoomNames: rooms,
		MediaPingInterval: cfg.MediaPingInterval.Duration, OutageGrace: cfg.OutageGrace.Duration,
		Requests: a.Metrics.Requests("room")}, a.log)
	if err != nil {
		return fmt.Errorf("room server: %w", err)
	}
	a.Room = rs
	a.Metrics.SetRoom(rs)
	a.health.AddCheck("mediaServers", rs.Ready)
	return nil
}

// serve starts one listener.
func (a *App) serve(name, addr string, h http.Handler, tlsFiles *[2]string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s listener on %s: %w", name, addr, err)
	}
	a.addrs[name] = ln.Addr()
	if name != "metrics" {
		ln = limitListener{Listener: ln, limits: jsonrpc.ConnOptions{MaxQueueBytes: a.cfg.Kurento.MaxQueueBytes,
			IdleTimeout: a.cfg.Kurento.IdleTimeout.Duration}}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		// TLS handshake failures (a browser that has not accepted the
		// self-signed certificate yet) are routine: debug level.
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelDebug)}
	a.servers = append(a.servers, srv)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		var err error
		if tlsFiles != nil {
			err = srv.ServeTLS(ln, tlsFiles[0], tlsFiles[1])
		} else {
			err = srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("listener stopped", "listener", name, "err", err)
		}
	}()
	a.log.Info("listening", "listener", name, "addr", ln.Addr().String())
	return nil
}

// Addr returns the bound address of a listener ("kurento", "kurento-tls", "web", "metrics").
func (a *App) Addr(name string) net.Addr { return a.addrs[name] }

// Shutdown drains the server within ctx: new WebSockets are refused
// (503) and /readyz fails, room participants get roomClosed and their
// media is released, then connected Kurento clients get until ctx ends to
// finish (and close their connections). Close follows in every case.
func (a *App) Shutdown(ctx context.Context) {
	a.draining.Store(true)
	start := time.Now()
	a.log.Info("draining", "timeout", deadlineIn(ctx))
	if a.Room != nil {
		if err := a.Room.Shutdown(ctx); err != nil {
			a.log.Warn("room server drain incomplete", "err", err)
		}
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	// Kurento clients still connected may finish their calls; objects of
	// sessions without a connection are garbage already.
	for a.kurentoAddrs.total() > 0 {
		select {
		case <-ctx.Done():
			a.log.Warn("drain timeout: closing the remaining Kurento connections and releasing their media",
				"connections", a.kurentoAddrs.total(), "pipelines", a.KMS.Metrics().Snapshot().Objects["MediaPipeline"])
			a.Close()
			return
		case <-t.C:
		}
	}
	a.log.Info("drained", "took", time.Since(start).Round(time.Millisecond))
	a.Close()
}

func deadlineIn(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d).Round(time.Millisecond)
	}
	return 0
}

// Close stops the listeners and releases every media object.
func (a *App) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if a.Room != nil {
		_ = a.Room.Close()
	}
	for _, s := range a.servers {
		_ = s.Shutdown(ctx)
	}
	if a.embed != nil {
		_ = a.embed.Close()
	}
	_ = a.KMS.Close()
	_ = a.Processing.Close() // after the KMS released its elements: stops any worker left
	for _, s := range a.servers {
		_ = s.Close()
	}
	a.wg.Wait()
}

func webrtcDefaults(c config.WebRTCConfig) kms.WebRTCDefaults {
	d := kms.WebRTCDefaults{
		ICE: webrtcep.ICESettings{STUNAddress: c.STUNServerAddress, STUNPort: c.STUNServerPort, TURNURL: c.TURNURL,
			NetworkInterfaces: c.NetworkInterfaces, ExternalIPv4: c.ExternalIPv4, ExternalIPv6: c.ExternalIPv6, ICETCP: c.ICETCP},
		LoopbackOnly: c.LoopbackOnly, IncludeLoopback: c.IncludeLoopback, IPv6: c.IPv6,
		UDPPort: c.UDPPort, UDPAddress: c.UDPAddress, PerEndpointPorts: c.PerEndpointPorts, TCPPort: c.TCPPort, MinPort: c.MinPort, MaxPort: c.MaxPort,
		DirectInbound: c.DirectInbound, ICEKeepalive: c.ICEKeepalive.Duration, OrdinarySendCalls: c.OrdinarySendCalls,
		SRTPProfiles: c.SRTPProfiles, Egress: egress.Config{Workers: c.EgressWorkers, FrameHold: c.EgressFrameHold.Duration, MaxPlayoutDelay: c.MaxPlayoutDelay.Duration,
			TestInitialSeq: c.TestInitialSeq},
		Video: webrtcep.VideoDefaults{MaxSendKbps: c.MaxVideoSendKbps, MinSendKbps: c.MinVideoSendKbps, CeilingKbps: c.VideoCeilingKbps,
			StartKbps: c.StartVideoKbps, PublisherFeedback: c.PublisherFeedback},
	}
	for _, cidr := range c.IPFilter {
		if _, n, err := net.ParseCIDR(cidr); err == nil {
			d.IPFilter = append(d.IPFilter, n)
		}
	}
	return d
}
