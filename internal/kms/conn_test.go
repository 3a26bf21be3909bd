package kms_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/testutil"
)

// blockingBackend is a processing back end whose Create waits until
// released, as a worker starting on a loaded machine does.
type blockingBackend struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingBackend) Create(ctx context.Context, _ string, _ process.Spec, _ process.Handler) (*process.Element, error) {
	close(b.entered)
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return nil, errors.New("test back end: no worker")
}

// TestPingNotBehindSlowRequest: while a request of the connection is slow
// (a filter whose worker is starting), its pings are still answered, so a
// client's keepalive does not take a busy media server for a dead one; the
// slow request's answer follows when it completes.
func TestPingNotBehindSlowRequest(t *testing.T) {
	be := &blockingBackend{entered: make(chan struct{}), release: make(chan struct{})}
	s := startServer(t, kms.Config{Processing: be})
	c := s.raw(t)
	defer c.Close()
	rawSession(t, c)
	p := create(t, c, "MediaPipeline", nil)
	slow := c.Send("create", map[string]any{"type": "FaceOverlayFilter", "constructorParams": map[string]any{"mediaPipeline": p}})
	select {
	case <-be.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the filter's back end was never asked")
	}
	pong := testutil.Result(t, c.Call("ping", map[string]any{"interval": 240000}))
	if pong["value"] != "pong" {
		t.Fatalf("ping answered %v", pong)
	}
	select {
	case <-be.release:
		t.Fatal("the slow request finished before the ping was answered")
	default:
	}
	close(be.release)
	resp, _ := c.Response(slow)
	if _, failed := resp["error"]; !failed {
		t.Fatalf("create with a failing back end answered %v", resp)
	}
}
