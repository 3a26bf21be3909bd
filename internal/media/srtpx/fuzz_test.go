package srtpx

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzUnprotect feeds arbitrary datagrams to Unprotect and UnprotectRTCP of
// every profile: no panic, no read or write outside the packet, and an error
// for anything not protected with the session's key. Then it protects the
// same bytes as a payload and checks that they round-trip.
//
//	go test -run '^$' -fuzz FuzzUnprotect ./internal/media/srtpx
func FuzzUnprotect(f *testing.F) {
	sessions := make([]*Session, len(allProfiles))
	for i, p := range allProfiles {
		key, salt := make([]byte, p.KeyLen()), make([]byte, p.SaltLen())
		for j := range key {
			key[j] = byte(j * 3)
		}
		s, err := NewSession(p, key, salt)
		if err != nil {
			f.Fatal(err)
		}
		sessions[i] = s
		// Seeds: genuine packets of this session, so mutations start deep.
		st := s.NewStream(0x01020304)
		if enc, err := st.Protect(rtpPacket(0x01020304, 9, 40)); err == nil {
			f.Add(uint8(i), false, enc)
		}
		rtcp := make([]byte, 28, 64)
		rtcp[0], rtcp[1], rtcp[3] = 0x80, 200, 6
		binary.BigEndian.PutUint32(rtcp[4:], 0x01020304)
		if enc, err := st.ProtectRTCP(rtcp); err == nil {
			f.Add(uint8(i), true, enc)
		}
	}
	f.Add(uint8(0), false, []byte{0x90, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 0xbe, 0xde, 0xff, 0xff})
	f.Add(uint8(2), true, []byte{0x80, 200, 0, 1, 1, 2, 3, 4})

	f.Fuzz(func(t *testing.T, which uint8, rtcp bool, data []byte) {
		s := sessions[int(which)%len(sessions)]
		ssrcAt := 8
		if rtcp {
			ssrcAt = 4
		}
		var ssrc uint32
		if len(data) >= ssrcAt+4 {
			ssrc = binary.BigEndian.Uint32(data[ssrcAt:])
		}
		st := s.NewStream(ssrc)
		// Guard bytes after the packet catch writes past its end.
		buf := make([]byte, len(data), len(data)+64)
		copy(buf, data)
		guard := buf[len(data) : len(data)+64]
		for i := range guard {
			guard[i] = 0xa5
		}
		var out []byte
		var err error
		if rtcp {
			out, err = st.UnprotectRTCP(buf)
		} else {
			out, err = st.Unprotect(buf)
		}
		if err == nil && (len(out) >= len(data) || !bytes.Equal(out[:min(8, len(out))], data[:min(8, len(out))])) {
			t.Fatalf("accepted a packet into %d bytes from %d", len(out), len(data))
		}
		for _, g := range guard {
			if g != 0xa5 {
				t.Fatal("wrote past the end of the packet")
			}
		}

		// Round trip: the input as the payload of a valid packet.
		if len(data) > 1400 {
			return
		}
		plain := make([]byte, 12, 12+len(data)+64)
		plain[0], plain[1] = 0x80, 96
		binary.BigEndian.PutUint32(plain[8:], 77)
		plain = append(plain, data...)
		want := append([]byte(nil), plain...)
		tx, rx := s.NewStream(77), s.NewStream(77)
		enc, err := tx.Protect(plain)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rx.Unprotect(enc)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("round trip: %v; got %x want %x", err, got, want)
		}
	})
}
