//go:build linux

package udpx

import (
	"testing"
	"time"
)

// With ReadCoalesce, a read after one that found datagrams waits for more
// to gather; every datagram still arrives, in order, and an idle socket's
// read still returns on the first datagram.
func TestRecvCoalesce(t *testing.T) {
	rx, tx := pair(t, "udp4", "127.0.0.1:0", Options{ReadCoalesce: 5 * time.Millisecond})
	b := make([]byte, 64)
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := tx.WriteToAddrPort([]byte{byte(i)}, rx.LocalAddrPort()); err != nil {
				t.Error(err)
			}
		}
	}
	_ = rx.SetReadDeadline(time.Now().Add(30 * time.Second))
	go send(0, 1)
	if n, _, err := rx.ReadFromAddrPort(b); err != nil || n != 1 || b[0] != 0 {
		t.Fatalf("first read: %d %v %x", n, err, b[:n])
	}
	go send(1, 40)
	for i := 1; i < 40; i++ {
		n, _, err := rx.ReadFromAddrPort(b)
		if err != nil || n != 1 || b[0] != byte(i) {
			t.Fatalf("datagram %d: %d %v %x", i, n, err, b[:n])
		}
	}
	rx.readMu.Lock()
	waits := rx.recv.waits
	rx.readMu.Unlock()
	if waits == 0 {
		t.Error("no read waited for datagrams to gather")
	}
}
