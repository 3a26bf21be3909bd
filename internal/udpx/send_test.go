package udpx

import (
	"errors"
	"net"
	"net/netip"
	"testing"
)

// Single datagrams (Pion's STUN, DTLS and RTCP) leave through a raw sendto
// on Linux: every address family the socket can reach, byte-exact.
func TestWriteToAddrPort(t *testing.T) {
	for _, tc := range []struct{ network, addr, rnet, raddr string }{
		{"udp4", "127.0.0.1:0", "udp4", "127.0.0.1:0"},
		{"udp6", "[::1]:0", "udp6", "[::1]:0"},
		{"udp", "[::]:0", "udp4", "127.0.0.1:0"}, // dual stack to IPv4: an IPv4-mapped address
	} {
		t.Run(tc.network+"→"+tc.rnet, func(t *testing.T) {
			c := listen(t, tc.network, tc.addr, Options{})
			rcv := newReceiver(t, tc.rnet, tc.raddr)
			var want [][]byte
			for _, n := range []int{0, 1, 100, 1200, MaxDatagram} {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(i*7 + n)
				}
				got, err := c.WriteToAddrPort(b, rcv.ap)
				if err != nil || got != n {
					t.Fatalf("WriteToAddrPort(%d bytes) = %d, %v", n, got, err)
				}
				want = append(want, b)
			}
			rcv.expect(t, c.LocalAddrPort(), want)
			if s := c.Stats(); s.WriteCalls != 5 || s.DatagramsSent != 5 || s.SendErrors != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestWriteToAddrPortErrors(t *testing.T) {
	c := listen(t, "udp4", "127.0.0.1:0", Options{})
	if _, err := c.WriteToAddrPort([]byte("x"), netip.MustParseAddrPort("[::1]:9")); err == nil {
		t.Error("an IPv6 destination from an IPv4 socket: no error")
	}
	c.Close()
	_, err := c.WriteToAddrPort([]byte("x"), netip.MustParseAddrPort("127.0.0.1:9"))
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("write on a closed socket: %v, want net.ErrClosed", err)
	}
	if s := c.Stats(); s.SendErrors != 2 {
		t.Errorf("%d send errors counted, want 2", s.SendErrors)
	}
}

func TestWriteToAddrPortAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c := listen(t, "udp4", "127.0.0.1:0", Options{})
	rcv := newReceiver(t, "udp4", "127.0.0.1:0")
	b := make([]byte, 200)
	if a := testing.AllocsPerRun(100, func() { _, _ = c.WriteToAddrPort(b, rcv.ap) }); a > 0 {
		t.Errorf("%.1f allocations per write", a)
	}
}
