package main

import "testing"

func TestParseRate(t *testing.T) {
	for in, want := range map[string]uint64{"600kbit": 600_000, "2.5mbit": 2_500_000, "800000": 800_000, "1Gbit": 1e9, " 64kbit ": 64_000} {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fast", "-1kbit", "0", "kbit"} {
		if _, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) accepted", in)
		}
	}
}
