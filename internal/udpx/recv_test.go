package udpx

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"
)

// pair opens a receiving and a sending socket on network's loopback.
func pair(t *testing.T, network, addr string, o Options) (rx, tx *Conn) {
	t.Helper()
	rx, err := Listen(network, addr, o)
	if err != nil {
		t.Skipf("%s: %v", addr, err)
	}
	t.Cleanup(func() { _ = rx.Close() })
	tx, err = Listen(network, addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Close() })
	return rx, tx
}

// TestRecvBatch: datagrams already queued on the socket are read in one
// system call (recvmmsg on Linux) and handed out one by one, in order,
// with their sender, whatever the batching; handlers still take theirs;
// a datagram longer than the receive buffer is dropped and counted.
func TestRecvBatch(t *testing.T) {
	for _, tc := range []struct{ network, addr string }{{"udp4", "127.0.0.1:0"}, {"udp6", "[::1]:0"}} {
		for _, o := range []Options{{}, {NoRecvBatch: true}} {
			t.Run(tc.network+map[bool]string{true: "/single", false: "/batch"}[o.NoRecvBatch], func(t *testing.T) {
				rx, tx := pair(t, tc.network, tc.addr, o)
				h := &takeOdd{}
				defer rx.SetInbound(tx.LocalAddrPort(), h)()
				const n = 40 // more than one batch
				for i := range n {
					if _, err := tx.WriteToAddrPort([]byte{byte(i), 0xee}, rx.LocalAddrPort()); err != nil {
						t.Fatal(err)
					}
				}
				if runtime.GOOS == "linux" && !o.NoRecvBatch {
					if _, err := tx.WriteToAddrPort(make([]byte, recvBufSize+1), rx.LocalAddrPort()); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := tx.WriteToAddrPort([]byte{100}, rx.LocalAddrPort()); err != nil {
					t.Fatal(err)
				}
				b := make([]byte, 64)
				for want := 0; want <= n; want += 2 {
					if want == n {
						want = 100
					}
					k, from, err := rx.ReadFromAddrPort(b)
					if err != nil || from != tx.LocalAddrPort() || b[0] != byte(want) {
						t.Fatalf("read %v (%d bytes) from %v: %v; want %d from %v", b[:k], k, from, err, want, tx.LocalAddrPort())
					}
				}
				if len(h.got) != n/2 {
					t.Errorf("the handler took %d datagrams, want %d", len(h.got), n/2)
				}
				st := rx.Stats()
				if runtime.GOOS == "linux" && !o.NoRecvBatch {
					if st.ReadCalls >= st.DatagramsRead/2 || st.Truncated != 1 {
						t.Errorf("stats %+v: want a batch per call and one truncated datagram", st)
					}
				} else if st.ReadCalls != st.DatagramsRead {
					t.Errorf("stats %+v: want a call per datagram", st)
				}
			})
		}
	}
}

// TestRecvBatchDeadline: a read deadline ends a blocked batched read with
// a timeout, and the socket reads on afterwards; Close ends it with
// net.ErrClosed.
func TestRecvBatchDeadline(t *testing.T) {
	rx, tx := pair(t, "udp4", "127.0.0.1:0", Options{})
	_ = rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	b := make([]byte, 64)
	if _, _, err := rx.ReadFromAddrPort(b); !os.IsTimeout(err) {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	_ = rx.SetReadDeadline(time.Time{})
	if _, err := tx.WriteToAddrPort([]byte{7}, rx.LocalAddrPort()); err != nil {
		t.Fatal(err)
	}
	if n, _, err := rx.ReadFromAddrPort(b); err != nil || n != 1 || b[0] != 7 {
		t.Fatalf("read after the timeout: %d %v", n, err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := rx.ReadFromAddrPort(b); done <- err }()
	time.Sleep(10 * time.Millisecond)
	_ = rx.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

// TestRecvBatchAllocatesNothing: reading a datagram, batched or handed to
// a handler, allocates nothing.
func TestRecvBatchAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rx, tx := pair(t, "udp4", "127.0.0.1:0", Options{ReceiveBuffer: 8 << 20})
	h := &takeOdd{got: make([]byte, 0, 4096)}
	defer rx.SetInbound(tx.LocalAddrPort(), h)()
	const runs = 200
	for i := range 2*runs + 20 {
		if _, err := tx.WriteToAddrPort([]byte{byte(i % 2 * 2), 1}, rx.LocalAddrPort()); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.WriteToAddrPort([]byte{1, 1}, rx.LocalAddrPort()); err != nil {
			t.Fatal(err)
		}
	}
	b := make([]byte, 64)
	var from netip.AddrPort
	allocs := testing.AllocsPerRun(runs, func() { _, from, _ = rx.ReadFromAddrPort(b) })
	if allocs != 0 || from != tx.LocalAddrPort() {
		t.Errorf("%.1f allocations per read (from %v)", allocs, from)
	}
}
