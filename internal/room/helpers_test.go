package room_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/room"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func leakCheck(t *testing.T) { testutil.LeakCheck(t) }

// env is a media server plus a room server, both in-process on loopback.
type env struct {
	kmsURL  string
	roomURL string
	rooms   *room.Server
	media   *kurento.Client // for counting media objects
}

func startKMS(t *testing.T) string {
	t.Helper()
	return startKMSWith(t, kms.Config{})
}

// startKMSWith starts a media server with cfg (WebRTC restricted to loopback).
func startKMSWith(t *testing.T, cfg kms.Config) string {
	t.Helper()
	cfg.WebRTC = kms.WebRTCDefaults{LoopbackOnly: true, Logger: quiet()}
	ks, err := kms.New(cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ks)
	t.Cleanup(func() { _ = ks.Close(); hs.Close() })
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/kurento"
}

func startEnv(t *testing.T, cfg room.Config, kmsURLs ...string) *env {
	t.Helper()
	if len(kmsURLs) == 0 {
		kmsURLs = []string{startKMS(t)}
	}
	for _, u := range kmsURLs {
		cfg.MediaServers = append(cfg.MediaServers, room.MediaTarget{URI: u, Options: kurento.Options{Logger: quiet(), MaxBackoff: 300 * time.Millisecond}})
	}
	rs, err := room.New(context.Background(), cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(rs)
	t.Cleanup(func() { _ = rs.Close(); hs.Close() })
	mc, err := kurento.Dial(context.Background(), kmsURLs[0], kurento.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mc.Close() })
	return &env{kmsURL: kmsURLs[0], roomURL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/room", rooms: rs, media: mc}
}

// mediaObjects counts pipelines and the elements in them on the media server.
func (e *env) mediaObjects(t *testing.T) (pipelines, elements int) {
	t.Helper()
	ctx := context.Background()
	ids, err := e.media.ServerManager().Pipelines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		children, err := e.media.Pipeline(id).Children(ctx)
		if kurento.IsCode(err, wire.ErrObjectNotFound) {
			pipelines-- // released since it was listed
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		elements += len(children)
	}
	return pipelines + len(ids), elements
}

// participant is a room client: a raw JSON-RPC socket plus, once
// publishing or subscribing, Pion peers playing the browser.
type participant struct {
	t    *testing.T
	name string
	ws   *websocket.Conn

	wmu      sync.Mutex // serializes socket writes
	mu       sync.Mutex
	nextID   int
	waiting  map[int]chan map[string]any
	notes    []map[string]any          // notifications in arrival order
	log      []string                  // "note:<method>" and "resp:<id>" in arrival order
	peers    map[string]*testpeer.Peer // by endpointName
	closed   chan struct{}
	stopPing chan struct{}
}

func dialParticipant(t *testing.T, url, name string) *participant {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	p := &participant{t: t, name: name, ws: ws, waiting: map[int]chan map[string]any{}, peers: map[string]*testpeer.Peer{},
		closed: make(chan struct{}), stopPing: make(chan struct{})}
	go p.read()
	go p.keepalive()
	t.Cleanup(p.close)
	return p
}

func (p *participant) keepalive() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-p.stopPing:
			return
		case <-p.closed:
			return
		case <-tick.C:
			p.send("ping", map[string]any{"interval": 3000})
		}
	}
}

func (p *participant) close() {
	select {
	case <-p.stopPing:
	default:
		close(p.stopPing)
	}
	_ = p.ws.Close()
	<-p.closed
	p.mu.Lock()
	peers := p.peers
	p.peers = map[string]*testpeer.Peer{}
	p.mu.Unlock()
	for _, peer := range peers {
		peer.Close()
	}
}

