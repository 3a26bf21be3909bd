package impair

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// turnClient allocates on r with its own socket; the allocation is closed at
// the end of the test.
func turnClient(t *testing.T, r *Relay, user, pass string) (net.PacketConn, error) {
	t.Helper()
	sock := listen(t)
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: r.Addr().String(), TURNServerAddr: r.Addr().String(),
		Username: user, Password: pass, Realm: "gorento-impair", Conn: sock,
		LoggerFactory: loggerFactory(nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); _ = sock.Close() })
	alloc, err := c.Allocate()
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = alloc.Close() })
	return alloc, nil
}

// Packets sent through a TURN allocation reach the peer with the relay's Up
// impairment, and the peer's answers come back with both directions'.
func TestRelayImpairsBothWays(t *testing.T) {
	r, err := StartRelay(RelayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ice := r.ICEServer()
	alloc, err := turnClient(t, r, ice.Username, ice.Credential)
	if err != nil {
		t.Fatal(err)
	}
	peer := listen(t)
	defer peer.Close()
	// Permission and channel first, on the clean link.
	if _, err := alloc.WriteTo([]byte("hello"), peer.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := peer.ReadFrom(buf); err != nil {
		t.Fatalf("first packet through the relay: %v", err)
	}
	// The echo path has its own cost (TURN, sockets, goroutines): measure it
	// clean first, with the same traffic; the impairment adds its delay on
	// top (both minimums: what a loaded machine adds to the others varies
	// from one run to the next).
	const n = 3000
	base := echo(t, alloc, peer, n)
	up := Profile{Loss: 0.10, Delay: 40 * time.Millisecond, Seed: 7}
	down := Profile{Loss: 0.05, Delay: 60 * time.Millisecond, Seed: 8}
	if err := r.SetProfile(Up, up); err != nil {
		t.Fatal(err)
	}
	if err := r.SetProfile(Down, down); err != nil {
		t.Fatal(err)
	}
	before := r.Stats()
	got, reached := echoN(t, alloc, peer, n)
	after := r.Stats()

	upLoss := 1 - float64(reached)/n
	if d := upLoss - up.Loss; d > 0.02 || d < -0.02 {
		t.Errorf("loss client→peer %.2f%%, want %.0f%% ± 2 points", 100*upLoss, 100*up.Loss)
	}
	// The echo's delay is the round trip: up + down, on top of the clean one.
	for i := range got {
		got[i].delay -= base
	}
	checkLink(t, "round trip", Profile{Loss: 1 - (1-up.Loss)*(1-down.Loss), Delay: up.Delay + down.Delay}, n, got)
	if after.Allocations != 1 || after.Up.Packets-before.Up.Packets < n || after.Down.Dropped == 0 {
		t.Errorf("relay stats %+v", after)
	}
}

// echo returns the shortest round trip of n packets.
func echo(t *testing.T, alloc, peer net.PacketConn, n int) time.Duration {
	got, _ := echoN(t, alloc, peer, n)
	if len(got) < n/2 {
		t.Fatalf("clean echo: %d/%d", len(got), n)
	}
	return quantile(got, 0)
}

// echoN sends n probes from alloc to peer, which echoes them; it returns the
// echoes and how many reached the peer.
func echoN(t *testing.T, alloc, peer net.PacketConn, n int) ([]probe, int) {
	atPeer := make(chan int)
	go func() {
		n := 0
		b := make([]byte, 2048)
		for {
			_ = peer.SetReadDeadline(time.Now().Add(time.Second))
			k, from, err := peer.ReadFrom(b)
			if err != nil {
				atPeer <- n
				return
			}
			n++
			_, _ = peer.WriteTo(b[:k], from)
		}
	}()
	echoes := make(chan []probe)
	go func() { echoes <- collect(alloc, 2*time.Second, nil) }()
	send(t, func(b []byte) error { _, err := alloc.WriteTo(b, peer.LocalAddr()); return err }, n)
	return <-echoes, <-atPeer
}

func TestRelayRefusesWrongPassword(t *testing.T) {
	r, err := StartRelay(RelayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := turnClient(t, r, r.ICEServer().Username, "wrong"); err == nil {
		t.Error("allocation with a wrong password succeeded")
	}
}

func TestRelayOptions(t *testing.T) {
	for _, c := range []struct {
		o   RelayOptions
		err error
	}{
		{RelayOptions{Addr: "10.1.2.3:0"}, ErrNotLoopback},
		{RelayOptions{Addr: "localhost"}, nil},
		{RelayOptions{Up: Profile{Loss: 3}}, ErrInvalidProfile},
	} {
		r, err := StartRelay(c.o)
		if err == nil {
			_ = r.Close()
			t.Errorf("%+v: started", c.o)
			continue
		}
		if c.err != nil && !errors.Is(err, c.err) {
			t.Errorf("%+v: %v, want %v", c.o, err, c.err)
		}
	}
	r, err := StartRelay(RelayOptions{Addr: "127.0.0.1:0", User: "u", Pass: "p"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ice := r.ICEServer()
	if r.Port() == 0 || len(ice.URLs) != 1 || ice.URLs[0] != "turn:"+r.Addr().String()+"?transport=udp" || ice.Username != "u" || ice.Credential != "p" {
		t.Errorf("ICE server %+v for port %d", ice, r.Port())
	}
}
