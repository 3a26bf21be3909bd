package app

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/auth"
	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
)

func adminCall(t *testing.T, method, url, token, origin string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// TestAdminAPI: the console's API lists a live call's pipeline with its
// elements, connections, states and events, releases it, and closes rooms
// and evicts participants; it needs an admin token once auth.keys is set
// (development mode: loopback only), and a foreign page cannot change state.
func TestAdminAPI(t *testing.T) {
	const secret = "admin-api-key-0123456789abcdef0123"
	a := start(t, func(c *config.Config) { c.Auth.Keys = map[string]string{"ops": secret} })
	keys, _ := auth.NewKeys(map[string]string{"ops": secret})
	admin, _, _ := keys.Mint(auth.TokenRequest{Room: auth.AnyRoom, Grants: auth.Grants{RoomAdmin: true}, TTL: time.Minute})
	user, _, _ := keys.Mint(auth.TokenRequest{Identity: "ann", Room: "ops", Grants: auth.ParticipantGrants, TTL: time.Minute})
	base := a.httpURL("web", "/admin/api/")
	for tok, want := range map[string]int{"": 401, user: 401, admin: 200} {
		if got := adminCall(t, "GET", base+"overview", tok, "", nil); got != want {
			t.Errorf("overview with %.12q: %d, want %d", tok, got, want)
		}
	}
	cl, err := kurento.Dial(context.Background(), a.wsURL("kurento", "/kurento"), kurento.Options{NoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pipe, _ := loopback(t, cl)
	member := testutil.DialRaw(t, a.wsURL("web", "/room?access_token="+user))
	testutil.Result(t, member.Call("joinRoom", map[string]any{"user": "ann", "room": "ops"}))

	var o adminOverview
	adminCall(t, "GET", base+"overview", admin, "", &o)
	var call *kms.PipelineView
	for i := range o.Pipelines {
		if o.Pipelines[i].ID == pipe.ID() {
			call = &o.Pipelines[i]
		}
	}
	if call == nil || len(call.Elements) != 1 || len(call.Links) < 2 || call.Elements[0].Class != "WebRtcEndpoint" ||
		len(call.Elements[0].Streams) == 0 || call.Elements[0].State["ice"] == "" {
		t.Fatalf("the call's pipeline in the overview: %+v", call)
	}
	if len(o.Rooms) != 1 || o.Rooms[0].Name != "ops" || len(o.Rooms[0].Participants) != 1 || len(o.Sessions) < 2 {
		t.Errorf("rooms %+v, sessions %+v", o.Rooms, o.Sessions)
	}
	var detail struct {
		Dot    string
		Events []kms.EventView
	}
	adminCall(t, "GET", base+"pipelines/"+pipe.ID(), admin, "", &detail)
	if len(detail.Events) == 0 || detail.Dot == "" {
		t.Errorf("pipeline detail: %d events, dot %q", len(detail.Events), detail.Dot)
	}
	foreign := "http://elsewhere.example"
	if got := adminCall(t, "DELETE", base+"pipelines/"+pipe.ID(), admin, foreign, nil); got != 403 {
		t.Errorf("release from a foreign page: %d, want 403", got)
	}
	if got := adminCall(t, "DELETE", base+"pipelines/"+pipe.ID(), admin, "", nil); got != 200 {
		t.Fatalf("release: %d", got)
	}
	testutil.Eventually(t, 10*time.Second, "the call's pipeline released", func() bool {
		return a.KMS.Metrics().Snapshot().Objects["WebRtcEndpoint"] == 0
	})
	if got := adminCall(t, "DELETE", base+"pipelines/"+pipe.ID(), admin, "", nil); got != 404 {
		t.Errorf("second release: %d, want 404", got)
	}
	if got := adminCall(t, "DELETE", base+"rooms/ops/participants/ann", admin, "", nil); got != 200 {
		t.Fatalf("evict: %d", got)
	}
	testutil.Eventually(t, 10*time.Second, "ann evicted", func() bool {
		m, ok := member.Next(100 * time.Millisecond)
		return ok && m["method"] == "participantEvicted"
	})
	if got := adminCall(t, "DELETE", base+"rooms/ops", admin, "", nil); got != 404 {
		t.Errorf("closing the emptied room: %d, want 404 (an empty room closes)", got)
	}

	// Development mode: open on loopback (the only address tests may use).
	dev := start(t, nil)
	if got := adminCall(t, "GET", dev.httpURL("web", "/admin/api/overview"), "", "", nil); got != 200 {
		t.Errorf("development mode on loopback: %d, want 200", got)
	}
}