func (p *participant) read() {
	defer close(p.closed)
	for {
		_, data, err := p.ws.ReadMessage()
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		if method, ok := m["method"].(string); ok {
			p.mu.Lock()
			p.notes = append(p.notes, m)
			p.log = append(p.log, "note:"+method)
			p.mu.Unlock()
			if method == "iceCandidate" {
				p.onServerCandidate(m["params"].(map[string]any))
			}
			continue
		}
		id, _ := m["id"].(float64)
		p.mu.Lock()
		ch := p.waiting[int(id)]
		delete(p.waiting, int(id))
		p.log = append(p.log, "resp")
		p.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

func (p *participant) onServerCandidate(params map[string]any) {
	p.mu.Lock()
	peer := p.peers[params["endpointName"].(string)]
	p.mu.Unlock()
	if peer != nil {
		_ = peer.AddRemoteCandidate(params["candidate"].(string), params["sdpMid"].(string), int(params["sdpMLineIndex"].(float64)))
	}
}

func (p *participant) send(method string, params map[string]any) int {
	p.mu.Lock()
	id := p.nextID
	p.nextID++
	p.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	p.wmu.Lock()
	_ = p.ws.WriteMessage(websocket.TextMessage, b)
	p.wmu.Unlock()
	return id
}

// call sends a request and waits for its response.
func (p *participant) call(method string, params map[string]any) map[string]any {
	p.t.Helper()
	ch := make(chan map[string]any, 1)
	p.mu.Lock()
	id := p.nextID
	p.nextID++
	p.waiting[id] = ch
	p.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	p.wmu.Lock()
	err := p.ws.WriteMessage(websocket.TextMessage, b)
	p.wmu.Unlock()
	if err != nil {
		p.t.Fatalf("%s: write: %v", p.name, err)
	}
	select {
	case m := <-ch:
		return m
	case <-time.After(15 * time.Second):
		p.t.Fatalf("%s: no answer to %s", p.name, method)
		return nil
	}
}

func (p *participant) ok(method string, params map[string]any) map[string]any {
	p.t.Helper()
	m := p.call(method, params)
	if e, bad := m["error"]; bad {
		p.t.Fatalf("%s: %s failed: %v", p.name, method, e)
	}
	return m["result"].(map[string]any)
}

func (p *participant) fails(method string, params map[string]any, code float64) {
	p.t.Helper()
	m := p.call(method, params)
	e, bad := m["error"].(map[string]any)
	if !bad || e["code"] != code {
		p.t.Fatalf("%s: %s = %v, want error %v", p.name, method, m, code)
	}
}

// notesOf returns the notifications received so far with that method.
func (p *participant) notesOf(method string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, n := range p.notes {
		if n["method"] == method {
			out = append(out, n["params"].(map[string]any))
		}
	}
	return out
}

func (p *participant) events() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// negotiate runs the offer/answer of one endpoint with a new test peer:
// method is publishVideo or receiveVideoFrom.
func (p *participant) negotiate(endpointName, method string, params map[string]any, opts testpeer.Options) *testpeer.Peer {
	p.t.Helper()
	peer, err := testpeer.New(opts)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.peers[endpointName] = peer
	p.mu.Unlock()
	offer, err := peer.Offer()
	if err != nil {
		p.t.Fatal(err)
	}
	go func() {
		cands, _ := peer.WaitCandidates(10 * time.Second)
		for _, c := range cands {
			p.send("onIceCandidate", map[string]any{"endpointName": endpointName, "candidate": c.Candidate, "sdpMid": *c.SDPMid, "sdpMLineIndex": *c.SDPMLineIndex})
		}
	}()
	params["sdpOffer"] = offer
	res := p.ok(method, params)
	if err := peer.SetAnswer(res["sdpAnswer"].(string)); err != nil {
		p.t.Fatalf("%s: answer rejected: %v", p.name, err)
	}
	if err := peer.WaitConnected(10 * time.Second); err != nil {
		p.t.Fatalf("%s %s: %v", p.name, method, err)
	}
	return peer
}

func (p *participant) publish(loopback bool) *testpeer.Peer {
	peer := p.negotiate(p.name, "publishVideo", map[string]any{"doLoopback": loopback},
		testpeer.Options{SendAudio: true, SendVideo: true, RecvAudio: loopback, RecvVideo: loopback, PeerID: peerID(p.name)})
	peer.StartMedia()
	return peer
}

func (p *participant) subscribe(publisher string) *testpeer.Peer {
	return p.negotiate(publisher, "receiveVideoFrom", map[string]any{"sender": publisher + "_webcam"},
		testpeer.Options{RecvAudio: true, RecvVideo: true})
}

func peerID(name string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return h
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, timeout, what, cond)
}
