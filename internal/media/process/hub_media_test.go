package process

import (
	"context"
	"encoding/binary"
	"errors"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/process/processtest"
)

// Tests of the dynamic kinds (transcoder, composite, alpha blending, audio
// mixer) against the real worker, with media made and decoded by
// gst-launch-1.0.

// outputs collects an element's output packets per output index.
type outputs struct {
	mu   sync.Mutex
	pkts map[int][][]byte
	evs  []Event
}

func (o *outputs) handler() Handler {
	o.pkts = map[int][][]byte{}
	return Handler{
		OnRTP: func(i int, p []byte) {
			o.mu.Lock()
			o.pkts[i] = append(o.pkts[i], append([]byte(nil), p...))
			o.mu.Unlock()
		},
		OnEvent: func(ev Event) {
			o.mu.Lock()
			o.evs = append(o.evs, ev)
			o.mu.Unlock()
		},
	}
}

// problems returns the warnings and errors reported.
func (o *outputs) problems() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, e := range o.evs {
		if e.Kind == EventError || e.Kind == EventWarning {
			out = append(out, string(e.Kind)+": "+e.Message)
		}
	}
	return out
}

func (o *outputs) of(i int) [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([][]byte(nil), o.pkts[i]...)
}

func (o *outputs) reset() {
	o.mu.Lock()
	o.pkts = map[int][][]byte{}
	o.mu.Unlock()
}

// lastStats returns the outputs count of the latest stats event.
func (o *outputs) lastStats() *Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.evs) - 1; i >= 0; i-- {
		if o.evs[i].Kind == EventStats {
			return o.evs[i].Stats
		}
	}
	return nil
}

