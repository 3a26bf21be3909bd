package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

type layerTile struct {
	Layer struct {
		Simulcast                  bool
		Layer, TargetLayer, Layers int
		Kbps, Height, FPS          int
	}
	Text string
}

// TestRoomSimulcast: KurentoRoom.js publishes three layers by default; a
// viewer in Chromium receives one of them (decoded, with its layer on the
// tile's overlay, read from the server with getReceivedLayer), and a
// publisher that turned simulcast off (?simulcast=0) is shown as a single
// layer.
func TestRoomSimulcast(t *testing.T) {
	requireBrowser(t)
	cam := y4mCamera(t, "camera-720p.y4m", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=1", "-pix_fmt", "yuv420p")
	_, addr := startGorento(t, nil)
	d := startDriver(t, "simulcast.mjs", "http://"+addr, cam, filepath.Join(outDir(t), "simulcast.png"))
	var res struct {
		OK                      bool
		Viewed, Settled, Single layerTile
		Sent                    []struct {
			Rid    string
			Height int
			Bytes  int64
		}
		PageErrors []string
	}
	d.next(t, &res)
	if !res.OK {
		t.Fatalf("driver result %+v", res)
	}
	t.Logf("viewer tile: %q, then %q; single-layer tile: %q; publisher sends %+v", res.Viewed.Text, res.Settled.Text, res.Single.Text, res.Sent)
	rids := 0
	for _, s := range res.Sent {
		if s.Rid != "" && s.Bytes > 0 {
			rids++
		}
	}
	if rids < 2 {
		t.Errorf("the publisher's browser sends %d simulcast layers, want at least 2: %+v", rids, res.Sent)
	}
	v := res.Settled.Layer
	if !v.Simulcast || v.Layers < 2 || v.Layer < 0 || v.Layer >= v.Layers || v.FPS <= 0 {
		t.Errorf("viewer's layer %+v", v)
	}
	if !strings.HasPrefix(res.Single.Text, "single layer") || res.Single.Layer.Simulcast {
		t.Errorf("single-layer tile %+v", res.Single)
	}
	if len(res.PageErrors) > 0 {
		t.Errorf("page errors: %v", res.PageErrors)
	}
}
