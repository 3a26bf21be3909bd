package room_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/room"
)

// TestHTTPAPI covers the room listing, stats and close endpoints, ours and
// upstream's.
func TestHTTPAPI(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{})
	api := httptest.NewServer(e.rooms.APIHandler("/room/api"))
	defer api.Close()
	a := dialParticipant(t, e.roomURL, "ann")
	a.ok("joinRoom", map[string]any{"user": "ann", "room": "api"})

	get := func(path string, v any) int {
		resp, err := http.Get(api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_ = json.NewDecoder(resp.Body).Decode(v)
		return resp.StatusCode
	}
	var rooms []room.RoomInfo
	if code := get("/room/api/rooms", &rooms); code != 200 || len(rooms) != 1 || rooms[0].Name != "api" || rooms[0].Participants[0] != "ann" {
		t.Fatalf("GET rooms = %d %+v", code, rooms)
	}
	var stats struct {
		Rooms, Participants, Publishers int
		MediaServers                    []room.MediaServerLoad
	}
	if code := get("/room/api/stats", &stats); code != 200 || stats.Rooms != 1 || stats.Participants != 1 || len(stats.MediaServers) != 1 || stats.MediaServers[0].Rooms != 1 {
		t.Fatalf("GET stats = %d %+v", code, stats)
	}
	var names []string
	if code := get("/getAllRooms", &names); code != 200 || len(names) != 1 || names[0] != "api" {
		t.Fatalf("GET /getAllRooms = %d %v", code, names)
	}
	var out map[string]string
	if code := get("/close?room=nope", &out); code != 404 {
		t.Fatalf("closing an unknown room = %d", code)
	}
	resp, err := http.Post(api.URL+"/room/api/rooms/api/close", "application/json", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST close = %v %v", resp, err)
	}
	resp.Body.Close()
	eventually(t, 2*time.Second, "roomClosed", func() bool { return len(a.notesOf("roomClosed")) == 1 })
	if code := get("/room/api/rooms", &rooms); code != 200 || len(rooms) != 0 {
		t.Fatalf("rooms after close = %+v", rooms)
	}
}