// sendAll writes the streams to their inputs at the pace of their RTP
// timestamps, all at once, and returns when every stream was sent.
func sendAll(t testing.TB, el *Element, streams map[int][][]byte, clockRate map[int]int) {
	t.Helper()
	var wg sync.WaitGroup
	start := time.Now()
	for input, pkts := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts0 := binary.BigEndian.Uint32(pkts[0][4:8])
			for _, p := range pkts {
				at := time.Duration(binary.BigEndian.Uint32(p[4:8])-ts0) * time.Second / time.Duration(clockRate[input])
				time.Sleep(time.Until(start.Add(at)))
				if err := el.WriteRTP(input, p); err != nil && !errors.Is(err, ErrBackpressure) {
					t.Errorf("input %d: %v", input, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// following returns copies of pkts whose sequence numbers and timestamps
// continue after those of prev, as one stream sent on.
func following(prev, pkts [][]byte, rate int) [][]byte {
	last := prev[len(prev)-1]
	seq := binary.BigEndian.Uint16(last[2:4]) + 1 - binary.BigEndian.Uint16(pkts[0][2:4])
	ts := binary.BigEndian.Uint32(last[4:8]) + uint32(rate/10) - binary.BigEndian.Uint32(pkts[0][4:8])
	out := make([][]byte, len(pkts))
	for i, p := range pkts {
		c := append([]byte(nil), p...)
		binary.BigEndian.PutUint16(c[2:4], binary.BigEndian.Uint16(p[2:4])+seq)
		binary.BigEndian.PutUint32(c[4:8], binary.BigEndian.Uint32(p[4:8])+ts)
		out[i] = c
	}
	return out
}

func lastFrame(t *testing.T, pkts [][]byte, caps, decode string, w, h int) []byte {
	t.Helper()
	if len(pkts) == 0 {
		t.Fatal("no packets")
	}
	frames := processtest.DecodeRTP(t, pkts, caps, decode, w, h)
	return frames[len(frames)-1]
}

// TestWorkerCompositeGrid: four solid colours on ports 0..3 come out in
// the four quadrants of one VP8 picture (KMS's 2×2 grid).
func TestWorkerCompositeGrid(t *testing.T) {
	m := realManager(t)
	colours := []uint32{0xff0000, 0x00ff00, 0x0000ff, 0xffffff}
	var o outputs
	el, err := m.Create(context.Background(), "composite", Spec{Processing: Processing{Kind: ProcComposite, Width: 320, Height: 240, Framerate: 15}}, o.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	ctx := context.Background()
	if err := el.AddOutput(ctx, 0, Stream{Codec: CodecVP8, PayloadType: 96}); err != nil {
		t.Fatal(err)
	}
	streams, rates := map[int][][]byte{}, map[int]int{}
	for port, c := range colours {
		if err := el.AddInput(ctx, port, Stream{Codec: CodecVP8, PayloadType: 96, Port: port}); err != nil {
			t.Fatal(err)
		}
		streams[port], rates[port] = processtest.SolidVP8(t, c, 160, 120, 15, 30), 90000
	}
	sendAll(t, el, streams, rates)
	eventually(t, 10*time.Second, "composite output", func() bool { return len(o.of(0)) > 10 })
	frame := lastFrame(t, o.of(0), processtest.VP8Caps, "rtpvp8depay ! vp8dec", 320, 240)
	for i, q := range []image.Rectangle{image.Rect(20, 20, 140, 100), image.Rect(180, 20, 300, 100), image.Rect(20, 140, 140, 220), image.Rect(180, 140, 300, 220)} {
		if got := processtest.Fraction(frame, 320, q, processtest.Near(colours[i], 60)); got < 0.9 {
			t.Errorf("quadrant %d: %.0f%% of %06x", i, 100*got, colours[i])
		}
	}

	// Port 3 leaves: three inputs keep a 2×2 grid, the fourth cell black.
	if err := el.RemoveInput(ctx, 3); err != nil {
		t.Fatal(err)
	}
	o.reset()
	if err := el.RequestKeyframe(ctx, 0); err != nil {
		t.Fatal(err)
	}
	delete(streams, 3)
	for port, c := range colours[:3] {
		streams[port] = following(streams[port], processtest.SolidVP8(t, c, 160, 120, 15, 15), 90000)
	}
	sendAll(t, el, streams, rates)
	eventually(t, 10*time.Second, "composite output", func() bool { return len(o.of(0)) > 5 })
	frame = lastFrame(t, o.of(0), processtest.VP8Caps, "rtpvp8depay ! vp8dec", 320, 240)
	if got := processtest.Fraction(frame, 320, image.Rect(180, 140, 300, 220), processtest.Near(0, 40)); got < 0.9 {
		t.Errorf("empty cell: %.0f%% black", 100*got)
	}
	if got := processtest.Fraction(frame, 320, image.Rect(20, 140, 140, 220), processtest.Near(colours[2], 60)); got < 0.9 {
		t.Errorf("third port's cell: %.0f%% blue", 100*got)
	}
}

// TestWorkerCompositeMixMinus: each port hears the three others' tones and
// not its own.
func TestWorkerCompositeMixMinus(t *testing.T) {
	m := realManager(t)
	freqs := []float64{440, 700, 1100, 1700}
	var o outputs
	el, err := m.Create(context.Background(), "mixminus", Spec{Processing: Processing{Kind: ProcComposite, Width: 160, Height: 120}}, o.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	ctx := context.Background()
	streams, rates := map[int][][]byte{}, map[int]int{}
	for port, f := range freqs {
		if err := el.AddInput(ctx, port, Stream{Codec: CodecOpus, PayloadType: 111, Port: port}); err != nil {
			t.Fatal(err)
		}
		if err := el.AddOutput(ctx, port, Stream{Codec: CodecPCMU, PayloadType: 0, Port: port, MixAllBut: true}); err != nil {
			t.Fatal(err)
		}
		streams[port], rates[port] = processtest.ToneOpus(t, f, 1500), 48000
	}
	sendAll(t, el, streams, rates)
	for port := range freqs {
		pcm := processtest.DecodeAudio(t, o.of(port), processtest.PCMUCaps, "rtppcmudepay ! mulawdec", 8000)
		if len(pcm) < 8000 {
			t.Fatalf("port %d: %d samples", port, len(pcm))
		}
		processtest.CheckMixMinus(t, port, freqs, processtest.Spectrum(pcm[len(pcm)/2:], 8000, freqs...))
	}
}

// TestWorkerAlphaBlending: the master sets the picture; a second input
// lands at its relative position and size, above it.
func TestWorkerAlphaBlending(t *testing.T) {
	m := realManager(t)
	var o outputs
	el, err := m.Create(context.Background(), "alpha", Spec{Processing: Processing{Kind: ProcAlphaBlending}}, o.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	ctx := context.Background()
	if err := el.SetLayout(ctx, Layout{Master: 0, ZMaster: 1, Ports: []PortLayout{{Port: 1, RelativeX: 0.5, RelativeY: 0.5, RelativeWidth: 0.25, RelativeHeight: 0.25, ZOrder: 2}}}); err != nil {
		t.Fatal(err)
	}
	if err := el.AddOutput(ctx, 0, Stream{Codec: CodecVP8, PayloadType: 96}); err != nil {
		t.Fatal(err)
	}
	streams := map[int][][]byte{0: processtest.SolidVP8(t, 0x0000ff, 320, 240, 15, 30), 1: processtest.SolidVP8(t, 0xff0000, 160, 120, 15, 30)}
	for port := range streams {
		if err := el.AddInput(ctx, port, Stream{Codec: CodecVP8, PayloadType: 96, Port: port}); err != nil {
			t.Fatal(err)
		}
	}
	sendAll(t, el, streams, map[int]int{0: 90000, 1: 90000})
	eventually(t, 10*time.Second, "alpha output", func() bool { return len(o.of(0)) > 10 })
	frame := lastFrame(t, o.of(0), processtest.VP8Caps, "rtpvp8depay ! vp8dec", 320, 240)
	// The red input fills x 160..240, y 120..180 of the master's 320×240.
	if got := processtest.Fraction(frame, 320, image.Rect(170, 128, 230, 172), processtest.Near(0xff0000, 70)); got < 0.9 {
		t.Errorf("second input's place: %.0f%% red", 100*got)
	}
	for _, r := range []image.Rectangle{image.Rect(10, 10, 150, 110), image.Rect(250, 190, 310, 230)} {
		if got := processtest.Fraction(frame, 320, r, processtest.Near(0x0000ff, 70)); got < 0.9 {
			t.Errorf("master's picture at %v: %.0f%% blue", r, 100*got)
		}
	}
}

// TestWorkerAudioMixerRoutes: an audio mixer output mixes the ports it is
// told to, and follows changes.
func TestWorkerAudioMixerRoutes(t *testing.T) {
	m := realManager(t)
	var o outputs
	el, err := m.Create(context.Background(), "mixer", Spec{Processing: Processing{Kind: ProcAudioMixer}}, o.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	ctx := context.Background()
	freqs := []float64{500, 1300, 2100}
	for port := range freqs {
		if err := el.AddInput(ctx, port, Stream{Codec: CodecOpus, PayloadType: 111, Port: port}); err != nil {
			t.Fatal(err)
		}
	}
	if err := el.AddOutput(ctx, 9, Stream{Codec: CodecPCMU, PayloadType: 0, Port: 9, Mix: []int{0, 2}}); err != nil {
		t.Fatal(err)
	}
	send := func() []float64 {
		o.reset()
		streams, rates := map[int][][]byte{}, map[int]int{}
		for port, f := range freqs {
			streams[port], rates[port] = processtest.ToneOpus(t, f, 1000), 48000
		}
		sendAll(t, el, streams, rates)
		pcm := processtest.DecodeAudio(t, o.of(9), processtest.PCMUCaps, "rtppcmudepay ! mulawdec", 8000)
		return processtest.Spectrum(pcm[len(pcm)/3:], 8000, freqs...)
	}
	if l := send(); l[0] < 0.03 || l[1] > 0.01 || l[2] < 0.03 {
		t.Errorf("mixing ports 0 and 2: levels %.3f", l)
	}
	if err := el.SetMix(ctx, 9, []int{1}); err != nil {
		t.Fatal(err)
	}
	if l := send(); l[0] > 0.01 || l[1] < 0.03 || l[2] > 0.01 {
		t.Errorf("mixing port 1: levels %.3f", l)
	}
}

// TestWorkerTranscoderOutputs: outputs come and go on one decode; their
// timestamps follow the input's (the sender's capture times).
func TestWorkerTranscoderOutputs(t *testing.T) {
	m := realManager(t)
	var o outputs
	ctx := context.Background()
	el, err := m.Create(ctx, "transcoder", Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Processing: Processing{Kind: ProcTranscode}}, o.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	if err := el.AddOutput(ctx, 0, Stream{Codec: CodecH264, PayloadType: 102}); err != nil {
		t.Fatal(err)
	}
	if err := el.AddOutput(ctx, 1, Stream{Codec: CodecVP8, PayloadType: 97}); err != nil {
		t.Fatal(err)
	}
	in := processtest.SolidVP8(t, 0x00ff00, 320, 240, 30, 45)
	sendAll(t, el, map[int][][]byte{0: in}, map[int]int{0: 90000})
	eventually(t, 10*time.Second, "both outputs", func() bool { return len(o.of(0)) > 10 && len(o.of(1)) > 10 })
	for i, f := range []struct{ caps, dec string }{{processtest.H264Caps, "rtph264depay ! avdec_h264"}, {processtest.VP8Caps, "rtpvp8depay ! vp8dec"}} {
		frame := lastFrame(t, o.of(i), f.caps, f.dec, 320, 240)
		if got := processtest.Fraction(frame, 320, image.Rect(0, 0, 320, 240), processtest.Near(0x00ff00, 60)); got < 0.9 {
			t.Errorf("output %d: %.0f%% green", i, 100*got)
		}
	}
	// 30 fps in: output frames are a multiple of 3000 ticks apart (the
	// sender's timing, whatever the arrival jitter; an encoder that cannot
	// keep up under load skips frames, never shifts them).
	var steps, off, single int
	var last uint32
	for k, p := range o.of(1) {
		ts := binary.BigEndian.Uint32(p[4:8])
		if k > 0 && ts != last {
			steps++
			d := int(ts - last)
			if r := d % 3000; d < 2900 || (r > 100 && r < 2900) {
				off++
			}
			if d > 2900 && d < 3100 {
				single++
			}
		}
		last = ts
	}
	if steps < 15 || off > 1 || single < steps/2 { // one re-anchor (a sender stalled over 0.5 s under load) is tolerated
		t.Errorf("%d frame steps: %d not a multiple of 1/30 s, %d of exactly one frame", steps, off, single)
	}
	eventually(t, 10*time.Second, "stats with 2 encoders", func() bool { s := o.lastStats(); return s != nil && s.Outputs == 2 })
	if err := el.RemoveOutput(ctx, 0); err != nil {
		t.Fatal(err)
	}
	o.reset()
	if err := el.RequestKeyframe(ctx, 1); err != nil {
		t.Fatal(err)
	}
	sendAll(t, el, map[int][][]byte{0: following(in, in[:len(in)/3], 90000)}, map[int]int{0: 90000})
	eventually(t, 10*time.Second, "output 1 alone", func() bool {
		if p := o.problems(); len(p) > 0 {
			t.Fatalf("problems: %v", p)
		}
		return len(o.of(1)) > 5
	})
	if n := len(o.of(0)); n != 0 {
		t.Errorf("removed output sent %d packets", n)
	}
	eventually(t, 10*time.Second, "stats with 1 encoder", func() bool { s := o.lastStats(); return s != nil && s.Outputs == 1 })
	if err := el.AddInput(ctx, 5, Stream{Codec: CodecVP8}); err == nil {
		t.Error("a second input was accepted by a transcoder")
	}
}

// TestWorkerCompositeSurvivesBadInput: one participant sending undecodable
// video does not stop the picture the others see (GStreamer 1.22's
// decoders default to max-errors=-1: errors are warnings).
func TestWorkerCompositeSurvivesBadInput(t *testing.T) {
	m := realManager(t)
	var o outputs
	el, err := m.Create(context.Background(), "bad", Spec{Processing: Processing{Kind: ProcComposite, Width: 160, Height: 120}}, o.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	ctx := context.Background()
	if err := el.AddOutput(ctx, 0, Stream{Codec: CodecVP8, PayloadType: 96}); err != nil {
		t.Fatal(err)
	}
	good := processtest.SolidVP8(t, 0x00ff00, 160, 120, 15, 30)
	bad := make([][]byte, len(good))
	for i, p := range good {
		b := append([]byte(nil), p...)
		for k := 16; k < len(b); k++ {
			b[k] ^= byte(37 * k) // keep the headers, garble the frames
		}
		bad[i] = b
	}
	for port := 0; port < 2; port++ {
		if err := el.AddInput(ctx, port, Stream{Codec: CodecVP8, PayloadType: 96, Port: port}); err != nil {
			t.Fatal(err)
		}
	}
	sendAll(t, el, map[int][][]byte{0: good, 1: bad}, map[int]int{0: 90000, 1: 90000})
	eventually(t, 10*time.Second, "output", func() bool { return len(o.of(0)) > 20 })
	if err := el.Err(); err != nil {
		t.Fatalf("the composite failed: %v", err)
	}
	frame := lastFrame(t, o.of(0), processtest.VP8Caps, "rtpvp8depay ! vp8dec", 160, 120)
	if got := processtest.Fraction(frame, 160, image.Rect(5, 35, 75, 85), processtest.Near(0x00ff00, 60)); got < 0.8 {
		t.Errorf("the good input's cell: %.0f%% green", 100*got)
	}
}
