//go:build cgo

package gst

// #include <gst/gst.h>
import "C"

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/gorento/gorento/internal/media/process/ipc"
	"github.com/gorento/gorento/internal/media/process/layout"
)

// The mixing parts of dynamic elements: an audiomixer per audio output and
// the compositor's layout.

// addMixer gives audio output o its audiomixer, fed by a silent source
// so that it produces sound at a steady pace even when nobody talks.
// On failure, what it added is left in o for removeMixer.
func (d *dynamic) addMixer(o *dynOutput) error {
	amix, err := makeElement("audiomixer")
	if err != nil {
		return err
	}
	if err := setProp(amix, "latency", strconv.FormatInt(d.latency.Nanoseconds(), 10)); err != nil {
		unref(amix)
		return err
	}
	_ = setProp(amix, "start-time-selection", "first")
	if err := addToBin(d.p, amix); err != nil { // borrowed from here on
		return err
	}
	o.amix = amix
	silence, err := parseBin("audiotestsrc is-live=true do-timestamp=true wave=silence samplesperbuffer=960 ! " +
		"capsfilter caps=audio/x-raw,format=S16LE,rate=48000,channels=1")
	if err != nil {
		return err
	}
	if err := addToBin(d.p, silence); err != nil {
		return err
	}
	o.silence = silence
	if !linkPads(staticPad(amix, "src"), staticPad(o.bin, "sink")) {
		return errors.New("cannot link the mixer to its encoder")
	}
	pad := requestPad(amix, "sink_%u")
	if pad == nil || !linkPads(staticPad(silence, "src"), pad) {
		return errors.New("cannot link the silence to the mixer")
	}
	syncWithParent(amix)
	syncWithParent(silence)
	return nil
}

// removeMixer unlinks the inputs of o's mixer, then stops it.
func (d *dynamic) removeMixer(o *dynOutput) {
	d.mu.Lock()
	links := o.mixed
	o.mixed = map[int]*mixLink{}
	d.mu.Unlock()
	for _, l := range links {
		l.release(o.amix)
	}
	if o.silence != nil {
		removeFromBin(d.p, o.silence)
	}
	if o.amix != nil {
		removeFromBin(d.p, o.amix) // its request pads go with it
	}
	o.silence, o.amix = nil, nil
}

// mixes reports whether audio output o mixes input in.
func mixes(o *dynOutput, in *dynInput) bool {
	if o.amix == nil || in.kind != "audio" || in.tee == nil {
		return false
	}
	if o.stream.MixAllBut {
		return in.stream.Port != o.stream.Port
	}
	return slices.Contains(o.stream.Mix, in.stream.Port)
}

// linkMixersLocked feeds in to every audio mixer that mixes it.
func (d *dynamic) linkMixersLocked(in *dynInput) {
	for _, o := range d.outputs {
		if mixes(o, in) && o.mixed[in.index] == nil {
			if l := linkMix(in.tee, o.amix); l != nil {
				o.mixed[in.index] = l
			}
		}
	}
}

func linkMix(tee, amix *C.GstElement) *mixLink {
	teePad := requestPad(tee, "src_%u")
	if teePad == nil {
		return nil
	}
	mixPad := requestPad(amix, "sink_%u")
	if mixPad == nil || !linkPads(teePad, mixPad) {
		releasePad(tee, teePad)
		if mixPad != nil {
			releasePad(amix, mixPad)
		}
		return nil
	}
	return &mixLink{tee: tee, teePad: teePad, mixPad: mixPad}
}

// release unlinks one input from a mixer: the tee stops feeding it first.
func (l *mixLink) release(amix *C.GstElement) {
	releasePad(l.tee, l.teePad)
	releasePad(amix, l.mixPad)
}

// setMix changes the ports audio output i mixes (KMS Mixer's connect and
// disconnect of audio).
func (d *dynamic) setMix(i int, ports []int) error {
	d.mu.Lock()
	o := d.outputs[i]
	if o == nil || o.amix == nil {
		d.mu.Unlock()
		return fmt.Errorf("no mixed audio output %d", i)
	}
	o.stream.Mix = append([]int(nil), ports...)
	o.stream.MixAllBut = false
	var drop []*mixLink
	for idx, l := range o.mixed {
		if in := d.inputs[idx]; in == nil || !mixes(o, in) {
			drop = append(drop, l)
			delete(o.mixed, idx)
		}
	}
	for _, in := range d.inputs {
		if mixes(o, in) && o.mixed[in.index] == nil {
			if l := linkMix(in.tee, o.amix); l != nil {
				o.mixed[in.index] = l
			}
		}
	}
	amix := o.amix
	d.mu.Unlock()
	for _, l := range drop {
		l.release(amix)
	}
	return nil
}

// relayoutLocked places every video input on the compositor: KMS's grid
// for Composite (inputs with a picture, in port order), the master and
// the configured ports for AlphaBlending, whose output takes the master's
// size.
func (d *dynamic) relayoutLocked() {
	if d.vmix == nil {
		return
	}
	var ports []int
	byPort := map[int]*dynInput{}
	for _, in := range d.inputs {
		if in.vpad == nil {
			continue
		}
		if !in.active.Load() {
			_ = setPadProp(in.vpad, "alpha", "0")
			continue
		}
		ports = append(ports, in.stream.Port)
		byPort[in.stream.Port] = in
	}
	var places map[int]layout.Placement
	if d.kind == ipc.ProcComposite {
		places = layout.Grid(ports, d.width, d.height)
	} else {
		if m := byPort[d.layout.Master]; m != nil {
			d.resizeLocked(int(m.width.Load()), int(m.height.Load()))
		}
		places = layout.Alpha(ports, d.layout, d.width, d.height)
	}
	for port, in := range byPort {
		pl := places[port]
		for k, v := range map[string]int{"xpos": pl.X, "ypos": pl.Y, "width": pl.Width, "height": pl.Height, "zorder": pl.Z} {
			_ = setPadProp(in.vpad, k, strconv.Itoa(v))
		}
		_ = setPadProp(in.vpad, "alpha", "1")
	}
}

// resizeLocked changes the output picture size (the alpha blending master's).
func (d *dynamic) resizeLocked(w, h int) {
	if w <= 0 || h <= 0 || (w == d.width && h == d.height) {
		return
	}
	d.width, d.height = w, h
	caps := d.videoCaps()
	_ = setProp(d.bgCaps, "caps", caps)
	_ = setProp(d.outCaps, "caps", caps)
}
