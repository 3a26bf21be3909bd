package e2e

import (
	"fmt"
	"math"
	"testing"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media/process/processtest"
)

// faceCamera makes a fake camera of a real face: gocv's images/face.jpg
// (640×480, from the Go module cache) as 1 s of Y4M at 30 fps, which
// Chromium loops.
func faceCamera(t *testing.T) string {
	return y4mCamera(t, "face.y4m", "-loop", "1", "-framerate", "30", "-i", processtest.FaceJPEG(t),
		"-t", "1", "-vf", "scale=640:480,format=yuv420p")
}

// TestRoomHat: the room demo's hat, end to end. A caller and a viewer join
// one room in Chromium, the caller's camera showing a face; the caller puts
// the hat on with the demo's button and takes it off, then does the same with
// the seed's kurento.sendCustomRequest({hat: true/false}). In the viewer's
// decoded video of the caller, the box above the eyes (hair, forehead) shows
// the hat's red and yellow stripes while the hat is on — its pixels differ
// from the no-hat picture — and shows them no more once it is off; the face
// below keeps its colours. Screenshots: out/hat-*.png.
func TestRoomHat(t *testing.T) {
	requireBrowser(t)
	worker := processtest.WorkerBin(t)
	cam := faceCamera(t)
	_, addr := startGorento(t, func(c *config.Config) { c.Processing.WorkerPath = worker })
	d := startDriver(t, "hat.mjs", "http://"+addr, cam, outDir(t))
	type stats struct {
		Hat  float64
		Mean [3]float64
		OK   bool
	}
	var res struct {
		OK     bool
		Phases []struct {
			Name      string
			Box, Face stats
		}
		CallerErrors, PageErrors []string
	}
	d.next(t, &res)
	if !res.OK || len(res.Phases) != 5 {
		t.Fatalf("driver result %+v", res)
	}
	byName := map[string]stats{}
	for _, p := range res.Phases {
		byName[p.Name] = p.Box
		t.Logf("%-10s hat colours %.0f%% of the box, mean %v; face box mean %v", p.Name, 100*p.Box.Hat, round(p.Box.Mean), round(p.Face.Mean))
	}
	none := byName["none"]
	if none.Hat > 0.05 {
		t.Errorf("without the hat, %.0f%% of the box has the hat's colours", 100*none.Hat)
	}
	for _, on := range []string{"button-on", "seed-on"} {
		s := byName[on]
		if !s.OK || s.Hat < 0.5 {
			t.Errorf("%s: only %.0f%% of the box has the hat's colours", on, 100*s.Hat)
		}
		if dist(s.Mean, none.Mean) < 30 {
			t.Errorf("%s: the box looks as without the hat (mean %v vs %v)", on, round(s.Mean), round(none.Mean))
		}
	}
	for _, off := range []string{"button-off", "seed-off"} {
		s := byName[off]
		if !s.OK || s.Hat > 0.05 {
			t.Errorf("%s: the hat is still there (%.0f%% of the box)", off, 100*s.Hat)
		}
		if dist(s.Mean, none.Mean) > 30 {
			t.Errorf("%s: the box does not look as before the hat (mean %v vs %v)", off, round(s.Mean), round(none.Mean))
		}
	}
	for _, p := range res.Phases[1:] {
		if dist(p.Face.Mean, res.Phases[0].Face.Mean) > 30 {
			t.Errorf("%s: the face below the hat changed (mean %v vs %v)", p.Name, round(p.Face.Mean), round(res.Phases[0].Face.Mean))
		}
	}
	if len(res.CallerErrors) > 0 || len(res.PageErrors) > 0 {
		t.Errorf("errors: caller %v, pages %v", res.CallerErrors, res.PageErrors)
	}
}

func dist(a, b [3]float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s)
}

func round(v [3]float64) string { return fmt.Sprintf("(%.0f,%.0f,%.0f)", v[0], v[1], v[2]) }
