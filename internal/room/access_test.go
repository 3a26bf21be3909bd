package room_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/room"
)

const roomSecret = "room-test-secret-0123456789abcdef"

func testKeys(t *testing.T) *auth.Keys {
	t.Helper()
	k, err := auth.NewKeys(map[string]string{"app": roomSecret})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func token(t *testing.T, k *auth.Keys, user, roomName string, g auth.Grants) string {
	t.Helper()
	tok, _, err := k.Mint(auth.TokenRequest{Identity: user, Room: roomName, Grants: g, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// expiredToken is signed with the right key but expired an hour ago.
func expiredToken(t *testing.T, user, roomName string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, auth.Claims{Room: roomName, Grants: auth.ParticipantGrants,
		RegisteredClaims: jwt.RegisteredClaims{Issuer: "app", Subject: user, ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Hour))}}).
		SignedString([]byte(roomSecret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func withToken(u, tok string) string { return u + "?access_token=" + url.QueryEscape(tok) }

func errorOf(t *testing.T, m map[string]any) (float64, string) {
	t.Helper()
	e, ok := m["error"].(map[string]any)
	if !ok {
		t.Fatalf("want an error, got %v", m)
	}
	return e["code"].(float64), e["message"].(string)
}

// TestAccessTokens: with keys configured, a join needs a valid token for
// that room and user; each refusal is the room protocol's 401 and creates
// no media object; each grant gates its requests.
func TestAccessTokens(t *testing.T) {
	leakCheck(t)
	keys := testKeys(t)
	other, _ := auth.NewKeys(map[string]string{"app": strings.Repeat("z", 32)})
	e := startEnv(t, room.Config{Keys: keys})
	join := map[string]any{"user": "alice", "room": "lobby"}
	refused := []struct {
		name, token, want string
	}{
		{"missing", "", "access token is required"},
		{"garbage", "nope", "invalid"},
		{"expired", expiredToken(t, "alice", "lobby"), "expired"},
		{"other key", token(t, other, "alice", "lobby", auth.ParticipantGrants), "invalid"},
		{"foreign room", token(t, keys, "alice", "kitchen", auth.ParticipantGrants), "for room 'kitchen'"},
		{"other user", token(t, keys, "bob", "lobby", auth.ParticipantGrants), "for user 'bob'"},
		{"no join grant", token(t, keys, "alice", "lobby", auth.Grants{Publish: true}), "does not grant joining"},
	}
	for _, tt := range refused {
		u := e.roomURL
		if tt.token != "" {
			u = withToken(u, tt.token)
		}
		p := dialParticipant(t, u, "alice")
		code, msg := errorOf(t, p.call("joinRoom", join))
		if code != room.CodeUnauthorized || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: %v %q, want 401 with %q", tt.name, code, msg, tt.want)
		}
		p.close()
	}
	if pipes, elems := e.mediaObjects(t); pipes != 0 || elems != 0 {
		t.Fatalf("refused joins created %d pipelines, %d elements", pipes, elems)
	}

	// A token without publish/subscribe/message grants: a viewer that may not even talk.
	viewer := dialParticipant(t, withToken(e.roomURL, token(t, keys, "viewer", "lobby", auth.Grants{Join: true})), "viewer")
	viewer.ok("joinRoom", map[string]any{"user": "viewer", "room": "lobby"})
	for _, req := range []struct {
		method string
		params map[string]any
	}{
		{"publishVideo", map[string]any{"sdpOffer": "v=0", "doLoopback": false}},
		{"receiveVideoFrom", map[string]any{"sender": "alice_webcam", "sdpOffer": "v=0"}},
		{"sendMessage", map[string]any{"message": "hi", "userMessage": "viewer", "roomMessage": "lobby"}},
		{"customRequest", map[string]any{"hat": true}},
	} {
		if code, msg := errorOf(t, viewer.call(req.method, req.params)); code != room.CodeUnauthorized || !strings.Contains(msg, "does not grant") {
			t.Errorf("%s without its grant: %v %q", req.method, code, msg)
		}
	}
	if _, elems := e.mediaObjects(t); elems != 0 {
		t.Errorf("ungranted requests created %d elements", elems)
	}

	// The full token, in the URL as KurentoRoom.js passes it, publishes.
	alice := dialParticipant(t, withToken(e.roomURL, token(t, keys, "alice", "lobby", auth.ParticipantGrants)), "alice")
	alice.ok("joinRoom", join)
	alice.publish(false)
	viewer.close()
	alice.close()
}

// TestDevModeTokens: without keys, tokenless joins work (unmodified
// KurentoRoom.js apps), tokens minted by the server work, bad tokens fail.
func TestDevModeTokens(t *testing.T) {
	leakCheck(t)
	e := startEnv(t, room.Config{})
	anon := dialParticipant(t, e.roomURL, "anon")
	anon.ok("joinRoom", map[string]any{"user": "anon", "room": "dev"})
	tok, err := e.rooms.MintToken(room.TokenRequest{Identity: "bob", Room: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	bob := dialParticipant(t, withToken(e.roomURL, tok.Token), "bob")
	bob.ok("joinRoom", map[string]any{"user": "bob", "room": "dev"})
	mallory := dialParticipant(t, withToken(e.roomURL, tok.Token), "mallory")
	if code, _ := errorOf(t, mallory.call("joinRoom", map[string]any{"user": "mallory", "room": "dev"})); code != room.CodeUnauthorized {
		t.Errorf("someone else's token accepted in dev mode: %v", code)
	}
	forged := dialParticipant(t, withToken(e.roomURL, token(t, testKeys(t), "carol", "dev", auth.ParticipantGrants)), "carol")
	if code, _ := errorOf(t, forged.call("joinRoom", map[string]any{"user": "carol", "room": "dev"})); code != room.CodeUnauthorized {
		t.Errorf("token of a foreign key accepted: %v", code)
	}
}

// TestResumeNeedsIdentity: a dropped session is resumed only by a socket
// with a token of the same user.
func TestResumeNeedsIdentity(t *testing.T) {
	leakCheck(t)
	keys := testKeys(t)
	e := startEnv(t, room.Config{Keys: keys, ReconnectGrace: 10 * time.Second})
	a := dialParticipant(t, withToken(e.roomURL, token(t, keys, "alice", "r", auth.ParticipantGrants)), "alice")
	sid := a.ok("joinRoom", map[string]any{"user": "alice", "room": "r"})["sessionId"].(string)
	a.close()
	thief := dialParticipant(t, withToken(e.roomURL, token(t, keys, "bob", "r", auth.ParticipantGrants)), "bob")
	if code, _ := errorOf(t, thief.call("connect", map[string]any{"sessionId": sid})); code != room.CodeUnauthorized {
		t.Fatalf("another user's token resumed alice's session: %v", code)
	}
	back := dialParticipant(t, withToken(e.roomURL, expiredToken(t, "alice", "r")), "alice")
	back.ok("connect", map[string]any{"sessionId": sid})
}
