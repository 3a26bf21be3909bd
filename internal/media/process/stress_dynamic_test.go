package process

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testutil"
)

// TestWorkerStressDynamic: ONE worker runs a Composite while ports come and
// go with media flowing — each cycle adds a video and an audio input, a
// mix-minus audio output and a video output, feeds them, then removes them
// in varying orders — and a transcoder gains and loses outputs. The worker
// must stay the same process, the Composite must keep producing, and at
// the end GStreamer's leaks tracer must find no object alive: every piece
// added to a playing pipeline (bins, tees, mixers, request pads) was freed
// (docs/processing.md, "Memory ownership in the worker").
func TestWorkerStressDynamic(t *testing.T) {
	var logs testutil.LockedBuffer
	m := NewManager(Config{WorkerPath: processtest.WorkerBin(t), HangTimeout: 30 * time.Second, RequestTimeout: 60 * time.Second,
		Env:    []string{"GST_TRACERS=leaks", "GST_DEBUG=leaks:7", "GST_DEBUG_NO_COLOR=1"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	var o outputs
	comp, err := m.Create(ctx, "dyn", Spec{Processing: Processing{Kind: ProcComposite, Width: 160, Height: 120, Framerate: 15}}, o.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer comp.Close()
	pid := comp.WorkerPID()
	tc, err := m.Create(ctx, "dyn", Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Processing: Processing{Kind: ProcTranscode}}, Handler{})
	if err != nil {
		t.Fatal(err)
	}
	video := processtest.SolidVP8(t, 0x00ff00, 160, 120, 15, 15)
	audio := processtest.ToneOpus(t, 440, 300)
	must := func(cycle int, what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("cycle %d: %s: %v", cycle, what, err)
		}
	}
	// A steady participant on port 0 with its output, so the composite works throughout.
	must(-1, "add output 0", comp.AddOutput(ctx, 0, Stream{Codec: CodecVP8, PayloadType: 96}))
	must(-1, "add input 0", comp.AddInput(ctx, 0, Stream{Codec: CodecVP8, PayloadType: 96, Port: 0}))
	// Media keeps arriving at every input index a cycle uses, present or
	// not, while inputs are added and removed: removals race with pushes.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			for port := 1; port <= 3; port++ {
				_ = comp.WriteRTP(2*port, video[k%len(video)])
				_ = comp.WriteRTP(2*port+1, audio[k%len(audio)])
			}
			_ = tc.WriteRTP(0, video[k%len(video)])
		}
	}()
	cycles := stressCycles(t, 30)
	for i := 0; i < cycles; i++ {
		port := 1 + i%3
		vin, ain := 2*port, 2*port+1 // input indexes: video and audio of the port
		vout, aout := 2*port, 2*port+1
		must(i, "add video input", comp.AddInput(ctx, vin, Stream{Codec: CodecVP8, PayloadType: 96, Port: port}))
		must(i, "add audio input", comp.AddInput(ctx, ain, Stream{Codec: CodecOpus, PayloadType: 111, Port: port}))
		must(i, "add audio output", comp.AddOutput(ctx, aout, Stream{Codec: CodecOpus, PayloadType: 111, Port: port, MixAllBut: true}))
		must(i, "add video output", comp.AddOutput(ctx, vout, Stream{Codec: CodecVP8, PayloadType: 96, Port: port}))
		must(i, "transcoder output", tc.AddOutput(ctx, i%2, Stream{Codec: []string{CodecH264, CodecVP9}[i%2], PayloadType: 102}))
		for k := 0; k < 5; k++ {
			_ = comp.WriteRTP(0, video[k%len(video)])
			_ = comp.WriteRTP(vin, video[k%len(video)])
			_ = comp.WriteRTP(ain, audio[k%len(audio)])
			_ = tc.WriteRTP(0, video[k%len(video)])
		}
		// Remove in an order that changes with the cycle: inputs before
		// outputs, outputs before inputs, interleaved.
		steps := []struct {
			what string
			do   func() error
		}{
			{"remove video input", func() error { return comp.RemoveInput(ctx, vin) }},
			{"remove audio output", func() error { return comp.RemoveOutput(ctx, aout) }},
			{"remove audio input", func() error { return comp.RemoveInput(ctx, ain) }},
			{"remove video output", func() error { return comp.RemoveOutput(ctx, vout) }},
		}
		for k := range steps {
			s := steps[(k+i)%len(steps)]
			must(i, s.what, s.do())
		}
		must(i, "transcoder output removed", tc.RemoveOutput(ctx, i%2))
		if p := o.problems(); len(p) > 0 && strings.HasPrefix(p[0], string(EventError)) {
			t.Fatalf("cycle %d: %v", i, p)
		}
		if got := comp.WorkerPID(); got != pid {
			t.Fatalf("cycle %d: the worker was replaced (%d → %d)", i, pid, got)
		}
	}
	close(stop)
	wg.Wait()
	// The composite still makes pictures for the steady participant.
	o.reset()
	for k := 0; k < 30; k++ {
		_ = comp.WriteRTP(0, video[k%len(video)])
		time.Sleep(20 * time.Millisecond)
	}
	eventually(t, 20*time.Second, "composite output after the cycles", func() bool { return len(o.of(0)) > 0 })
	if err := tc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := comp.Close(); err != nil { // the last element: the worker stops and reports leaks
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "worker exit", func() bool { return !processAlive(pid) })
	listed := regexp.MustCompile(`listed \d+ alive objects`)
	eventually(t, 10*time.Second, "the leaks tracer's report", func() bool { return listed.MatchString(logs.String()) })
	if out := logs.String(); !strings.Contains(out, "listed 0 alive objects") {
		t.Fatalf("GStreamer objects left alive in the worker:\n%s", out)
	}
}
