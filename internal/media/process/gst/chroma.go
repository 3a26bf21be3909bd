package gst

import "image"

// chromaKey implements KMS's chroma module semantics in pure Go on RGBA
// frames: during calibration the mean colour inside the window is learnt
// (and the window outlined so the user sees where to hold the colour); after
// it, pixels close to that colour in hue and saturation are replaced by the
// background image (or left alone when there is none).
type chromaKey struct {
	window       image.Rectangle
	calibrate    int // frames left to calibrate
	sumH, sumS   float64
	samples      int
	keyH, keyS   float64 // hue 0..360, saturation 0..1
	calibrated   bool
	hueTolerance float64
	satTolerance float64
}

func newChromaKey(win image.Rectangle, frames int) *chromaKey {
	return &chromaKey{window: win, calibrate: frames, hueTolerance: 20, satTolerance: 0.35}
}

// hsv converts 8-bit RGB to hue (degrees), saturation and value (0..1).
func hsv(r, g, b uint8) (h, s, v float64) {
	rf, gf, bf := float64(r)/255, float64(g)/255, float64(b)/255
	mx := max(rf, gf, bf)
	mn := min(rf, gf, bf)
	v = mx
	d := mx - mn
	if mx > 0 {
		s = d / mx
	}
	if d == 0 {
		return 0, s, v
	}
	switch mx {
	case rf:
		h = 60 * ((gf - bf) / d)
	case gf:
		h = 60 * ((bf-rf)/d + 2)
	default:
		h = 60 * ((rf-gf)/d + 4)
	}
	if h < 0 {
		h += 360
	}
	return h, s, v
}

func hueDist(a, b float64) float64 {
	d := a - b
	if d < 0 {
		d = -d
	}
	if d > 180 {
		d = 360 - d
	}
	return d
}

// process handles one RGBA frame in place; bg, when not nil, has the frame's size.
func (c *chromaKey) process(pix []byte, stride, w, h int, bg *image.RGBA) {
	win := c.window.Intersect(image.Rect(0, 0, w, h))
	if c.calibrate > 0 {
		c.calibrate--
		// Mean hue as a vector sum would be exact; window colours are close
		// together, so the plain mean of hue and saturation is enough.
		for y := win.Min.Y; y < win.Max.Y; y++ {
			row := pix[y*stride:]
			for x := win.Min.X; x < win.Max.X; x++ {
				hh, ss, _ := hsv(row[4*x], row[4*x+1], row[4*x+2])
				c.sumH += hh
				c.sumS += ss
				c.samples++
			}
		}
		if c.samples > 0 {
			c.keyH, c.keyS = c.sumH/float64(c.samples), c.sumS/float64(c.samples)
		}
		c.calibrated = c.calibrate == 0 && c.samples > 0
		outline(pix, stride, win)
		return
	}
	if !c.calibrated || bg == nil || bg.Bounds().Dx() != w || bg.Bounds().Dy() != h {
		return
	}
	for y := 0; y < h; y++ {
		row := pix[y*stride : y*stride+4*w]
		brow := bg.Pix[y*bg.Stride : y*bg.Stride+4*w]
		for x := 0; x < 4*w; x += 4 {
			hh, ss, vv := hsv(row[x], row[x+1], row[x+2])
			if vv > 0.15 && ss > 0.15 && hueDist(hh, c.keyH) <= c.hueTolerance && abs(ss-c.keyS) <= c.satTolerance {
				copy(row[x:x+4], brow[x:x+4])
			}
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// outline draws the calibration window's border in white.
func outline(pix []byte, stride int, r image.Rectangle) {
	if r.Empty() {
		return
	}
	set := func(x, y int) {
		i := y*stride + 4*x
		pix[i], pix[i+1], pix[i+2] = 255, 255, 255
	}
	for x := r.Min.X; x < r.Max.X; x++ {
		set(x, r.Min.Y)
		set(x, r.Max.Y-1)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		set(r.Min.X, y)
		set(r.Max.X-1, y)
	}
}
