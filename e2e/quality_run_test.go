package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/testnet/impair"
)

// fakeCamera makes the publisher's camera: 4 s of 1280×720@30 Y4M (a moving
// test pattern with light sensor-like noise, played forward then backward so
// Chromium's loop has no jump), ~170 MB in the test's temp dir.
func fakeCamera(t *testing.T) string {
	return y4mCamera(t, "camera-720p30.y4m", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=2",
		"-filter_complex", "[0]noise=alls=6:allf=t,split[a][b];[b]reverse[r];[a][r]concat=n=2:v=1", "-pix_fmt", "yuv420p")
}

// y4mCamera makes a Y4M file for Chromium's fake camera with ffmpeg, from
// its input arguments, in the test's temp dir.
func y4mCamera(t *testing.T, name string, input ...string) string {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffmpeg is missing (scripts/ensure-deps.sh installs it)")
		}
		t.Skip("ffmpeg is missing")
	}
	path := filepath.Join(t.TempDir(), name)
	args := append(append([]string{"-v", "error"}, input...), "-f", "yuv4mpegpipe", path)
	if out, err := exec.Command(ffmpeg, args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return path
}

type pageSpec struct {
	Name   string          `json:"name"`
	Camera *cameraSpec     `json:"camera"`
	ICE    *map[string]any `json:"ice"`
}

type cameraSpec struct {
	Width     int `json:"width"`
	Height    int `json:"height"`
	FrameRate int `json:"frameRate"`
}

// slug makes a file name of a row name.
func slug(s string) string {
	b := []byte{}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	return strings.Trim(string(b), "-")
}

func relayOnly(r *impair.Relay) *map[string]any {
	if r == nil {
		return nil
	}
	return &map[string]any{"iceServers": []impair.ICEServer{r.ICEServer()}, "iceTransportPolicy": "relay"}
}

