package room_test

import (
	"testing"
	"time"

	"github.com/gorento/gorento/internal/room"
)

// TestReceivedLayer: getReceivedLayer reports what the media server sends
// a subscriber; a publisher without simulcast is one layer, and asking
// about a stream one does not receive is an error.
func TestReceivedLayer(t *testing.T) {
	e := startEnv(t, room.Config{})
	a, b := dialParticipant(t, e.roomURL, "a"), dialParticipant(t, e.roomURL, "b")
	a.ok("joinRoom", map[string]any{"user": "a", "room": "r1"})
	b.ok("joinRoom", map[string]any{"user": "b", "room": "r1"})
	a.fails("getReceivedLayer", map[string]any{"sender": "b_webcam"}, room.CodeUserNotStreaming)
	a.fails("getReceivedLayer", map[string]any{}, room.CodeUnexpected)
	pub := b.publish(false)
	pub.StartMedia()
	a.subscribe("b")
	var res map[string]any
	eventually(t, 10*time.Second, "bytes sent to a", func() bool {
		res = a.ok("getReceivedLayer", map[string]any{"sender": "b_webcam"})
		n, _ := res["bytesSent"].(float64)
		return n > 0
	})
	if res["simulcast"] != false || res["layer"] != float64(-1) || res["layers"] != float64(0) || res["temporalLayers"] != float64(0) {
		t.Errorf("getReceivedLayer of a single-layer publisher = %v", res)
	}
}
