package gst

import (
	"image"
	"strings"
	"testing"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

func TestFaceOverlayRect(t *testing.T) {
	face := ipc.Rect{X: 100, Y: 200, Width: 100, Height: 80}
	// The Kurento magic-mirror hat: -0.35, -1.2, 1.6, 1.6.
	got := faceOverlayRect(face, ipc.Image{OffsetX: -0.35, OffsetY: -1.2, Width: 1.6, Height: 1.6})
	if want := (ipc.Rect{X: 65, Y: 104, Width: 160, Height: 128}); got != want {
		t.Fatalf("got %+v want %+v", got, want)
	}
}

func TestImageOverlayRect(t *testing.T) {
	tests := []struct {
		name       string
		img        ipc.Image
		imgW, imgH int
		want       ipc.Rect
	}{
		{"stretch", ipc.Image{OffsetX: 0.5, Width: 0.5, Height: 1}, 64, 64, ipc.Rect{X: 160, Y: 0, Width: 160, Height: 240}},
		{"keep aspect top-left", ipc.Image{OffsetX: 0.5, Width: 0.5, Height: 1, KeepAspectRatio: true}, 64, 64, ipc.Rect{X: 160, Y: 0, Width: 160, Height: 160}},
		{"keep aspect centred", ipc.Image{OffsetX: 0.5, Width: 0.5, Height: 1, KeepAspectRatio: true, Center: true}, 64, 64, ipc.Rect{X: 160, Y: 40, Width: 160, Height: 160}},
		{"wide image", ipc.Image{Width: 1, Height: 1, KeepAspectRatio: true, Center: true}, 200, 50, ipc.Rect{X: 0, Y: 80, Width: 320, Height: 80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := imageOverlayRect(320, 240, tt.img, tt.imgW, tt.imgH); got != tt.want {
				t.Fatalf("got %+v want %+v", got, tt.want)
			}
		})
	}
}

func TestParseFaces(t *testing.T) {
	s := `facedetect, timestamp=(guint64)0, faces=(structure){ "face\,\ x\=\(uint\)59\,\ y\=\(uint\)38\,\ width\=\(uint\)59\,\ height\=\(uint\)60\;", "face\,\ x\=\(uint\)1\,\ y\=\(uint\)2\,\ width\=\(uint\)3\,\ height\=\(uint\)4\;" };`
	got := parseFaces(s)
	if len(got) != 2 || got[0] != (ipc.Rect{X: 59, Y: 38, Width: 59, Height: 60}) || got[1] != (ipc.Rect{X: 1, Y: 2, Width: 3, Height: 4}) {
		t.Fatalf("got %+v", got)
	}
	if got := parseFaces(`facedetect, faces=(int){  };`); len(got) != 0 {
		t.Fatalf("no faces: got %+v", got)
	}
	if got := scaleRect(ipc.Rect{X: 10, Y: 20, Width: 30, Height: 40}, 160, 640); got != (ipc.Rect{X: 40, Y: 80, Width: 120, Height: 160}) {
		t.Fatalf("scale: %+v", got)
	}
}

func TestCheckFactory(t *testing.T) {
	tests := []struct {
		name    string
		pol     *ipc.ElementPolicy
		factory string
		klass   string
		uri     bool
		deny    string
	}{
		{"effect allowed", nil, "videobalance", "Filter/Effect/Video", false, ""},
		{"filesink", nil, "filesink", "Sink/File", true, "not allowed"},
		{"sink class", nil, "fakesink", "Sink", false, "sources, sinks"},
		{"source class", nil, "videotestsrc", "Source/Video", false, "sources, sinks"},
		{"uri bin", nil, "uridecodebin", "Generic/Bin/Decoder", false, "not allowed"},
		{"uri handler", nil, "someuri", "Generic", true, "URIs"},
		{"io allowed", &ipc.ElementPolicy{AllowIO: true}, "fakesink", "Sink", false, ""},
		{"io allowed, list still denies", &ipc.ElementPolicy{AllowIO: true}, "udpsink", "Sink/Network", false, "not allowed"},
		{"extra deny", &ipc.ElementPolicy{Deny: []string{"edgetv"}}, "edgetv", "Filter/Effect/Video", false, "not allowed"},
		{"allow list", &ipc.ElementPolicy{Allow: []string{"edgetv"}}, "videobalance", "Filter/Effect/Video", false, "allow"},
		{"allow list hit", &ipc.ElementPolicy{Allow: []string{"edgetv"}}, "edgetv", "Filter/Effect/Video", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkFactory(tt.pol, tt.factory, tt.klass, tt.uri)
			if tt.deny == "" && err != nil {
				t.Fatalf("denied: %v", err)
			}
			if tt.deny != "" && (err == nil || !strings.Contains(err.Error(), tt.deny)) {
				t.Fatalf("err = %v, want %q", err, tt.deny)
			}
		})
	}
}

func TestChromaKey(t *testing.T) {
	const w, h = 8, 4
	pix := make([]byte, w*h*4)
	for i := 0; i < len(pix); i += 4 {
		pix[i], pix[i+1], pix[i+2], pix[i+3] = 30, 200, 40, 255 // green
	}
	// one red pixel at (7,3)
	red := (3*w + 7) * 4
	pix[red], pix[red+1], pix[red+2] = 220, 20, 20
	bg := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(bg.Pix); i += 4 {
		bg.Pix[i+2], bg.Pix[i+3] = 255, 255
	}
	k := newChromaKey(image.Rect(0, 0, 2, 2), 1)
	k.process(append([]byte(nil), pix...), w*4, w, h, bg) // calibration frame
	if !k.calibrated || hueDist(k.keyH, 120) > 10 {
		t.Fatalf("calibration: %+v", k)
	}
	k.process(pix, w*4, w, h, bg)
	if pix[0] != 0 || pix[2] != 255 {
		t.Fatalf("green pixel not replaced: %v", pix[:4])
	}
	if pix[red] != 220 {
		t.Fatalf("red pixel replaced: %v", pix[red:red+4])
	}
}

func TestDescribe(t *testing.T) {
	spec := &ipc.Spec{Inputs: []ipc.Stream{{Codec: "VP8", PayloadType: 96}},
		Outputs: []ipc.Stream{{Codec: "H264", PayloadType: 102, SSRC: 7}, {Codec: "VP8", PayloadType: 96}}}
	d, err := Describe(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"appsrc name=src0", "rtpvp8depay", "tee name=outtee", "x264enc name=enc0", "ssrc=7", "vp8enc name=enc1", "appsink name=sink1"} {
		if !strings.Contains(d, want) {
			t.Errorf("description lacks %q:\n%s", want, d)
		}
	}
	spec.Inputs = append(spec.Inputs, spec.Inputs[0])
	if _, err := Describe(spec); err == nil {
		t.Fatal("two inputs described (mixers are not implemented yet)")
	}
}
