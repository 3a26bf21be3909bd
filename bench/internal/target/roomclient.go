package target

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/bench/internal/peer"
)

// kurentoRoom fans out through the KurentoRoom protocol: every peer is a
// participant with its own WebSocket, as KurentoRoom.js clients are.
type kurentoRoom struct {
	url, name string
	mu        sync.Mutex
	members   []*roomMember
	publisher string
}

func (r *kurentoRoom) join(ctx context.Context, user string, p *peer.Peer) (*roomMember, error) {
	m, err := dialRoom(ctx, r.url, user, p)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.members = append(r.members, m)
	r.mu.Unlock()
	if _, err := m.call(ctx, "joinRoom", map[string]any{"user": user, "room": r.name}); err != nil {
		return nil, err
	}
	return m, nil
}

func (r *kurentoRoom) negotiate(ctx context.Context, m *roomMember, method string, params map[string]any) error {
	offer, err := m.peer.Offer(ctx)
	if err != nil {
		return err
	}
	params["sdpOffer"] = offer
	res, err := m.call(ctx, method, params)
	if err != nil {
		return err
	}
	var out struct {
		SDPAnswer string `json:"sdpAnswer"`
	}
	if err := json.Unmarshal(res, &out); err != nil || out.SDPAnswer == "" {
		return fmt.Errorf("%s: no sdpAnswer in %s", method, res)
	}
	if err := m.peer.SetAnswer(out.SDPAnswer); err != nil {
		return err
	}
	m.answered()
	return m.peer.WaitConnected(ctx)
}

func (r *kurentoRoom) Publish(ctx context.Context, p *peer.Peer) error {
	m, err := r.join(ctx, "pub", p)
	if err != nil {
		return err
	}
	r.publisher = "pub"
	return r.negotiate(ctx, m, "publishVideo", map[string]any{"doLoopback": false})
}

func (r *kurentoRoom) Subscribe(ctx context.Context, p *peer.Peer) error {
	r.mu.Lock()
	user := fmt.Sprintf("sub%d", len(r.members))
	r.mu.Unlock()
	m, err := r.join(ctx, user, p)
	if err != nil {
		return err
	}
	return r.negotiate(ctx, m, "receiveVideoFrom", map[string]any{"sender": r.publisher + "_webcam"})
}

func (r *kurentoRoom) Close(ctx context.Context) error {
	r.mu.Lock()
	ms := r.members
	r.members = nil
	r.mu.Unlock()
	for _, m := range ms {
		_, _ = m.call(ctx, "leaveRoom", map[string]any{})
		m.close()
	}
	return nil
}

// roomMember is one KurentoRoom JSON-RPC connection.
type roomMember struct {
	ws      *websocket.Conn
	peer    *peer.Peer
	wmu     sync.Mutex
	mu      sync.Mutex
	nextID  int
	waiting map[int]chan rpcReply
	early   []webrtc.ICECandidateInit // server candidates before the answer
	ready   bool
	done    chan struct{}
	stop    chan struct{}
}

type rpcReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func dialRoom(ctx context.Context, url, user string, p *peer.Peer) (*roomMember, error) {
	ws, resp, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	_ = resp.Body.Close()
	m := &roomMember{ws: ws, peer: p, waiting: map[int]chan rpcReply{}, done: make(chan struct{}), stop: make(chan struct{})}
	go m.read()
	go m.keepalive()
	return m, nil
}

func (m *roomMember) keepalive() {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			_ = m.send(-1, "ping", map[string]any{"interval": 5000}) // a lost ping shows as a closed socket

		}
	}
}

func (m *roomMember) read() {
	defer close(m.done)
	for {
		_, data, err := m.ws.ReadMessage()
		if err != nil {
			return
		}
		var msg struct {
			ID     *int            `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			rpcReply
		}
		if json.Unmarshal(data, &msg) != nil {
			continue
		}
		if msg.Method == "iceCandidate" {
			var c struct {
				Candidate     string `json:"candidate"`
				SDPMid        string `json:"sdpMid"`
				SDPMLineIndex uint16 `json:"sdpMLineIndex"`
			}
			if json.Unmarshal(msg.Params, &c) == nil {
				init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: &c.SDPMid, SDPMLineIndex: &c.SDPMLineIndex}
				m.mu.Lock()
				if !m.ready {
					m.early = append(m.early, init)
					m.mu.Unlock()
					continue
				}
				m.mu.Unlock()
				_ = m.peer.AddCandidate(init)
			}
			continue
		}
		if msg.ID != nil && msg.Method == "" {
			m.mu.Lock()
			ch := m.waiting[*msg.ID]
			delete(m.waiting, *msg.ID)
			m.mu.Unlock()
			if ch != nil {
				ch <- msg.rpcReply
			}
		}
	}
}

// answered flushes the candidates that arrived before the answer.
func (m *roomMember) answered() {
	m.mu.Lock()
	m.ready = true
	early := m.early
	m.early = nil
	m.mu.Unlock()
	for _, c := range early {
		_ = m.peer.AddCandidate(c)
	}
}

func (m *roomMember) send(id int, method string, params map[string]any) error {
	msg := map[string]any{"jsonrpc": "2.0", "method": method, "params": params}
	if id >= 0 {
		msg["id"] = id
	} else {
		m.mu.Lock()
		msg["id"] = m.nextID
		m.nextID++
		m.mu.Unlock()
	}
	b, _ := json.Marshal(msg)
	m.wmu.Lock()
	defer m.wmu.Unlock()
	return m.ws.WriteMessage(websocket.TextMessage, b)
}

func (m *roomMember) call(ctx context.Context, method string, params map[string]any) (json.RawMessage, error) {
	ch := make(chan rpcReply, 1)
	m.mu.Lock()
	id := m.nextID
	m.nextID++
	m.waiting[id] = ch
	m.mu.Unlock()
	if err := m.send(id, method, params); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return nil, fmt.Errorf("%s: error %d: %s", method, r.Error.Code, r.Error.Message)
		}
		return r.Result, nil
	case <-m.done:
		return nil, errors.New(method + ": connection closed")
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (m *roomMember) close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	_ = m.ws.Close()
	<-m.done
}
