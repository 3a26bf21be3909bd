package room_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/room"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// gorentoBinary returns the gorento binary: $GORENTO_BIN (CI builds it) or
// one build per test run.
func gorentoBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("GORENTO_BIN"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		dir, err := os.MkdirTemp("", "gorento-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "gorento")
		cmd := exec.Command("go", "build", "-o", builtBin, "./cmd/gorento")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building gorento: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// startGorentoProcess runs a separate gorento as a plain media server on
// loopback and returns its Kurento Protocol URL.
func startGorentoProcess(t *testing.T) string {
	url, _ := startGorentoOn(t, "127.0.0.1:0")
	return url
}

// startGorentoOn starts the media server process on addr; stop kills it.
func startGorentoOn(t *testing.T, addr string) (url string, stop func()) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "media.json")
	if err := os.WriteFile(cfg, []byte(`{"kurento":{"listen":"`+addr+`","secureListen":""},"web":{"listen":""},
		"room":{"path":""},"webrtc":{"loopbackOnly":true},"dataDir":"`+t.TempDir()+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gorentoBinary(t), "serve", "-config", cfg)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) }
	t.Cleanup(stop)
	bound := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listener=kurento addr=(127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				bound <- m[1]
			}
		}
	}()
	select {
	case a := <-bound:
		return "ws://" + a + "/kurento", stop
	case <-time.After(20 * time.Second):
		t.Fatal("gorento media server did not start")
		return "", stop
	}
}

// TestMediaServerRestart: when the media server restarts, the rooms it held
// are closed (participants get mediaError and roomClosed) and joining again
// creates the room on the restarted server.
func TestMediaServerRestart(t *testing.T) {
	url, stop := startGorentoOn(t, "127.0.0.1:0")
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), "/kurento")
	e := startEnv(t, room.Config{}, url)
	a := dialParticipant(t, e.roomURL, "a")
	a.ok("joinRoom", map[string]any{"user": "a", "room": "fragile"})
	stop()
	startGorentoOn(t, addr)
	eventually(t, 15*time.Second, "roomClosed after the restart", func() bool { return len(a.notesOf("roomClosed")) == 1 })
	if errs := a.notesOf("mediaError"); len(errs) != 1 || !strings.Contains(errs[0]["error"].(string), "MEDIA_SERVER_LOST") {
		t.Errorf("mediaError = %v", errs)
	}
	a.ok("joinRoom", map[string]any{"user": "a", "room": "fragile"})
	a.publish(false)
	a.close()
	_ = e.rooms.Close() // while the media server still runs (cleanups run in reverse)
}

// TestExternalMediaServer runs the room server against a second, separate
// gorento process as its media server.
func TestExternalMediaServer(t *testing.T) {
	url := startGorentoProcess(t)
	e := startEnv(t, room.Config{}, url)
	a := dialParticipant(t, e.roomURL, "a")
	b := dialParticipant(t, e.roomURL, "b")
	a.ok("joinRoom", map[string]any{"user": "a", "room": "ext"})
	b.ok("joinRoom", map[string]any{"user": "b", "room": "ext"})
	a.publish(false)
	peer := b.subscribe("a")
	eventually(t, 10*time.Second, "media through the external server", func() bool {
		return peer.Received(webrtc.RTPCodecTypeVideo).Senders[peerID("a")] > 10
	})
	if pipes, n := e.mediaObjects(t); pipes != 1 || n != 3 {
		t.Errorf("external server holds %d pipelines, %d elements; want 1 and 3", pipes, n)
	}
	if rooms := e.rooms.Rooms(); len(rooms) != 1 || rooms[0].MediaServer != url {
		t.Errorf("rooms = %+v", rooms)
	}
}
