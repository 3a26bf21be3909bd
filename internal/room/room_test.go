package room_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/room"
)

// TestFourParticipants: four participants publish and each receives the
// three others' media; unsubscribe, unpublish and leave release exactly
// their media objects; the empty room closes and its pipeline goes.
func TestFourParticipants(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{CustomRequest: room.HatFilter(room.DefaultHat)})
	names := []string{"alice", "bob", "carol_c", "dave"} // an underscore in a name works
	var ps []*participant
	for i, n := range names {
		p := dialParticipant(t, e.roomURL, n)
		res := p.ok("joinRoom", map[string]any{"user": n, "room": "r1"})
		list := res["value"].([]any)
		if len(list) != i || !strings.HasPrefix(res["sessionId"].(string), "") {
			t.Fatalf("%s join result = %v", n, res)
		}
		for j, entry := range list {
			if entry.(map[string]any)["id"] != names[j] {
				t.Errorf("%s join result order: %v", n, list)
			}
		}
		ps = append(ps, p)
	}
	// Everyone already there heard of each later joiner.
	for i, p := range ps {
		joined := p.notesOf("participantJoined")
		eventually(t, 10*time.Second, "participantJoined", func() bool { joined = p.notesOf("participantJoined"); return len(joined) == 3-i })
		for k, j := range joined {
			if j["id"] != names[i+1+k] {
				t.Errorf("%s heard %v", p.name, joined)
			}
		}
	}
	for _, p := range ps {
		p.publish(false)
	}
	for _, p := range ps {
		eventually(t, 10*time.Second, "participantPublished", func() bool { return len(p.notesOf("participantPublished")) == 3 })
		for _, n := range p.notesOf("participantPublished") {
			if s := n["streams"].([]any); len(s) != 1 || s[0].(map[string]any)["id"] != "webcam" {
				t.Errorf("participantPublished = %v", n)
			}
		}
	}
	// A late joiner learns who publishes from the join answer.
	subs := map[string]map[string]bool{}
	for _, p := range ps {
		subs[p.name] = map[string]bool{}
		for _, o := range ps {
			if o != p {
				peer := p.subscribe(o.name)
				o := o
				eventually(t, 10*time.Second, p.name+" receiving "+o.name, func() bool {
					return peer.Received(webrtc.RTPCodecTypeVideo).Senders[peerID(o.name)] >= 10 &&
						peer.Received(webrtc.RTPCodecTypeAudio).Senders[peerID(o.name)] >= 10
				})
				if r := peer.Received(webrtc.RTPCodecTypeVideo); len(r.Senders) != 1 {
					t.Errorf("%s's subscription to %s carries other senders: %v", p.name, o.name, r.Senders)
				}
				subs[p.name][o.name] = true
			}
		}
	}
	count := func() int { _, n := e.mediaObjects(t); return n }
	if pipes, n := e.mediaObjects(t); pipes != 1 || n != 4*2+12 {
		t.Fatalf("media objects = %d pipelines, %d elements; want 1 and 20", pipes, n)
	}
	// Unsubscribe: exactly one endpoint.
	ps[3].ok("unsubscribeFromVideo", map[string]any{"sender": "alice_webcam"})
	if n := count(); n != 19 {
		t.Fatalf("after unsubscribe %d elements, want 19", n)
	}
	// Unpublish: carol's endpoint and hub and the three subscriptions to her.
	ps[2].ok("unpublishVideo", map[string]any{})
	if n := count(); n != 14 {
		t.Fatalf("after unpublish %d elements, want 14", n)
	}
	for _, p := range []*participant{ps[0], ps[1], ps[3]} {
		eventually(t, 10*time.Second, "participantUnpublished", func() bool {
			n := p.notesOf("participantUnpublished")
			return len(n) == 1 && n[0]["name"] == "carol_c"
		})
	}
	// Leave: bob's endpoint, hub, his two live subscriptions, and the three to him.
	ps[1].ok("leaveRoom", map[string]any{})
	select {
	case <-ps[1].closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not close the socket after leaveRoom")
	}
	if n := count(); n != 7 {
		t.Fatalf("after leave %d elements, want 7", n)
	}
	for _, p := range []*participant{ps[0], ps[2], ps[3]} {
		eventually(t, 10*time.Second, "participantLeft", func() bool {
			n := p.notesOf("participantLeft")
			return len(n) == 1 && n[0]["name"] == "bob"
		})
	}
	for _, p := range []*participant{ps[0], ps[2], ps[3]} {
		p.ok("leaveRoom", map[string]any{})
	}
	eventually(t, 10*time.Second, "the room to close", func() bool { pipes, _ := e.mediaObjects(t); return pipes == 0 && len(e.rooms.Rooms()) == 0 })
}

