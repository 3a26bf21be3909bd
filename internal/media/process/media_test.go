package process

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testutil"
)

func realManager(t *testing.T) *Manager {
	cfg := Config{WorkerPath: processtest.WorkerBin(t), HangTimeout: 10 * time.Second}
	m := NewManager(cfg)
	t.Cleanup(func() { m.Close() })
	return m
}

// collector gathers an element's output packets and events.
type collector struct {
	mu     sync.Mutex
	pkts   [][]byte
	events []Event
}

func (c *collector) handler() Handler {
	return Handler{
		OnRTP: func(_ int, p []byte) {
			c.mu.Lock()
			c.pkts = append(c.pkts, append([]byte(nil), p...))
			c.mu.Unlock()
		},
		OnEvent: func(ev Event) {
			c.mu.Lock()
			c.events = append(c.events, ev)
			c.mu.Unlock()
		},
	}
}

func (c *collector) packets() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.pkts...)
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pkts)
}

func (c *collector) find(kind EventKind) []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Event
	for _, e := range c.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// sendPaced writes packets as a live source would: frame by frame (RTP
// timestamp changes) at the given frame rate.
func sendPaced(t *testing.T, el *Element, pkts [][]byte, fps int) {
	t.Helper()
	interval := time.Second / time.Duration(fps)
	next := time.Now()
	var lastTS uint32
	for i, p := range pkts {
		ts := binary.BigEndian.Uint32(p[4:8])
		if i > 0 && ts != lastTS {
			next = next.Add(interval)
			time.Sleep(time.Until(next))
		}
		lastTS = ts
		if err := el.WriteRTP(0, p); err != nil && !errors.Is(err, ErrBackpressure) {
			t.Fatalf("write: %v", err)
		}
	}
}

