package udpx

import (
	"testing"
)

// takeOdd takes datagrams whose first byte is odd.
type takeOdd struct{ got []byte }

func (h *takeOdd) HandleInbound(b []byte) bool {
	if b[0]%2 == 0 {
		return false
	}
	h.got = append(h.got, b[0])
	return true
}

func TestSetInbound(t *testing.T) {
	rx, err := Listen("udp4", "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := Listen("udp4", "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	h := &takeOdd{}
	cancel := rx.SetInbound(tx.LocalAddrPort(), h)
	send := func(bs ...byte) {
		for _, b := range bs {
			if _, err := tx.WriteToAddrPort([]byte{b}, rx.LocalAddrPort()); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func() byte {
		b := make([]byte, 16)
		n, from, err := rx.ReadFromAddrPort(b)
		if err != nil || n != 1 || from != tx.LocalAddrPort() {
			t.Fatalf("read %d from %v: %v", n, from, err)
		}
		return b[0]
	}
	send(1, 3, 2, 5, 4)
	if got := read(); got != 2 {
		t.Fatalf("first datagram left to the reader: %d, want 2", got)
	}
	if got := read(); got != 4 {
		t.Fatalf("second datagram left to the reader: %d, want 4", got)
	}
	if string(h.got) != "\x01\x03\x05" {
		t.Errorf("handler took %v, want 1 3 5", h.got)
	}
	if st := rx.Stats(); st.DatagramsTaken != 3 || st.DatagramsRead != 5 {
		t.Errorf("stats %+v", st)
	}
	cancel()
	send(7)
	if got := read(); got != 7 {
		t.Fatalf("after cancel the reader gets %d, want 7", got)
	}
}
