package target

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorento/gorento/bench/internal/peer"
)

func init() {
	Register(Factory{Name: "janus", New: func(env Env) Server { return &Janus{shim: env.ShimSO} },
		Available: func(env Env) error {
			if _, err := exec.LookPath("janus"); err != nil {
				return errors.New("janus not installed (apt-get install janus)")
			}
			if _, err := janusLibDir(); err != nil {
				return err
			}
			if env.ShimSO == "" {
				return errors.New("no LD_PRELOAD shim (gcc missing?) and no veth: Janus cannot use loopback")
			}
			return nil
		}})
}

// JanusIP is where Janus gathers: 127.0.0.2 on a veth inside the private
// namespace (Janus ignores loopback interfaces).
const JanusIP = "127.0.0.2"

// Janus runs Debian's janus with only the echotest and videoroom plugins
// and the HTTP transport, and drives it over its HTTP API: one Janus
// session, a handle per peer, events read by long polling.
type Janus struct {
	shim string
	proc *process
	base string // http://127.0.0.1:port/janus
	sid  int64

	mu      sync.Mutex
	waiters map[int64]chan janusMsg // handle id → events
	tx      atomic.Int64
	stop    chan struct{}
	polling sync.WaitGroup
}

type janusMsg struct {
	Janus       string          `json:"janus"`
	Sender      int64           `json:"sender"`
	Transaction string          `json:"transaction"`
	Data        json.RawMessage `json:"data"`
	PluginData  struct {
		Data json.RawMessage `json:"data"`
	} `json:"plugindata"`
	JSEP *struct {
		Type string `json:"type"`
		SDP  string `json:"sdp"`
	} `json:"jsep"`
	Error *struct {
		Code   int    `json:"code"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// Name implements Server.
func (j *Janus) Name() string { return "janus" }

// SupportsEcho implements Server (the echotest plugin).
func (j *Janus) SupportsEcho() bool { return true }

func janusLibDir() (string, error) {
	m, _ := filepath.Glob("/usr/lib/*/janus/plugins/libjanus_echotest.so")
	if len(m) == 0 {
		return "", errors.New("janus plugins not found under /usr/lib/*/janus")
	}
	return filepath.Dir(filepath.Dir(m[0])), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start implements Server.
func (j *Janus) Start(ctx context.Context, o Options) error {
	lib, err := janusLibDir()
	if err != nil {
		return err
	}
	var disable []string
	for _, sub := range []string{"plugins", "transports", "events", "loggers"} {
		m, _ := filepath.Glob(filepath.Join(lib, sub, "*.so"))
		for _, f := range m {
			b := filepath.Base(f)
			if b != "libjanus_echotest.so" && b != "libjanus_videoroom.so" && b != "libjanus_http.so" {
				disable = append(disable, b)
			}
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	files := map[string]string{
		"janus.jcfg": fmt.Sprintf(`general: {
	configs_folder = "%[1]s"
	plugins_folder = "%[2]s/plugins"
	transports_folder = "%[2]s/transports"
	events_folder = "%[2]s/events"
	loggers_folder = "%[2]s/loggers"
	debug_level = 3
	session_timeout = 120
}
media: {
	rtp_port_range = "20000-40000"
}
nat: {
	nice_debug = false
	ice_enforce_list = "gbj0"
}
plugins: {
	disable = "%[3]s"
}
transports: {
	disable = "%[3]s"
}
loggers: {
	disable = "%[3]s"
}
events: {
	broadcast = false
}
`, o.Dir, lib, strings.Join(disable, ",")),
		"janus.transport.http.jcfg": fmt.Sprintf(`general: {
	json = "plain"
	base_path = "/janus"
	http = true
	port = %d
	ip = "127.0.0.1"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
`, port),
		"janus.plugin.echotest.jcfg":  "general: {\n}\n",
		"janus.plugin.videoroom.jcfg": "general: {\n}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(o.Dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	p, err := startProcess(o.Dir, "janus", o.CPU, []string{"LD_PRELOAD=" + j.shim}, "janus",
		"-F", o.Dir, "-C", filepath.Join(o.Dir, "janus.jcfg"), "-o", "-i", JanusIP, "-d", "3")
	if err != nil {
		return err
	}
	j.proc = p
	j.base = fmt.Sprintf("http://127.0.0.1:%d/janus", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(j.base + "/info")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("janus exited: %s", p.tail())
		default:
		}
		if time.Now().After(deadline) {
			j.Stop()
			return fmt.Errorf("janus HTTP API not up: %v; %s", err, p.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
	j.waiters = map[int64]chan janusMsg{}
	j.stop = make(chan struct{})
	m, err := j.post(ctx, "", map[string]any{"janus": "create"})
	if err != nil {
		j.Stop()
		return err
	}
	var d struct{ ID int64 }
	if err := json.Unmarshal(m.Data, &d); err != nil {
		j.Stop()
		return err
	}
	j.sid = d.ID
	j.polling.Add(1)
	go j.poll()
	return nil
}

// PID implements Server.
func (j *Janus) PID() int { return j.proc.pid() }

// Stop implements Server.
func (j *Janus) Stop() {
	if j.stop != nil {
		close(j.stop)
		j.stop = nil
	}
	j.proc.stop(5 * time.Second)
	j.proc = nil
	j.polling.Wait()
}

var janusHTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// post sends a request and returns Janus's synchronous reply.
func (j *Janus) post(ctx context.Context, path string, body map[string]any) (janusMsg, error) {
	body["transaction"] = fmt.Sprint(j.tx.Add(1))
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, j.base+path, bytes.NewReader(b))
	resp, err := janusHTTP.Do(req)
	if err != nil {
		return janusMsg{}, err
	}
	defer resp.Body.Close()
	var m janusMsg
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return m, err
	}
	if m.Janus == "error" && m.Error != nil {
		return m, fmt.Errorf("janus: %d %s", m.Error.Code, m.Error.Reason)
	}
	return m, nil
}

// poll long-polls the session's events and hands them to the handles.
func (j *Janus) poll() {
	defer j.polling.Done()
	url := fmt.Sprintf("%s/%d?maxev=10", j.base, j.sid)
	stop := j.stop
	for {
		select {
		case <-stop:
			return
		default:
		}
		resp, err := janusHTTP.Get(url)
		if err != nil {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		var ms []janusMsg
		b := new(bytes.Buffer)
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if json.Unmarshal(b.Bytes(), &ms) != nil {
			var one janusMsg
			if json.Unmarshal(b.Bytes(), &one) == nil {
				ms = []janusMsg{one}
			}
		}
		for _, m := range ms {
			if m.Janus == "keepalive" {
				continue
			}
			j.mu.Lock()
			ch := j.waiters[m.Sender]
			j.mu.Unlock()
			if ch != nil {
				select {
				case ch <- m:
				default:
				}
			}
		}
	}
}

type janusHandle struct {
	j      *Janus
	id     int64
	events chan janusMsg
}

func (j *Janus) attach(ctx context.Context, plugin string) (*janusHandle, error) {
	m, err := j.post(ctx, fmt.Sprintf("/%d", j.sid), map[string]any{"janus": "attach", "plugin": plugin})
	if err != nil {
		return nil, err
	}
	var d struct{ ID int64 }
	if err := json.Unmarshal(m.Data, &d); err != nil {
		return nil, err
	}
	h := &janusHandle{j: j, id: d.ID, events: make(chan janusMsg, 32)}
	j.mu.Lock()
	j.waiters[h.id] = h.events
	j.mu.Unlock()
	return h, nil
}

// message sends a plugin message (with an optional JSEP) and returns the
// synchronous reply (plugin "success" or "ack").
func (h *janusHandle) message(ctx context.Context, body map[string]any, jsepType, sdp string) (janusMsg, error) {
	req := map[string]any{"janus": "message", "body": body}
	if sdp != "" {
		req["jsep"] = map[string]any{"type": jsepType, "sdp": sdp}
	}
	return h.j.post(ctx, fmt.Sprintf("/%d/%d", h.j.sid, h.id), req)
}

// event waits for the next plugin event of this handle that satisfies ok;
// a plugin error event ends the wait.
func (h *janusHandle) event(ctx context.Context, ok func(janusMsg) bool) (janusMsg, error) {
	for {
		select {
		case m := <-h.events:
			if m.Janus != "event" {
				continue
			}
			var e struct {
				Code  int    `json:"error_code"`
				Error string `json:"error"`
			}
			if json.Unmarshal(m.PluginData.Data, &e) == nil && e.Code != 0 {
				return m, &janusError{Code: e.Code, Msg: e.Error}
			}
			if ok(m) {
				return m, nil
			}
		case <-ctx.Done():
			return janusMsg{}, fmt.Errorf("janus: waiting for an event: %w", ctx.Err())
		}
	}
}

func hasJSEP(m janusMsg) bool { return m.JSEP != nil }

// janusError is an error event of a plugin.
type janusError struct {
	Code int
	Msg  string
}

func (e *janusError) Error() string { return fmt.Sprintf("janus: plugin error %d: %s", e.Code, e.Msg) }

func (h *janusHandle) trickleDone(ctx context.Context) {
	_, _ = h.j.post(ctx, fmt.Sprintf("/%d/%d", h.j.sid, h.id), map[string]any{"janus": "trickle", "candidate": map[string]any{"completed": true}})
}

func (h *janusHandle) detach() {
	h.j.mu.Lock()
	delete(h.j.waiters, h.id)
	h.j.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = h.j.post(ctx, fmt.Sprintf("/%d/%d", h.j.sid, h.id), map[string]any{"janus": "detach"})
}

// offerTo sends the peer's offer with body and applies the answer event.
func (h *janusHandle) offerTo(ctx context.Context, p *peer.Peer, body map[string]any) error {
	offer, err := p.Offer(ctx)
	if err != nil {
		return err
	}
	if _, err := h.message(ctx, body, "offer", offer); err != nil {
		return err
	}
	m, err := h.event(ctx, hasJSEP)
	if err != nil {
		return err
	}
	if err := p.SetAnswer(m.JSEP.SDP); err != nil {
		return err
	}
	h.trickleDone(ctx)
	return p.WaitConnected(ctx)
}

// Echo implements Server with the echotest plugin.
func (j *Janus) Echo(ctx context.Context, p *peer.Peer) (func(context.Context) error, error) {
	h, err := j.attach(ctx, "janus.plugin.echotest")
	if err != nil {
		return nil, err
	}
	if err := h.offerTo(ctx, p, map[string]any{"audio": true, "video": true}); err != nil {
		h.detach()
		return nil, err
	}
	return func(context.Context) error { h.detach(); return nil }, nil
}

// NewRoom implements Server with a videoroom room.
func (j *Janus) NewRoom(ctx context.Context, name string) (Room, error) {
	h, err := j.attach(ctx, "janus.plugin.videoroom")
	if err != nil {
		return nil, err
	}
	id := time.Now().UnixNano() % 1e9
	m, err := h.message(ctx, map[string]any{"request": "create", "room": id, "publishers": 1, "bitrate": 0,
		"videocodec": "vp8", "audiocodec": "opus", "fir_freq": 10, "notify_joining": false}, "", "")
	if err != nil {
		return nil, err
	}
	var d struct {
		Videoroom string `json:"videoroom"`
		Error     string `json:"error"`
	}
	_ = json.Unmarshal(m.PluginData.Data, &d)
	if d.Videoroom != "created" {
		return nil, fmt.Errorf("janus: create room: %s", m.PluginData.Data)
	}
	return &janusRoom{j: j, admin: h, id: id}, nil
}

type janusRoom struct {
	j       *Janus
	admin   *janusHandle
	id      int64
	feed    int64
	handles []*janusHandle
}

func (r *janusRoom) Publish(ctx context.Context, p *peer.Peer) error {
	h, err := r.j.attach(ctx, "janus.plugin.videoroom")
	if err != nil {
		return err
	}
	r.handles = append(r.handles, h)
	if _, err := h.message(ctx, map[string]any{"request": "join", "room": r.id, "ptype": "publisher", "display": "pub"}, "", ""); err != nil {
		return err
	}
	m, err := h.event(ctx, func(m janusMsg) bool { return bytes.Contains(m.PluginData.Data, []byte(`"joined"`)) })
	if err != nil {
		return err
	}
	var d struct{ ID int64 }
	if err := json.Unmarshal(m.PluginData.Data, &d); err != nil {
		return err
	}
	r.feed = d.ID
	return h.offerTo(ctx, p, map[string]any{"request": "publish", "audio": true, "video": true})
}

func (r *janusRoom) Subscribe(ctx context.Context, p *peer.Peer) error {
	h, err := r.j.attach(ctx, "janus.plugin.videoroom")
	if err != nil {
		return err
	}
	r.handles = append(r.handles, h)
	var m janusMsg
	for try := 0; ; try++ {
		if _, err := h.message(ctx, map[string]any{"request": "join", "room": r.id, "ptype": "subscriber",
			"streams": []map[string]any{{"feed": r.feed}}}, "", ""); err != nil {
			return err
		}
		m, err = h.event(ctx, hasJSEP)
		var je *janusError
		if err == nil || !errors.As(err, &je) || try >= 20 {
			break
		}
		// the publisher's streams are not set up yet ("No such feed"): retry
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err != nil {
		return err
	}
	answer, err := p.Answer(ctx, m.JSEP.SDP)
	if err != nil {
		return err
	}
	if _, err := h.message(ctx, map[string]any{"request": "start"}, "answer", answer); err != nil {
		return err
	}
	h.trickleDone(ctx)
	return p.WaitConnected(ctx)
}

func (r *janusRoom) Close(ctx context.Context) error {
	for _, h := range r.handles {
		h.detach()
	}
	_, _ = r.admin.message(ctx, map[string]any{"request": "destroy", "room": r.id}, "", "")
	r.admin.detach()
	return nil
}
