package recorder

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/mediatest/rtpmedia"
)

// TestUpload records to an HTTP server as KMS does: one chunked POST with
// the URI's user and password, streamed while recording.
func TestUpload(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	type got struct {
		method, ctype, user, pass string
		chunked                   bool
		bytes                     int64
	}
	var mu sync.Mutex
	var seen []got
	var midway int64 // bytes received before the stop
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		f, err := os.Create(filepath.Join(dir, filepath.Base(r.URL.Path)))
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		n, _ := io.Copy(f, r.Body)
		u, p, _ := r.BasicAuth()
		mu.Lock()
		seen = append(seen, got{r.Method, r.Header.Get("Content-Type"), u, p, len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked", n})
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	ps := testMedia(t, vp8Opus, rtpmedia.Options{})
	host := strings.TrimPrefix(srv.URL, "http://")

	r := newRig(t, Options{URI: "http://rec%40user:p%3Ass@" + host + "/up.webm"}, Config{})
	r.rec.Record()
	r.play(ps, 0, 4*time.Second, 0, nil)
	// fragments reach the server while recording
	deadline := time.Now().Add(5 * time.Second)
	for midway == 0 && time.Now().Before(deadline) {
		if fi, err := os.Stat(filepath.Join(dir, "up.webm")); err == nil {
			midway = fi.Size()
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.play(ps, 4*time.Second, time.Hour, 0, nil)
	if !r.rec.StopAndWait() {
		t.Fatal("stopAndWait timed out")
	}
	if errs := errorEvents(r.ev.All()); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	mu.Lock()
	if len(seen) != 1 || seen[0].method != "POST" || !seen[0].chunked || seen[0].ctype != "video/webm" ||
		seen[0].user != "rec@user" || seen[0].pass != "p:ss" {
		t.Fatalf("requests: %+v", seen)
	}
	mu.Unlock()
	if midway == 0 {
		t.Error("nothing uploaded before the stop")
	}
	checkFile(t, filepath.Join(dir, "up.webm"), "vp8", "opus", 5)

	t.Run("error status", func(t *testing.T) {
		r := newRig(t, Options{URI: srv.URL + "/fail"}, Config{})
		r.rec.Record()
		r.play(ps, 0, 2*time.Second, 0, nil)
		r.rec.Stop() // the server answers once the body ends (it does not read it)
		r.waitStopped()
		if errs := errorEvents(r.ev.All()); len(errs) != 1 || !errors.Is(errs[0], ErrOpen) || !strings.Contains(errs[0].Error(), "403") {
			t.Fatalf("errors %v", errs)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		r := newRig(t, Options{URI: "http://127.0.0.1:1/x.webm"}, Config{})
		r.rec.Record()
		r.waitStopped()
		if errs := errorEvents(r.ev.All()); len(errs) != 1 || !errors.Is(errs[0], ErrOpen) {
			t.Fatalf("errors %v", errs)
		}
	})
	t.Run("server too slow", func(t *testing.T) {
		// A connection nobody reads: every byte written to it waits.
		var ends []net.Conn
		var endsMu sync.Mutex
		stuck := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
			a, b := net.Pipe()
			endsMu.Lock()
			ends = append(ends, b)
			endsMu.Unlock()
			return a, nil
		}}}
		defer func() {
			endsMu.Lock()
			for _, c := range ends {
				_ = c.Close()
			}
			endsMu.Unlock()
		}()
		r := newRig(t, Options{URI: "http://stuck.invalid/x.webm"}, Config{HTTPClient: stuck, UploadBuffer: 32 << 10, UploadTimeout: time.Second})
		r.rec.Record()
		r.play(ps, 0, time.Hour, 0, nil)
		r.waitStopped()
		if errs := errorEvents(r.ev.All()); len(errs) == 0 || !errors.Is(errs[0], ErrWrite) || !strings.Contains(errs[0].Error(), "too slow") {
			t.Fatalf("errors %v", errs)
		}
	})
	srv.CloseClientConnections()
}