// writeSolidPNG writes a 64x64 magenta PNG.
func writeSolidPNG(tb testing.TB, path string) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 255, 0, 255, 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestWorkerFaceOverlayVP8(t *testing.T) {
	m := realManager(t)
	face := processtest.FaceJPEG(t)
	in := processtest.GstRTP(t, fmt.Sprintf("filesrc location=%s ! jpegdec ! imagefreeze num-buffers=60 ! video/x-raw,framerate=30/1 ! videoconvert ! "+
		"vp8enc deadline=1 keyframe-max-dist=30 target-bitrate=800000 ! rtpvp8pay pt=96 mtu=1200", face))
	var c collector
	spec := Spec{
		Inputs:     []Stream{{Codec: CodecVP8, PayloadType: 96}},
		Outputs:    []Stream{{Codec: CodecVP8, PayloadType: 100, SSRC: 4242, Bitrate: 1_000_000}},
		Processing: Processing{Kind: ProcFaceOverlay},
	}
	ctx := context.Background()
	el, err := m.Create(ctx, "face", spec, c.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	// The overlay is the face box moved up by its height, as a hat is: it
	// rises above the top of the frame (a negative offset is not counted from
	// the bottom), covers what is above the face and nothing of the face.
	if err := el.SetOverlayImage(ctx, Image{URI: processtest.SolidPNG(t, color.RGBA{255, 0, 255, 255}), OffsetX: 0, OffsetY: -1, Width: 1, Height: 1}); err != nil {
		t.Fatal(err)
	}
	sendPaced(t, el, in, 30)
	settled(t, &c)
	out := c.packets()
	if ssrc := binary.BigEndian.Uint32(out[0][8:12]); ssrc != 4242 || out[0][1]&0x7f != 100 {
		t.Fatalf("output ssrc %d pt %d, want 4242/100", ssrc, out[0][1]&0x7f)
	}
	frames := processtest.DecodeRTP(t, out, processtest.VP8Caps, "rtpvp8depay ! vp8dec", 640, 480)
	last := frames[len(frames)-1]
	faces := c.find(EventFaces)
	if len(faces) == 0 || len(faces[len(faces)-1].Faces) == 0 {
		t.Fatalf("no face reported (events %+v)", c.events)
	}
	f := faces[len(faces)-1].Faces[0]
	t.Logf("face at %+v; %d frames decoded", f, len(frames))
	// facedetect on the full 640x480 still finds the face near (235,153) 235x235.
	if f.X < 180 || f.X > 290 || f.Y < 100 || f.Y > 210 || f.Width < 150 || f.Width > 320 {
		t.Fatalf("face rectangle %+v is not where the face is", f)
	}
	above := image.Rect(f.X+f.Width/4, max(0, f.Y-f.Height/2), f.X+3*f.Width/4, f.Y-f.Height/8)
	if got := processtest.Fraction(last, 640, above, processtest.IsMagenta); got < 0.8 {
		t.Fatalf("only %.0f%% of the box above the face shows the overlay", 100*got)
	}
	faceBox := image.Rect(f.X+f.Width/4, f.Y+f.Height/8, f.X+3*f.Width/4, f.Y+f.Height)
	if got := processtest.Fraction(last, 640, faceBox, processtest.IsMagenta); got > 0.02 {
		t.Fatalf("overlay on the face: %.0f%%", 100*got)
	}
	if got := processtest.Fraction(last, 640, image.Rect(10, 10, 120, 120), processtest.IsMagenta); got > 0.02 {
		t.Fatalf("overlay outside the face: %.0f%%", 100*got)
	}
	// Unset: the face shows again.
	if err := el.UnsetOverlayImage(ctx); err != nil {
		t.Fatal(err)
	}
}

const h264Caps = "media=video,clock-rate=90000,encoding-name=H264"

// H.264 in and out through a GStreamerFilter that removes colour: a red
// picture comes out grey.
func TestWorkerGStreamerFilterH264(t *testing.T) {
	m := realManager(t)
	in := processtest.GstRTP(t, "videotestsrc pattern=red num-buffers=45 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 config-interval=-1")
	var c collector
	spec := Spec{
		Inputs:     []Stream{{Codec: CodecH264, PayloadType: 102}},
		Outputs:    []Stream{{Codec: CodecH264, PayloadType: 102, MinBitrate: 100_000, MaxBitrate: 2_000_000}},
		Processing: Processing{Kind: ProcGStreamer, Command: "videobalance name=bal saturation=1.0", FilterType: "VIDEO"},
	}
	ctx := context.Background()
	el, err := m.Create(ctx, "gst", spec, c.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	if err := el.SetProperty(ctx, "bal", "saturation", "0.0"); err != nil {
		t.Fatal(err)
	}
	if err := el.SetProperty(ctx, "bal", "no-such-property", "1"); err == nil || !bytes.Contains([]byte(err.Error()), []byte("no-such-property")) {
		t.Fatalf("unknown property: %v", err)
	}
	if err := el.SetProperty(ctx, "src0", "is-live", "false"); err == nil {
		t.Fatal("the worker's own elements must not be settable")
	}
	if err := el.SetBitrate(ctx, 0, Bitrate{Target: 50_000_000}); err != nil { // clamped to the max
		t.Fatal(err)
	}
	if err := el.RequestKeyframe(ctx, 0); err != nil {
		t.Fatal(err)
	}
	sendPaced(t, el, in, 30)
	settled(t, &c)
	frames := processtest.DecodeRTP(t, c.packets(), h264Caps, "rtph264depay ! avdec_h264", 320, 240)
	last := frames[len(frames)-1]
	grey := func(r, g, b uint8) bool {
		return absDiff(r, g) < 20 && absDiff(g, b) < 20 && absDiff(r, b) < 20
	}
	if got := processtest.Fraction(last, 320, image.Rect(0, 0, 320, 240), grey); got < 0.95 {
		t.Fatalf("only %.0f%% grey pixels after saturation=0 (first pixel %v)", 100*got, last[:3])
	}
	if len(c.find(EventNeedKeyframe)) == 0 {
		t.Fatal("no needKeyframe event at start")
	}
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

// ZBarFilter: a QR code made at test time by GStreamer's qroverlay.
func TestWorkerZBar(t *testing.T) {
	m := realManager(t)
	in := processtest.GstRTP(t, "videotestsrc pattern=white num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"qroverlay case-sensitive=true data=gorento-qr-42 pixel-size=4 x=50 y=50 ! videoconvert ! vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96")
	var c collector
	spec := Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Outputs: []Stream{{Codec: CodecVP8, PayloadType: 96}},
		Processing: Processing{Kind: ProcZBar}}
	el, err := m.Create(context.Background(), "zbar", spec, c.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	sendPaced(t, el, in, 30)
	eventually(t, 10*time.Second, "CodeFound", func() bool { return len(c.find(EventCode)) > 0 })
	codes := c.find(EventCode)
	if codes[0].CodeType != "QR-Code" || codes[0].Value != "gorento-qr-42" {
		t.Fatalf("code %q %q", codes[0].CodeType, codes[0].Value)
	}
	if len(codes) != 1 {
		t.Fatalf("the same code held in view reported %d times", len(codes))
	}
}

// ImageOverlayFilter: an image by id at a fraction of the frame, kept in
// aspect and centred; removed again.
func TestWorkerImageOverlay(t *testing.T) {
	m := realManager(t)
	in := processtest.GstRTP(t, "videotestsrc pattern=black num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96")
	var c collector
	spec := Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Outputs: []Stream{{Codec: CodecVP8, PayloadType: 96}},
		Processing: Processing{Kind: ProcImageOverlay}}
	ctx := context.Background()
	el, err := m.Create(ctx, "img", spec, c.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	// Square image in the right half (160x240 box) kept square: 160x160 centred at y 40..200.
	err = el.AddImage(ctx, Image{ID: "logo", URI: processtest.SolidPNG(t, color.RGBA{255, 0, 255, 255}), OffsetX: 0.5, OffsetY: 0, Width: 0.5, Height: 1, KeepAspectRatio: true, Center: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := el.RemoveImage(ctx, "nope"); err == nil {
		t.Fatal("removing an unknown image succeeded")
	}
	sendPaced(t, el, in, 30)
	settled(t, &c)
	frames := processtest.DecodeRTP(t, c.packets(), processtest.VP8Caps, "rtpvp8depay ! vp8dec", 320, 240)
	last := frames[len(frames)-1]
	if got := processtest.Fraction(last, 320, image.Rect(175, 55, 305, 185), processtest.IsMagenta); got < 0.9 {
		t.Fatalf("image box: %.0f%% magenta", 100*got)
	}
	for _, r := range []image.Rectangle{image.Rect(0, 0, 150, 240), image.Rect(170, 0, 310, 30), image.Rect(170, 210, 310, 240)} {
		if got := processtest.Fraction(last, 320, r, processtest.IsMagenta); got > 0.02 {
			t.Fatalf("outside the centred box %v: %.0f%% magenta", r, 100*got)
		}
	}
}

// Bad input gets a clear error.
func TestWorkerErrors(t *testing.T) {
	m := realManager(t)
	ctx := context.Background()
	vp8 := []Stream{{Codec: CodecVP8, PayloadType: 96}}
	gstSpec := func(cmd string) Spec {
		return Spec{Inputs: vp8, Outputs: vp8, Processing: Processing{Kind: ProcGStreamer, Command: cmd}}
	}
	for _, tc := range []struct{ cmd, want string }{
		{"videobalance ! nosuchelement", "no element \"nosuchelement\""},
		{"videobalance saturation=", "invalid GStreamerFilter command"},
		{"tee name=t ! queue ! filesink location=/tmp/x", "\"filesink\" is not allowed"},
		{"udpsink host=127.0.0.1", "\"udpsink\" is not allowed"},
		{"multifilesink", "\"multifilesink\" is not allowed"},
		{"shmsink socket-path=/tmp/x", "\"shmsink\" is not allowed"},
	} {
		_, err := m.Create(ctx, "errors", gstSpec(tc.cmd), Handler{})
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%q: error %v, want it to say %q", tc.cmd, err, tc.want)
		}
	}
	el, err := m.Create(ctx, "errors", Spec{Inputs: vp8, Outputs: vp8, Processing: Processing{Kind: ProcFaceOverlay}}, Handler{})
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	unreachable := "http://127.0.0.1:1/hat.png"
	if err := el.SetOverlayImage(ctx, Image{URI: unreachable, Width: 1, Height: 1}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("unreachable")) {
		t.Fatalf("unreachable image: %v", err)
	}
	notImage := filepath.Join(t.TempDir(), "x.png")
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := el.SetOverlayImage(ctx, Image{URI: "file://" + notImage, Width: 1, Height: 1}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("not a PNG, JPEG or GIF")) {
		t.Fatalf("undecodable image: %v", err)
	}
	if err := el.SetOverlayImage(ctx, Image{URI: "file:///nonexistent/hat.png", Width: 1, Height: 1}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("no such file")) {
		t.Fatalf("missing file: %v", err)
	}
	if err := el.SetOverlayImage(ctx, Image{URI: "ftp://127.0.0.1/hat.png", Width: 1, Height: 1}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("unsupported scheme")) {
		t.Fatalf("ftp image: %v", err)
	}
	if err := el.AddImage(ctx, Image{ID: "x", URI: "file:///x"}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("does not apply")) {
		t.Fatalf("addImage on a face overlay: %v", err)
	}
}

// kill -9 of one worker while three pipelines carry media: that one's element
// gets an error, the other two keep producing.
func TestWorkerKillOneOfThree(t *testing.T) {
	m := realManager(t)
	in := processtest.GstRTP(t, "videotestsrc num-buffers=90 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96")
	spec := Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Outputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}}
	fds, dirs := testutil.OpenFDs(t), workerTmpDirs(t)
	cols := make([]*collector, 3)
	els := make([]*Element, 3)
	for i := range els {
		cols[i] = &collector{}
		el, err := m.Create(context.Background(), fmt.Sprintf("pipeline%d", i), spec, cols[i].handler())
		if err != nil {
			t.Fatal(err)
		}
		els[i] = el
	}
	defer func() { // after release: no worker, no fd left
		for _, el := range els {
			el.Close()
		}
		if m.Workers() != 0 {
			t.Errorf("%d workers left", m.Workers())
		}
		eventually(t, 10*time.Second, "fds back", func() bool { return testutil.OpenFDs(t) <= fds })
		if n := workerTmpDirs(t); n > dirs { // the killed worker's too
			t.Errorf("%d worker scratch directories left", n-dirs)
		}
	}()
	if els[0].WorkerPID() == els[1].WorkerPID() || els[1].WorkerPID() == els[2].WorkerPID() {
		t.Fatal("pipelines share a worker")
	}
	// Feed all three concurrently, kill the first worker a third of the way in.
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for i := range els {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			interval := time.Second / 30
			var lastTS uint32
			for j, p := range in {
				ts := binary.BigEndian.Uint32(p[4:8])
				if j > 0 && ts != lastTS {
					time.Sleep(interval)
				}
				lastTS = ts
				_ = els[i].WriteRTP(0, p)
				if i == 0 && j == len(in)/3 {
					if err := syscallKill(els[0].WorkerPID()); err != nil {
						t.Error(err)
					}
					close(killed)
				}
			}
		}(i)
	}
	<-killed
	before := []int{cols[1].count(), cols[2].count()}
	wg.Wait()
	eventually(t, 10*time.Second, "error on the killed pipeline", func() bool { return len(cols[0].find(EventError)) == 1 })
	if err := cols[0].find(EventError)[0].Err; !errors.Is(err, ErrWorkerCrashed) || !bytes.Contains([]byte(err.Error()), []byte("killed")) {
		t.Fatalf("error %v", err)
	}
	for i, c := range cols[1:] {
		if after := c.count(); after <= before[i]+20 {
			t.Fatalf("pipeline %d stopped producing after the kill: %d → %d packets", i+1, before[i], after)
		}
		if len(c.find(EventError)) != 0 {
			t.Fatalf("pipeline %d got an error", i+1)
		}
		if st := c.find(EventStats); len(st) == 0 || st[len(st)-1].Stats.PacketsOut == 0 {
			t.Fatalf("pipeline %d: no stats event with output counted", i+1)
		}
	}
}

// 100 create/close cycles against the real worker: no process, goroutine or
// fd left behind. Most on a key whose worker stays up (element teardown
// inside the worker), every fifth restarting a worker (0.3 s each).
func TestWorkerCreateCloseCycles(t *testing.T) {
	m := realManager(t)
	fds := testutil.OpenFDs(t)
	spec := Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Outputs: []Stream{{Codec: CodecVP8, PayloadType: 96}},
		Processing: Processing{Kind: ProcFaceOverlay}}
	ctx := context.Background()
	keep, err := m.Create(ctx, "kept", Spec{Inputs: spec.Inputs, Outputs: spec.Outputs}, Handler{})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for i := 0; i < 100; i++ {
		key := "kept"
		if i%5 == 4 {
			key = "cycled"
		}
		el, err := m.Create(ctx, key, spec, Handler{})
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if key == "cycled" {
			pids = append(pids, el.WorkerPID())
		}
		if err := el.Close(); err != nil {
			t.Fatalf("cycle %d close: %v", i, err)
		}
	}
	keep.Close()
	if m.Workers() != 0 {
		t.Fatalf("%d workers left", m.Workers())
	}
	for _, pid := range append(pids, keep.WorkerPID()) {
		if processAlive(pid) {
			t.Fatalf("worker %d still running", pid)
		}
	}
	eventually(t, 10*time.Second, "fds back", func() bool { return testutil.OpenFDs(t) <= fds })
}

// ChromaFilter: the colour under the calibration window (green) is replaced
// by the background image (blue); other colours stay.
func TestWorkerChroma(t *testing.T) {
	m := realManager(t)
	in := processtest.GstRTP(t, "videotestsrc pattern=solid-color foreground-color=0xff20c020 num-buffers=60 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"qroverlay data=chroma pixel-size=6 x=50 y=50 ! videoconvert ! vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96")
	var c collector
	spec := Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Outputs: []Stream{{Codec: CodecVP8, PayloadType: 96}},
		Processing: Processing{Kind: ProcChroma, Window: &Window{X: 10, Y: 10, Width: 40, Height: 40}}}
	ctx := context.Background()
	el, err := m.Create(ctx, "chroma", spec, c.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	if err := el.SetBackground(ctx, processtest.SolidPNG(t, color.RGBA{0, 0, 255, 255})); err != nil {
		t.Fatal(err)
	}
	sendPaced(t, el, in, 30)
	// The last frame must be one made after the calibration: wait until
	// the worker has output everything it was sent (it lags on a loaded machine).
	settled(t, &c)
	frames := processtest.DecodeRTP(t, c.packets(), processtest.VP8Caps, "rtpvp8depay ! vp8dec", 320, 240)
	last := frames[len(frames)-1]
	blue := func(r, g, b uint8) bool { return b > 180 && r < 80 && g < 80 }
	if got := processtest.Fraction(last, 320, image.Rect(0, 0, 60, 240), blue); got < 0.9 {
		t.Fatalf("green area: only %.0f%% replaced by the background", 100*got)
	}
	if got := processtest.Fraction(last, 320, image.Rect(150, 110, 170, 130), blue); got > 0.3 {
		t.Fatalf("the QR code (not green) was keyed too: %.0f%%", 100*got)
	}
	if err := el.UnsetBackground(ctx); err != nil {
		t.Fatal(err)
	}
}

// Issue 11's transcoder shape: one VP8 input decoded once, encoded to H.264
// and VP8 outputs; both decode.
func TestWorkerTranscodeFanOut(t *testing.T) {
	m := realManager(t)
	in := processtest.GstRTP(t, "videotestsrc pattern=blue num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96")
	var mu sync.Mutex
	outs := make([][][]byte, 2)
	spec := Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}},
		Outputs: []Stream{{Codec: CodecH264, PayloadType: 102}, {Codec: CodecVP8, PayloadType: 97}}}
	el, err := m.Create(context.Background(), "transcode", spec, Handler{OnRTP: func(o int, p []byte) {
		mu.Lock()
		outs[o] = append(outs[o], append([]byte(nil), p...))
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	sendPaced(t, el, in, 30)
	eventually(t, 10*time.Second, "both outputs", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(outs[0]) > 5 && len(outs[1]) > 5
	})
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	h264, vp8 := outs[0], outs[1]
	mu.Unlock()
	isBlue := func(r, g, b uint8) bool { return b > 180 && r < 60 && g < 60 }
	for _, f := range []struct {
		pkts          [][]byte
		caps, decoder string
		pt            byte
	}{{h264, h264Caps, "rtph264depay ! avdec_h264", 102}, {vp8, processtest.VP8Caps, "rtpvp8depay ! vp8dec", 97}} {
		if f.pkts[0][1]&0x7f != f.pt {
			t.Fatalf("payload type %d, want %d", f.pkts[0][1]&0x7f, f.pt)
		}
		frames := processtest.DecodeRTP(t, f.pkts, f.caps, f.decoder, 320, 240)
		if got := processtest.Fraction(frames[len(frames)-1], 320, image.Rect(0, 0, 320, 240), isBlue); got < 0.95 {
			t.Fatalf("%s output: %.0f%% blue", f.decoder, 100*got)
		}
	}
}

// Audio: Opus in, PCMU out (format conversion); the tone survives.
func TestWorkerOpusToPCMU(t *testing.T) {
	m := realManager(t)
	in := processtest.GstRTP(t, "audiotestsrc freq=440 num-buffers=50 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc frame-size=20 ! rtpopuspay pt=111")
	var c collector
	spec := Spec{Inputs: []Stream{{Codec: CodecOpus, PayloadType: 111}}, Outputs: []Stream{{Codec: CodecPCMU, PayloadType: 0}}}
	el, err := m.Create(context.Background(), "audio", spec, c.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	interval := 20 * time.Millisecond
	for _, p := range in {
		_ = el.WriteRTP(0, p)
		time.Sleep(interval)
	}
	eventually(t, 10*time.Second, "PCMU packets", func() bool { return c.count() > 20 })
	pkts := c.packets()
	var loud int
	for _, p := range pkts {
		if p[1]&0x7f != 0 {
			t.Fatalf("payload type %d, want 0 (PCMU)", p[1]&0x7f)
		}
		for _, s := range p[12:] {
			// μ-law: 0xFF/0x7F are zero; a 440 Hz tone gives many far-from-zero codes.
			if s&0x7f < 0x50 {
				loud++
			}
		}
	}
	if loud < 1000 {
		t.Fatalf("PCMU output is silent (%d loud samples in %d packets)", loud, len(pkts))
	}
}

// A worker stopped (SIGSTOP: no heartbeat) while its input flows is killed
// after the hang timeout and its element gets an error.
func TestWorkerHangKilled(t *testing.T) {
	m := NewManager(Config{WorkerPath: processtest.WorkerBin(t), HangTimeout: time.Second})
	defer m.Close()
	in := processtest.GstRTP(t, "videotestsrc num-buffers=150 ! video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1 ! rtpvp8pay pt=96")
	var c collector
	spec := Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Outputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}}
	el, err := m.Create(context.Background(), "stopped", spec, c.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	pid := el.WorkerPID()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, p := range in {
			if i == 30 {
				_ = syscall.Kill(pid, syscall.SIGSTOP)
			}
			_ = el.WriteRTP(0, p)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	eventually(t, 10*time.Second, "hang detected", func() bool { return len(c.find(EventError)) > 0 })
	<-done
	if err := c.find(EventError)[0].Err; !errors.Is(err, ErrWorkerHung) {
		t.Fatalf("error %v", err)
	}
	eventually(t, 10*time.Second, "stopped worker gone", func() bool { return !processAlive(pid) })
}

// The element policy comes from the server's configuration: an allow list
// admits only its factories, whatever the spec says.
func TestWorkerPolicyFromConfig(t *testing.T) {
	m := NewManager(Config{WorkerPath: processtest.WorkerBin(t), Policy: ElementPolicy{Allow: []string{"edgetv"}}})
	defer m.Close()
	vp8 := []Stream{{Codec: CodecVP8, PayloadType: 96}}
	spec := Spec{Inputs: vp8, Outputs: vp8, Processing: Processing{Kind: ProcGStreamer, Command: "videobalance",
		Policy: &ElementPolicy{AllowIO: true}}}
	if _, err := m.Create(context.Background(), "policy", spec, Handler{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("processing.elementPolicy.allow")) {
		t.Fatalf("videobalance outside the allow list: %v", err)
	}
	spec.Processing.Command = "edgetv"
	el, err := m.Create(context.Background(), "policy", spec, Handler{})
	if err != nil {
		t.Fatalf("edgetv in the allow list: %v", err)
	}
	el.Close()
}

// A source that never sends a keyframe: the worker keeps asking for one
// (needKeyframe about every second) and is not taken for hung.
func TestWorkerWaitsForKeyframe(t *testing.T) {
	m := NewManager(Config{WorkerPath: processtest.WorkerBin(t), HangTimeout: 1500 * time.Millisecond})
	defer m.Close()
	in := processtest.GstRTP(t, "videotestsrc num-buffers=120 ! video/x-raw,width=160,height=120,framerate=30/1 ! vp8enc deadline=1 keyframe-max-dist=1000 ! rtpvp8pay pt=96")
	// Drop the first frame (the only keyframe).
	ts0 := binary.BigEndian.Uint32(in[0][4:8])
	var deltas [][]byte
	for _, p := range in {
		if binary.BigEndian.Uint32(p[4:8]) != ts0 {
			deltas = append(deltas, p)
		}
	}
	var c collector
	spec := Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Outputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}}
	el, err := m.Create(context.Background(), "nokey", spec, c.handler())
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	sendPaced(t, el, deltas, 30)
	if errs := c.find(EventError); len(errs) != 0 {
		t.Fatalf("killed while waiting for a keyframe: %v", errs[0].Err)
	}
	if n := len(c.find(EventNeedKeyframe)); n < 3 {
		t.Fatalf("%d needKeyframe events in 4 s without a keyframe", n)
	}
	if c.count() != 0 {
		t.Fatalf("%d packets out without a keyframe in", c.count())
	}
}

// settled waits until a collector has output and its count stops growing
// for half a second.
func settled(t *testing.T, c *collector) {
	t.Helper()
	eventually(t, 20*time.Second, "the output to settle", func() bool {
		n := c.count()
		time.Sleep(500 * time.Millisecond)
		return n > 10 && c.count() == n
	})
}
