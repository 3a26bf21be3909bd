package gst

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// faceOverlayRect places a FaceOverlayFilter image on a face: offsets and
// sizes are fractions of the face's width and height (KMS semantics, e.g.
// -0.35, -1.2, 1.6, 1.6 puts a hat above the face).
func faceOverlayRect(face ipc.Rect, img ipc.Image) ipc.Rect {
	fw, fh := float64(face.Width), float64(face.Height)
	return ipc.Rect{
		X:      face.X + int(math.Round(img.OffsetX*fw)),
		Y:      face.Y + int(math.Round(img.OffsetY*fh)),
		Width:  max(1, int(math.Round(img.Width*fw))),
		Height: max(1, int(math.Round(img.Height*fh))),
	}
}

// imageOverlayRect places an ImageOverlayFilter image: offsets and sizes are
// fractions of the frame. keepAspectRatio fits the image in that box without
// distortion; center then centres it in the box (else top-left).
func imageOverlayRect(frameW, frameH int, img ipc.Image, imgW, imgH int) ipc.Rect {
	bx := img.OffsetX * float64(frameW)
	by := img.OffsetY * float64(frameH)
	bw := img.Width * float64(frameW)
	bh := img.Height * float64(frameH)
	w, h := bw, bh
	if img.KeepAspectRatio && imgW > 0 && imgH > 0 {
		scale := math.Min(bw/float64(imgW), bh/float64(imgH))
		w, h = float64(imgW)*scale, float64(imgH)*scale
	}
	x, y := bx, by
	if img.Center {
		x, y = bx+(bw-w)/2, by+(bh-h)/2
	}
	return ipc.Rect{X: int(math.Round(x)), Y: int(math.Round(y)),
		Width: max(1, int(math.Round(w))), Height: max(1, int(math.Round(h)))}
}

// scaleRect maps a rectangle found on a detection frame of width dw back to
// a frame of width fw (same aspect ratio).
func scaleRect(r ipc.Rect, dw, fw int) ipc.Rect {
	if dw <= 0 || dw == fw {
		return r
	}
	k := float64(fw) / float64(dw)
	return ipc.Rect{X: int(math.Round(float64(r.X) * k)), Y: int(math.Round(float64(r.Y) * k)),
		Width: int(math.Round(float64(r.Width) * k)), Height: int(math.Round(float64(r.Height) * k))}
}

var faceRE = regexp.MustCompile(`x=\(uint\)(\d+), y=\(uint\)(\d+), width=\(uint\)(\d+), height=\(uint\)(\d+)`)

// parseFaces reads the faces out of a serialized facedetect structure
// (go-gst cannot convert its list-of-structures field).
func parseFaces(s string) []ipc.Rect {
	s = strings.ReplaceAll(s, `\`, "")
	var out []ipc.Rect
	for _, m := range faceRE.FindAllStringSubmatch(s, -1) {
		v := make([]int, 4)
		for i := range v {
			v[i], _ = strconv.Atoi(m[i+1])
		}
		out = append(out, ipc.Rect{X: v[0], Y: v[1], Width: v[2], Height: v[3]})
	}
	return out
}