// TestErrors checks the error code of every method's failure paths.
func TestErrors(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{CustomRequest: room.HatFilter(room.DefaultHat)})
	a := dialParticipant(t, e.roomURL, "a")
	for _, m := range []string{"publishVideo", "unpublishVideo", "receiveVideoFrom", "unsubscribeFromVideo", "onIceCandidate", "leaveRoom", "sendMessage", "customRequest"} {
		a.fails(m, map[string]any{"sdpOffer": "x", "sender": "b_webcam", "endpointName": "a", "candidate": "c", "message": "m", "userMessage": "a", "roomMessage": "r"}, room.CodeUserNotFound)
	}
	a.fails("joinRoom", map[string]any{"user": "", "room": "r"}, room.CodeGeneric)
	a.fails("joinRoom", map[string]any{"room": "r"}, room.CodeUnexpected)
	a.fails("flyAway", map[string]any{}, -32601)
	a.ok("joinRoom", map[string]any{"user": "a", "room": "r"})
	a.fails("joinRoom", map[string]any{"user": "a2", "room": "r"}, room.CodeExistingUser)
	b := dialParticipant(t, e.roomURL, "b")
	b.fails("joinRoom", map[string]any{"user": "a", "room": "r"}, room.CodeExistingUser)
	b.ok("joinRoom", map[string]any{"user": "b", "room": "r"})
	a.fails("unpublishVideo", map[string]any{}, room.CodeUserNotStreaming)
	a.fails("receiveVideoFrom", map[string]any{"sender": "zed_webcam", "sdpOffer": "v=0"}, room.CodeUserNotFound)
	a.fails("receiveVideoFrom", map[string]any{"sender": "b_webcam", "sdpOffer": "v=0"}, room.CodeUserNotStreaming)
	a.fails("receiveVideoFrom", map[string]any{"sender": "a_webcam", "sdpOffer": "v=0"}, room.CodeUserNotStreaming)
	a.fails("unsubscribeFromVideo", map[string]any{"sender": "zed_webcam"}, room.CodeUserNotFound)
	a.ok("unsubscribeFromVideo", map[string]any{"sender": "b_webcam"}) // nothing to release: still fine
	a.fails("receiveVideoFrom", map[string]any{"sender": "b_webcam"}, room.CodeUnexpected)
	a.fails("sendMessage", map[string]any{"message": "hi", "userMessage": "b", "roomMessage": "r"}, room.CodeUserNotFound)
	a.fails("sendMessage", map[string]any{"message": "hi", "userMessage": "a", "roomMessage": "other"}, room.CodeRoomNotFound)
	a.fails("publishVideo", map[string]any{"sdpOffer": "not sdp", "doLoopback": false}, room.CodeMediaSDP)
	if _, n := e.mediaObjects(t); n != 0 {
		t.Errorf("a failed publish left %d elements", n)
	}
	// The hat needs FaceOverlayFilter, which this media server (no processing back end) cannot create.
	a.publish(true)
	m := a.call("customRequest", map[string]any{"hat": true})
	if e, ok := m["error"].(map[string]any); !ok || !strings.Contains(e["message"].(string), "FaceOverlayFilter") {
		t.Errorf("customRequest hat = %v", m)
	}
	a.fails("customRequest", map[string]any{"hat": false}, room.CodeUnexpected)
	a.fails("publishVideo", map[string]any{"sdpOffer": "v=0", "doLoopback": false}, room.CodeMediaSDP) // already publishing
}

// TestChatAndLoopback: messages reach everyone, the sender too; a
// publisher with doLoopback receives its own media.
func TestChatAndLoopback(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{})
	a := dialParticipant(t, e.roomURL, "ann")
	b := dialParticipant(t, e.roomURL, "ben")
	a.ok("joinRoom", map[string]any{"user": "ann", "room": "chat"})
	b.ok("joinRoom", map[string]any{"user": "ben", "room": "chat"})
	a.ok("sendMessage", map[string]any{"message": "hello", "userMessage": "ann", "roomMessage": "chat"})
	for _, p := range []*participant{a, b} {
		eventually(t, 10*time.Second, "the message", func() bool {
			m := p.notesOf("sendMessage")
			return len(m) == 1 && m[0]["message"] == "hello" && m[0]["user"] == "ann" && m[0]["room"] == "chat"
		})
	}
	peer := a.publish(true)
	eventually(t, 10*time.Second, "own media back", func() bool { return peer.Received(webrtc.RTPCodecTypeVideo).Senders[peerID("ann")] > 10 })
}

