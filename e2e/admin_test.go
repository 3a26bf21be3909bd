package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
)

// TestAdminConsole: in Chromium, the admin console lists the live pipeline
// of a hello-world call, draws it (one WebRtcEndpoint connected to itself,
// media flowing), shows the endpoint's states and stream counters, kicks a
// room participant and releases the pipeline. The screenshot is kept in
// out/admin-console.png.
func TestAdminConsole(t *testing.T) {
	requireBrowser(t)
	a, addr := startGorento(t, nil)
	member := testutil.DialRaw(t, "ws://"+addr+"/room")
	testutil.Result(t, member.Call("joinRoom", map[string]any{"user": "ann", "room": "ops"}))
	shot := filepath.Join(outDir(t), "admin-console.png")
	d := startDriver(t, "admin.mjs", "http://"+addr, shot)
	d.next(t, nil) // calling
	call := ""
	for _, p := range a.KMS.Pipelines() {
		for _, l := range p.Links {
			if l.Source == l.Sink {
				call = p.ID
			}
		}
	}
	if call == "" {
		t.Fatal("no hello-world pipeline (an endpoint connected to itself) on the server")
	}
	d.send(t, call)
	var g struct {
		Listed, Nodes, Edges, Flowing, Streams, Events int
		Labels                                         []string
		State                                          map[string]string
		PageErrors                                     []string
	}
	d.next(t, &g)
	t.Logf("console: %+v (screenshot %s)", g, shot)
	if g.Listed < 2 || g.Nodes != 1 || g.Edges < 2 || g.Flowing < 2 || g.Streams < 4 || g.Events == 0 || len(g.PageErrors) > 0 {
		t.Errorf("console shows %+v; want the call's and the room's pipelines, one node, audio and video flowing, 4 streams, events", g)
	}
	if s := g.State["ice"]; s != "CONNECTED" && s != "READY" {
		t.Errorf("endpoint ICE state shown: %q", s)
	}
	d.next(t, nil) // kicked
	testutil.Eventually(t, 10*time.Second, "ann told she was evicted", func() bool {
		m, ok := member.Next(100 * time.Millisecond)
		return ok && m["method"] == "participantEvicted"
	})
	var rel struct {
		PageErrors []string
		Error      string
	}
	d.next(t, &rel)
	if len(rel.PageErrors) > 0 || rel.Error != "" {
		t.Errorf("console errors: %+v", rel)
	}
	if _, ok := a.KMS.Pipeline(call); ok {
		t.Error("the released pipeline is still on the server")
	}
	// A fan-out with a loop back: publisher → PassThrough → two viewers, one
	// of which feeds the publisher.
	ctx := context.Background()
	c := client(t, "ws://"+addr+"/kurento")
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	pt, err := p.CreatePassThrough(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	v2, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	for _, link := range [][2]string{{pub.ID(), pt.ID()}, {pt.ID(), v1.ID()}, {pt.ID(), v2.ID()}, {v2.ID(), pub.ID()}} {
		if err := c.Element(link[0]).Connect(ctx, c.Element(link[1]), kurento.ConnectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	d.send(t, p.ID())
	var g2 struct {
		Nodes, Edges int
		Overlaps     bool
		PageErrors   []string
	}
	d.next(t, &g2)
	if g2.Nodes != 4 || g2.Edges != 12 || g2.Overlaps || len(g2.PageErrors) > 0 {
		t.Errorf("fan-out graph: %+v, want 4 elements, 12 connections (audio, video, data × 4), none overlapping", g2)
	}
}
