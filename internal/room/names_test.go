package room_test

import (
	"strings"
	"testing"

	"github.com/gorento/gorento/internal/room"
)

// TestNameRules: look-alike user names are refused next to the original,
// bad room names are refused, and neither creates media.
func TestNameRules(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{})
	alice := dialParticipant(t, e.roomURL, "alice")
	alice.ok("joinRoom", map[string]any{"user": "alice", "room": "lobby"})
	for _, tt := range []struct {
		user, room string
		code       float64
		want       string
	}{
		{"Alice", "lobby", room.CodeExistingUser, "looks like 'alice'"},
		{"аlice", "lobby", room.CodeGeneric, "mixes scripts"},               // Cyrillic а
		{"ѕсоре", "lobby", room.CodeGeneric, ""},                            // allowed: it is not alice
		{"alice ", "lobby", room.CodeGeneric, "space"},                      //
		{"alice\u200b", "lobby", room.CodeGeneric, "invisible"},             //
		{"ａｌｉｃｅ", "lobby", room.CodeExistingUser, "looks like 'alice'"},     // fullwidth
		{"bob", "../../etc/passwd", room.CodeGeneric, "not allowed"},        //
		{"bob", "<script>", room.CodeGeneric, "not allowed"},                //
		{"bob", strings.Repeat("r", 100<<10), room.CodeGeneric, "too long"}, //
		{strings.Repeat("u", 65), "lobby", room.CodeGeneric, "too long"},    //
		{"bob", "Lobby", room.CodeRoomCannotBeCreated, "looks like the existing room 'lobby'"},
	} {
		p := dialParticipant(t, e.roomURL, "x")
		m := p.call("joinRoom", map[string]any{"user": tt.user, "room": tt.room})
		if tt.want == "" {
			if _, bad := m["error"]; bad {
				t.Errorf("%q in %q refused: %v", tt.user, tt.room, m["error"])
			} else {
				p.ok("leaveRoom", map[string]any{})
			}
			p.close()
			continue
		}
		code, msg := errorOf(t, m)
		if code != tt.code || !strings.Contains(msg, tt.want) {
			t.Errorf("%q in %.20q: %v %q, want %v with %q", tt.user, tt.room, code, msg, tt.code, tt.want)
		}
		p.close()
	}
	if pipes, _ := e.mediaObjects(t); pipes != 1 {
		t.Errorf("%d pipelines, want only lobby's", pipes)
	}
	if rooms := e.rooms.Rooms(); len(rooms) != 1 || len(rooms[0].Participants) != 1 {
		t.Errorf("rooms = %+v", rooms)
	}
}
