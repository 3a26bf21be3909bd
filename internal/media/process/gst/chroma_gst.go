//go:build cgo

package gst

// #include <gst/gst.h>
import "C"

import (
	"fmt"
	"image"
	"sync"
	"time"

	"github.com/go-gst/go-gst/gst"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// chromaProc is ChromaFilter: a buffer probe keys RGBA frames in place.
type chromaProc struct {
	el  *element
	key *chromaKey

	mu     sync.Mutex // guards bg, stored, bgSize
	stored *storedImage
	bg     *image.RGBA
}

// calibrationFrames is how long the window's colour is learnt (about 1 s).
const calibrationFrames = 30

func newChroma(el *element) (processor, error) {
	w := el.spec.Processing.Window
	c := &chromaProc{el: el, key: newChromaKey(image.Rect(w.X, w.Y, w.X+w.Width, w.Y+w.Height), calibrationFrames)}
	id := child(el.pipe, "chroma")
	if id == nil {
		return nil, fmt.Errorf("pipeline lacks the chroma stage")
	}
	pad := staticPad(id, "src")
	if pad == nil {
		return nil, fmt.Errorf("the chroma stage has no src pad")
	}
	var size frameSize
	size.watch(pad, func(int, int) {})
	addProbe(pad, probeBuffer, func(_ *C.GstPad, info *C.GstPadProbeInfo) C.GstPadProbeReturn {
		fw, fh := int(size.w.Load()), int(size.h.Load())
		if fw == 0 {
			return probeOK
		}
		withWritableBuffer(info, func(pix []byte) {
			stride := fw * 4 // RGBA rows are 4-byte aligned: no padding
			if len(pix) >= stride*fh {
				c.key.process(pix[:stride*fh], stride, fw, fh, c.background(fw, fh))
			}
		})
		return probeOK
	})
	return c, nil
}

// background returns the background scaled to the frame (cached per size).
func (c *chromaProc) background(w, h int) *image.RGBA {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stored == nil {
		return nil
	}
	if c.bg == nil || c.bg.Bounds().Dx() != w || c.bg.Bounds().Dy() != h {
		bg, err := c.stored.scaledRGBA(w, h)
		if err != nil {
			c.stored = nil
			return nil
		}
		c.bg = bg
	}
	return c.bg
}

func (c *chromaProc) control(ctl ipc.Control) (bool, error) {
	switch ctl.Op {
	case ipc.OpSetBackground:
		if ctl.Image == nil || ctl.Image.URI == "" {
			return true, fmt.Errorf("setBackground needs an image URI")
		}
		p := c.el.spec.Processing
		stored, err := c.el.s.images.get(ctl.Image.URI, p.ImageMaxBytes, time.Duration(p.ImageTimeoutSec)*time.Second)
		if err != nil {
			return true, err
		}
		if _, err := stored.scaledRGBA(1, 1); err != nil {
			return true, fmt.Errorf("image %s: %v", ctl.Image.URI, err)
		}
		c.mu.Lock()
		c.stored, c.bg = stored, nil
		c.mu.Unlock()
		return true, nil
	case ipc.OpUnsetBackground:
		c.mu.Lock()
		c.stored, c.bg = nil, nil
		c.mu.Unlock()
		return true, nil
	}
	return false, nil
}

func (c *chromaProc) message(*gst.Structure) bool { return false }
