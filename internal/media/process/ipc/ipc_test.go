package ipc

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestDecode(t *testing.T) {
	valid := AppendHeader(nil, Header{Type: TypeRTP, Element: 7, Stream: 2})
	tests := []struct {
		name    string
		msg     []byte
		want    Header
		payload []byte
		err     error
	}{
		{"rtp", append(append([]byte{}, valid...), 0x80, 0x60), Header{TypeRTP, 7, 2}, []byte{0x80, 0x60}, nil},
		{"header only", valid, Header{TypeRTP, 7, 2}, []byte{}, nil},
		{"empty", nil, Header{}, nil, ErrShort},
		{"short", valid[:11], Header{}, nil, ErrShort},
		{"version", append([]byte{2}, valid[1:]...), Header{}, nil, ErrVersion},
		{"type zero", []byte{1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, Header{}, nil, ErrType},
		{"type high", []byte{1, 7, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, Header{}, nil, ErrType},
		{"reserved", []byte{1, 6, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, Header{}, nil, ErrReserved},
		{"too big", append(append([]byte{}, valid...), make([]byte, MaxMessage)...), Header{}, nil, ErrTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, p, err := Decode(tt.msg)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if h != tt.want || !bytes.Equal(p, tt.payload) {
				t.Fatalf("got %+v %x, want %+v %x", h, p, tt.want, tt.payload)
			}
		})
	}
}

func TestPutHeaderMatchesAppend(t *testing.T) {
	h := Header{Type: TypeEvent, Element: 0xdeadbeef, Stream: 0x01020304}
	b := make([]byte, HeaderSize)
	PutHeader(b, h)
	if !bytes.Equal(b, AppendHeader(nil, h)) {
		t.Fatalf("PutHeader %x != AppendHeader %x", b, AppendHeader(nil, h))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(AppendHeader([]byte{}, Header{Type: TypeRTP, Element: 1}))
	f.Add(append(AppendHeader(nil, Header{Type: TypeControl, Element: 3}), `{"req":1,"op":"create","spec":{"inputs":[{"codec":"VP8"}]}}`...))
	f.Add(append(AppendHeader(nil, Header{Type: TypeEvent, Element: 3}), `{"kind":"faces","faces":[{"x":1}]}`...))
	f.Add([]byte{1, 9, 0, 0})
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, p, err := Decode(msg)
		if err != nil {
			return
		}
		// A decoded message re-encodes to the same bytes.
		if again := append(AppendHeader(nil, h), p...); !bytes.Equal(again, msg) {
			t.Fatalf("round trip %x != %x", again, msg)
		}
		// JSON payloads of every type decode without panicking.
		switch h.Type {
		case TypeControl:
			var c Control
			if json.Unmarshal(p, &c) == nil && c.Spec != nil {
				_ = c.Spec.Validate()
			}
		case TypeEvent:
			var e Event
			_ = json.Unmarshal(p, &e)
		case TypeReply:
			var r Reply
			_ = json.Unmarshal(p, &r)
		case TypeHello:
			var hl Hello
			_ = json.Unmarshal(p, &hl)
		case TypeHeartbeat:
			var hb Heartbeat
			_ = json.Unmarshal(p, &hb)
		}
	})
}

func TestConnRoundTrip(t *testing.T) {
	a, bf, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := FileConn(bf)
	bf.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	if err := a.SendJSON(Header{Type: TypeControl, Element: 5}, Control{Req: 9, Op: OpKeyframe, Stream: 1}); err != nil {
		t.Fatal(err)
	}
	if err := a.TrySend(Header{Type: TypeRTP, Element: 5, Stream: 1}, []byte{0x80, 1, 2}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, MaxMessage+1)
	h, p, err := b.Recv(buf)
	if err != nil || h.Type != TypeControl || h.Element != 5 {
		t.Fatalf("recv control: %+v %v", h, err)
	}
	var c Control
	if err := json.Unmarshal(p, &c); err != nil || c.Req != 9 || c.Op != OpKeyframe || c.Stream != 1 {
		t.Fatalf("control %+v %v", c, err)
	}
	h, p, err = b.Recv(buf)
	if err != nil || h != (Header{TypeRTP, 5, 1}) || !bytes.Equal(p, []byte{0x80, 1, 2}) {
		t.Fatalf("recv rtp: %+v %x %v", h, p, err)
	}
	if err := a.Send(Header{Type: TypeRTP}, make([]byte, MaxMessage)); !errors.Is(err, ErrTooBig) {
		t.Fatalf("oversized send: %v", err)
	}
}

func TestTrySendFull(t *testing.T) {
	a, bf, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer bf.Close()
	pkt := make([]byte, 1200)
	for i := 0; i < 100000; i++ {
		err := a.TrySend(Header{Type: TypeRTP, Element: 1}, pkt)
		if errors.Is(err, ErrFull) {
			return // the reader never reads: the writer is told at once, never blocked
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("socket never reported full")
}

func TestRecvAfterPeerClose(t *testing.T) {
	a, bf, err := Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	bf.Close()
	if _, _, err := a.Recv(make([]byte, MaxMessage+1)); err == nil {
		t.Fatal("Recv after the peer closed returned no error")
	}
}

func TestSpecValidate(t *testing.T) {
	vp8 := Stream{Codec: CodecVP8, PayloadType: 96}
	opus := Stream{Codec: CodecOpus, PayloadType: 111}
	tests := []struct {
		name string
		spec Spec
		ok   bool
	}{
		{"face", Spec{Inputs: []Stream{vp8}, Outputs: []Stream{vp8}, Processing: Processing{Kind: ProcFaceOverlay}}, true},
		{"transcode fan-out", Spec{Inputs: []Stream{vp8}, Outputs: []Stream{{Codec: "h264"}, vp8}}, true},
		{"audio conversion", Spec{Inputs: []Stream{opus}, Outputs: []Stream{{Codec: CodecPCMU}}}, true},
		{"gst audio", Spec{Inputs: []Stream{opus}, Outputs: []Stream{opus}, Processing: Processing{Kind: ProcGStreamer, Command: "volume volume=0.5", FilterType: "AUDIO"}}, true},
		{"no input", Spec{Outputs: []Stream{vp8}}, false},
		{"no output", Spec{Inputs: []Stream{vp8}}, false},
		{"bad codec", Spec{Inputs: []Stream{{Codec: "theora"}}, Outputs: []Stream{vp8}}, false},
		{"mixed kinds", Spec{Inputs: []Stream{vp8}, Outputs: []Stream{opus}}, false},
		{"face on audio", Spec{Inputs: []Stream{opus}, Outputs: []Stream{opus}, Processing: Processing{Kind: ProcFaceOverlay}}, false},
		{"gst no command", Spec{Inputs: []Stream{vp8}, Outputs: []Stream{vp8}, Processing: Processing{Kind: ProcGStreamer}}, false},
		{"gst wrong type", Spec{Inputs: []Stream{vp8}, Outputs: []Stream{vp8}, Processing: Processing{Kind: ProcGStreamer, Command: "edgetv", FilterType: "AUDIO"}}, false},
		{"chroma no window", Spec{Inputs: []Stream{vp8}, Outputs: []Stream{vp8}, Processing: Processing{Kind: ProcChroma}}, false},
		{"chroma", Spec{Inputs: []Stream{vp8}, Outputs: []Stream{vp8}, Processing: Processing{Kind: ProcChroma, Window: &Window{0, 0, 10, 10}}}, true},
		{"unknown kind", Spec{Inputs: []Stream{vp8}, Outputs: []Stream{vp8}, Processing: Processing{Kind: "sepia"}}, false},
		{"bad bitrate", Spec{Inputs: []Stream{vp8}, Outputs: []Stream{{Codec: CodecVP8, MinBitrate: 5, MaxBitrate: 1}}}, false},
		{"two inputs to a filter", Spec{Inputs: []Stream{vp8, vp8}, Outputs: []Stream{vp8}, Processing: Processing{Kind: ProcZBar}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.spec.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
