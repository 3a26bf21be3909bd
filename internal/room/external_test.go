package room_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/room"
	"github.com/gorento/gorento/internal/testutil"
)

func gorentoBinary(t *testing.T) string { return testutil.GorentoBinary(t) }

// startGorentoProcess runs a separate gorento as a plain media server on
// loopback and returns its Kurento Protocol URL.
func startGorentoProcess(t *testing.T) string {
	url, _ := startGorentoOn(t, "127.0.0.1:0")
	return url
}

// startGorentoOn starts the media server process on addr; stop kills it.
func startGorentoOn(t *testing.T, addr string) (url string, stop func()) {
	url, cmd := startGorentoCmd(t, addr)
	var once sync.Once
	stop = func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) }
	t.Cleanup(stop)
	return url, stop
}

// startGorentoCmd starts the media server process on addr; the caller
// ends it.
func startGorentoCmd(t *testing.T, addr string) (string, *exec.Cmd) {
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
		return "ws://" + a + "/kurento", cmd
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal("gorento media server did not start")
		return "", nil
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
	if errs := a.notesOf("mediaError"); len(errs) != 1 || !strings.Contains(errs[0]["error"].(string), "MEDIA_SERVER_DOWN") {
		t.Errorf("mediaError = %v, want one, at the outage", errs)
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

// TestMediaServerOutage: kill -9 of a media server. Its room's
// participants get mediaError at once (well within 5 s), the room refuses
// newcomers with a clear error, new rooms go to the other media server,
// and after the outage grace the room closes so its participants can join
// again elsewhere.
func TestMediaServerOutage(t *testing.T) {
	urlA, killA := startGorentoOn(t, "127.0.0.1:0")
	urlB := startGorentoProcess(t)
	e := startEnv(t, room.Config{OutageGrace: 3 * time.Second}, urlA, urlB)
	a := dialParticipant(t, e.roomURL, "a")
	a.ok("joinRoom", map[string]any{"user": "a", "room": "doomed"})
	a.publish(false)
	if rooms := e.rooms.Rooms(); len(rooms) != 1 || rooms[0].MediaServer != urlA {
		t.Fatalf("rooms = %+v, want doomed on %s", rooms, urlA)
	}
	killA()
	killed := time.Now()
	eventually(t, 10*time.Second, "mediaError after kill -9", func() bool { return len(a.notesOf("mediaError")) == 1 })
	t.Logf("mediaError %v after kill -9", time.Since(killed).Round(time.Millisecond))
	if msg := a.notesOf("mediaError")[0]["error"].(string); !strings.Contains(msg, "MEDIA_SERVER_DOWN") {
		t.Errorf("mediaError = %q", msg)
	}
	b := dialParticipant(t, e.roomURL, "b")
	code, msg := errorOf(t, b.call("joinRoom", map[string]any{"user": "b", "room": "doomed"}))
	if code != room.CodeRoomCannotBeCreated || !strings.Contains(msg, "unreachable") {
		t.Errorf("joining the dead room: %v %q", code, msg)
	}
	c := dialParticipant(t, e.roomURL, "c")
	c.ok("joinRoom", map[string]any{"user": "c", "room": "fresh"})
	st := e.rooms.RoomStats()
	for _, ms := range st.MediaServers {
		if ms.Up != (ms.URI == urlB) {
			t.Errorf("media server %s up=%v", ms.URI, ms.Up)
		}
	}
	if err := e.rooms.Ready(); err != nil {
		t.Errorf("not ready with one media server up: %v", err)
	}
	eventually(t, 10*time.Second, "roomClosed after the outage grace", func() bool { return len(a.notesOf("roomClosed")) == 1 })
	a.ok("joinRoom", map[string]any{"user": "a", "room": "doomed"})
	for _, r := range e.rooms.Rooms() {
		if r.MediaServer != urlB {
			t.Errorf("room %s on %s, want every room on the live server", r.Name, r.MediaServer)
		}
	}
	a.close()
	b.close()
	c.close()
	_ = e.rooms.Close()
}

// TestMediaServerSilent: a media server that stops answering (SIGSTOP: its
// sockets stay open) is noticed by the keepalive within about 5 s.
func TestMediaServerSilent(t *testing.T) {
	url, cmd := startGorentoCmd(t, "127.0.0.1:0")
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	e := startEnv(t, room.Config{}, url)
	a := dialParticipant(t, e.roomURL, "a")
	a.ok("joinRoom", map[string]any{"user": "a", "room": "frozen"})
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	eventually(t, 10*time.Second, "mediaError from the keepalive", func() bool { return len(a.notesOf("mediaError")) == 1 })
	t.Logf("silent media server noticed after %v", time.Since(stopped).Round(time.Millisecond))
	if err := e.rooms.Ready(); err == nil {
		t.Error("ready without a reachable media server")
	}
	_ = cmd.Process.Signal(syscall.SIGCONT)
	eventually(t, 15*time.Second, "media server reachable again", func() bool { return e.rooms.Ready() == nil })
	// Readiness comes from the connection; the room's own check of its
	// session follows a moment later.
	eventually(t, 15*time.Second, "room usable again with our session", func() bool {
		rooms := e.rooms.Rooms()
		return len(rooms) == 1 && rooms[0].Usable
	})
	a.close()
	_ = e.rooms.Close()
}
