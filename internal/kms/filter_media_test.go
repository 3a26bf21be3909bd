package kms_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// Filters with the real gorento-worker, driven through the protocol, with
// Pion peers as browsers: media made at test time by gst-launch-1.0 goes
// in, what comes back is decoded and its pixels checked.

func filterServer(t *testing.T) (*server, *process.Manager) {
	t.Helper()
	m := process.NewManager(process.Config{WorkerPath: processtest.WorkerBin(t), HangTimeout: 10 * time.Second, Logger: quietLogger()})
	t.Cleanup(func() { _ = m.Close() })
	cfg := loopbackConfig()
	cfg.Processing = m
	return startServer(t, cfg), m
}

// mirror is a magic-mirror call: peer → WebRtcEndpoint → filter → back.
type mirror struct {
	c      *kurento.Client
	pipe   *kurento.MediaPipeline
	ep     *kurento.WebRtcEndpoint
	filter *kurento.MediaElement
	peer   *testpeer.Peer
}

func newMirror(t *testing.T, s *server, typ string, params map[string]any, video [][]byte, setup func(f *kurento.MediaElement)) *mirror {
	t.Helper()
	ctx := context.Background()
	m := &mirror{c: dial(t, s.URL)}
	var err error
	if m.pipe, err = m.c.CreatePipeline(ctx); err != nil {
		t.Fatal(err)
	}
	if m.ep, err = m.pipe.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{}); err != nil {
		t.Fatal(err)
	}
	if params == nil {
		params = map[string]any{}
	}
	params["mediaPipeline"] = m.pipe.ID()
	id, err := m.c.Create(ctx, typ, params)
	if err != nil {
		t.Fatal(err)
	}
	m.filter = m.c.Element(id)
	if setup != nil {
		setup(m.filter)
	}
	if err := m.ep.Connect(ctx, m.filter, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := m.filter.Connect(ctx, m.ep, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	m.peer = newPeer(t, testpeer.Options{SendVideo: true, RecvVideo: true, VideoRTP: video, VideoFPS: 30, KeepPackets: true})
	connectPeer(t, ctx, m.ep, m.peer, nil)
	m.peer.StartMedia()
	return m
}

// frames waits for n video packets back and decodes them (w×h RGB).
func (m *mirror) frames(t *testing.T, n, w, h int) [][]byte {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, "filtered video back", func() bool { return len(m.peer.VideoReceived()) > n })
	return processtest.DecodeRTP(t, m.peer.VideoReceived(), processtest.VP8Caps, "rtpvp8depay wait-for-keyframe=true ! vp8dec", w, h)
}

func faceVideo(t *testing.T) [][]byte {
	return processtest.GstRTP(t, fmt.Sprintf("filesrc location=%s ! jpegdec ! imagefreeze num-buffers=45 ! video/x-raw,framerate=30/1 ! "+
		"videoconvert ! vp8enc deadline=1 keyframe-max-dist=15 target-bitrate=800000 ! rtpvp8pay pt=96 mtu=1200", processtest.FaceJPEG(t)))
}

// faceBox is well inside the face of gocv's face.jpg (640×480), which the
// worker's detector finds near (235,153) 235×235.
var faceBox = image.Rect(300, 220, 400, 320)

