package processtest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"
)

// SolidPNG serves a 64×64 PNG of one colour over HTTP on loopback.
func SolidPNG(t testing.TB, c color.RGBA) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/overlay.png"
}

// Fraction is the share of pixels in r (of a w-wide RGB frame) that match.
func Fraction(frame []byte, w int, r image.Rectangle, match func(r, g, b uint8) bool) float64 {
	n, hit := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := 3 * (y*w + x)
			n++
			if match(frame[i], frame[i+1], frame[i+2]) {
				hit++
			}
		}
	}
	return float64(hit) / float64(n)
}

// IsMagenta matches the magenta of test overlays.
func IsMagenta(r, g, b uint8) bool { return r > 180 && b > 180 && g < 90 }

// VP8Caps are the RTP caps of VP8 streams for DecodeRTP.
const VP8Caps = "media=video,clock-rate=90000,encoding-name=VP8"

// IsHatColour matches the red and yellow stripes of the room demo's hat
// (web/static/img/hat.png), after VP8 coding.
func IsHatColour(r, g, b uint8) bool {
	red := r > 160 && g < 100 && b < 110 && int(r)-int(g) > 90
	yellow := r > 190 && g > 140 && b < 110 && int(r)-int(b) > 110
	return red || yellow
}

// FaceHatBox and FaceBelowHatBox are boxes of gocv's face.jpg (640×480, the
// face found near x 235..470, y 153..388): where the demo's hat (placed
// -0.35, -1.2, 1.6, 1.6 face sizes from the face) covers hair and forehead,
// and the eyes, nose and mouth below it, which it never covers.
var (
	FaceHatBox      = image.Rect(262, 120, 442, 220)
	FaceBelowHatBox = image.Rect(282, 240, 422, 336)
)
