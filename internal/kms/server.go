package kms

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/gorento/gorento/internal/jsonrpc"
	"github.com/gorento/gorento/internal/media/httpep"
	"github.com/gorento/gorento/internal/media/player"
	"github.com/gorento/gorento/internal/media/procelem"
	recording "github.com/gorento/gorento/internal/media/recorder"
	"github.com/gorento/gorento/internal/media/rtpep"
	"github.com/gorento/gorento/internal/media/webrtcep"
	"github.com/gorento/gorento/internal/metrics"
)

// Config configures the protocol server.
type Config struct {
	// Path is the WebSocket path (KMS: "kurento"); a leading "/" is optional.
	Path string
	// GCPeriod is the session garbage-collector period (KMS: 240 s).
	GCPeriod time.Duration
	// MaxFrameBytes limits the size of one incoming frame.
	MaxFrameBytes int64
	// DisableRequestCache turns off replaying answers to retried requests.
	DisableRequestCache bool
	// RequestCacheTTL is how long answers are kept for retries (KMS: 20 s).
	RequestCacheTTL time.Duration
	// ReleaseParallelism bounds how many objects of one release (the
	// elements of a pipeline) are released at once (default 16).
	ReleaseParallelism int
	// NoMemoryTrim keeps the memory of a finished load in the Go runtime
	// instead of returning it to the operating system (trim.go).
	NoMemoryTrim bool
	// Version is reported in ServerManager metadata.
	Version string
	// DataDir receives dumpGstreamerDot output ("" disables it).
	DataDir string
	// WebRTC holds the server-wide WebRtcEndpoint defaults.
	WebRTC WebRTCDefaults
	// Limits bound what one client can make the server hold (limits.go).
	Limits Limits
	// Requests observes each request's latency and error code (optional).
	Requests metrics.RequestObserver
	// Streams is told the quality of WebRtcEndpoint streams (optional).
	Streams webrtcep.QualityObserver
	// Processing creates the worker elements of filters (the server's
	// process.Manager); nil: creating a filter fails with a clear error.
	Processing procelem.Backend
	// URIDefaultPath completes relative recorder and player URIs (KMS's
	// UriEndpoint defaultPath, default file:///var/lib/kurento/).
	URIDefaultPath string
	// Recorder holds the server-wide RecorderEndpoint settings.
	Recorder recording.Config
	// Player holds the server-wide PlayerEndpoint settings.
	Player player.Config
	// RTP holds the server-wide RtpEndpoint settings.
	RTP rtpep.Config
	// HTTPPost holds the server-wide HttpPostEndpoint settings.
	HTTPPost httpep.Config
}

func (c *Config) applyDefaults() {
	if c.Path == "" {
		c.Path = "kurento"
	}
	c.Path = strings.TrimPrefix(c.Path, "/")
	if c.GCPeriod <= 0 {
		c.GCPeriod = 240 * time.Second
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 10 << 20
	}
	if c.RequestCacheTTL <= 0 {
		c.RequestCacheTTL = 20 * time.Second
	}
	if c.ReleaseParallelism <= 0 {
		c.ReleaseParallelism = 16
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	c.Limits = withDefaultLimits(c.Limits)
	if c.Requests == nil {
		c.Requests = noObserver{}
	}
}

// Server is a Kurento Protocol server. It is an http.Handler for the
// WebSocket endpoint. Close releases every object and stops its goroutines.
type Server struct {
	cfg      Config
	log      *slog.Logger
	serverID string
	classes  *classRegistry
	upgrader websocket.Upgrader
	manager  *Object
	cache    *requestCache
	metrics  *Metrics
	media    *mediaTotals
	webrtc   *webrtcEngine
	rtp      *rtpep.Engine
	httpPost *httpep.Engine
	trim     memTrim

	mu       sync.Mutex             // guards objects, sessions, subscriptions, conns, events and Object registry fields
	events   map[string][]EventView // pipeline id → its last events (admin.go)
	objects  map[string]*Object
	sessions map[string]*session
	subs     subscriptions
	conns    map[*connState]struct{}
	closed   bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// New creates a server and starts its garbage collector.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	cfg.applyDefaults()
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		cfg:      cfg,
		log:      log.With("component", "kms"),
		serverID: uuid.NewString(),
		classes:  defaultClasses(),
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		cache:    newRequestCache(cfg.RequestCacheTTL),
		metrics:  newMetrics(),
		media:    newMediaTotals(),
		events:   map[string][]EventView{},
		objects:  map[string]*Object{},
		sessions: map[string]*session{},
		subs:     newSubscriptions(),
		conns:    map[*connState]struct{}{},
		stop:     make(chan struct{}),
	}
	engine, err := newWebRTCEngine(cfg.WebRTC, s.log)
	if err != nil {
		return nil, err
	}
	s.webrtc = engine
	if cfg.RTP.Logger == nil {
		cfg.RTP.Logger = s.log
	}
	if s.rtp, err = rtpep.NewEngine(cfg.RTP); err != nil {
		engine.close()
		return nil, fmt.Errorf("rtp endpoints: %w", err)
	}
	if cfg.HTTPPost.Logger == nil {
		cfg.HTTPPost.Logger = s.log
	}
	if s.httpPost, err = httpep.NewEngine(cfg.HTTPPost); err != nil {
		engine.close()
		return nil, fmt.Errorf("http endpoints: %w", err)
	}
	s.manager = &Object{id: "manager_ServerManager", class: classServerManager, created: time.Now()}
	s.manager.name = s.manager.id
	s.objects[s.manager.id] = s.manager
	s.wg.Add(1)
	go s.gcLoop()
	return s, nil
}

// ServerID is the UUID that identifies this server process.
func (s *Server) ServerID() string { return s.serverID }

// Metrics exposes the server counters.
func (s *Server) Metrics() *Metrics { return s.metrics }

// ServeHTTP accepts WebSocket connections on the configured path. Like KMS,
// a WebSocket on another path is accepted and closed with 1002 "Invalid path".
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "Kurento Protocol endpoint: connect with a WebSocket", http.StatusUpgradeRequired)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("websocket upgrade failed", "err", err)
		return
	}
	if strings.TrimPrefix(r.URL.Path, "/") != s.cfg.Path {
		deadline := time.Now().Add(time.Second)
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseProtocolError, "Invalid path"), deadline)
		_ = ws.Close()
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	conn := jsonrpc.NewConn(ws, jsonrpc.ConnOptions{MaxFrameBytes: s.cfg.MaxFrameBytes})
	c := &connState{server: s, conn: conn, credential: credentialOf(r)}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	s.metrics.connections.Add(1)
	defer s.wg.Done()
	c.serve(conn)
}

// Close drops every connection, releases every object and stops the server.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := make([]*connState, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	close(s.stop)
	for _, c := range conns {
		_ = c.conn.Close()
	}
	s.wg.Wait()
	for _, p := range s.pipelines() {
		s.release(p)
	}
	_ = s.httpPost.Close()
	s.webrtc.close()
	return nil
}
