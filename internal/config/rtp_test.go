package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRTPSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gorento.json")
	if err := os.WriteFile(path, []byte(`{"rtp": {"address": "10.0.0.5", "minPort": 30000, "maxPort": 30999, "maxEndpoints": 50, "mediaTimeout": "7s", "keySoftLimit": 1000}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	r := c.RTP
	if r.Address != "10.0.0.5" || r.MinPort != 30000 || r.MaxPort != 30999 || r.MaxEndpoints != 50 || r.MediaTimeout.Duration != 7*time.Second || r.KeySoftLimit != 1000 {
		t.Fatalf("rtp section %+v", r)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.RTP.MaxEndpoints = -1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "rtp.maxEndpoints") {
		t.Fatalf("negative maxEndpoints: %v", err)
	}
}
