//go:build cgo

package gst

import (
	"fmt"
	"sync"
	"time"

	"github.com/go-gst/go-gst/gst"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// faceOverlay is FaceOverlayFilter: facedetect runs on a scaled-down copy;
// each face found (up to OverlaySlots) gets the image, placed relative to
// the face.
type faceOverlay struct {
	el      *element
	slots   []*slot
	size    frameSize
	detectW int

	mu        sync.Mutex // guards the fields below
	img       *ipc.Image
	stored    *storedImage
	faces     []ipc.Rect // last faces, full-frame pixels
	lastSeen  time.Time
	lastEvent time.Time
	shown     int
}

func newFaceOverlay(el *element) (processor, error) {
	slots, err := findSlots(el, "face")
	if err != nil {
		return nil, err
	}
	w := el.spec.Processing.DetectWidth
	if w <= 0 {
		w = 160
	}
	f := &faceOverlay{el: el, slots: slots, detectW: w}
	f.size.watch(staticPad(slots[0].el, "sink"), func(int, int) {})
	return f, nil
}

func (f *faceOverlay) control(c ipc.Control) (bool, error) {
	switch c.Op {
	case ipc.OpSetOverlay:
		if c.Image == nil || c.Image.URI == "" {
			return true, fmt.Errorf("setOverlayedImage needs an image URI")
		}
		p := f.el.spec.Processing
		stored, err := f.el.s.images.get(c.Image.URI, p.ImageMaxBytes, time.Duration(p.ImageTimeoutSec)*time.Second)
		if err != nil {
			return true, err
		}
		for _, s := range f.slots {
			if err := setProp(s.el, "location", stored.path); err != nil {
				return true, err
			}
		}
		f.mu.Lock()
		img := *c.Image
		f.img, f.stored = &img, stored
		f.placeLocked()
		f.mu.Unlock()
		return true, nil
	case ipc.OpUnsetOverlay:
		f.mu.Lock()
		f.img, f.stored = nil, nil
		f.placeLocked()
		f.mu.Unlock()
		return true, nil
	}
	return false, nil
}

// message takes facedetect's per-frame results.
func (f *faceOverlay) message(st *gst.Structure) bool {
	if st.Name() != "facedetect" {
		return false
	}
	fw := int(f.size.w.Load())
	found := parseFaces(st.String())
	for i := range found {
		found[i] = scaleRect(found[i], f.detectW, fw)
	}
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(found) > 0 {
		f.lastSeen = now
		f.faces = found
	} else if now.Sub(f.lastSeen) > 400*time.Millisecond {
		f.faces = nil // a missed detection or two does not make the hat blink
	}
	f.placeLocked()
	if len(f.faces) != f.shown || now.Sub(f.lastEvent) > 500*time.Millisecond {
		f.shown = len(f.faces)
		f.lastEvent = now
		f.el.s.event(f.el.id, ipc.Event{Kind: ipc.EventFaces, Faces: append([]ipc.Rect(nil), f.faces...)})
	}
	return true
}

func (f *faceOverlay) placeLocked() {
	for i, s := range f.slots {
		if f.img == nil || i >= len(f.faces) {
			s.hide()
			continue
		}
		_ = s.show("", faceOverlayRect(f.faces[i], *f.img))
	}
}

// zbarProc is ZBarFilter: a CodeFound event when a code appears or changes
// (the same code held in view is reported again after 3 s).
type zbarProc struct {
	el        *element
	lastType  string
	lastValue string
	lastAt    time.Time
}

func (z *zbarProc) control(ipc.Control) (bool, error) { return false, nil }

func (z *zbarProc) message(st *gst.Structure) bool {
	if st.Name() != "barcode" {
		return false
	}
	typ, _ := st.GetValue("type")
	sym, _ := st.GetValue("symbol")
	ts, _ := typ.(string)
	ss, _ := sym.(string)
	now := time.Now()
	if ts == z.lastType && ss == z.lastValue && now.Sub(z.lastAt) < 3*time.Second {
		return true
	}
	z.lastType, z.lastValue, z.lastAt = ts, ss, now
	z.el.s.event(z.el.id, ipc.Event{Kind: ipc.EventCode, CodeType: ts, Value: ss})
	return true
}
