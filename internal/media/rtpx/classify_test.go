package rtpx

import "testing"

func TestClassifyVP8(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		key     bool
		tid     uint8
	}{
		{"keyframe, no extension", []byte{0x10, 0x00}, true, 0},
		{"inter frame", []byte{0x10, 0x01}, false, 0},
		{"15-bit picture id, TL0PICIDX, TID 2", []byte{0x90, 0xe0, 0x80, 0x01, 0x05, 0x80, 0x01}, false, 2},
		{"keyframe with TID 0", []byte{0x90, 0xa0, 0x05, 0x20, 0x00}, true, 0},
		{"7-bit picture id, TID 1 of a continuation", []byte{0x80, 0xa0, 0x05, 0x40, 0x00}, false, 1},
		{"truncated", []byte{0x90, 0xe0}, false, 0},
		{"empty", nil, false, 0},
	}
	c := Classify("video/vp8")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, tid := c(tc.payload)
			if key != tc.key || tid != tc.tid {
				t.Errorf("Classify = %v, %d; want %v, %d", key, tid, tc.key, tc.tid)
			}
		})
	}
	if Classify("audio/opus") != nil {
		t.Error("opus classified")
	}
	if k, tid := Classify("video/H264")([]byte{0x65}); !k || tid != 0 {
		t.Errorf("H.264 IDR = %v %d", k, tid)
	}
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte{0x90, 0xe0, 0x80, 0x01, 0x05, 0x80, 0x01})
	f.Add([]byte{0x10})
	c := Classify("video/VP8")
	f.Fuzz(func(t *testing.T, p []byte) {
		if _, tid := c(p); tid > 3 {
			t.Fatalf("tid %d", tid)
		}
	})
}
