// Package target drives the media servers under test: each runs as its own
// process (pinned to its CPU), is told apart by its name, and exposes the
// signalling the scenarios need — an echo session for one peer, and rooms
// with one publisher and many subscribers.
package target

import (
	"context"
	"errors"

	"github.com/gorento/gorento/bench/internal/peer"
)

// ErrUnsupported is returned for a scenario a server has no equivalent of.
var ErrUnsupported = errors.New("not supported by this server")

// Options are the per-run settings of a server process.
type Options struct {
	SRTP string // "cm" or "gcm": the only profile the server may use, where it can be told
	Dir  string // scratch directory for configs and logs
	CPU  string // taskset CPU list for the server ("" = not pinned)
}

// Server is one media server under test.
type Server interface {
	// Name identifies the server in reports ("gorento", "janus", …).
	Name() string
	// Start launches a fresh server process.
	Start(ctx context.Context, o Options) error
	// PID is the server process (CPU and memory are read from it).
	PID() int
	// Stop ends the process.
	Stop()
	// SupportsEcho says whether the server has an echo (loopback) service.
	SupportsEcho() bool
	// Echo connects p to a server-side echo of its own media (Kurento's
	// WebRtcEndpoint connected to itself). The returned func releases it.
	Echo(ctx context.Context, p *peer.Peer) (func(context.Context) error, error)
	// NewRoom creates a one-to-many room.
	NewRoom(ctx context.Context, name string) (Room, error)
}

// Room is one publisher fanned out to subscribers.
type Room interface {
	Publish(ctx context.Context, p *peer.Peer) error
	Subscribe(ctx context.Context, p *peer.Peer) error
	Close(ctx context.Context) error
}

// Factory makes a server driver; Available says why it cannot run, if so.
type Factory struct {
	Name      string
	New       func(env Env) Server
	Available func(env Env) error
}

// Env is what the drivers need from the tool: where binaries are.
type Env struct {
	GorentoBin string // gorento server binary
	// GorentoBaseBin is an older gorento binary measured as the server
	// "gorento-base" in the same run (before/after comparisons of a change).
	GorentoBaseBin string
	SelfBin        string // this tool (it also serves the Pion floor)
	LiveKitBin     string // livekit-server binary
	ShimSO         string // LD_PRELOAD shim for Janus (built at run time)
}

var registry []Factory

// Register adds a server driver (the LiveKit module registers itself).
func Register(f Factory) { registry = append(registry, f) }

// All returns the registered drivers in registration order.
func All() []Factory { return append([]Factory(nil), registry...) }

// Lookup finds a driver by name.
func Lookup(name string) (Factory, bool) {
	for _, f := range registry {
		if f.Name == name {
			return f, true
		}
	}
	return Factory{}, false
}
