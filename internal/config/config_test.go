package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Kurento.Listen != ":8888" || c.Kurento.SecureListen != ":8433" || c.Web.Listen != ":8443" || c.Kurento.GCPeriod.Duration != 240*time.Second {
		t.Errorf("defaults are not KMS's: %+v", c.Kurento)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string // substring of the error, "" = valid
	}{
		{"ok", func(*Config) {}, ""},
		{"bad listen", func(c *Config) { c.Web.Listen = "8443" }, "web.listen"},
		{"bad port", func(c *Config) { c.Kurento.Listen = ":99999" }, "bad port"},
		{"path", func(c *Config) { c.Kurento.Path = "kurento" }, "kurento.path"},
		{"gc", func(c *Config) { c.Kurento.GCPeriod.Duration = time.Millisecond }, "gcPeriod"},
		{"cert without key", func(c *Config) { c.Web.TLSCert = "x.pem" }, "tlsKey"},
		{"port range", func(c *Config) { c.WebRTC.MinPort, c.WebRTC.MaxPort = 5000, 4000 }, "port range"},
		{"external ip", func(c *Config) { c.WebRTC.ExternalIPv4 = "example.com" }, "not an IP"},
		{"cidr", func(c *Config) { c.WebRTC.IPFilter = []string{"10.0.0.0"} }, "CIDR"},
		{"log level", func(c *Config) { c.Log.Level = "loud" }, "log.level"},
		{"room path", func(c *Config) { c.Room.Path = "/" }, "room.path"},
		{"room bandwidth", func(c *Config) { c.Room.MinVideoKbps, c.Room.MaxVideoKbps = 900, 100 }, "bandwidth"},
		{"room disabled", func(c *Config) { c.Room.Path = "" }, ""},
		{"publisher feedback", func(c *Config) { c.WebRTC.PublisherFeedback = "median" }, "publisherFeedback"},
		{"kms feedback", func(c *Config) { c.WebRTC.PublisherFeedback = "lowest" }, ""},
		{"video send range", func(c *Config) { c.WebRTC.MinVideoSendKbps, c.WebRTC.MaxVideoSendKbps = 900, 500 }, "minVideoSendKbps"},
		{"negative ceiling", func(c *Config) { c.WebRTC.VideoCeilingKbps = -1 }, "negative"},
		{"frame hold off", func(c *Config) { c.WebRTC.EgressFrameHold.Duration = 0 }, ""},
		{"frame hold negative", func(c *Config) { c.WebRTC.EgressFrameHold.Duration = -time.Millisecond }, "egressFrameHold"},
		{"frame hold too long", func(c *Config) { c.WebRTC.EgressFrameHold.Duration = time.Second }, "egressFrameHold"},
		{"playout delay off", func(c *Config) { c.WebRTC.MaxPlayoutDelay.Duration = 0 }, ""},
		{"playout delay negative", func(c *Config) { c.WebRTC.MaxPlayoutDelay.Duration = -time.Millisecond }, "maxPlayoutDelay"},
		{"playout delay too long", func(c *Config) { c.WebRTC.MaxPlayoutDelay.Duration = 2 * time.Second }, "maxPlayoutDelay"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestFileAndEnvLayers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.json")
	if err := os.WriteFile(path, []byte(`{"kurento":{"gcPeriod":"30s"},"webrtc":{"udpPort":40000},"room":{"mediaServers":["ws://a/kurento"]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if !c.WebRTC.DirectInbound {
		t.Fatal("the direct inbound path is not on by default")
	}
	if c.WebRTC.MaxPlayoutDelay.Duration != DefaultMaxPlayoutDelay {
		t.Fatalf("maxPlayoutDelay %v by default, want %v (on)", c.WebRTC.MaxPlayoutDelay, DefaultMaxPlayoutDelay)
	}
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if c.Kurento.GCPeriod.Duration != 30*time.Second || c.WebRTC.UDPPort != 40000 || c.Kurento.Listen != ":8888" {
		t.Fatalf("file not merged over defaults: %+v", c)
	}
	env := map[string]string{"GORENTO_UDP_PORT": "41000", "GORENTO_DIRECT_INBOUND": "false", "GORENTO_MEDIA_SERVERS": "ws://b/kurento, ws://c/kurento"}
	if err := c.ApplyEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if c.WebRTC.UDPPort != 41000 || c.WebRTC.DirectInbound || len(c.Room.MediaServers) != 2 || c.Room.MediaServers[1] != "ws://c/kurento" {
		t.Fatalf("env not applied: %+v %v", c.WebRTC, c.Room.MediaServers)
	}
	if err := c.ApplyEnv(func(k string) (string, bool) { return "x", k == "GORENTO_UDP_PORT" }); err == nil {
		t.Fatal("a bad number in the environment was accepted")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"kurento":{"gcPeriood":"30s"}}`), 0o644)
	d := Default()
	if err := d.LoadFile(bad); err == nil || !strings.Contains(err.Error(), "gcPeriood") {
		t.Fatalf("unknown key not reported: %v", err)
	}
}
