package room

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gorento/gorento/pkg/kurento"
)

// mediaServer is one media server the room server can place rooms on.
type mediaServer struct {
	uri    string
	client *kurento.Client
	rooms  int  // rooms placed here, guarded by mediaPool.mu
	up     bool // reachable, guarded by mediaPool.mu
	// orphans are pipelines of rooms closed while the server was away,
	// released when it is back (guarded by mediaPool.mu).
	orphans []releasable
}

// mediaPool holds the media servers and places each new room on the least
// loaded reachable one (fewest rooms), once, at room creation.
type mediaPool struct {
	mu      sync.Mutex
	servers []*mediaServer
}

// poolEvents tell the room server what happens to a media server's
// connection. They run on the client's goroutines, outside pool locks.
type poolEvents struct {
	down func(uri string, err error) // the connection dropped (crash, network)
	up   func(uri string)            // back, with our session and objects
	lost func(uri string)            // back, but it restarted: our objects are gone
}

// newMediaPool connects to every target, with a keepalive every ping so a
// server that goes silent is noticed; one that dies is noticed at once
// (its socket closes).
func newMediaPool(ctx context.Context, targets []MediaTarget, ping time.Duration, ev poolEvents, log *slog.Logger) (*mediaPool, error) {
	p := &mediaPool{}
	for _, t := range targets {
		ms := &mediaServer{uri: t.URI, up: true}
		opts := t.Options
		if opts.PingInterval == 0 {
			opts.PingInterval = ping
			opts.PingTimeout = ping + ping/2
		}
		userDown, userBack := opts.OnDisconnect, opts.OnReconnect
		opts.OnDisconnect = func(err error) {
			if userDown != nil {
				userDown(err)
			}
			if p.setUp(ms, false) {
				log.Error("media server unreachable", "mediaServer", ms.uri, "err", err)
				ev.down(ms.uri, err)
			}
		}
		opts.OnReconnect = func(kept bool) {
			if userBack != nil {
				userBack(kept)
			}
			p.setUp(ms, true)
			log.Info("media server reachable again", "mediaServer", ms.uri, "sessionKept", kept)
			if kept {
				ev.up(ms.uri)
			} else {
				ev.lost(ms.uri)
			}
		}
		c, err := kurento.Dial(ctx, t.URI, opts)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("room: media server %s: %w", t.URI, err)
		}
		ms.client = c
		p.servers = append(p.servers, ms)
	}
	if len(p.servers) == 0 {
		return nil, fmt.Errorf("room: no media server configured")
	}
	return p, nil
}

// setUp records reachability; it returns whether it changed.
func (p *mediaPool) setUp(ms *mediaServer, up bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := ms.up != up
	ms.up = up
	return changed
}

// place picks the media server for a new room: the reachable one with the
// fewest rooms; nil when none is reachable.
func (p *mediaPool) place() *mediaServer {
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *mediaServer
	for _, s := range p.servers {
		if s.up && (best == nil || s.rooms < best.rooms) {
			best = s
		}
	}
	if best != nil {
		best.rooms++
	}
	return best
}

// unplace forgets a room that was closed.
func (p *mediaPool) unplace(s *mediaServer) {
	p.mu.Lock()
	s.rooms--
	p.mu.Unlock()
}

func (p *mediaPool) close() {
	for _, s := range p.servers {
		_ = s.client.Close()
	}
}

// MediaServerLoad describes one media server for the HTTP API.
type MediaServerLoad struct {
	URI   string `json:"uri"`
	Rooms int    `json:"rooms"`
	Up    bool   `json:"up"`
}

func (p *mediaPool) loads() []MediaServerLoad {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]MediaServerLoad, 0, len(p.servers))
	for _, s := range p.servers {
		out = append(out, MediaServerLoad{URI: s.uri, Rooms: s.rooms, Up: s.up})
	}
	return out
}

// reachable returns an error unless at least one media server is up.
func (p *mediaPool) reachable() error {
	down := 0
	for _, l := range p.loads() {
		if l.Up {
			return nil
		}
		down++
	}
	return fmt.Errorf("none of the %d media servers is reachable", down)
}
