package webrtcep

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
)

// TestSinglePortChoice: the single port is the configured one, else one in
// MinPort–MaxPort, else any; with PerEndpointPorts there is none.
func TestSinglePortChoice(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// A free range: ports the test can bind now.
	probe, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := probe.LocalAddr().(*net.UDPAddr).Port
	_ = probe.Close()
	for _, tc := range []struct {
		name     string
		cfg      Config
		min, max int // the port must be within (0 = any)
		none     bool
	}{
		{"any", Config{}, 1, 65535, false},
		{"fixed", Config{UDPPort: free}, free, free, false},
		{"range", Config{MinPort: free, MaxPort: free}, free, free, false},
		{"per-endpoint", Config{PerEndpointPorts: true}, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.LoopbackOnly, cfg.Logger = true, quiet
			e, err := NewEngine(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			addrs := e.UDPAddrs()
			if tc.none {
				if addrs != nil {
					t.Fatalf("per-endpoint ports, but a single port %v", addrs)
				}
				return
			}
			if len(addrs) != 1 || addrs[0].Addr() != netip.MustParseAddr("127.0.0.1") {
				t.Fatalf("single port on %v, want 127.0.0.1 only", addrs)
			}
			if p := int(addrs[0].Port()); p < tc.min || p > tc.max {
				t.Errorf("port %d, want %d–%d", p, tc.min, tc.max)
			}
			if e.conn(addrs[0]) == nil || e.conn(netip.MustParseAddrPort("127.0.0.1:1")) != nil {
				t.Error("conn lookup by local address is wrong")
			}
		})
	}
}

// TestSinglePortBusy: a configured port that is taken fails clearly.
func TestSinglePortBusy(t *testing.T) {
	busy, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.LocalAddr().(*net.UDPAddr).Port
	_, err = NewEngine(Config{UDPPort: port, LoopbackOnly: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		t.Fatal("engine started on a port in use")
	}
}
