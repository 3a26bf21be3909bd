package room_test

import (
	"fmt"
	"image"
	"math"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/room"
	"github.com/gorento/gorento/internal/testpeer"
)

// startFilterKMS is a media server with the processing back end (the real
// gorento-worker).
func startFilterKMS(t *testing.T) string {
	t.Helper()
	m := process.NewManager(process.Config{WorkerPath: processtest.WorkerBin(t), HangTimeout: 10 * time.Second, Logger: quiet()})
	t.Cleanup(func() { _ = m.Close() })
	return startKMSWith(t, kms.Config{Processing: m})
}

// demoHat is the room demo's hat image, from the repository.
func demoHat() string {
	_, file, _, _ := runtime.Caller(0)
	return "file://" + filepath.Join(filepath.Dir(file), "..", "..", "web", "static", "img", "hat.png")
}

// TestHatOverRoomProtocol: the seed's customRequest {hat: true} through the
// room protocol puts the demo's hat on the publisher's face for a
// subscriber (a Pion peer publishing a video of a real face; the
// subscriber's packets decoded by GStreamer): the box above the eyes shows
// the hat's stripes, the face below does not change; {hat: false} takes it
// off again. A second {hat: false} is an error, as in Kurento Room.
func TestHatOverRoomProtocol(t *testing.T) {
	leakCheck(t)
	hat := room.DefaultHat
	hat.ImageURL = demoHat()
	e := startEnv(t, room.Config{CustomRequest: room.HatFilter(hat)}, startFilterKMS(t))
	face := processtest.GstRTP(t, fmt.Sprintf("filesrc location=%s ! jpegdec ! imagefreeze num-buffers=30 ! video/x-raw,framerate=30/1 ! "+
		"videoconvert ! vp8enc deadline=1 keyframe-max-dist=10 target-bitrate=800000 ! rtpvp8pay pt=96 mtu=1200", processtest.FaceJPEG(t)))
	caller := dialParticipant(t, e.roomURL, "caller")
	defer caller.close()
	caller.ok("joinRoom", map[string]any{"room": "hat", "user": "caller"})
	pub := caller.negotiate("caller", "publishVideo", map[string]any{"doLoopback": false},
		testpeer.Options{SendVideo: true, VideoRTP: face, VideoFPS: 30, PeerID: peerID("caller")})
	pub.StartMedia()
	viewer := dialParticipant(t, e.roomURL, "viewer")
	defer viewer.close()
	viewer.ok("joinRoom", map[string]any{"room": "hat", "user": "viewer"})
	sub := viewer.negotiate("caller", "receiveVideoFrom", map[string]any{"sender": "caller_webcam"},
		testpeer.Options{RecvVideo: true, KeepPackets: true})

	// look decodes about a second of what the viewer receives from now on and
	// returns the last frame.
	look := func(what string) []byte {
		t.Helper()
		sub.ResetVideoReceived()
		_ = sub.SendPLI()
		eventually(t, 20*time.Second, what, func() bool { return len(sub.VideoReceived()) > 60 })
		frames := processtest.DecodeRTP(t, sub.VideoReceived(), processtest.VP8Caps, "rtpvp8depay wait-for-keyframe=true ! vp8dec", 640, 480)
		return frames[len(frames)-1]
	}
	hatShare := func(f []byte) float64 {
		return processtest.Fraction(f, 640, processtest.FaceHatBox, processtest.IsHatColour)
	}
	// lookUntil looks again (a new keyframe after the filter was put in or
	// taken out) until cond holds or 30 s have passed.
	lookUntil := func(what string, cond func([]byte) bool) []byte {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		f := look(what)
		for !cond(f) && time.Now().Before(deadline) {
			f = look(what)
		}
		return f
	}
	before := look("video before the hat")
	if s := hatShare(before); s > 0.05 {
		t.Fatalf("without the hat %.0f%% of the box has its colours", 100*s)
	}
	caller.ok("customRequest", map[string]any{"hat": true})
	on := lookUntil("video with the hat", func(f []byte) bool { return hatShare(f) >= 0.5 })
	if s := hatShare(on); s < 0.5 {
		t.Fatalf("with the hat only %.0f%% of the box has its colours", 100*s)
	}
	if d := meanDist(on, before, processtest.FaceBelowHatBox); d > 30 {
		t.Errorf("the face below the hat changed (mean colour moved by %.0f)", d)
	}
	caller.ok("customRequest", map[string]any{"hat": false})
	off := lookUntil("video without the hat", func(f []byte) bool { return hatShare(f) <= 0.05 })
	if s := hatShare(off); s > 0.05 {
		t.Fatalf("after {hat: false} %.0f%% of the box still has the hat's colours", 100*s)
	}
	caller.fails("customRequest", map[string]any{"hat": false}, float64(room.CodeUnexpected))
}

// meanDist is how far apart the mean colours of box r are in two frames.
func meanDist(a, b []byte, r image.Rectangle) float64 {
	mean := func(f []byte) (m [3]float64) {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				i := 3 * (y*640 + x)
				m[0], m[1], m[2] = m[0]+float64(f[i]), m[1]+float64(f[i+1]), m[2]+float64(f[i+2])
				n++
			}
		}
		for i := range m {
			m[i] /= float64(n)
		}
		return m
	}
	ma, mb := mean(a), mean(b)
	return math.Sqrt((ma[0]-mb[0])*(ma[0]-mb[0]) + (ma[1]-mb[1])*(ma[1]-mb[1]) + (ma[2]-mb[2])*(ma[2]-mb[2]))
}
