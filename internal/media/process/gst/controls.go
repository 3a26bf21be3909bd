//go:build cgo

package gst

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-gst/go-gst/gst"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// handle runs a request other than create/release.
func (el *element) handle(c ipc.Control) error {
	if el.pipeline == nil {
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
	ev := gst.NewCustomEvent(gst.EventTypeCustomUpstream,
		gst.NewStructureFromString("GstForceKeyUnit, all-headers=(boolean)true, count=(uint)0"))
	if !el.sinks[i].SendEvent(ev) {
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
func setEncoderBitrate(enc *gst.Element, codec string, target int) error {
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
		for _, name := range el.userNames {
			if target, err := el.pipeline.GetElementByNameRecursive(name); err == nil && hasProp(target, p.Name) {
				return setProp(target, p.Name, p.Value)
			}
		}
		return fmt.Errorf("no element of the filter's command (%s) has a property %q", strings.Join(el.userNames, ", "), p.Name)
	}
	if !slices.Contains(el.userNames, p.Element) {
		return fmt.Errorf("no element named %q in the filter's command (elements: %s)", p.Element, strings.Join(el.userNames, ", "))
	}
	target, err := el.pipeline.GetElementByNameRecursive(p.Element)
	if err != nil {
		return fmt.Errorf("no element named %q: %v", p.Element, err)
	}
	return setProp(target, p.Name, p.Value)
}

// checkCommand parses a GStreamerFilter command on its own (for GStreamer's
// own error message) and applies the element policy to every element in it.
// It returns the names of those elements.
func checkCommand(cmd string, pol *ipc.ElementPolicy) ([]string, error) {
	bin, err := gst.NewBinFromString(cmd, true)
	if err != nil {
		return nil, fmt.Errorf("invalid GStreamerFilter command %q: %v", cmd, err)
	}
	els, err := bin.GetElementsRecursive()
	if err != nil {
		return nil, fmt.Errorf("inspect command: %v", err)
	}
	var names []string
	for _, e := range els {
		f := e.GetFactory()
		if f == nil {
			continue
		}
		if err := checkFactory(pol, f.GetName(), f.GetMetadata("klass"), e.IsURIHandler()); err != nil {
			return nil, err
		}
		names = append(names, e.GetName())
	}
	return names, nil
}
