package rtpx

import "testing"

func TestKeyframeStart(t *testing.T) {
	tests := []struct {
		name    string
		mime    string
		payload []byte
		want    bool
	}{
		{"vp8 keyframe, no extension", "video/VP8", []byte{0x10, 0x00}, true},
		{"vp8 delta frame", "video/VP8", []byte{0x10, 0x01}, false},
		{"vp8 continuation", "video/VP8", []byte{0x00, 0x00}, false},
		{"vp8 later partition", "video/VP8", []byte{0x11, 0x00}, false},
		{"vp8 keyframe, 15-bit picture id", "video/VP8", []byte{0x90, 0x80, 0x81, 0x23, 0x00}, true},
		{"vp8 keyframe, picture id, tl0, tid", "video/VP8", []byte{0x90, 0xe0, 0x05, 0x07, 0x40, 0x00}, true},
		{"vp8 delta, picture id, tl0, tid", "video/VP8", []byte{0x90, 0xe0, 0x05, 0x07, 0x40, 0x01}, false},
		{"vp8 truncated descriptor", "video/VP8", []byte{0x90, 0x80}, false},
		{"vp9 keyframe start", "video/VP9", []byte{0x88}, true},
		{"vp9 keyframe middle", "video/VP9", []byte{0x80}, false},
		{"vp9 inter frame", "video/VP9", []byte{0xc8}, false},
		{"vp9 keyframe, spatial layer 0", "video/VP9", []byte{0xa8, 0x05, 0x00}, true},
		{"vp9 keyframe, spatial layer 1", "video/VP9", []byte{0xa8, 0x05, 0x02}, false},
		{"h264 idr", "video/H264", []byte{0x65, 0x88}, true},
		{"h264 sps", "video/H264", []byte{0x67, 0x42}, true},
		{"h264 non-idr slice", "video/H264", []byte{0x41, 0x9a}, false},
		{"h264 stap-a sps pps", "video/H264", []byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce}, true},
		{"h264 stap-a sei then idr", "video/H264", []byte{0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x65, 0x88}, true},
		{"h264 stap-a delta", "video/H264", []byte{0x78, 0x00, 0x02, 0x41, 0x9a}, false},
		{"h264 stap-a zero size", "video/H264", []byte{0x78, 0x00, 0x00, 0x65}, false},
		{"h264 fu-a idr start", "video/H264", []byte{0x7c, 0x85, 0x88}, true},
		{"h264 fu-a idr middle", "video/H264", []byte{0x7c, 0x05, 0x88}, false},
		{"h264 fu-a delta start", "video/H264", []byte{0x7c, 0x81, 0x9a}, false},
		{"av1 new sequence", "video/AV1", []byte{0x18}, true},
		{"av1 delta", "video/AV1", []byte{0x10}, false},
		{"empty payload", "video/VP8", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := KeyframeStart(tc.mime)
			if start == nil {
				t.Fatalf("no detector for %s", tc.mime)
			}
			if got := start(tc.payload); got != tc.want {
				t.Errorf("KeyframeStart(%s)(% x) = %v, want %v", tc.mime, tc.payload, got, tc.want)
			}
		})
	}
	for _, mime := range []string{"audio/opus", "audio/PCMU", "video/H265", "", "VP8"} {
		if KeyframeStart(mime) != nil {
			t.Errorf("%q has a keyframe detector", mime)
		}
	}
	if KeyframeStart("video/vp8") == nil {
		t.Error("MIME types are case-insensitive")
	}
}

// FuzzKeyframeStart: no payload makes a detector panic.
func FuzzKeyframeStart(f *testing.F) {
	f.Add([]byte{0x90, 0xe0, 0x05, 0x07, 0x40, 0x00})
	f.Add([]byte{0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce})
	f.Add([]byte{0xa8, 0x85, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, p []byte) {
		for _, mime := range []string{"video/VP8", "video/VP9", "video/H264", "video/AV1"} {
			KeyframeStart(mime)(p)
		}
	})
}
