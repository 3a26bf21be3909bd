package nack

import (
	"bytes"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/interceptor/interceptortest"
)

const (
	nackHistory        = DefaultHistory
	nackResendBudget   = DefaultResendBudget
	nackResendInterval = DefaultResendInterval
)

func newResponder(t testing.TB, opts ...Option) *Responder {
	t.Helper()
	f, err := NewResponderFactory(opts...)
	if err != nil {
		t.Fatal(err)
	}
	i, err := f.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = i.Close() })
	return i.(*Responder)
}

func nackStream(nackable bool) *interceptor.StreamInfo {
	info := &interceptor.StreamInfo{SSRC: 77, ClockRate: 90000}
	if nackable {
		info.RTCPFeedback = []interceptor.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	}
	return info
}

func sendNACK(t *testing.T, r *Responder, ssrc uint32, pairs ...rtcp.NackPair) {
	t.Helper()
	raw, err := rtcp.Marshal([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: ssrc, Nacks: pairs}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.BindRTCPReader(&interceptortest.Feed{Datagrams: [][]byte{raw}}).Read(make([]byte, 1500), nil); err != nil {
		t.Fatal(err)
	}
}

func TestNACKResponder(t *testing.T) {
	const sent = 2*nackHistory + 10 // the first 522 fell out of the history
	first := uint16(65500)          // and the sequence numbers wrap
	last := first + sent - 1
	tests := []struct {
		name     string
		nackable bool
		ssrc     uint32
		pairs    []rtcp.NackPair
		want     []uint16
	}{
		{"one packet", true, 77, []rtcp.NackPair{{PacketID: last - 3}}, []uint16{last - 3}},
		{"padded, large", true, 77, []rtcp.NackPair{{PacketID: last - 2}}, []uint16{last - 2}},
		{"asked twice in one NACK", true, 77, []rtcp.NackPair{{PacketID: last - 3}, {PacketID: last - 4, LostPackets: 1}}, []uint16{last - 3, last - 4}},
		{"bitmask", true, 77, []rtcp.NackPair{{PacketID: last - 20, LostPackets: 0b101}}, []uint16{last - 20, last - 19, last - 17}},
		{"across the wrap", true, 77, []rtcp.NackPair{{PacketID: first + sent - nackHistory}}, []uint16{first + sent - nackHistory}},
		{"too old", true, 77, []rtcp.NackPair{{PacketID: last - nackHistory}}, nil},
		{"not sent yet", true, 77, []rtcp.NackPair{{PacketID: last + 1}}, nil},
		{"other SSRC", true, 78, []rtcp.NackPair{{PacketID: last}}, nil},
		{"stream without NACK", false, 77, []rtcp.NackPair{{PacketID: last}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newResponder(t)
			wire := &interceptortest.SentLog{}
			w := r.BindLocalStream(nackStream(tc.nackable), wire)
			originals := map[uint16][]byte{}
			for i := 0; i < sent; i++ {
				h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 77, SequenceNumber: first + uint16(i), Timestamp: uint32(i) * 3000, Marker: i%3 == 0}
				if err := h.SetExtension(3, []byte{byte(i), 1, 2}); err != nil {
					t.Fatal(err)
				}
				payload := bytes.Repeat([]byte{byte(i)}, 100+i%900)
				if seq := first + uint16(i); seq == last-2 || i%5 == 0 {
					h.Padding, h.PaddingSize = true, byte(1+i%250)
					payload = bytes.Repeat([]byte{byte(i)}, 1300)
				}
				if _, err := w.Write(&h, payload, nil); err != nil {
					t.Fatal(err)
				}
				originals[h.SequenceNumber] = wire.Packets[len(wire.Packets)-1]
			}
			wire.Packets = nil
			sendNACK(t, r, tc.ssrc, tc.pairs...)
			if len(wire.Packets) != len(tc.want) {
				t.Fatalf("resent %d packets, want %d", len(wire.Packets), len(tc.want))
			}
			for i, seq := range tc.want {
				if !bytes.Equal(wire.Packets[i], originals[seq]) {
					t.Errorf("resent packet %d differs from the original %d", i, seq)
				}
			}
		})
	}
}

