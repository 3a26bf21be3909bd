package app

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
)

// TestShutdownDrains: during a drain, /readyz fails and new sockets are
// refused; room participants get roomClosed and their media is released at
// once; a Kurento client's pipeline holds the drain until the deadline,
// when it is released too.
func TestShutdownDrains(t *testing.T) {
	leakCheck(t)
	a := start(t, nil)
	member := testutil.DialRaw(t, a.wsURL("web", "/room"))
	testutil.Result(t, member.Call("joinRoom", map[string]any{"user": "ann", "room": "closing"}))
	cl, err := kurento.Dial(context.Background(), a.wsURL("kurento", "/kurento"), kurento.Options{NoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.CreatePipeline(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The drain lasts until this deadline (the pipeline stays live); the
	// checks below run within it with room to spare on a loaded machine.
	const drain = 4 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	done := make(chan struct{})
	start := time.Now()
	go func() { a.Shutdown(ctx); close(done) }()
	testutil.Eventually(t, drain, "roomClosed", func() bool {
		m, ok := member.Next(100 * time.Millisecond)
		return ok && m["method"] == "roomClosed"
	})
	if code := getStatus(t, a.httpURL("web", "/readyz")); code != 503 {
		t.Errorf("/readyz while draining: %d", code)
	}
	for _, u := range []string{a.wsURL("kurento", "/kurento"), a.wsURL("web", "/room")} {
		if code, _ := handshake(t, u, nil, ""); code != 503 {
			t.Errorf("new socket while draining %s: %d", u, code)
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return after its deadline")
	}
	if took := time.Since(start); took < drain-500*time.Millisecond {
		t.Errorf("drain ended after %v though a pipeline was live", took)
	}
	if n := a.KMS.Metrics().Snapshot().Objects["MediaPipeline"]; n != 0 {
		t.Errorf("%d pipelines left after shutdown", n)
	}
}

// TestSIGTERM: the binary drains on SIGTERM and exits 0 within its drain
// timeout; room participants are told.
func TestSIGTERM(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "g.json")
	if err := os.WriteFile(cfg, []byte(`{"kurento":{"listen":"127.0.0.1:0","secureListen":""},"web":{"listen":"127.0.0.1:0","plain":true},
		"webrtc":{"loopbackOnly":true},"drainTimeout":"2s","dataDir":"`+dir+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testutil.GorentoBinary(t), "serve", "-config", cfg)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	web := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listener=web addr=(127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				web <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var addr string
	select {
	case addr = <-web:
	case <-time.After(20 * time.Second):
		t.Fatal("gorento did not start")
	}
	member := testutil.DialRaw(t, "ws://"+addr+"/room")
	testutil.Result(t, member.Call("joinRoom", map[string]any{"user": "ann", "room": "term"}))
	cl, err := kurento.Dial(context.Background(), "ws://"+addr+"/kurento", kurento.Options{NoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := cl.CreatePipeline(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	testutil.Eventually(t, 10*time.Second, "roomClosed", func() bool {
		m, ok := member.Next(100 * time.Millisecond)
		return ok && m["method"] == "roomClosed"
	})
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
		t.Logf("exited %v after SIGTERM (drain timeout 2s, one Kurento pipeline left open)", time.Since(sent).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatal("gorento did not exit within its drain timeout")
	}
}
