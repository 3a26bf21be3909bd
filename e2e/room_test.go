package e2e

import (
	"path/filepath"
	"sort"
	"testing"
)

// TestRoomDemo: three pages join one room through KurentoRoom.js on the
// room demo served by gorento (room server on the embedded media server);
// each decodes the two others' video, chat reaches everyone, and when one
// leaves the others see participant-left and stream-removed and its video goes.
func TestRoomDemo(t *testing.T) {
	requireBrowser(t)
	a, addr := startGorento(t, nil)
	d := startDriver(t, "room.mjs", "http://"+addr, filepath.Join(outDir(t), "room.png"))
	var res struct {
		OK      bool
		Decoded []map[string]struct {
			FramesDecoded int
			VideoWidth    int
		}
		After []struct {
			Events  []string
			Streams []string
		}
		Tokens     []bool
		PageErrors []string
	}
	d.next(t, &res)
	if !res.OK {
		t.Fatalf("driver result %+v", res)
	}
	for i, dec := range res.Decoded {
		if len(dec) != 2 {
			t.Errorf("page %d decodes %d remote streams, want 2: %v", i, len(dec), dec)
		}
		for gid, s := range dec {
			if s.FramesDecoded <= 0 || s.VideoWidth <= 0 {
				t.Errorf("page %d: %s not decoding: %+v", i, gid, s)
			}
		}
	}
	for i, af := range res.After {
		sort.Strings(af.Streams)
		if len(af.Streams) != 2 {
			t.Errorf("page %d still shows %v after user2 left", i, af.Streams)
		}
	}
	for i, tok := range res.Tokens {
		if !tok {
			t.Errorf("page %d joined without a token from the server (development mode hands them out)", i)
		}
	}
	rooms := a.Room.Rooms()
	if len(rooms) != 1 || len(rooms[0].Participants) != 2 {
		t.Errorf("room server state after the leave: %+v", rooms)
	}
	if len(res.PageErrors) > 0 {
		t.Errorf("page errors: %v", res.PageErrors)
	}
}