// runQualityRow runs one condition with a fresh gorento, fresh relays and a
// fresh browser, and measures it.
func runQualityRow(t *testing.T, row qualityRow, cam string, tm timing) result {
	_, addr := startGorento(t, func(c *config.Config) {
		// For experiments: the room's video ceiling (default 4000 kbit/s; it was 1000, the first finding).
		if v, err := strconv.Atoi(os.Getenv("GORENTO_QUALITY_ROOM_MAX_KBPS")); err == nil {
			c.Room.MaxVideoKbps = v
		}
	})
	var shaper *impair.Shaper
	shape := func(port int, d impair.Direction, rate uint64) {
		if rate == 0 {
			return
		}
		if shaper == nil {
			s, err := impair.NewShaper(impair.ShaperOptions{})
			if err != nil {
				t.Fatal(err)
			}
			shaper = s
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Error(err)
				}
			})
		}
		if err := shaper.Limit(port, d, rate, 0); err != nil {
			t.Fatal(err)
		}
	}
	relays := map[string]*impair.Relay{}
	direct := os.Getenv("GORENTO_QUALITY_DIRECT") == "1" // experiments: no relay on clean links
	for name, l := range map[string]link{"A": row.a, "B": row.b} {
		if direct && l == (link{}) && (row.step == nil || row.step.page != name) {
			continue
		}
		r, err := impair.StartRelay(impair.RelayOptions{Up: l.Up, Down: l.Down})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		shape(r.Port(), impair.Up, l.UpRate)
		shape(r.Port(), impair.Down, l.DownRate)
		relays[name] = r
	}
	pages := []pageSpec{
		{Name: "A", Camera: &cameraSpec{1280, 720, 30}, ICE: relayOnly(relays["A"])},
		{Name: "B", ICE: relayOnly(relays["B"])},
	}
	if row.withC {
		pages = append(pages, pageSpec{Name: "C"})
	}
	jitterTarget, _ := strconv.Atoi(os.Getenv("GORENTO_QUALITY_JITTER_TARGET_MS")) // experiments: the viewers' jitterBufferTarget
	spec, _ := json.Marshal(map[string]any{"room": "quality", "y4m": cam, "degradation": os.Getenv("GORENTO_QUALITY_DEGRADATION"),
		"jitterTarget": jitterTarget, "pages": pages})
	d := startDriver(t, "quality.mjs", "http://"+addr, string(spec))
	var ready struct {
		T    int64
		Info map[string]struct {
			Camera      map[string]any
			Degradation []string
		}
	}
	d.next(t, &ready)
	t.Logf("ready: %+v", ready.Info)
	res := result{LoadStart: loadAvg()}
	from := time.UnixMilli(ready.T).Add(tm.warm)
	to := from.Add(tm.window)
	var stepAt time.Time
	useFrom := from
	if row.step != nil {
		stepAt = to
		time.Sleep(time.Until(stepAt))
		shape(relays[row.step.page].Port(), row.step.dir, row.step.rate)
		to = stepAt.Add(10*time.Second + tm.after)
		useFrom = stepAt.Add(10 * time.Second)
	}
	if port, dir, ok := row.usePort(relays); ok && shaper != nil { // what the limited link carried in the window
		time.Sleep(time.Until(useFrom))
		m, err := shaper.StartMeter(port, dir)
		time.Sleep(time.Until(to))
		if err == nil {
			res.WireKbps, err = m.Kbps()
		}
		if err != nil {
			t.Errorf("link use on the wire: %v", err)
		}
	}
	time.Sleep(time.Until(to.Add(1500 * time.Millisecond))) // the last sample of the window
	res.LoadEnd = loadAvg()
	d.send(t, "stop")
	var done struct {
		Pages      map[string]pageResult
		PageErrors []string
	}
	d.next(t, &done)
	if len(done.PageErrors) > 0 {
		t.Logf("page errors: %v", done.PageErrors)
	}
	// The raw samples, for plots and for looking into a surprising figure.
	raw, _ := json.Marshal(map[string]any{"row": row.name, "ready": ready.T, "from": from.UnixMilli(), "to": to.UnixMilli(),
		"step": stepAt.UnixMilli(), "pages": done.Pages})
	if err := os.WriteFile(filepath.Join(outDir(t), "quality-"+slug(row.name)+".json"), raw, 0o644); err != nil {
		t.Error(err)
	}

	pa, pb := done.Pages["A"], done.Pages["B"]
	var okA, okB bool
	if row.step == nil {
		res.A, okA = measurePublisher(pa, from, to)
		res.B, okB = measureViewer(pb, from, to)
	} else {
		res.Before, _ = measurePublisher(pa, from, stepAt)
		res.After10, _ = measurePublisher(pa, stepAt, stepAt.Add(10*time.Second))
		res.A, okA = measurePublisher(pa, stepAt.Add(10*time.Second), to)
		res.BAfter, okB = measureViewer(pb, stepAt, to)
		res.B = res.BAfter
	}
	if row.withC {
		var okC bool
		if res.C, okC = measureViewer(done.Pages["C"], from, to); !okC || res.C.FPS <= 0 {
			t.Errorf("viewer C decoded nothing: %+v", res.C)
		}
	}
	switch row.use {
	case "A":
		res.UseLimit = float64(row.a.UpRate) / kbit
		if row.step != nil {
			res.UseLimit = float64(row.step.rate) / kbit
		}
		res.Use = res.A.LinkKbps / res.UseLimit
	case "B":
		res.UseLimit = float64(row.b.DownRate) / kbit
		res.Use = res.B.LinkKbps / res.UseLimit
	}
	if res.UseLimit > 0 {
		res.WireUse = res.WireKbps / res.UseLimit
	}

	// What holds today: media flows through the relays and B decodes it
	// (before the step of a stepped row: after it, a frozen viewer is a
	// quality figure for the table — fps 0, the whole window frozen — not
	// a broken harness).
	if !okA || !okB || (row.step == nil && res.B.FPS <= 0) {
		t.Fatalf("no measurement: A %+v (%v), B %+v (%v)", res.A, okA, res.B, okB)
	}
	if row.step != nil {
		if before, ok := measureViewer(pb, from, stepAt); !ok || before.FPS <= 0 {
			t.Fatalf("B decoded nothing before the step: %+v (%v)", before, ok)
		}
		if res.B.FPS <= 0 {
			t.Logf("B decoded nothing in the %v after the step: frozen (reported in the table)", to.Sub(stepAt).Round(time.Second))
		}
	}
	if res.A.Candidate != "relay" && relays["A"] != nil {
		t.Errorf("A's connection uses a %q candidate, want its relay", res.A.Candidate)
	}
	for name, r := range relays {
		st := r.Stats()
		if st.Up.Packets == 0 || st.Down.Packets == 0 {
			t.Errorf("relay %s carried nothing: %+v", name, st)
		}
		if prof := r.Profile(impair.Up); prof.Loss > 0 && st.Up.Dropped == 0 {
			t.Errorf("relay %s dropped nothing at %s", name, prof)
		}
		res.RelayDropped += st.Up.Dropped + st.Down.Dropped
	}
	t.Logf("%s: A %+v; B %+v; use %.2f (on the wire %.2f) of %.0f kbit/s; load %s→%s", row.name, res.A, res.B, res.Use, res.WireUse, res.UseLimit, res.LoadStart, res.LoadEnd)
	return res
}

// usePort is the relay port and direction whose limit the row's link use is
// measured on.
func (row qualityRow) usePort(relays map[string]*impair.Relay) (int, impair.Direction, bool) {
	switch {
	case row.use == "A" && row.step != nil && relays[row.step.page] != nil:
		return relays[row.step.page].Port(), row.step.dir, true
	case row.use == "A" && relays["A"] != nil:
		return relays["A"].Port(), impair.Up, true
	case row.use == "B" && relays["B"] != nil:
		return relays["B"].Port(), impair.Down, true
	}
	return 0, 0, false
}
