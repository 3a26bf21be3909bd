package kurento_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startKMS runs a protocol server behind a proxy that can cut connections.
func startKMS(t *testing.T, cfg kms.Config) (*testutil.Proxy, string) {
	t.Helper()
	_, proxy, url := startKMSServer(t, cfg)
	return proxy, url
}

// startKMSServer is startKMS that also returns the server.
func startKMSServer(t *testing.T, cfg kms.Config) (*kms.Server, *testutil.Proxy, string) {
	t.Helper()
	ks, err := kms.New(cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ks)
	t.Cleanup(func() { _ = ks.Close(); hs.Close() })
	proxy := testutil.NewProxy(t, strings.TrimPrefix(hs.URL, "http://"))
	return ks, proxy, "ws://" + proxy.Addr() + "/kurento"
}

func TestClientObjectsAndEvents(t *testing.T) {
	testutil.LeakCheck(t)
	_, url := startKMS(t, kms.Config{})
	ctx := context.Background()
	c, err := kurento.Dial(ctx, url, kurento.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.SessionID() == "" {
		t.Fatal("no session after handshake")
	}
	info, err := c.ServerManager().Info(ctx)
	if err != nil || len(info.Modules) != 4 {
		t.Fatalf("info = %+v, %v", info, err)
	}
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := p.CreatePassThrough(ctx)
	b, err := p.CreatePassThrough(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	if _, err := a.OnElementConnected(ctx, func(e wire.ElementConnection) {
		mu.Lock()
		got = append(got, e.MediaType)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.Connect(ctx, b, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "three ElementConnected", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 3
	})
	conns, err := b.SourceConnections(ctx, wire.MediaVideo)
	if err != nil || len(conns) != 1 || conns[0].Source != a.ID() {
		t.Fatalf("source connections = %+v, %v", conns, err)
	}
	if err := a.SetName(ctx, "alpha"); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Name(ctx); n != "alpha" {
		t.Errorf("name = %q", n)
	}
	_, err = a.Tag(ctx, "missing")
	if !kurento.IsCode(err, wire.ErrTagKeyNotFound) {
		t.Errorf("getTag error = %v", err)
	}
	var kerr *kurento.Error
	if err := c.Element("nope").Connect(ctx, b, kurento.ConnectOptions{}); err == nil {
		t.Fatal("connect from an unknown element succeeded")
	} else if !kurento.IsCode(err, wire.ErrObjectNotFound) {
		t.Fatalf("error = %v", err)
	} else if !errors.As(err, &kerr) || kerr.Type != "MEDIA_OBJECT_NOT_FOUND" {
		t.Errorf("error %v: not a MEDIA_OBJECT_NOT_FOUND Kurento error", err)
	}
	if err := p.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if ids, _ := c.ServerManager().Pipelines(ctx); len(ids) != 0 {
		t.Errorf("pipelines after release = %v", ids)
	}
}

// TestClientReconnect: the connection drops, the client reconnects with
// `connect`, keeps its session, objects and event subscriptions.
func TestClientReconnect(t *testing.T) {
	testutil.LeakCheck(t)
	proxy, url := startKMS(t, kms.Config{})
	ctx := context.Background()
	reconnected := make(chan bool, 4)
	c, err := kurento.Dial(ctx, url, kurento.Options{Logger: quiet(), OnReconnect: func(kept bool) { reconnected <- kept }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sid := c.SessionID()
	p, _ := c.CreatePipeline(ctx)
	a, _ := p.CreatePassThrough(ctx)
	b, _ := p.CreatePassThrough(ctx)
	events := make(chan wire.ElementConnection, 8)
	if _, err := a.OnElementConnected(ctx, func(e wire.ElementConnection) { events <- e }); err != nil {
		t.Fatal(err)
	}
	proxy.Cut()
	select {
	case kept := <-reconnected:
		if !kept {
			t.Fatal("session lost on reconnection")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnection")
	}
	if c.SessionID() != sid {
		t.Errorf("session changed: %s → %s", sid, c.SessionID())
	}
	if err := a.Connect(ctx, b, kurento.ConnectOptions{MediaType: wire.MediaAudio}); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.MediaType != wire.MediaAudio {
			t.Errorf("event = %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("subscription lost across reconnection")
	}
}

// TestClientSessionLost: after the server collected the session, the
// reconnection reports it and the client can go on with a new session.
func TestClientSessionLost(t *testing.T) {
	testutil.LeakCheck(t)
	ks, proxy, url := startKMSServer(t, kms.Config{GCPeriod: 200 * time.Millisecond})
	ctx := context.Background()
	reconnected := make(chan bool, 4)
	c, err := kurento.Dial(ctx, url, kurento.Options{Logger: quiet(), MaxBackoff: 100 * time.Millisecond, OnReconnect: func(kept bool) { reconnected <- kept }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreatePipeline(ctx); err != nil {
		t.Fatal(err)
	}
	proxy.Refuse(true)
	proxy.Cut()
	// Two GC periods (400 ms) after the cut was seen; waited for, not slept:
	// a busy machine sees the cut or runs the collector late.
	testutil.Eventually(t, 10*time.Second, "the session collected", func() bool { return len(ks.Sessions()) == 0 })
	proxy.Refuse(false)
	select {
	case kept := <-reconnected:
		if kept {
			t.Fatal("session survived the garbage collector")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reconnection")
	}
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatalf("client unusable after losing its session: %v", err)
	}
	if ids, _ := c.ServerManager().Pipelines(ctx); len(ids) != 1 || ids[0] != p.ID() {
		t.Errorf("pipelines = %v, want only the new one", ids)
	}
}

// TestPendingCallsFailOnDrop: calls in flight when the connection drops fail
// with ErrConnectionLost instead of hanging.
func TestPendingCallsFailOnDrop(t *testing.T) {
	testutil.LeakCheck(t)
	proxy, url := startKMS(t, kms.Config{})
	ctx := context.Background()
	c, err := kurento.Dial(ctx, url, kurento.Options{Logger: quiet(), NoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	errs := make(chan error, 1)
	go func() {
		// getUsedCpu blocks on the server for its interval.
		_, err := c.ServerManager().UsedCPU(ctx, 2000)
		errs <- err
	}()
	time.Sleep(200 * time.Millisecond)
	proxy.Cut()
	select {
	case err := <-errs:
		if !errors.Is(err, kurento.ErrConnectionLost) {
			t.Fatalf("pending call error = %v, want ErrConnectionLost", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pending call hangs after the connection dropped")
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("client without reconnection did not close")
	}
}

// TestReleaseDropsHandlers: a long-running client (the room server) must
// not keep handlers of released objects.
func TestReleaseDropsHandlers(t *testing.T) {
	testutil.LeakCheck(t)
	_, url := startKMS(t, kms.Config{})
	ctx := context.Background()
	c, err := kurento.Dial(ctx, url, kurento.Options{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 20; i++ {
		p, _ := c.CreatePipeline(ctx)
		a, _ := p.CreatePassThrough(ctx)
		if _, err := a.OnElementConnected(ctx, func(wire.ElementConnection) {}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.OnError(ctx, func(wire.ErrorEvent) {}); err != nil {
			t.Fatal(err)
		}
		if err := p.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := kurento.HandlerCount(c); n != 0 {
		t.Fatalf("%d handlers left after releasing every object", n)
	}
}
