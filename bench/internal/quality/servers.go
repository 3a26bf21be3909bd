package quality

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/gorento/gorento/bench/internal/target"
)

// server is one media server under test, started fresh for each row.
type server interface {
	// pageURL is the page a participant opens; ice (may be nil) is the
	// relay configuration the page's connections use.
	pageURL(room, name string, camera bool, ice map[string]any) (string, error)
	stop()
}

// Env says where the binaries and pages are.
type Env struct {
	GorentoBin, LiveKitBin string
	PagesDir               string // bench/quality (livekit.html, node_modules/livekit-client)
}

func freePort(network string) (int, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitHTTP polls url until it answers, the process exits or 20 s pass.
func waitHTTP(p *target.Process, u string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.Exited():
			return fmt.Errorf("exited: %s", p.Tail())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer in 20 s", u)
}

// gorento runs `gorento serve` with its defaults (room demo on /room, the
// room's 4000 kbit/s ceiling, simulcast from KurentoRoom.js), web on
// plain HTTP 127.0.0.1, loopback candidates only.
type gorento struct {
	proc *target.Process
	base string
}

func startGorento(env Env, dir string) (*gorento, error) {
	port, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	cfg := map[string]any{
		"kurento": map[string]any{"listen": "", "secureListen": ""},
		"web":     map[string]any{"listen": fmt.Sprintf("127.0.0.1:%d", port), "plain": true},
		"webrtc":  map[string]any{"loopbackOnly": true},
		"dataDir": filepath.Join(dir, "gorento-data"),
		"log":     map[string]any{"level": "info"},
	}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	path := filepath.Join(dir, "gorento.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return nil, err
	}
	p, err := target.StartProcess(dir, "gorento", "", nil, env.GorentoBin, "serve", "-config", path)
	if err != nil {
		return nil, err
	}
	g := &gorento{proc: p, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if err := waitHTTP(p, g.base+"/room/"); err != nil {
		g.stop()
		return nil, fmt.Errorf("gorento: %w", err)
	}
	return g, nil
}

func (g *gorento) pageURL(room, name string, _ bool, _ map[string]any) (string, error) {
	return fmt.Sprintf("%s/room/?room=%s&name=%s", g.base, url.QueryEscape(room), url.QueryEscape(name)), nil
}

func (g *gorento) stop() { g.proc.Stop(5 * time.Second) }

// livekit runs livekit-server on 127.0.0.1 with its defaults but for the
// network: loopback only, one UDP port (its default mux), no TCP, no
// external IP discovery (no STUN), no embedded TURN. livekit.html (served
// here with the pinned livekit-client) joins with a token of this server.
type livekit struct {
	proc        *target.Process
	ws          string
	key, secret string
	pages       *http.Server
	pagesBase   string
}

func startLiveKit(env Env, dir string) (*livekit, error) {
	if env.LiveKitBin == "" {
		return nil, errors.New("no livekit-server binary")
	}
	port, err := freePort("tcp")
	if err != nil {
		return nil, err
	}
	udp, err := freePort("udp")
	if err != nil {
		return nil, err
	}
	l := &livekit{key: "qualitykey", secret: "quality-secret-0123456789abcdefghijklmnop"}
	cfg := fmt.Sprintf(`port: %d
bind_addresses: ["127.0.0.1"]
rtc:
  udp_port: %d
  tcp_port: 0
  use_external_ip: false
  node_ip: 127.0.0.1
  enable_loopback_candidate: true
  stun_servers: []
  interfaces:
    includes: [lo]
  ips:
    includes: [127.0.0.0/8]
turn:
  enabled: false
keys:
  %s: %s
logging:
  level: info
room:
  auto_create: true
`, port, udp, l.key, l.secret)
	path := filepath.Join(dir, "livekit.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	p, err := target.StartProcess(dir, "livekit", "", nil, env.LiveKitBin, "--config", path)
	if err != nil {
		return nil, err
	}
	l.proc, l.ws = p, fmt.Sprintf("ws://127.0.0.1:%d", port)
	if err := waitHTTP(p, fmt.Sprintf("http://127.0.0.1:%d/", port)); err != nil {
		l.stop()
		return nil, fmt.Errorf("livekit-server: %w", err)
	}
	// The page and the SDK bundle, from bench/quality.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		l.stop()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/livekit.html", http.FileServer(http.Dir(env.PagesDir)))
	mux.Handle("/livekit-page.js", http.FileServer(http.Dir(env.PagesDir)))
	mux.HandleFunc("/livekit-client.umd.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(env.PagesDir, "node_modules", "livekit-client", "dist", "livekit-client.umd.js"))
	})
	l.pages = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = l.pages.Serve(ln) }()
	l.pagesBase = "http://" + ln.Addr().String()
	return l, nil
}

func (l *livekit) pageURL(room, name string, camera bool, ice map[string]any) (string, error) {
	tok, err := auth.NewAccessToken(l.key, l.secret).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room}).
		SetIdentity(name).SetValidFor(time.Hour).ToJWT()
	if err != nil {
		return "", err
	}
	q := url.Values{"url": {l.ws}, "token": {tok}}
	if camera {
		q.Set("camera", "1")
	}
	if ice != nil {
		b, _ := json.Marshal(ice)
		q.Set("ice", string(b))
	}
	return l.pagesBase + "/livekit.html?" + q.Encode(), nil
}

func (l *livekit) stop() {
	if l.pages != nil {
		_ = l.pages.Close()
	}
	l.proc.Stop(5 * time.Second)
}
