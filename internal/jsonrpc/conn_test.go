package jsonrpc

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/gorento/gorento/internal/testutil"
)

// serve runs handle on the server side of one WebSocket and returns the
// client side.
func serve(t *testing.T, wrap func(net.Listener) net.Listener, handle func(*websocket.Conn)) *websocket.Conn {
	t.Helper()
	up := websocket.Upgrader{}
	done := make(chan struct{})
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer close(done)
		handle(ws)
	}))
	if wrap != nil {
		hs.Listener = wrap(hs.Listener)
	}
	hs.Start()
	cl, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	t.Cleanup(func() {
		_ = cl.Close()
		<-done
		hs.Close()
	})
	return cl
}

func closeCode(t *testing.T, cl *websocket.Conn) (int, string) {
	t.Helper()
	_ = cl.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := cl.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Text
		}
		if err != nil {
			t.Fatalf("want a close frame, got %v", err)
		}
	}
}

// TestFrameLimit: a frame over the limit closes the socket with 1009 and a
// reason; nothing of it is kept.
func TestFrameLimit(t *testing.T) {
	leakCheck(t)
	got := make(chan error, 1)
	cl := serve(t, nil, func(ws *websocket.Conn) {
		c := NewConn(ws, ConnOptions{MaxFrameBytes: 1024})
		_, err := c.ReadFrame()
		got <- err
	})
	if err := cl.WriteMessage(websocket.TextMessage, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}
	if code, text := closeCode(t, cl); code != websocket.CloseMessageTooBig || !strings.Contains(text, "1024") {
		t.Errorf("close %d %q, want 1009 naming the limit", code, text)
	}
	if err := <-got; !errors.Is(err, ErrFrameTooBig) {
		t.Errorf("ReadFrame = %v", err)
	}
}

// TestIdleTimeout: a silent peer is dropped with 1001 "idle timeout"; a
// peer that keeps sending is not.
func TestIdleTimeout(t *testing.T) {
	leakCheck(t)
	got := make(chan error, 1)
	silent := serve(t, nil, func(ws *websocket.Conn) {
		c := NewConn(ws, ConnOptions{IdleTimeout: 300 * time.Millisecond})
		_, err := c.ReadFrame()
		got <- err
	})
	if code, text := closeCode(t, silent); code != websocket.CloseGoingAway || text != "idle timeout" {
		t.Errorf("close %d %q", code, text)
	}
	if err := <-got; !errors.Is(err, ErrIdle) {
		t.Errorf("ReadFrame = %v, want ErrIdle", err)
	}

	frames := make(chan int, 1)
	chatty := serve(t, nil, func(ws *websocket.Conn) {
		c := NewConn(ws, ConnOptions{IdleTimeout: 2 * time.Second})
		n := 0
		for {
			if _, err := c.ReadFrame(); err != nil {
				frames <- n
				return
			}
			n++
		}
	})
	for i := 0; i < 10; i++ {
		if err := chatty.WriteMessage(websocket.TextMessage, []byte(`{}`)); err != nil {
			t.Fatalf("chatty peer dropped after %d frames: %v", i, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = chatty.Close()
	if n := <-frames; n != 10 {
		t.Errorf("server read %d frames, want 10", n)
	}
}

// TestQueueBytes: a peer that stops reading is dropped once the unsent
// bytes reach the limit; the queue never holds more.
func TestQueueBytes(t *testing.T) {
	leakCheck(t)
	const limit = 1 << 20
	res := make(chan [2]int64, 1)
	serve(t, nil, func(ws *websocket.Conn) {
		c := NewConn(ws, ConnOptions{MaxQueueBytes: limit, WriteTimeout: 30 * time.Second})
		frame := make([]byte, 32<<10)
		var peak, sent int64
		for i := 0; i < 100000; i++ {
			if err := c.Send(frame); err != nil {
				if !errors.Is(err, ErrSlowPeer) {
					sent = -1
				}
				break
			}
			sent++
			if q := c.QueuedBytes(); q > peak {
				peak = q
			}
		}
		<-c.Done()
		res <- [2]int64{sent, peak}
	})
	// The client never reads: kernel buffers fill, then our queue.
	r := <-res
	if r[0] <= 0 || r[0] >= 100000 {
		t.Fatalf("sent %d frames before ErrSlowPeer", r[0])
	}
	if r[1] > limit {
		t.Errorf("queue peaked at %d bytes, limit %d", r[1], limit)
	}
}

func leakCheck(t *testing.T) { testutil.LeakCheck(t) }

type limitedConn struct {
	net.Conn
	limits ConnOptions
}

func (c limitedConn) JSONRPCLimits() ConnOptions { return c.limits }

type limitedListener struct {
	net.Listener
	limits ConnOptions
}

func (l limitedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return limitedConn{c, l.limits}, nil
}

// TestTransportLimits: the listener's limits tighten the handler's.
func TestTransportLimits(t *testing.T) {
	leakCheck(t)
	got := make(chan ConnOptions, 1)
	wrap := func(ln net.Listener) net.Listener {
		return limitedListener{ln, ConnOptions{MaxFrameBytes: 10 << 20, MaxQueueBytes: 4096, IdleTimeout: time.Minute}}
	}
	serve(t, wrap, func(ws *websocket.Conn) {
		c := NewConn(ws, ConnOptions{MaxFrameBytes: 2048})
		got <- c.Options()
		_ = c.Close()
	})
	o := <-got
	if o.MaxFrameBytes != 2048 || o.MaxQueueBytes != 4096 || o.IdleTimeout != time.Minute {
		t.Errorf("options = %+v", o)
	}
}
