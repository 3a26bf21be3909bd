package room

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/jsonrpc"
	"github.com/gorento/gorento/internal/metrics"
	"github.com/gorento/gorento/internal/names"
	"github.com/gorento/gorento/pkg/kurento"
)

// MediaTarget is one media server to connect to.
type MediaTarget struct {
	URI     string
	Options kurento.Options
}

// CustomRequestHandler answers customRequest for an application (the demo
// toggles a hat filter). It returns the result object or an error.
type CustomRequestHandler func(ctx context.Context, p *Participant, params map[string]any) (map[string]any, error)

// Config configures a room server.
type Config struct {
	// MediaServers are the media servers rooms are placed on (at least one).
	MediaServers []MediaTarget
	// ReconnectGrace is how long a participant whose socket dropped is kept
	// before being evicted (upstream: 10 s).
	ReconnectGrace time.Duration
	// PingTimeout is the default keepalive interval; a session that sends
	// no ping for three intervals is disconnected (upstream: 20 s, or the
	// interval the client announces in its first ping).
	PingTimeout time.Duration
	// MinVideoKbps and MaxVideoKbps bound the video bandwidth of every
	// endpoint, both directions (upstream: 300 and 600).
	MinVideoKbps, MaxVideoKbps int
	// CustomRequest handles customRequest; nil answers an error.
	CustomRequest CustomRequestHandler
	// MaxFrameBytes limits incoming frames (upstream: 1,000,000 characters).
	MaxFrameBytes int64
	// MaxQueueBytes bounds each socket's unsent notifications (default 4 MiB).
	MaxQueueBytes int64

	// Keys verify access tokens (docs/security.md). With DevMode, tokens are
	// optional (a tokenless join takes the name it asks for) and Keys, when
	// nil, becomes an ephemeral key that signs the demos' tokens.
	Keys    *auth.Keys
	DevMode bool
	// TokenTTL is the lifetime of tokens minted by the HTTP API (default 6 h).
	TokenTTL time.Duration
	// Origins guards the HTTP API's state changes against other sites'
	// pages (nil: same origin only).
	Origins *auth.OriginPolicy
	// LegacyCloseGET serves upstream's GET /close?room= (a state change by
	// GET: off unless asked for).
	LegacyCloseGET bool
	// UserNames and RoomNames are the name rules (default names.UserRules
	// and names.RoomRules).
	UserNames, RoomNames names.Rules
	// MediaPingInterval is the keepalive to media servers: a lost server is
	// noticed within about two intervals (default 2 s).
	MediaPingInterval time.Duration
	// OutageGrace is how long rooms wait for their lost media server before
	// they are closed so that their participants can join again elsewhere
	// (default 30 s).
	OutageGrace time.Duration
	// Requests observes every request's latency and error code (optional).
	Requests metrics.RequestObserver
}

func (c *Config) applyDefaults() {
	if c.ReconnectGrace <= 0 {
		c.ReconnectGrace = 10 * time.Second
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = 20 * time.Second
	}
	if c.MinVideoKbps == 0 {
		c.MinVideoKbps = 300
	}
	if c.MaxVideoKbps == 0 {
		c.MaxVideoKbps = 4000
	}
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 1_000_000
	}
	if c.MaxQueueBytes <= 0 {
		c.MaxQueueBytes = 4 << 20
	}
	if c.Keys == nil {
		c.DevMode, c.Keys = true, auth.NewDevKeys()
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 6 * time.Hour
	}
	if c.Origins == nil {
		c.Origins, _ = auth.NewOriginPolicy(nil)
	}
	if c.UserNames.MaxLength <= 0 {
		c.UserNames = names.UserRules
	}
	if c.RoomNames.MaxLength <= 0 {
		c.RoomNames = names.RoomRules
	}
	if c.MediaPingInterval <= 0 {
		c.MediaPingInterval = 2 * time.Second
	}
	if c.OutageGrace <= 0 {
		c.OutageGrace = 30 * time.Second
	}
	if c.Requests == nil {
		c.Requests = noObserver{}
	}
}

type noObserver struct{}

func (noObserver) ObserveRequest(string, time.Duration, int) {}

// Server is a Kurento Room server; it is the http.Handler of the room
// WebSocket. Close closes every room and connection.
type Server struct {
	cfg      Config
	log      *slog.Logger
	pool     *mediaPool
	upgrader websocket.Upgrader

	mu       sync.Mutex       // guards rooms, sessions, closed
	rooms    map[string]*Room // by names.Key of the room name
	sessions map[string]*Session
	closed   bool
	draining bool                   // Shutdown began: no new joins
	outages  map[string]*time.Timer // grace timers of unreachable media servers, by URI
	wg       sync.WaitGroup
}

