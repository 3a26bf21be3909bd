package quality

import (
	"strings"
	"testing"
	"time"
)

func TestMeasure(t *testing.T) {
	t0 := time.UnixMilli(1_000_000)
	at := func(s int) int64 { return t0.Add(time.Duration(s) * time.Second).UnixMilli() }
	var p Page
	for s := 0; s <= 10; s++ {
		p.Samples = append(p.Samples, Sample{T: at(s), OutBytes: float64(s) * 250_000, InBytes: float64(s) * 100_000,
			In: &InStats{FramesDecoded: float64(30 * s), FrameHeight: map[bool]float64{true: 360, false: 720}[s == 3],
				BytesReceived: float64(s) * 90_000, TotalFreezesDuration: float64(s) / 10, FreezeCount: float64(s / 5)},
			Out: &OutStats{AvailableOutgoingBitrate: 2_500_000, CandidateType: "relay"}})
		l := LayerSample{T: at(s)}
		for i, h := range []float64{180, 360, 720} {
			l.Layers = append(l.Layers, Layer{Rid: string(rune('a' + i)), Height: h, FPS: 30, Bytes: float64(s) * 50_000 * float64(i+1), Frames: float64(30 * s)})
		}
		p.Layers = append(p.Layers, l)
	}
	v, ok := MeasureViewer(p, t0.Add(2*time.Second), t0.Add(7*time.Second))
	if !ok || v.FPS != 30 || v.Height != 720 || v.MinHeight != 360 || v.Kbps != 720 || v.LinkKbps != 800 || v.Seconds != 5 {
		t.Errorf("viewer %+v %v", v, ok)
	}
	if d := v.FreezeSeconds - 0.5; d > 1e-9 || d < -1e-9 {
		t.Errorf("freezes %v s", v.FreezeSeconds)
	}
	// A window starting between two samples counts from the one before it.
	if v, ok := MeasureViewer(p, t0.Add(2500*time.Millisecond), t0.Add(7*time.Second)); !ok || v.Seconds != 5 || v.FreezeSeconds < 0.5-1e-9 {
		t.Errorf("viewer from 2.5 s: %+v %v, want its counters from the sample at 2 s", v, ok)
	}
	a, ok := MeasurePublisher(p, t0.Add(2*time.Second), t0.Add(7*time.Second))
	if !ok || a.Kbps != 2400 || a.LinkKbps != 2000 || a.Height != 720 || a.Layers != 3 || a.EstimateKbps != 2500 || a.Candidate != "relay" {
		t.Errorf("publisher %+v %v", a, ok)
	}
	if _, ok := MeasureViewer(p, t0.Add(20*time.Second), t0.Add(30*time.Second)); ok {
		t.Error("a window without samples measured something")
	}
}

func TestMarkdownSpread(t *testing.T) {
	rs := []Result{{Row: "clean", Server: "gorento", B: Viewer{FPS: 30}}, {Row: "clean", Server: "gorento", B: Viewer{FPS: 20}},
		{Row: "clean", Server: "livekit", Err: "boom"}}
	md := Markdown(rs, Config{Servers: []string{"gorento", "livekit"}, Reps: 2})
	for _, want := range []string{"| clean | gorento | 25.0 (20.0–30.0) |", "| clean | livekit | – |", "+1 failed: boom"} {
		if !strings.Contains(md, want) {
			t.Errorf("missing %q in\n%s", want, md)
		}
	}
}
