package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorento/gorento/internal/auth"
)

func TestTokenCommand(t *testing.T) {
	const secret = "cmd-test-secret-0123456789abcdef"
	cfg := filepath.Join(t.TempDir(), "g.json")
	if err := os.WriteFile(cfg, []byte(`{"auth":{"keys":{"app":"`+secret+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, _ := auth.NewKeys(map[string]string{"app": secret})
	var out bytes.Buffer
	if err := token([]string{"-config", cfg, "-identity", "alice", "-room", "lobby", "-grants", "join,subscribe", "-ttl", "1h"}, &out); err != nil {
		t.Fatal(err)
	}
	c, err := keys.Verify(strings.TrimSpace(out.String()))
	if err != nil || c.Identity() != "alice" || c.Room != "lobby" || !c.Grants.Subscribe || c.Grants.Publish {
		t.Fatalf("minted %+v %v", c, err)
	}
	out.Reset()
	if err := token([]string{"-config", cfg, "-admin"}, &out); err != nil {
		t.Fatal(err)
	}
	if c, err := keys.Verify(strings.TrimSpace(out.String())); err != nil || !c.Grants.RoomAdmin || c.Room != auth.AnyRoom {
		t.Fatalf("admin token %+v %v", c, err)
	}
	for _, args := range [][]string{
		{"-identity", "alice", "-room", "lobby"},                                   // no keys
		{"-config", cfg, "-identity", "a/b", "-room", "lobby"},                     // bad name
		{"-config", cfg, "-identity", "alice", "-room", "lobby", "-grants", "fly"}, // bad grant
		{"-config", cfg, "-identity", "alice"},                                     // no room
	} {
		if err := token(args, &out); err == nil {
			t.Errorf("token %v: no error", args)
		}
	}
}
