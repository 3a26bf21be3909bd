package impair

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
)

// RelayOptions configure a Relay. The zero value is a clean relay on an
// ephemeral port of 127.0.0.1 with random credentials.
type RelayOptions struct {
	// Addr is where the relay listens (default 127.0.0.1:0). Only loopback
	// addresses are accepted: the harness never touches another network.
	Addr string
	// Up and Down are the impairments of what the client sends and receives.
	Up, Down Profile
	// Realm, User and Pass are the TURN long-term credentials (random when empty).
	Realm, User, Pass string
	// Logger gets the TURN server's warnings (nil: none).
	Logger *slog.Logger
}

// Relay is a TURN server on loopback whose client-facing socket is impaired.
// Give it to one peer as its only ICE server (iceTransportPolicy "relay"):
// every packet of that peer crosses Conn once.
type Relay struct {
	conn   *Conn
	server *turn.Server
	addr   netip.AddrPort
	realm  string
	user   string
	pass   string
}

// ErrNotLoopback is returned for an address outside 127.0.0.0/8 and ::1.
var ErrNotLoopback = errors.New("impair: only loopback addresses are allowed")

// StartRelay listens and serves TURN until Close.
func StartRelay(o RelayOptions) (*Relay, error) {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	ap, err := netip.ParseAddrPort(o.Addr)
	if err != nil {
		return nil, fmt.Errorf("impair: relay address %q: %w", o.Addr, err)
	}
	if !ap.Addr().IsLoopback() {
		return nil, fmt.Errorf("%w: relay address %s", ErrNotLoopback, ap)
	}
	if o.Realm == "" {
		o.Realm = "gorento-impair"
	}
	if o.User == "" {
		o.User = "impair"
	}
	if o.Pass == "" {
		o.Pass = randomToken()
	}
	pc, err := net.ListenPacket("udp", o.Addr) //nolint:noctx // a plain loopback socket
	if err != nil {
		return nil, fmt.Errorf("impair: relay listen: %w", err)
	}
	conn, err := NewConn(pc, o.Up, o.Down)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	key := turn.GenerateAuthKey(o.User, o.Realm, o.Pass)
	host := ap.Addr().String()
	server, err := turn.NewServer(turn.ServerConfig{
		Realm:         o.Realm,
		LoggerFactory: loggerFactory(o.Logger),
		AuthHandler: func(ra *turn.RequestAttributes) (string, []byte, bool) {
			if ra.Username != o.User {
				return "", nil, false
			}
			return ra.Username, key, true
		},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn: conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{
				RelayAddress: net.ParseIP(host),
				Address:      host,
			},
			// Defence in depth: the relay forwards to loopback peers only.
			PermissionHandler: func(_ net.Addr, peer net.IP) bool { return peer.IsLoopback() },
		}},
	})
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("impair: turn server: %w", err)
	}
	laddr := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	return &Relay{conn: conn, server: server, addr: laddr, realm: o.Realm, user: o.User, pass: o.Pass}, nil
}

// Addr is the relay's client-facing address.
func (r *Relay) Addr() netip.AddrPort { return r.addr }

// Port is the relay's client-facing UDP port (what a Shaper keys on).
func (r *Relay) Port() int { return int(r.addr.Port()) }

// ICEServer is the RTCIceServer a page (or Pion) needs to use this relay.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential"`
}

// ICEServer describes the relay for RTCPeerConnection's iceServers.
func (r *Relay) ICEServer() ICEServer {
	return ICEServer{URLs: []string{fmt.Sprintf("turn:%s?transport=udp", r.addr)}, Username: r.user, Credential: r.pass}
}

// SetProfile changes one direction's impairment mid-call.
func (r *Relay) SetProfile(d Direction, p Profile) error { return r.conn.SetProfile(d, p) }

// Profile is the impairment in force for d.
func (r *Relay) Profile(d Direction) Profile { return r.conn.Profile(d) }

// Stats counts what crossed the client-facing socket.
type Stats struct {
	Up          DirStats `json:"up"`
	Down        DirStats `json:"down"`
	Allocations int      `json:"allocations"`
}

// Stats of the relay's client-facing socket.
func (r *Relay) Stats() Stats {
	return Stats{Up: r.conn.Stats(Up), Down: r.conn.Stats(Down), Allocations: r.server.AllocationCount()}
}

// Close stops the TURN server (its allocations too) and the impaired socket.
func (r *Relay) Close() error {
	err := r.server.Close()
	return errors.Join(err, r.conn.Close())
}

func randomToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// loggerFactory sends pion/turn's warnings and errors to log (nil: discarded).
func loggerFactory(log *slog.Logger) logging.LoggerFactory {
	f := logging.NewDefaultLoggerFactory()
	f.DefaultLogLevel = logging.LogLevelDisabled
	if log != nil {
		f.DefaultLogLevel = logging.LogLevelWarn
		f.Writer = slogWriter{log}
	}
	return f
}

type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("turn", "msg", string(p))
	return len(p), nil
}
