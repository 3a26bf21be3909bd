//go:build cgo

package gst

// #include <gst/gst.h>
import "C"

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// handle runs a request other than create/release.
func (el *element) handle(c ipc.Control) error {
	if el.pipe == nil {
		return fmt.Errorf("element not running")
	}
	if el.dyn != nil {
		return el.dyn.handle(c)
	}
	switch c.Op {
	case ipc.OpKeyframe:
		return el.forceKeyframe(c.Stream)
	case ipc.OpBitrate:
		if c.Bitrate == nil {
			return fmt.Errorf("bitrate request without a bitrate")
		}
		return el.setBitrate(c.Stream, *c.Bitrate)
	case ipc.OpSetProperty:
		return el.setUserProperty(c.Property)
	}
	if ok, err := el.proc.control(c); ok {
		return err
	}
	return fmt.Errorf("operation %q does not apply to a %s element", c.Op, kindName(el.spec.Processing.Kind))
}

func kindName(k string) string {
	if k == "" {
		return "conversion"
	}
	return k
}

// forceKeyframe sends an upstream force-key-unit event from output i's
// sink: it reaches the encoder, which makes the next frame a keyframe.
func (el *element) forceKeyframe(i int) error {
	if i < 0 || i >= len(el.sinks) {
		return fmt.Errorf("no output %d", i)
	}
	if !forceKeyUnit(el.sinks[i]) {
		return fmt.Errorf("output %d: the encoder did not take the keyframe request", i)
	}
	el.keyframes.Add(1)
	return nil
}

// setBitrate sets output i's encoder target, clamped to the request's and
// the output's bounds. PCMU/PCMA have a fixed rate: accepted, ignored.
func (el *element) setBitrate(i int, b ipc.Bitrate) error {
	if i < 0 || i >= len(el.encs) {
		return fmt.Errorf("no output %d", i)
	}
	o := el.spec.Outputs[i]
	if b.Min > 0 {
		o.MinBitrate = b.Min
	}
	if b.Max > 0 {
		o.MaxBitrate = b.Max
	}
	target := clampBitrate(o, b.Target)
	enc := el.encs[i]
	if enc == nil {
		return nil
	}
	if err := setEncoderBitrate(enc, o.Codec, target); err != nil {
		return err
	}
	el.mu.Lock()
	el.bitrates[i] = target
	el.mu.Unlock()
	return nil
}

// setEncoderBitrate sets an encoder's target (bps) with the property its
// codec's encoder has. PCMU/PCMA have a fixed rate: accepted, ignored.
func setEncoderBitrate(enc *C.GstElement, codec string, target int) error {
	switch strings.ToUpper(codec) {
	case "VP8", "VP9":
		return setProp(enc, "target-bitrate", strconv.Itoa(target))
	case "OPUS":
		return setProp(enc, "bitrate", strconv.Itoa(target))
	case "H264":
		return setProp(enc, "bitrate", strconv.Itoa(max(1, target/1000)))
	}
	return nil
}

// setUserProperty is GStreamerFilter's setElementProperty: only elements the
// command named may be changed, not the worker's own.
func (el *element) setUserProperty(p *ipc.Property) error {
	if p == nil {
		return fmt.Errorf("setProperty without a property")
	}
	if el.spec.Processing.Kind != ipc.ProcGStreamer {
		return fmt.Errorf("setElementProperty applies to a GStreamerFilter")
	}
	if p.Element == "" {
		// KMS's setElementProperty names no element: the command's element,
		// or the first of its elements that has the property.
		for _, u := range el.userElems {
			if target := el.userByName[u.name]; target != nil && hasProp(target, p.Name) {
				return setProp(target, p.Name, p.Value)
			}
		}
		return fmt.Errorf("no element of the filter's command (%s) has a property %q", strings.Join(el.userNames(), ", "), p.Name)
	}
	target := el.userByName[p.Element]
	if target == nil {
		return fmt.Errorf("no element named %q in the filter's command (elements: %s)", p.Element, strings.Join(el.userNames(), ", "))
	}
	return setProp(target, p.Name, p.Value)
}

// userElement is an element of a GStreamerFilter command as checkCommand
// saw it: its name there and its factory.
type userElement struct{ name, factory string }

func (el *element) userNames() []string {
	var names []string
	for _, u := range el.userElems {
		names = append(names, u.name)
	}
	return names
}

// checkCommand parses a GStreamerFilter command on its own (for GStreamer's
// own error message) and applies the element policy to every element in it.
// It returns those elements.
func checkCommand(cmd string, pol *ipc.ElementPolicy) ([]userElement, error) {
	bin, err := parseBin(cmd)
	if err != nil {
		return nil, fmt.Errorf("invalid GStreamerFilter command %q: %v", cmd, err)
	}
	defer unref(bin)
	var out []userElement
	for _, e := range binElements(bin) {
		f := factoryName(e)
		if f == "" {
			continue
		}
		if err := checkFactory(pol, f, factoryKlass(e), isURIHandler(e)); err != nil {
			return nil, err
		}
		out = append(out, userElement{elementName(e), f})
	}
	return out, nil
}

// findUserElements maps the names checkCommand saw to the elements of the
// built pipeline (borrowed). Names given in the command are the same in
// both; an element left unnamed gets another number in each parse
// (GStreamer counts per factory and process), so it is found by factory, in
// order, when the worker adds no element of that factory itself.
func findUserElements(p *C.GstElement, user []userElement) map[string]*C.GstElement {
	out := map[string]*C.GstElement{}
	byFactory := map[string][]*C.GstElement{}
	for _, e := range binElements(p) {
		if f := factoryName(e); f != "" {
			byFactory[f] = append(byFactory[f], e)
		}
	}
	userCount := map[string]int{}
	for _, u := range user {
		userCount[u.factory]++
	}
	next := map[string]int{}
	for _, u := range user {
		if e := child(p, u.name); e != nil && factoryName(e) == u.factory {
			out[u.name] = e
			continue
		}
		if real := byFactory[u.factory]; len(real) == userCount[u.factory] {
			out[u.name] = real[next[u.factory]]
			next[u.factory]++
		}
	}
	return out
}
