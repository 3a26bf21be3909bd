package names

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		rules Rules
		name  string
		want  error
	}{
		{UserRules, "alice", nil},
		{UserRules, "Ann O'Neil", nil},
		{UserRules, "jo.smith@example", nil},
		{UserRules, "Zoë", nil},
		{UserRules, "Дмитрий", nil},
		{UserRules, "山田太郎", nil},
		{UserRules, "Tanaka 田中 たなか", nil},
		{UserRules, "user2_x", nil},
		{UserRules, "", ErrEmpty},
		{UserRules, "alice ", ErrSpaces},
		{UserRules, " alice", ErrSpaces},
		{UserRules, "al  ice", ErrSpaces},
		{UserRules, "alice\u200b", ErrCharacter},
		{UserRules, "ali\tce", ErrCharacter},
		{UserRules, "alice\u00a0", ErrCharacter},
		{UserRules, "<script>", ErrCharacter},
		{UserRules, "\u0301alice", ErrCharacter},
		{UserRules, "\xff", ErrEncoding},
		{UserRules, "аlice", ErrMixedScript}, // Cyrillic а
		{UserRules, "pаypal", ErrMixedScript},
		{UserRules, strings.Repeat("a", 65), ErrTooLong},
		{UserRules, strings.Repeat("ä", 64), nil}, // characters, not bytes
		{RoomRules, "room-1", nil},
		{RoomRules, "Weekly sync", nil},
		{RoomRules, "../../etc/passwd", ErrCharacter},
		{RoomRules, ".hidden", ErrCharacter},
		{RoomRules, "a/b", ErrCharacter},
		{RoomRules, "<script>alert(1)</script>", ErrCharacter},
		{RoomRules, "o'brien", ErrCharacter},
		{RoomRules, strings.Repeat("r", 100*1024), ErrTooLong},
	}
	for _, tt := range tests {
		err := tt.rules.Check(tt.name)
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s %q: %v, want %v", tt.rules.Kind, tt.name, err, tt.want)
		}
	}
}

func TestKeyCollisions(t *testing.T) {
	same := []string{"Alice", "ALICE", "alice ", " alice", "аlice", "alice\u200b", "al\u00adice", "ａｌｉｃｅ"}
	for _, n := range same {
		if Key(n) != Key("alice") {
			t.Errorf("Key(%q) = %q, want the key of alice %q", n, Key(n), Key("alice"))
		}
	}
	// An all-Cyrillic look-alike passes the script rule but not the key.
	if err := UserRules.Check("ѕсоре"); err != nil {
		t.Fatalf("all-Cyrillic name refused: %v", err)
	}
	if Key("ѕсоре") != Key("scope") {
		t.Errorf("all-Cyrillic look-alike has its own key %q", Key("ѕсоре"))
	}
	for _, n := range []string{"bob", "alicia", "alice2", "Алиса"} {
		if Key(n) == Key("alice") {
			t.Errorf("%q collides with alice", n)
		}
	}
	if Key("Straße") != Key("STRASSE") {
		t.Errorf("case folding: %q vs %q", Key("Straße"), Key("STRASSE"))
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"alice", "аlice", "ＡＬＩＣＥ", "\u200b", "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Key(s)
		if Key(k) != k && UserRules.Check(s) == nil {
			// the key of a valid name is stable under re-keying
			t.Errorf("Key not idempotent for %q: %q then %q", s, k, Key(k))
		}
	})
}