// TestEvictionAfterGrace: a participant whose socket drops is kept for the
// grace period, then the others get participantLeft; an empty room closes.
func TestEvictionAfterGrace(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{ReconnectGrace: 600 * time.Millisecond})
	a := dialParticipant(t, e.roomURL, "a")
	b := dialParticipant(t, e.roomURL, "b")
	a.ok("joinRoom", map[string]any{"user": "a", "room": "g"})
	b.ok("joinRoom", map[string]any{"user": "b", "room": "g"})
	b.publish(false)
	start := time.Now()
	b.close() // abrupt: no leaveRoom
	eventually(t, 10*time.Second, "participantLeft after the grace", func() bool { return len(a.notesOf("participantLeft")) == 1 })
	if el := time.Since(start); el < 500*time.Millisecond {
		t.Errorf("evicted after %v, before the grace period", el)
	}
	if n := a.notesOf("participantLeft")[0]["name"]; n != "b" {
		t.Errorf("participantLeft = %v", n)
	}
	if _, n := e.mediaObjects(t); n != 0 {
		t.Errorf("%d elements left after the eviction", n)
	}
	a.close()
	eventually(t, 10*time.Second, "the empty room to close", func() bool { pipes, _ := e.mediaObjects(t); return pipes == 0 })
}

// TestOrdering checks the notification order of one socket: a publisher's
// answer comes before anything about its publication, and a leaver gets
// its answer and then the socket closes.
func TestOrdering(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{})
	a := dialParticipant(t, e.roomURL, "a")
	b := dialParticipant(t, e.roomURL, "b")
	a.ok("joinRoom", map[string]any{"user": "a", "room": "o"})
	b.ok("joinRoom", map[string]any{"user": "b", "room": "o"})
	// join → the others are notified before the joiner's answer is sent:
	// by the time b has its answer, a's notification is already queued.
	eventually(t, 10*time.Second, "participantJoined", func() bool { return len(a.notesOf("participantJoined")) == 1 })
	a.publish(false)
	evs := a.events()
	for _, ev := range evs {
		if ev == "note:participantPublished" {
			t.Errorf("publisher notified of its own publication: %v", evs)
		}
	}
	b.ok("leaveRoom", map[string]any{})
	<-b.closed
	evs = b.events()
	if evs[len(evs)-1] != "resp" {
		t.Errorf("leaver's last frame = %v, want the answer before the close", evs)
	}
	eventually(t, 10*time.Second, "participantLeft", func() bool { return len(a.notesOf("participantLeft")) == 1 })
}

// TestCloseRoomAPI closes a room through the HTTP API's server method.
func TestCloseRoomAPI(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{})
	a := dialParticipant(t, e.roomURL, "a")
	a.ok("joinRoom", map[string]any{"user": "a", "room": "closing"})
	if rooms := e.rooms.Rooms(); len(rooms) != 1 || rooms[0].Participants[0] != "a" {
		t.Fatalf("rooms = %+v", rooms)
	}
	if !e.rooms.CloseRoom(context.Background(), "closing") {
		t.Fatal("CloseRoom returned false")
	}
	eventually(t, 10*time.Second, "roomClosed", func() bool {
		n := a.notesOf("roomClosed")
		return len(n) == 1 && n[0]["room"] == "closing"
	})
	if pipes, _ := e.mediaObjects(t); pipes != 0 {
		t.Error("pipeline not released")
	}
	// The socket stays open; the session is no longer in a room.
	a.fails("leaveRoom", map[string]any{}, room.CodeUserNotFound)
}

// TestPlacementOnSeveralMediaServers: rooms go to the least loaded server.
func TestPlacementOnSeveralMediaServers(t *testing.T) {
	leakCheck(t)
	k1, k2 := startKMS(t), startKMS(t)
	e := startEnv(t, room.Config{}, k1, k2)
	a := dialParticipant(t, e.roomURL, "a")
	b := dialParticipant(t, e.roomURL, "b")
	a.ok("joinRoom", map[string]any{"user": "a", "room": "one"})
	b.ok("joinRoom", map[string]any{"user": "b", "room": "two"})
	rooms := e.rooms.Rooms()
	if len(rooms) != 2 || rooms[0].MediaServer == rooms[1].MediaServer {
		t.Fatalf("rooms not spread over the two media servers: %+v", rooms)
	}
}
