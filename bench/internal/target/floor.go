package target

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/gorento/gorento/bench/internal/peer"
)

func init() {
	Register(Factory{Name: "pion-floor", New: func(env Env) Server { return &Floor{bin: env.SelfBin} },
		Available: func(env Env) error {
			if env.SelfBin == "" {
				return fmt.Errorf("own binary unknown")
			}
			return nil
		}})
}

// Floor runs this tool's Pion reflect/broadcast server (`gorento-bench floor`).
type Floor struct {
	bin  string
	proc *process
	base string
}

// Name implements Server.
func (f *Floor) Name() string { return "pion-floor" }

// Start implements Server.
func (f *Floor) Start(ctx context.Context, o Options) error {
	p, err := startProcess(o.Dir, "pion-floor", o.CPU, nil, f.bin, "floor", "-addr", "127.0.0.1:0", "-srtp", o.SRTP)
	if err != nil {
		return err
	}
	f.proc = p
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m, err := p.waitLine(wctx, regexp.MustCompile(`floor listening on (\S+)`))
	if err != nil {
		f.Stop()
		return err
	}
	f.base = "http://" + m[1]
	return nil
}

// PID implements Server.
func (f *Floor) PID() int { return f.proc.pid() }

// Stop implements Server.
func (f *Floor) Stop() { f.proc.stop(3 * time.Second); f.proc = nil }

func (f *Floor) exchange(ctx context.Context, path string, p *peer.Peer) error {
	offer, err := p.Offer(ctx)
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.base+path, bytes.NewBufferString(offer))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("floor %s: %s: %s", path, resp.Status, body)
	}
	var out struct{ SDP string }
	if err := json.Unmarshal(body, &out); err != nil {
		return err
	}
	if err := p.SetAnswer(out.SDP); err != nil {
		return err
	}
	return p.WaitConnected(ctx)
}

// Echo implements Server.
func (f *Floor) Echo(ctx context.Context, p *peer.Peer) (func(context.Context) error, error) {
	if err := f.exchange(ctx, "/echo", p); err != nil {
		return nil, err
	}
	return func(context.Context) error { return nil }, nil
}

// NewRoom implements Server.
func (f *Floor) NewRoom(ctx context.Context, name string) (Room, error) {
	return &floorRoom{f: f, name: name}, nil
}

type floorRoom struct {
	f    *Floor
	name string
}

func (r *floorRoom) Publish(ctx context.Context, p *peer.Peer) error {
	return r.f.exchange(ctx, "/publish/"+r.name, p)
}

func (r *floorRoom) Subscribe(ctx context.Context, p *peer.Peer) error {
	return r.f.exchange(ctx, "/subscribe/"+r.name, p)
}

func (r *floorRoom) Close(ctx context.Context) error { return nil }

// SupportsEcho implements Server.
func (f *Floor) SupportsEcho() bool { return true }