// New connects to the media servers and returns a room server.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	cfg.applyDefaults()
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "room")
	for i := range cfg.MediaServers {
		if cfg.MediaServers[i].Options.Logger == nil {
			cfg.MediaServers[i].Options.Logger = log
		}
	}
	s := &Server{
		cfg: cfg, log: log,
		upgrader: websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		rooms:    map[string]*Room{}, sessions: map[string]*Session{},
	}
	pool, err := newMediaPool(ctx, cfg.MediaServers, cfg.MediaPingInterval, poolEvents{
		down: s.mediaServerDown, up: s.mediaServerUp, lost: s.mediaServerLost}, log)
	if err != nil {
		return nil, err
	}
	s.pool = pool
	return s, nil
}

// mediaServerLost closes the rooms of a media server that restarted: their
// pipelines are gone. Participants get mediaError, then roomClosed, and may
// join again (the room is then created anew).
func (s *Server) mediaServerLost(uri string) {
	s.stopOutage(uri)
	s.pool.dropOrphans(uri)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, r := range s.roomsOn(uri) {
		s.log.Warn("media server lost the room's pipeline; closing the room", "room", r.name, "mediaServer", uri)
		if r.setUsable(true) { // else participants were told at the outage
			for _, m := range r.members() {
				m.session.notify("mediaError", map[string]any{"error": mediaErrorText("MEDIA_SERVER_LOST",
					"the media server restarted and lost this room's media", 0)})
			}
		}
		r.close(ctx, true)
	}
}

// ServeHTTP accepts room WebSocket connections.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "Kurento Room endpoint: connect with a WebSocket", http.StatusUpgradeRequired)
		return
	}
	if s.refuseDraining(w) {
		return
	}
	cred := s.credentialOf(r)
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn := jsonrpc.NewConn(ws, jsonrpc.ConnOptions{MaxFrameBytes: s.cfg.MaxFrameBytes, MaxQueueBytes: s.cfg.MaxQueueBytes})
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	newWsConn(s, conn, cred).serve()
}

// Close closes every room, drops every connection and disconnects from the
// media servers.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for uri, t := range s.outages {
		t.Stop()
		delete(s.outages, uri)
	}
	rooms := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	sessions := make([]*Session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	// Media servers that are down must not hold the shutdown for long.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, r := range rooms {
		r.close(ctx, false)
	}
	for _, ss := range sessions {
		ss.end()
	}
	s.wg.Wait()
	s.pool.close()
	return nil
}

// room returns the room with that name, creating it (and its pipeline) if
// needed. Concurrent joins of a new room wait for the one creation.
func (s *Server) room(ctx context.Context, name string) (*Room, error) {
	s.mu.Lock()
	if s.closed || s.draining {
		s.mu.Unlock()
		return nil, roomError(CodeRoomClosed, "The room server is shutting down")
	}
	key := names.Key(name)
	r := s.rooms[key]
	switch {
	case r == nil:
		r = newRoom(s, name)
		s.rooms[key] = r
		s.mu.Unlock()
		r.create(ctx)
	case r.name != name:
		s.mu.Unlock()
		return nil, roomError(CodeRoomCannotBeCreated, "Cannot create room '%s': it looks like the existing room '%s'", name, r.name)
	default:
		s.mu.Unlock()
	}
	if err := r.waitReady(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// forget removes a closed room.
func (s *Server) forget(r *Room) {
	key := names.Key(r.name)
	s.mu.Lock()
	if s.rooms[key] == r {
		delete(s.rooms, key)
	}
	s.mu.Unlock()
}

// RoomInfo describes a room for the HTTP API.
type RoomInfo struct {
	Name         string   `json:"name"`
	Participants []string `json:"participants"`
	Publishers   []string `json:"publishers"`
	MediaServer  string   `json:"mediaServer"`
	// Usable is false while the room's media server is unreachable.
	Usable bool `json:"usable"`
}

// Rooms lists the open rooms.
func (s *Server) Rooms() []RoomInfo {
	s.mu.Lock()
	rooms := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	out := make([]RoomInfo, 0, len(rooms))
	for _, r := range rooms {
		if info, ok := r.info(); ok {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// CloseRoom closes a room: its participants are removed and get roomClosed.
func (s *Server) CloseRoom(ctx context.Context, name string) bool {
	r := s.lookup(name)
	if r == nil {
		return false
	}
	r.close(ctx, true)
	return true
}

// lookup returns the open room with exactly that name, or nil.
func (s *Server) lookup(name string) *Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.rooms[names.Key(name)]; r != nil && r.name == name {
		return r
	}
	return nil
}

// roomsOn returns the rooms placed on a media server.
func (s *Server) roomsOn(uri string) []*Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Room
	for _, r := range s.rooms {
		if r.placedOn(uri) {
			out = append(out, r)
		}
	}
	return out
}

var sessionIDEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return strings.ToLower(sessionIDEncoding.EncodeToString(b))
}
