package room_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/room"
)

// gorentoBinary returns the gorento binary: $GORENTO_BIN (CI builds it) or a
// fresh build.
func gorentoBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("GORENTO_BIN"); bin != "" {
		return bin
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "gorento")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/gorento")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building gorento: %v\n%s", err, out)
	}
	return bin
}

// startGorentoProcess runs a separate gorento as a plain media server on
// loopback and returns its Kurento Protocol URL.
func startGorentoProcess(t *testing.T) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "media.json")
	if err := os.WriteFile(cfg, []byte(`{"kurento":{"listen":"127.0.0.1:0","secureListen":""},"web":{"listen":""},
		"room":{"path":""},"webrtc":{"loopbackOnly":true},"dataDir":"`+t.TempDir()+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gorentoBinary(t), "serve", "-config", cfg)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listener=kurento addr=(127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return "ws://" + a + "/kurento"
	case <-time.After(20 * time.Second):
		t.Fatal("gorento media server did not start")
		return ""
	}
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
