package process

import (
	"context"
	"errors"
	"image/color"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testutil"
)

// stressCycles is how many hat on/off cycles TestWorkerStressOneWorker runs
// (GORENTO_STRESS_CYCLES overrides it, e.g. for a run under valgrind).
func stressCycles(t *testing.T, def int) int {
	if s := os.Getenv("GORENTO_STRESS_CYCLES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("GORENTO_STRESS_CYCLES=%q", s)
		}
		return n
	}
	return def
}

// TestWorkerStressOneWorker: ONE long-lived worker (a held element keeps it
// up, its media flowing) takes 200 hat on/off cycles — a FaceOverlayFilter
// created, given its image, released — with GStreamerFilters built and
// released and failed builds (an audio command on video, as AUTODETECT's
// first try does; an unknown element; a denied element) interleaved. The
// worker must neither crash nor be replaced, and the held element must keep
// producing; and when it stops, GStreamer's leaks tracer must find no object
// alive (every pipeline, failed or not, was freed). This is the regression
// test of the worker's heap corruption (docs/processing.md, "Memory
// ownership in the worker").
func TestWorkerStressOneWorker(t *testing.T) {
	var logs testutil.LockedBuffer
	cfg := Config{WorkerPath: processtest.WorkerBin(t), HangTimeout: 30 * time.Second, RequestTimeout: 60 * time.Second,
		Env:    []string{"GST_TRACERS=leaks", "GST_DEBUG=leaks:7", "GST_DEBUG_NO_COLOR=1"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if w := os.Getenv("GORENTO_STRESS_WORKER"); w != "" { // e.g. a script running the worker under valgrind
		cfg.WorkerPath = w
		cfg.StartTimeout = 5 * time.Minute
	}
	m := NewManager(cfg)
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	vp8 := []Stream{{Codec: CodecVP8, PayloadType: 96}}
	in := processtest.GstRTP(t, "videotestsrc num-buffers=30 ! video/x-raw,width=160,height=120,framerate=30/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay pt=96")
	var held collector
	keep, err := m.Create(ctx, "stress", Spec{Inputs: vp8, Outputs: vp8}, held.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	pid := keep.WorkerPID()
	hat := processtest.SolidPNG(t, color.RGBA{255, 0, 255, 255})
	feed := func(n int) { // a few frames through the held element between cycles
		for i := 0; i < n; i++ {
			_ = keep.WriteRTP(0, in[i%len(in)])
		}
	}
	failed := []struct{ spec Spec }{
		{Spec{Inputs: vp8, Outputs: vp8, Processing: Processing{Kind: ProcGStreamer, Command: "volume volume=0.5", FilterType: "VIDEO"}}},
		{Spec{Inputs: vp8, Outputs: vp8, Processing: Processing{Kind: ProcGStreamer, Command: "videobalance ! nosuchelement"}}},
		{Spec{Inputs: vp8, Outputs: vp8, Processing: Processing{Kind: ProcGStreamer, Command: "videobalance ! filesink location=/dev/null"}}},
	}
	cycles := stressCycles(t, 200)
	for i := 0; i < cycles; i++ {
		hatOn, err := m.Create(ctx, "stress", Spec{Inputs: vp8, Outputs: vp8, Processing: Processing{Kind: ProcFaceOverlay}}, Handler{})
		if err != nil {
			t.Fatalf("cycle %d: hat on: %v", i, err)
		}
		if err := hatOn.SetOverlayImage(ctx, Image{URI: hat, OffsetX: -0.35, OffsetY: -1.2, Width: 1.6, Height: 1.6}); err != nil {
			t.Fatalf("cycle %d: hat image: %v", i, err)
		}
		feed(3)
		if err := hatOn.Close(); err != nil {
			t.Fatalf("cycle %d: hat off: %v", i, err)
		}
		if i%4 == 0 { // a GStreamerFilter: the command's elements go through the policy check
			g, err := m.Create(ctx, "stress", Spec{Inputs: vp8, Outputs: vp8,
				Processing: Processing{Kind: ProcGStreamer, Command: "videobalance name=bal saturation=0.5", FilterType: "VIDEO"}}, Handler{})
			if err != nil {
				t.Fatalf("cycle %d: GStreamerFilter: %v", i, err)
			}
			if err := g.SetProperty(ctx, "bal", "saturation", "0.0"); err != nil {
				t.Fatalf("cycle %d: setProperty: %v", i, err)
			}
			if err := g.Close(); err != nil {
				t.Fatalf("cycle %d: GStreamerFilter close: %v", i, err)
			}
		}
		f := failed[i%len(failed)]
		if _, err := m.Create(ctx, "stress", f.spec, Handler{}); err == nil || !errors.Is(err, ErrRejected) {
			t.Fatalf("cycle %d: %q built (%v), want a rejected build", i, f.spec.Processing.Command, err)
		}
		if errs := held.find(EventError); len(errs) > 0 {
			t.Fatalf("cycle %d: the held element failed: %v", i, errs[0].Err)
		}
		if got := keep.WorkerPID(); got != pid {
			t.Fatalf("cycle %d: the worker was replaced (%d → %d)", i, pid, got)
		}
	}
	// The worker is still the same process and still serves media.
	before := held.count()
	for _, p := range in {
		_ = keep.WriteRTP(0, p)
		time.Sleep(5 * time.Millisecond)
	}
	eventually(t, 20*time.Second, "held element output after the cycles", func() bool { return held.count() > before })
	if errs := held.find(EventError); len(errs) > 0 {
		t.Fatalf("the held element failed: %v", errs[0].Err)
	}
	if !processAlive(pid) || keep.WorkerPID() != pid {
		t.Fatalf("worker %d gone", pid)
	}
	// The last element closed stops the worker, which checks for leaks.
	if err := keep.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "worker exit", func() bool { return !processAlive(pid) })
	listed := regexp.MustCompile(`listed \d+ alive objects`) // the report's last line
	eventually(t, 10*time.Second, "the leaks tracer's report", func() bool { return listed.MatchString(logs.String()) })
	if out := logs.String(); !strings.Contains(out, "listed 0 alive objects") {
		t.Fatalf("GStreamer objects left alive in the worker:\n%s", out)
	}
}
