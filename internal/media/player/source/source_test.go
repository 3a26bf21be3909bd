package source_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/player/source"
	"github.com/gorento/gorento/internal/testutil"
)

func readAll(t *testing.T, s source.Source) (n, keys int) {
	t.Helper()
	first := true
	for {
		smp, err := s.ReadSample()
		if errors.Is(err, io.EOF) {
			return n, keys
		}
		if err != nil {
			t.Fatal(err)
		}
		if s.Tracks()[smp.Track].Codec.IsVideo() {
			if first && !smp.Keyframe {
				t.Fatal("first video frame is not a keyframe")
			}
			first = false
			if smp.Keyframe {
				keys++
			}
		}
		n++
	}
}

func open(t *testing.T, uri string) source.Source {
	t.Helper()
	s, err := source.Open(context.Background(), uri, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func checkSeek(t *testing.T, s source.Source) {
	t.Helper()
	if !s.Seekable() {
		t.Fatal("not seekable")
	}
	got, err := s.Seek(2500 * time.Millisecond)
	if err != nil || got > 2500*time.Millisecond || got < 1400*time.Millisecond {
		t.Fatalf("Seek(2.5s) = %v, %v", got, err)
	}
	smp, err := s.ReadSample()
	if err != nil || !smp.Keyframe || smp.PTS != got {
		t.Fatalf("after seek: %+v %v", smp.PTS, err)
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []containertest.Spec{
		{Video: "vp8", Audio: "opus", Container: "webm"},
		{Video: "h264", Audio: "aac", Container: "mp4"},
		{Video: "h264", Audio: "aac", Container: "mkv"},
	} {
		t.Run(spec.Container, func(t *testing.T) {
			path := containertest.Make(t, dir, spec)
			s := open(t, "file://"+path)
			if d, ok := s.Duration(); !ok || math.Abs(d.Seconds()-4) > 0.1 || s.Live() {
				t.Fatalf("duration %v %v", d, ok)
			}
			if n, keys := readAll(t, s); n < 300 || keys != 4 {
				t.Fatalf("%d frames, %d keyframes", n, keys)
			}
			checkSeek(t, s)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("this is not a video, just some text"), 0o644); err != nil {
		t.Fatal(err)
	}
	for uri, want := range map[string]error{
		"file://" + filepath.Join(dir, "missing.webm"): source.ErrInvalidURI,
		"file://" + dir:             source.ErrInvalidURI,
		"file:relative.webm":        source.ErrInvalidURI,
		"file://" + text:            source.ErrInvalidMedia,
		"ftp://127.0.0.1/a.webm":    source.ErrUnsupportedScheme,
		"http://127.0.0.1:1/a.webm": source.ErrInvalidURI,
		"rtsp://127.0.0.1:1/cam":    source.ErrInvalidURI,
	} {
		_, err := source.Open(context.Background(), uri, source.Options{Timeout: 3 * time.Second})
		if !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", uri, err, want)
		}
	}
}

// servers serves dir over HTTP with range support (ServeContent) and,
// under /plain/, as a plain stream without length or ranges.
func serve(t *testing.T, dir string, requests *atomic.Int64) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/files/", http.StripPrefix("/files/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.ServeFile(w, r, filepath.Join(dir, filepath.Base(r.URL.Path)))
	})))
	mux.HandleFunc("/plain/", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(filepath.Join(dir, filepath.Base(r.URL.Path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		w.Header().Set("Content-Type", "video/webm")
		w.WriteHeader(http.StatusOK)
		_, _ = io.Copy(flushWriter{w}, f)
	})
	mux.HandleFunc("/stall/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/webm")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x84, 0x42, 0x82, 0x84})
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	return srv
}

type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.w.(http.Flusher).Flush()
	return n, err
}

func TestHTTP(t *testing.T) {
	defer testutil.NoLeaks(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	webm := filepath.Base(containertest.Make(t, dir, containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm"}))
	mp4 := filepath.Base(containertest.Make(t, dir, containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4"}))
	frag := filepath.Base(containertest.Make(t, dir, containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4", Fragmented: true}))
	var requests atomic.Int64
	srv := serve(t, dir, &requests)
	defer srv.Close()

	t.Run("ranges", func(t *testing.T) {
		for _, name := range []string{webm, mp4, frag} {
			requests.Store(0)
			s := open(t, srv.URL+"/files/"+name)
			if n, keys := readAll(t, s); n < 300 || keys != 4 {
				t.Fatalf("%s: %d frames, %d keyframes", name, n, keys)
			}
			checkSeek(t, s)
			if d, ok := s.Duration(); !ok || math.Abs(d.Seconds()-4) > 0.1 {
				t.Fatalf("%s: duration %v %v", name, d, ok)
			}
			t.Logf("%s: %d HTTP requests", name, requests.Load())
			if requests.Load() > 12 {
				t.Fatalf("%s: %d requests for a 4 s file", name, requests.Load())
			}
			_ = s.Close()
		}
	})
	t.Run("no ranges", func(t *testing.T) {
		for _, name := range []string{webm, frag} {
			s := open(t, srv.URL+"/plain/"+name)
			if s.Seekable() {
				t.Fatal("seekable without range support")
			}
			if n, _ := readAll(t, s); n < 300 {
				t.Fatalf("%s: %d frames", name, n)
			}
			_ = s.Close()
		}
		// a progressive MP4 needs seeking: a clear error, not a hang
		_, err := source.Open(context.Background(), srv.URL+"/plain/"+mp4, source.Options{})
		if !errors.Is(err, source.ErrInvalidMedia) || !strings.Contains(err.Error(), "seekable") {
			t.Fatalf("progressive MP4 without ranges: %v", err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := source.Open(context.Background(), srv.URL+"/files/missing.webm", source.Options{}); !errors.Is(err, source.ErrInvalidURI) {
			t.Fatalf("404: %v", err)
		}
	})
	// A player's stop closes its source while its session goroutine reads
	// (seeks make new range requests): -race saw Close and the reader's
	// reposition both touch the body.
	t.Run("close during reads", func(t *testing.T) {
		s, err := source.Open(context.Background(), srv.URL+"/files/"+webm, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			for {
				if _, err := s.Seek(2500 * time.Millisecond); err != nil {
					done <- err
					return
				}
				if _, err := s.ReadSample(); err != nil {
					done <- err
					return
				}
			}
		}()
		time.Sleep(50 * time.Millisecond) // any moment does: the reader loops until Close stops it
		_ = s.Close()
		select {
		case err := <-done:
			t.Logf("the reader ended: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("a read still running 20 s after Close")
		}
	})
	t.Run("close unblocks a stalled read", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := source.Open(ctx, srv.URL+"/stall/x.webm", source.Options{})
		if err == nil {
			t.Fatal("a stalled header read did not fail")
		}
	})
	srv.CloseClientConnections()
}
