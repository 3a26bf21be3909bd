package httpep

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/player"
)

const waitLong = 15 * time.Second

type rig struct {
	engine  *Engine
	ep      *Endpoint
	counter *mediatest.Counter
	events  *mediatest.Events
}

func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	pipe := media.NewPipeline()
	t.Cleanup(pipe.Release)
	r := &rig{engine: e, events: mediatest.NewEvents()}
	if r.ep, err = New(pipe, e, Options{DisconnectionTimeout: time.Minute}, r.events.Handler()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.ep.Release)
	if r.counter, err = mediatest.NewCounter(pipe, nil); err != nil {
		t.Fatal(err)
	}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		if err := media.Connect(r.ep, r.counter, mt, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func post(t *testing.T, url string, body io.Reader) int {
	t.Helper()
	resp, err := http.Post(url, "video/webm", body)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// webm makes a WebM file (VP8 + Opus) of that many seconds with ffmpeg.
func webm(t *testing.T, seconds int) []byte {
	t.Helper()
	file := containertest.Make(t, t.TempDir(), containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", Seconds: seconds})
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestUploadOneAtATime: a second POST while one is being received gets
// 409; the first plays to its end (EndOfStream) and gets 200; a new
// upload to the same URL plays again.
func TestUploadOneAtATime(t *testing.T) {
	data := webm(t, 1)
	r := newRig(t, Config{})
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	go func() { first <- post(t, r.ep.URL(), pr) }()
	if _, err := pw.Write(data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first upload's media", func() bool { return r.counter.Count() > 0 })
	if code := post(t, r.ep.URL(), strings.NewReader("second")); code != http.StatusConflict {
		t.Fatalf("second POST: %d", code)
	}
	if _, err := pw.Write(data[len(data)/2:]); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	if code := <-first; code != http.StatusOK {
		t.Fatalf("first POST: %d", code)
	}
	r.events.WaitFor(t, player.EndOfStream{}, waitLong)
	n := r.counter.Count()
	r.events.Reset()
	if code := post(t, r.ep.URL(), bytes.NewReader(data)); code != http.StatusOK {
		t.Fatalf("third POST: %d", code)
	}
	r.events.WaitFor(t, player.EndOfStream{}, waitLong)
	if r.counter.Count() <= n {
		t.Fatal("the third upload played nothing")
	}
}

// TestUploadTooLarge: an upload over MaxUploadBytes is cut with 413.
func TestUploadTooLarge(t *testing.T) {
	r := newRig(t, Config{MaxUploadBytes: 20000})
	if code := post(t, r.ep.URL(), bytes.NewReader(webm(t, 2))); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("POST: %d", code)
	}
}

// TestReleaseDuringUpload: releasing the endpoint ends an upload that
// stalls (the handler returns, nothing is left running).
func TestReleaseDuringUpload(t *testing.T) {
	data := webm(t, 1)
	r := newRig(t, Config{})
	pr, pw := io.Pipe()
	defer pw.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := http.Post(r.ep.URL(), "video/webm", pr)
		if err == nil {
			_ = resp.Body.Close()
		}
	}()
	if _, err := pw.Write(data[:len(data)/2]); err != nil {
		t.Fatal(err)
	}
	eventually(t, "media", func() bool { return r.counter.Count() > 0 })
	r.ep.Release()
	_ = pw.Close()
	select {
	case <-done:
	case <-time.After(waitLong):
		t.Fatal("the upload did not end with its endpoint")
	}
}
