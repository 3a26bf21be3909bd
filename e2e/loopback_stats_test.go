package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/testutil"
)

// TestLoopbackStatsDemo opens the loopback-stats demo served by gorento in
// headless Chromium with the real kurento-client and kurento-utils, clicks
// Start, and checks that the remote video decodes, that the server and
// browser statistics shown on the page are real and grow, and that Stop
// releases the pipeline on the server.
func TestLoopbackStatsDemo(t *testing.T) {
	requireBrowser(t)
	_, addr := startGorento(t, nil)
	ctx := context.Background()
	c := client(t, "ws://"+addr+"/kurento")

	d := startDriver(t, "loopback-stats.mjs", "http://"+addr+"/loopback-stats/", filepath.Join(outDir(t), "loopback-stats.png"))
	var run struct {
		First, Second struct {
			State, PipelineID         string
			Errors                    []string
			FramesDecoded, VideoWidth int
			Server                    struct {
				InPackets, InBytes, OutPackets, OutBytes int64
				E2EVideoMs                               float64
			}
			Shown map[string][]string
		}
		PageErrors []string
	}
	d.next(t, &run)
	a, b := run.First, run.Second
	if len(b.Errors) > 0 || len(run.PageErrors) > 0 {
		t.Fatalf("page errors: %v %v", b.Errors, run.PageErrors)
	}
	if b.State != "connected" || b.FramesDecoded <= 0 || b.VideoWidth <= 0 {
		t.Fatalf("remote video not decoding: %+v", b)
	}
	if b.FramesDecoded <= a.FramesDecoded {
		t.Errorf("framesDecoded does not grow: %d → %d", a.FramesDecoded, b.FramesDecoded)
	}
	for name, pair := range map[string][2]int64{
		"server inbound packets": {a.Server.InPackets, b.Server.InPackets}, "server inbound bytes": {a.Server.InBytes, b.Server.InBytes},
		"server outbound packets": {a.Server.OutPackets, b.Server.OutPackets}, "server outbound bytes": {a.Server.OutBytes, b.Server.OutBytes},
	} {
		if pair[0] <= 0 || pair[1] <= pair[0] {
			t.Errorf("%s: %d → %d, want non-zero and growing", name, pair[0], pair[1])
		}
	}
	if b.Server.E2EVideoMs <= 0 {
		t.Errorf("end-to-end latency not measured: %v", b.Server.E2EVideoMs)
	}
	for table, cells := range b.Shown {
		if len(cells) == 0 || cells[1] == "–" || cells[1] == "0" {
			t.Errorf("table %s shows no statistics: %v", table, cells)
		}
	}
	ids, err := c.ServerManager().Pipelines(ctx)
	if err != nil || len(ids) != 1 || ids[0] != b.PipelineID {
		t.Fatalf("server pipelines while running = %v (%v), page says %s", ids, err, b.PipelineID)
	}

	d.send(t, "stop")
	d.next(t, nil)
	testutil.Eventually(t, 10*time.Second, "the pipeline to be released", func() bool {
		ids, err := c.ServerManager().Pipelines(ctx)
		return err == nil && len(ids) == 0
	})
}