func TestFaceOverlayFilterMagicMirror(t *testing.T) {
	leakCheck(t)
	s, _ := filterServer(t)
	hat := processtest.SolidPNG(t, color.RGBA{255, 0, 255, 255})
	m := newMirror(t, s, "FaceOverlayFilter", nil, faceVideo(t), func(f *kurento.MediaElement) {
		if err := f.Invoke(context.Background(), "setOverlayedImage", map[string]any{"uri": hat, "offsetXPercent": 0.0,
			"offsetYPercent": 0.0, "widthPercent": 1.0, "heightPercent": 1.0}, nil); err != nil {
			t.Fatal(err)
		}
	})
	frames := m.frames(t, 150, 640, 480)
	last := frames[len(frames)-1]
	if got := processtest.Fraction(last, 640, faceBox, processtest.IsMagenta); got < 0.7 {
		t.Fatalf("only %.0f%% of the face shows the overlay (%d frames)", 100*got, len(frames))
	}
	if got := processtest.Fraction(last, 640, image.Rect(10, 10, 120, 120), processtest.IsMagenta); got > 0.02 {
		t.Fatalf("overlay outside the face: %.0f%%", 100*got)
	}
	// Unset: the face shows again.
	if err := m.filter.Invoke(context.Background(), "unsetOverlayedImage", nil, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	m.peer.ResetVideoReceived()
	_ = m.peer.SendPLI()
	frames = m.frames(t, 60, 640, 480)
	if got := processtest.Fraction(frames[len(frames)-1], 640, faceBox, processtest.IsMagenta); got > 0.05 {
		t.Fatalf("overlay still on the face after unsetOverlayedImage: %.0f%%", 100*got)
	}
}

func TestGStreamerFilterChangesPixels(t *testing.T) {
	leakCheck(t)
	s, _ := filterServer(t)
	red := processtest.GstRTP(t, "videotestsrc pattern=red num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96")
	m := newMirror(t, s, "GStreamerFilter", map[string]any{"command": "videobalance saturation=1.0"}, red, func(f *kurento.MediaElement) {
		ctx := context.Background()
		var cmd string
		if err := f.Invoke(ctx, "getCommand", nil, &cmd); err != nil || cmd != "videobalance saturation=1.0" {
			t.Fatalf("getCommand = %q, %v", cmd, err)
		}
		if err := f.Invoke(ctx, "setElementProperty", map[string]any{"propertyName": "saturation", "propertyValue": "0.0"}, nil); err != nil {
			t.Fatal(err)
		}
		err := f.Invoke(ctx, "setElementProperty", map[string]any{"propertyName": "no-such-property", "propertyValue": "1"}, nil)
		if !kurento.IsCode(err, wire.ErrMarshall) || !strings.Contains(err.Error(), "no-such-property") {
			t.Fatalf("unknown property: %v", err)
		}
	})
	frames := m.frames(t, 30, 320, 240)
	grey := func(r, g, b uint8) bool { return absDiff(r, g) < 25 && absDiff(g, b) < 25 }
	if got := processtest.Fraction(frames[len(frames)-1], 320, image.Rect(0, 0, 320, 240), grey); got < 0.95 {
		t.Fatalf("only %.0f%% grey pixels out of a red picture with saturation 0", 100*got)
	}
}

func absDiff(a, b uint8) uint8 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestZBarFilterCodeFound(t *testing.T) {
	leakCheck(t)
	s, _ := filterServer(t)
	qr := processtest.GstRTP(t, "videotestsrc pattern=white num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"qroverlay case-sensitive=true data=gorento-zbar pixel-size=4 x=50 y=50 ! videoconvert ! vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96")
	found := make(chan wire.CodeFound, 4)
	newMirror(t, s, "ZBarFilter", nil, qr, func(f *kurento.MediaElement) {
		if _, err := f.Client().Subscribe(context.Background(), f.ID(), "CodeFound", func(data json.RawMessage) {
			var ev wire.CodeFound
			if json.Unmarshal(data, &ev) == nil {
				found <- ev
			}
		}); err != nil {
			t.Fatal(err)
		}
	})
	select {
	case ev := <-found:
		if ev.CodeType != "QR-Code" || ev.Value != "gorento-zbar" || ev.Type != "CodeFound" {
			t.Fatalf("CodeFound = %+v", ev)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no CodeFound")
	}
}

func TestFilterErrors(t *testing.T) {
	leakCheck(t)
	s, _ := filterServer(t)
	ctx := context.Background()
	c := dial(t, s.URL)
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gst := func(cmd string) error {
		_, err := c.Create(ctx, "GStreamerFilter", map[string]any{"mediaPipeline": p.ID(), "command": cmd})
		return err
	}
	for _, tc := range []struct{ cmd, want string }{
		{"videobalance ! nosuchelement", "nosuchelement"},
		{"filesink location=/tmp/gorento-should-not-exist", "filesink"},
		{"videobalance ! multifilesink location=/tmp/x%d", "multifilesink"},
	} {
		if err := gst(tc.cmd); !kurento.IsCode(err, wire.ErrMarshall) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("command %q: %v, want a 40001 error naming %s", tc.cmd, err, tc.want)
		}
	}
	_, err = c.Create(ctx, "GStreamerFilter", map[string]any{"mediaPipeline": p.ID(), "command": "videobalance", "filterType": "NEITHER"})
	if !kurento.IsCode(err, wire.ErrMarshall) {
		t.Errorf("bad filterType: %v", err)
	}
	id, err := c.Create(ctx, "FaceOverlayFilter", map[string]any{"mediaPipeline": p.ID()})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Element(id).Invoke(ctx, "setOverlayedImage", map[string]any{"uri": "http://127.0.0.1:1/hat.png", "offsetXPercent": 0.0,
		"offsetYPercent": 0.0, "widthPercent": 1.0, "heightPercent": 1.0}, nil)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable image: %v", err)
	}
	err = c.Element(id).Invoke(ctx, "setOverlayedImage", map[string]any{"uri": "file:///nonexistent/hat.png", "offsetXPercent": 0.0,
		"offsetYPercent": 0.0, "widthPercent": 1.0, "heightPercent": 1.0}, nil)
	if err == nil || !strings.Contains(err.Error(), "nonexistent") {
		t.Errorf("missing image file: %v", err)
	}
	// Without the worker: a 40108 naming the binary and the packages.
	bad := process.NewManager(process.Config{WorkerPath: "/nonexistent/gorento-worker"})
	defer bad.Close()
	cfg := loopbackConfig()
	cfg.Processing = bad
	s2 := startServer(t, cfg)
	c2 := dial(t, s2.URL)
	p2, _ := c2.CreatePipeline(ctx)
	_, err = c2.Create(ctx, "FaceOverlayFilter", map[string]any{"mediaPipeline": p2.ID()})
	if !kurento.IsCode(err, wire.ErrObjectNotAvailable) || !strings.Contains(err.Error(), "gorento-worker") || !strings.Contains(err.Error(), "gstreamer1.0-opencv") {
		t.Errorf("missing worker: %v", err)
	}
	// A server started without processing says so.
	s3 := startServer(t, loopbackConfig())
	c3 := dial(t, s3.URL)
	p3, _ := c3.CreatePipeline(ctx)
	if _, err = c3.Create(ctx, "ZBarFilter", map[string]any{"mediaPipeline": p3.ID()}); !kurento.IsCode(err, wire.ErrObjectNotAvailable) {
		t.Errorf("no processing: %v", err)
	}
}

// TestFilterCreateReleaseCycles: 100 filters created and released in ONE
// pipeline, whose worker a held filter keeps up (every cycle builds and
// frees a pipeline inside the same worker process), then the held one:
// no worker, goroutine or descriptor left.
func TestFilterCreateReleaseCycles(t *testing.T) {
	leakCheck(t)
	s, m := filterServer(t)
	ctx := context.Background()
	fds := testutil.OpenFDs(t)
	c := dial(t, s.URL)
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	held, err := c.Create(ctx, "ZBarFilter", map[string]any{"mediaPipeline": p.ID()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		id, err := c.Create(ctx, "GStreamerFilter", map[string]any{"mediaPipeline": p.ID(), "command": "videobalance"})
		if err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if err := c.Element(id).Release(ctx); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if n := m.Workers(); n != 1 {
			t.Fatalf("cycle %d: %d workers, want the held filter's one", i, n)
		}
	}
	if err := c.Element(held).Release(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the worker stopped", func() bool { return m.Workers() == 0 })
	_ = p.Release(ctx)
	_ = c.Close()
	testutil.Eventually(t, 10*time.Second, "descriptors back to where they were", func() bool { return testutil.OpenFDs(t) <= fds })
}

// TestImageOverlayFilterBareID: the npm kurento-client (7.3) sends the
// operationParams of ImageOverlayFilter.removeImage("logo") and
// addImage("logo", …) as the bare string "logo" (its serializeParams
// replaces an object with an id member by that id). removeImage loses
// nothing and works; addImage lost its other parameters and says why.
func TestImageOverlayFilterBareID(t *testing.T) {
	leakCheck(t)
	s, _ := filterServer(t)
	c := s.raw(t)
	rawSession(t, c)
	pipe := create(t, c, "MediaPipeline", nil)
	f := create(t, c, "ImageOverlayFilter", map[string]any{"mediaPipeline": pipe})
	logo := processtest.SolidPNG(t, color.RGBA{255, 0, 255, 255})
	testutil.Result(t, invoke(c, f, "addImage", map[string]any{"id": "logo", "uri": logo, "offsetXPercent": 0.1, "offsetYPercent": 0.1,
		"widthPercent": 0.2, "heightPercent": 0.2, "keepAspectRatio": true, "center": true}))
	bare := func(op string) map[string]any {
		return c.Call("invoke", map[string]any{"object": f, "operation": op, "operationParams": "logo"})
	}
	testutil.Result(t, bare("removeImage"))
	if e := testutil.ErrorOf(t, bare("removeImage")); !strings.Contains(fmt.Sprint(e["message"]), "no image") {
		t.Fatalf("removing it twice: %v", e)
	}
	e := testutil.ErrorOf(t, bare("addImage"))
	if code, _ := e["code"].(float64); int(code) != wire.ErrMarshall || !strings.Contains(fmt.Sprint(e["message"]), "kurento-client") ||
		!strings.Contains(fmt.Sprint(e["message"]), "'uri'") {
		t.Fatalf("addImage with a bare id: %v", e)
	}
	// A bare value for a method without an id parameter stays an error.
	e = testutil.ErrorOf(t, c.Call("invoke", map[string]any{"object": f, "operation": "setMaxEncoderBitrate", "operationParams": "1000"}))
	if !strings.Contains(fmt.Sprint(e["message"]), "operationParams") {
		t.Fatalf("bare operationParams for a method without id: %v", e)
	}
}

// TestWorkerKillHarmsOnePipeline: three pipelines carry media through a
// filter each; kill -9 of one's worker gives its filter an Error event
// while the other two keep their media flowing; after release nothing is
// left.
func TestWorkerKillHarmsOnePipeline(t *testing.T) {
	leakCheck(t)
	s, m := filterServer(t)
	fds := testutil.OpenFDs(t)
	video := processtest.GstRTP(t, "videotestsrc num-buffers=30 ! video/x-raw,width=160,height=120,framerate=15/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96")
	var mirrors []*mirror
	var errMu sync.Mutex
	errs := map[int][]wire.ErrorEvent{}
	for i := 0; i < 3; i++ {
		mirrors = append(mirrors, newMirror(t, s, "GStreamerFilter", map[string]any{"command": "videobalance", "filterType": "VIDEO"}, video, func(f *kurento.MediaElement) {
			if _, err := f.Client().Subscribe(context.Background(), f.ID(), "Error", func(data json.RawMessage) {
				var ev wire.ErrorEvent
				_ = json.Unmarshal(data, &ev)
				errMu.Lock()
				errs[i] = append(errs[i], ev)
				errMu.Unlock()
			}); err != nil {
				t.Fatal(err)
			}
		}))
	}
	received := func(i int) int { return mirrors[i].peer.Received(webrtc.RTPCodecTypeVideo).Packets }
	for i := range mirrors {
		testutil.Eventually(t, 20*time.Second, "media through every filter", func() bool { return received(i) > 20 })
	}
	pid := m.WorkerPID(mirrors[0].pipe.ID())
	if pid == 0 || pid == m.WorkerPID(mirrors[1].pipe.ID()) {
		t.Fatalf("worker pids %d, %d: want one per pipeline", pid, m.WorkerPID(mirrors[1].pipe.ID()))
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "Error event of the killed pipeline's filter", func() bool {
		errMu.Lock()
		defer errMu.Unlock()
		return len(errs[0]) > 0
	})
	errMu.Lock()
	ev := errs[0][0]
	if ev.ErrorCode != 1 || ev.Type != "STREAM_ERROR_FAILED" || !strings.Contains(ev.Description, "exited") {
		t.Errorf("Error event %+v", ev)
	}
	if len(errs[1])+len(errs[2]) > 0 {
		t.Errorf("other pipelines got errors: %+v", errs)
	}
	errMu.Unlock()
	before1, before2 := received(1), received(2)
	testutil.Eventually(t, 10*time.Second, "the other two pipelines still carrying media", func() bool {
		return received(1) > before1+30 && received(2) > before2+30
	})
	var flowing bool
	testutil.Eventually(t, 10*time.Second, "the killed filter not flowing out", func() bool {
		err := mirrors[0].filter.Invoke(context.Background(), "isMediaFlowingOut", map[string]any{"mediaType": "VIDEO"}, &flowing)
		return err == nil && !flowing
	})
	for _, mr := range mirrors {
		mr.peer.Close()
		_ = mr.pipe.Release(context.Background())
		_ = mr.c.Close()
	}
	testutil.Eventually(t, 10*time.Second, "no worker left", func() bool { return m.Workers() == 0 })
	testutil.Eventually(t, 10*time.Second, "descriptors back to where they were", func() bool { return testutil.OpenFDs(t) <= fds })
}
