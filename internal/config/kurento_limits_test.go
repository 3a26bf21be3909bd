package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKurentoLimits(t *testing.T) {
	for _, tc := range []struct {
		edit func(*KurentoLimits)
		want string
	}{
		{func(l *KurentoLimits) { l.MaxSessions = 0 }, "kurento.maxSessions must be positive"},
		{func(l *KurentoLimits) { l.MaxIceCandidates = -1 }, "kurento.maxIceCandidates"},
		{func(l *KurentoLimits) { l.MaxSessionIDLength = 20 }, "at least 36"},
		{func(l *KurentoLimits) { l.MaxSessionsPerConnection = 20000 }, "exceeds kurento.maxSessions"},
	} {
		c := Default()
		tc.edit(&c.Kurento.KurentoLimits)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one mentioning %q", err, tc.want)
		}
	}
	// The keys sit under "kurento", next to the transport limits.
	path := filepath.Join(t.TempDir(), "g.json")
	if err := os.WriteFile(path, []byte(`{"kurento":{"maxIceCandidates":16,"maxTagsPerObject":8}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if l := c.Kurento.KurentoLimits; l.MaxIceCandidates != 16 || l.MaxTagsPerObject != 8 || l.MaxSessions != 10000 {
		t.Errorf("limits after the file: %+v", l)
	}
}
