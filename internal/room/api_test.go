package room_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/auth"
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
	if code := get("/close?room=api", &out); code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /close without the compatibility switch = %d %v", code, out)
	}
	if n := len(a.notesOf("roomClosed")); n != 0 {
		t.Fatal("a GET closed the room")
	}
	// A page of another site cannot make the browser POST it either.
	req, _ := http.NewRequest("POST", api.URL+"/room/api/rooms/api/close", nil)
	req.Header.Set("Origin", "http://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST = %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	resp, err := http.Post(api.URL+"/room/api/rooms/api/close", "application/json", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST close = %v %v", resp, err)
	}
	resp.Body.Close()
	eventually(t, 10*time.Second, "roomClosed", func() bool { return len(a.notesOf("roomClosed")) == 1 })
	if code := get("/room/api/rooms", &rooms); code != 200 || len(rooms) != 0 {
		t.Fatalf("rooms after close = %+v", rooms)
	}
}

// TestLegacyCloseGET: upstream's GET /close works behind its switch.
func TestLegacyCloseGET(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{LegacyCloseGET: true})
	api := httptest.NewServer(e.rooms.APIHandler("/room/api"))
	defer api.Close()
	a := dialParticipant(t, e.roomURL, "ann")
	a.ok("joinRoom", map[string]any{"user": "ann", "room": "old"})
	for path, want := range map[string]int{"/close?room=nope": 404, "/close?room=old": 200} {
		resp, err := http.Get(api.URL + path)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("GET %s = %v %v, want %d", path, resp, err, want)
		}
		resp.Body.Close()
	}
	eventually(t, 10*time.Second, "roomClosed", func() bool { return len(a.notesOf("roomClosed")) == 1 })
}

// TestHTTPAPIAuth: with keys, the API needs an admin token (for every room
// or for the room concerned); it mints tokens for app servers and evicts.
func TestHTTPAPIAuth(t *testing.T) {
	leakCheck(t)
	keys := testKeys(t)
	e := startEnv(t, room.Config{Keys: keys})
	api := httptest.NewServer(e.rooms.APIHandler("/room/api"))
	defer api.Close()
	admin := func(roomName string) string {
		tok, _, err := keys.Mint(auth.TokenRequest{Room: roomName, Grants: auth.Grants{RoomAdmin: true}, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	do := func(method, path, tok string, body any, out any) int {
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, api.URL+path, r)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	global, ofOther := admin(auth.AnyRoom), admin("other")
	participant := token(t, keys, "ann", "api", auth.ParticipantGrants)
	for _, c := range []struct {
		method, path, tok string
		want              int
	}{
		{"GET", "/room/api/rooms", "", 401},
		{"GET", "/room/api/rooms", "garbage", 401},
		{"GET", "/room/api/rooms", participant, 403},
		{"GET", "/room/api/rooms", ofOther, 403},
		{"GET", "/getAllRooms", "", 401},
		{"GET", "/room/api/stats", global, 200},
		{"POST", "/room/api/rooms/api/close", "", 401},
		{"POST", "/room/api/rooms/api/close", ofOther, 403},
		{"DELETE", "/room/api/rooms/api", participant, 403},
		{"POST", "/room/api/tokens", ofOther, 403},
	} {
		if got := do(c.method, c.path, c.tok, nil, nil); got != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.want)
		}
	}
	// The app server mints tokens for its users.
	var minted room.TokenResponse
	if code := do("POST", "/room/api/tokens", global, room.TokenRequest{Identity: "ann", Room: "api"}, &minted); code != 200 || minted.Token == "" {
		t.Fatalf("mint = %d %+v", code, minted)
	}
	if code := do("POST", "/room/api/tokens", global, room.TokenRequest{Identity: "a/b", Room: "api"}, nil); code != 400 {
		t.Errorf("minting a token for a bad name = %d", code)
	}
	a := dialParticipant(t, withToken(e.roomURL, minted.Token), "ann")
	a.ok("joinRoom", map[string]any{"user": "ann", "room": "api"})
	b := dialParticipant(t, withToken(e.roomURL, token(t, keys, "bob", "api", auth.ParticipantGrants)), "bob")
	b.ok("joinRoom", map[string]any{"user": "bob", "room": "api"})
	var rooms []room.RoomInfo
	if code := do("GET", "/room/api/rooms", global, nil, &rooms); code != 200 || len(rooms) != 1 || len(rooms[0].Participants) != 2 {
		t.Fatalf("rooms = %d %+v", code, rooms)
	}
	if code := do("DELETE", "/room/api/rooms/api/participants/bob", admin("api"), nil, nil); code != 200 {
		t.Fatalf("evict = %d", code)
	}
	eventually(t, 10*time.Second, "participantEvicted", func() bool { return len(b.notesOf("participantEvicted")) == 1 })
	eventually(t, 10*time.Second, "participantLeft", func() bool { return len(a.notesOf("participantLeft")) == 1 })
	if code := do("DELETE", "/room/api/rooms/api", admin("api"), nil, nil); code != 200 {
		t.Fatalf("close = %d", code)
	}
	eventually(t, 10*time.Second, "roomClosed", func() bool { return len(a.notesOf("roomClosed")) == 1 })
}
