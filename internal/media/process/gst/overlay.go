//go:build cgo

package gst

// #include <gst/gst.h>
import "C"

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-gst/go-gst/gst"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// frameSize watches the raw video size on a pad (caps can change mid-stream).
type frameSize struct {
	w, h  atomic.Int32
	n     atomic.Uint32 // buffers seen
	dirty atomic.Bool   // geometry must be recomputed
}

// watch installs a buffer probe on pad that keeps the size current (read
// from the caps on the first buffer and every 30th) and calls onChange (on
// the streaming thread) when the size changed or dirty was set.
func (fs *frameSize) watch(pad *C.GstPad, onChange func(w, h int)) {
	if pad == nil {
		return
	}
	addProbe(pad, probeBuffer, func(p *C.GstPad, _ *C.GstPadProbeInfo) C.GstPadProbeReturn {
		n := fs.n.Add(1)
		if n%30 != 1 && !fs.dirty.Load() {
			return probeOK
		}
		changed := false
		if w, h, ok := padSize(p); ok && (int32(w) != fs.w.Load() || int32(h) != fs.h.Load()) {
			fs.w.Store(int32(w))
			fs.h.Store(int32(h))
			changed = true
		}
		if fs.w.Load() > 0 && (fs.dirty.Swap(false) || changed) {
			onChange(int(fs.w.Load()), int(fs.h.Load()))
		}
		return probeOK
	})
}

// slot is one gdkpixbufoverlay. It remembers what it shows: setting a
// geometry property makes the element rebuild its scaled image, so unchanged
// values (a still face, a hidden slot) are not set again every frame.
type slot struct {
	el    *C.GstElement // borrowed from the pipeline
	mu    sync.Mutex    // guards shown, rect
	shown bool
	rect  ipc.Rect
}

func (s *slot) show(path string, r ipc.Rect) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path != "" {
		if err := setProp(s.el, "location", path); err != nil {
			return err
		}
	}
	if s.shown && s.rect == r {
		return nil
	}
	for _, kv := range [][2]string{{"offset-x", strconv.Itoa(r.X)}, {"offset-y", strconv.Itoa(r.Y)},
		{"overlay-width", strconv.Itoa(r.Width)}, {"overlay-height", strconv.Itoa(r.Height)}} {
		if err := setProp(s.el, kv[0], kv[1]); err != nil {
			return err
		}
	}
	if !s.shown {
		if err := setProp(s.el, "alpha", "1.0"); err != nil {
			return err
		}
	}
	s.shown, s.rect = true, r
	return nil
}

func (s *slot) hide() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		_ = setProp(s.el, "alpha", "0.0")
		s.shown = false
	}
}

func findSlots(el *element, prefix string) ([]*slot, error) {
	slots := make([]*slot, OverlaySlots)
	for i := range slots {
		e := child(el.pipe, fmt.Sprintf("%s%d", prefix, i))
		if e == nil {
			return nil, fmt.Errorf("pipeline lacks %s%d", prefix, i)
		}
		slots[i] = &slot{el: e}
	}
	return slots, nil
}

// imageOverlay is ImageOverlayFilter: images by id, geometry in fractions
// of the frame, each in its own gdkpixbufoverlay.
type imageOverlay struct {
	el    *element
	slots []*slot
	size  frameSize

	mu     sync.Mutex // guards images
	images map[string]*placedImage
}

type placedImage struct {
	img    ipc.Image
	stored *storedImage
	slot   int
}

func newImageOverlay(el *element) (processor, error) {
	slots, err := findSlots(el, "image")
	if err != nil {
		return nil, err
	}
	o := &imageOverlay{el: el, slots: slots, images: map[string]*placedImage{}}
	o.size.watch(staticPad(slots[0].el, "sink"), func(w, h int) { o.layout(w, h) })
	return o, nil
}

func (o *imageOverlay) control(c ipc.Control) (bool, error) {
	switch c.Op {
	case ipc.OpAddImage:
		if c.Image == nil || c.Image.ID == "" {
			return true, fmt.Errorf("addImage needs an id")
		}
		if c.Image.Width <= 0 || c.Image.Height <= 0 {
			return true, fmt.Errorf("addImage %q: width and height must be positive fractions of the frame", c.Image.ID)
		}
		p := o.el.spec.Processing
		stored, err := o.el.s.images.get(c.Image.URI, p.ImageMaxBytes, time.Duration(p.ImageTimeoutSec)*time.Second)
		if err != nil {
			return true, err
		}
		o.mu.Lock()
		pi := o.images[c.Image.ID]
		if pi == nil {
			used := map[int]bool{}
			for _, x := range o.images {
				used[x.slot] = true
			}
			free := -1
			for i := range o.slots {
				if !used[i] {
					free = i
					break
				}
			}
			if free < 0 {
				o.mu.Unlock()
				return true, fmt.Errorf("addImage %q: at most %d images at once", c.Image.ID, len(o.slots))
			}
			pi = &placedImage{slot: free}
			o.images[c.Image.ID] = pi
		}
		pi.img, pi.stored = *c.Image, stored
		o.mu.Unlock()
		if err := setProp(o.slots[pi.slot].el, "location", stored.path); err != nil {
			return true, err
		}
		o.size.dirty.Store(true)
		if w := int(o.size.w.Load()); w > 0 {
			o.layout(w, int(o.size.h.Load()))
		}
		return true, nil
	case ipc.OpRemoveImage:
		if c.Image == nil {
			return true, fmt.Errorf("removeImage needs an id")
		}
		o.mu.Lock()
		pi := o.images[c.Image.ID]
		delete(o.images, c.Image.ID)
		o.mu.Unlock()
		if pi == nil {
			return true, fmt.Errorf("removeImage: no image %q", c.Image.ID)
		}
		o.slots[pi.slot].hide()
		return true, nil
	}
	return false, nil
}

func (o *imageOverlay) layout(w, h int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, pi := range o.images {
		r := imageOverlayRect(w, h, pi.img, pi.stored.width, pi.stored.height)
		_ = o.slots[pi.slot].show("", r)
	}
}

func (o *imageOverlay) message(*gst.Structure) bool { return false }
