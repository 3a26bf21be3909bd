package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/process/processtest"
)

// TestPlayerDemo: Chromium plays the player demo's samples (made here as
// ./dev run makes them): the WebM pauses (no frame decoded while paused),
// seeks with the slider and plays to its end; the MP4's AAC goes through
// the worker.
func TestPlayerDemo(t *testing.T) {
	requireBrowser(t)
	worker := processtest.WorkerBin(t)
	var dataDir string
	_, addr := startGorento(t, func(c *config.Config) {
		c.Processing.WorkerPath = worker
		dataDir = c.DataDir
	})
	samples := filepath.Join(dataDir, "media", "samples")
	if err := os.MkdirAll(samples, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []containertest.Spec{{Video: "vp8", Audio: "opus", Container: "webm", Seconds: 6},
		{Video: "h264", Audio: "aac", Container: "mp4", Seconds: 6}} {
		if err := os.Rename(containertest.Make(t, t.TempDir(), spec), filepath.Join(samples, "sample."+spec.Container)); err != nil {
			t.Fatal(err)
		}
	}
	d := startDriver(t, "player.mjs", "http://"+addr, outDir(t))
	var res struct {
		WebM struct {
			Duration, AfterSeek                 string
			PausedAt, FramesPaused, FramesStill int
			Error                               string
		}
		MP4 struct {
			Frames, Width int
			Error         string
		}
	}
	d.next(t, &res)
	w := res.WebM
	if w.Duration != "0:06" || w.Error != "" || w.FramesPaused == 0 || w.FramesStill != w.FramesPaused ||
		(w.AfterSeek != "0:04" && w.AfterSeek != "0:05") {
		t.Errorf("webm: %+v", w)
	}
	if res.MP4.Frames < 20 || res.MP4.Width <= 0 || res.MP4.Error != "" {
		t.Errorf("mp4: %+v", res.MP4)
	}
	t.Logf("webm: duration %s, paused at %d ms after %d frames, at %s after seeking to 4 s; mp4 (AAC through the worker): %d frames at width %d",
		w.Duration, w.PausedAt, w.FramesPaused, w.AfterSeek, res.MP4.Frames, res.MP4.Width)
}