// TestNACKResponderAllocatesNothing: once the ring is warm, recording a
// sent packet and answering a NACK allocate nothing.
func TestNACKResponderAllocatesNothing(t *testing.T) {
	r := newResponder(t)
	w := r.BindLocalStream(nackStream(true), interceptortest.Discard{})
	h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 77}
	payload := make([]byte, 1200)
	for i := 0; i < nackHistory; i++ {
		h.SequenceNumber++
		_, _ = w.Write(&h, payload, nil)
	}
	if a := testing.AllocsPerRun(1000, func() {
		h.SequenceNumber++
		_, _ = w.Write(&h, payload, nil)
	}); a != 0 {
		t.Errorf("recording allocates %.1f objects per packet", a)
	}
	hist := r.streams[77]
	hist.resend(h.SequenceNumber - 1) // sizes the scratch space
	seq := h.SequenceNumber - 1
	if a := testing.AllocsPerRun(100, func() { seq--; hist.resend(seq) }); a != 0 {
		t.Errorf("resending allocates %.1f objects per packet", a)
	}
}

// TestNACKResponderLimits: a packet is resent at most once per
// nackResendInterval, and a stream resends at most nackResendBudget packets
// a second however many NACKs arrive.
func TestNACKResponderLimits(t *testing.T) {
	now := int64(1)
	r := newResponder(t, WithClock(func() int64 { return now }))
	wire := &interceptortest.SentLog{}
	w := r.BindLocalStream(nackStream(true), wire)
	for i := 0; i < nackHistory; i++ {
		h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 77, SequenceNumber: uint16(i)}
		_, _ = w.Write(&h, []byte{1}, nil)
	}
	all := make([]rtcp.NackPair, 0, nackHistory/17+1)
	for seq := 0; seq < nackHistory; seq += 17 {
		all = append(all, rtcp.NackPair{PacketID: uint16(seq), LostPackets: 0xffff})
	}
	resent := func() int {
		wire.Packets = nil
		sendNACK(t, r, 77, all...)
		return len(wire.Packets)
	}
	if n := resent(); n != nackHistory {
		t.Fatalf("first NACK of everything: %d resent, want %d", n, nackHistory)
	}
	if n := resent(); n != 0 {
		t.Fatalf("the same NACK at once: %d resent, want 0", n)
	}
	now += int64(nackResendInterval)
	if n := resent(); n != nackResendBudget-nackHistory {
		t.Fatalf("after the interval: %d resent, want the rest of the budget %d", n, nackResendBudget-nackHistory)
	}
}

// FuzzNACKResponder feeds arbitrary RTCP from a receiver to the responder
// of a stream with a full history: it must never panic, and whatever it
// resends must be a packet it sent.
func FuzzNACKResponder(f *testing.F) {
	nack, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: 77, Nacks: []rtcp.NackPair{{PacketID: 500, LostPackets: 0xffff}}}})
	f.Add(nack)
	f.Add([]byte{0x81, 0xcd, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 77, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := newResponder(t)
		wire := &interceptortest.SentLog{}
		w := r.BindLocalStream(nackStream(true), wire)
		for i := 0; i < nackHistory; i++ {
			h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 77, SequenceNumber: uint16(i)}
			_, _ = w.Write(&h, []byte{byte(i), byte(i >> 8)}, nil)
		}
		wire.Packets = nil
		_, _, _ = r.BindRTCPReader(&interceptortest.Feed{Datagrams: [][]byte{b}}).Read(make([]byte, 1500), nil)
		for _, p := range wire.Packets {
			var pkt rtp.Packet
			if err := pkt.Unmarshal(p); err != nil || len(pkt.Payload) != 2 || uint16(pkt.Payload[0])|uint16(pkt.Payload[1])<<8 != pkt.SequenceNumber {
				t.Fatalf("resent a packet that was not sent: %x", p)
			}
		}
	})
}

func TestOptions(t *testing.T) {
	bad := []Option{WithHistory(0), WithHistory(100), WithHistory(1 << 16), WithResendInterval(-1), WithResendBudget(0)}
	for i, o := range bad {
		if _, err := NewResponderFactory(o); err == nil {
			t.Errorf("option %d accepted", i)
		}
	}
	r := newResponder(t, WithHistory(16))
	wire := &interceptortest.SentLog{}
	w := r.BindLocalStream(nackStream(true), wire)
	for i := 0; i < 20; i++ {
		_, _ = w.Write(&rtp.Header{Version: 2, SSRC: 77, SequenceNumber: uint16(i)}, []byte{1}, nil)
	}
	wire.Packets = nil
	sendNACK(t, r, 77, rtcp.NackPair{PacketID: 3}, rtcp.NackPair{PacketID: 4})
	if len(wire.Packets) != 1 {
		t.Errorf("a 16-packet history resent %d of packets 3 (gone) and 4 (kept)", len(wire.Packets))
	}
}
