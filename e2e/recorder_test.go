package e2e

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/process/processtest"
)

// TestRecorderDemo: Chromium records its camera through the recorder demo
// (WEBM as is; MP4 transcoded to H.264 + AAC in the worker), stops, plays
// the recording back until its end, and decodes it; the files are checked
// with ffprobe.
func TestRecorderDemo(t *testing.T) {
	requireBrowser(t)
	worker := processtest.WorkerBin(t)
	var dataDir string
	_, addr := startGorento(t, func(c *config.Config) {
		c.Processing.WorkerPath = worker
		dataDir = c.DataDir
	})
	profiles := []string{"WEBM", "MP4"}
	d := startDriver(t, "recorder.mjs", append([]string{"http://" + addr, outDir(t)}, profiles...)...)
	for _, profile := range profiles {
		var res struct {
			Profile    string
			File       string
			RecordedMs int
			Playback   struct {
				Width, Height, Frames, Dropped int
				Error                          string
			}
		}
		d.next(t, &res)
		if res.Profile != profile || res.Playback.Width <= 0 || res.Playback.Frames <= 30 || res.Playback.Error != "" {
			t.Fatalf("%s: playback %+v", profile, res)
		}
		p := containertest.ProbeFile(t, filepath.Join(dataDir, "media", res.File), true)
		// The playback shows the recording, not a part of it. The browser's
		// frame rate follows the machine's load (13 fps once at load 12, 25 of
		// them late), so the bound is relative to what the file holds
		// (ffprobe decodes every frame).
		frames, _ := p.FrameTimes("video")
		if len(frames) < 30 || res.Playback.Frames < len(frames)/3 {
			t.Errorf("%s: the browser decoded %d frames (%d dropped) of a recording of %d", profile, res.Playback.Frames, res.Playback.Dropped, len(frames))
		}
		want := map[string][2]string{"WEBM": {"vp8", "opus"}, "MP4": {"h264", "aac"}}[profile]
		if p.Codec("video") != want[0] || p.Codec("audio") != want[1] {
			t.Errorf("%s: recorded %s+%s", profile, p.Codec("video"), p.Codec("audio"))
		}
		if d, sent := p.Duration(), float64(res.RecordedMs)/1000; math.Abs(d-sent) > 1.5 {
			t.Errorf("%s: %.2f s recorded of %.2f s", profile, d, sent)
		}
		t.Logf("%s: recorded %s+%s %.2f s, %d video frames; the browser decoded %d frames (%dx%d) of the playback", profile,
			p.Codec("video"), p.Codec("audio"), p.Duration(), len(frames), res.Playback.Frames, res.Playback.Width, res.Playback.Height)
	}
	d.next(t, nil)
}
