package room

import (
	"context"
	"fmt"
	"sync"

	"github.com/gorento/gorento/pkg/kurento"
)

// mediaServer is one media server the room server can place rooms on.
type mediaServer struct {
	uri    string
	client *kurento.Client
	rooms  int // rooms placed here, guarded by mediaPool.mu
}

// mediaPool holds the media servers and places each new room on the least
// loaded one (fewest rooms), once, at room creation.
type mediaPool struct {
	mu      sync.Mutex
	servers []*mediaServer
}

// newMediaPool connects to every target. lost is called when a media server
// comes back without our session (it restarted): the rooms placed there
// have lost their media.
func newMediaPool(ctx context.Context, targets []MediaTarget, lost func(uri string)) (*mediaPool, error) {
	p := &mediaPool{}
	for _, t := range targets {
		uri, opts := t.URI, t.Options
		user := opts.OnReconnect
		opts.OnReconnect = func(kept bool) {
			if user != nil {
				user(kept)
			}
			if !kept {
				lost(uri) // on the client's reconnection goroutine, connected again
			}
		}
		c, err := kurento.Dial(ctx, t.URI, opts)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("room: media server %s: %w", t.URI, err)
		}
		p.servers = append(p.servers, &mediaServer{uri: t.URI, client: c})
	}
	if len(p.servers) == 0 {
		return nil, fmt.Errorf("room: no media server configured")
	}
	return p, nil
}

// place picks the media server for a new room.
func (p *mediaPool) place() *mediaServer {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := p.servers[0]
	for _, s := range p.servers[1:] {
		if s.rooms < best.rooms {
			best = s
		}
	}
	best.rooms++
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
}

func (p *mediaPool) loads() []MediaServerLoad {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]MediaServerLoad, 0, len(p.servers))
	for _, s := range p.servers {
		out = append(out, MediaServerLoad{URI: s.uri, Rooms: s.rooms})
	}
	return out
}
