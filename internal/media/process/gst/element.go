//go:build cgo

package gst

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-gst/go-gst/gst"
	"github.com/go-gst/go-gst/gst/app"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// element is one GStreamer pipeline serving one gorento processing element.
type element struct {
	s  *Server
	id uint32

	ctl  chan ipc.Control // requests, handled in order by the control goroutine
	once sync.Once

	// Set by build before ready is stored; read-only afterwards.
	spec       ipc.Spec
	pipeline   *gst.Pipeline
	srcs       []*app.Source
	sinks      []*gst.Element
	encs       []*gst.Element
	userElems  []userElement           // the elements of a GStreamerFilter command
	userByName map[string]*gst.Element // … in the pipeline, by their names in the command
	proc       processor
	dyn        *dynamic // the dynamic kinds: hubs and the transcoder (dynamic.go)

	ready   atomic.Bool
	failed  atomic.Bool
	stopBus chan struct{}
	busDone chan struct{}

	mu       sync.Mutex // guards bitrates
	bitrates []int

	packetsIn, packetsOut, bytesOut, inputDropped, keyframes atomic.Uint64
	lastKeyEvent                                             []atomic.Int64 // per input, unix ns
}

// processor is the processing-specific part of an element.
type processor interface {
	// control handles an op the generic element does not; ok=false: unknown.
	control(c ipc.Control) (ok bool, err error)
	// message handles an element message from the bus; ok=false: not its.
	message(st *gst.Structure) bool
}

func newElement(s *Server, id uint32) *element {
	el := &element{s: s, id: id, ctl: make(chan ipc.Control, 64)}
	go el.controlLoop()
	return el
}

func (el *element) enqueue(c ipc.Control) {
	select {
	case el.ctl <- c:
	default:
		el.s.reply(el.id, c.Req, errors.New("too many pending requests for this element"))
	}
}

func (el *element) controlLoop() {
	for c := range el.ctl {
		var err error
		switch c.Op {
		case ipc.OpCreate:
			err = el.build(c.Spec)
			if err != nil {
				el.s.forget(el.id, el)
				el.teardown()
				el.s.reply(el.id, c.Req, err)
				return
			}
		case ipc.OpRelease:
			el.teardown()
			el.s.reply(el.id, c.Req, nil)
			return
		default:
			err = el.handle(c)
		}
		el.s.reply(el.id, c.Req, err)
	}
}

// release is called when the server stops.
func (el *element) release() {
	el.once.Do(func() { close(el.ctl) })
	el.teardown()
}

func (el *element) build(spec *ipc.Spec) error {
	if spec == nil {
		return errors.New("create without a spec")
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	el.spec = *spec
	if ipc.IsDynamic(spec.Processing.Kind) {
		return el.buildDynamic(spec)
	}
	if spec.Processing.Kind == ipc.ProcGStreamer {
		user, err := checkCommand(spec.Processing.Command, spec.Processing.Policy)
		if err != nil {
			return err
		}
		el.userElems = user
	}
	desc, err := Describe(spec)
	if err != nil {
		return err
	}
	p, err := gst.NewPipelineFromString(desc)
	if err != nil {
		return fmt.Errorf("build pipeline: %v", err)
	}
	el.pipeline = p
	if el.userElems != nil {
		el.userByName = findUserElements(p, el.userElems)
	}
	for i := range spec.Inputs {
		src, err := p.GetElementByName(fmt.Sprintf("src%d", i))
		if err != nil {
			return fmt.Errorf("pipeline lacks src%d: %v", i, err)
		}
		el.srcs = append(el.srcs, app.SrcFromElement(src))
		el.watchKeyframeRequests(src, i)
	}
	el.lastKeyEvent = make([]atomic.Int64, len(spec.Inputs))
	for i, o := range spec.Outputs {
		sink, err := p.GetElementByName(fmt.Sprintf("sink%d", i))
		if err != nil {
			return fmt.Errorf("pipeline lacks sink%d: %v", i, err)
		}
		el.sinks = append(el.sinks, sink)
		out := uint32(i)
		el.deliverSamples(sink, out)
		enc, _ := p.GetElementByName(fmt.Sprintf("enc%d", i))
		el.encs = append(el.encs, enc)
		el.bitrates = append(el.bitrates, clampBitrate(o, 0))
	}
	if el.proc, err = newProcessor(el); err != nil {
		return err
	}
	el.stopBus = make(chan struct{})
	el.busDone = make(chan struct{})
	go el.busLoop()
	if err := p.SetState(gst.StatePlaying); err != nil {
		return fmt.Errorf("start pipeline: %v%s", err, el.pendingError())
	}
	el.ready.Store(true)
	for i := range spec.Inputs {
		el.needKeyframe(i) // nothing decodes before the first keyframe
	}
	return nil
}

// pendingError returns a bus error already posted (why a state change failed).
func (el *element) pendingError() string {
	if msg := el.pipeline.GetPipelineBus().TimedPopFiltered(gst.ClockTime(200*time.Millisecond), gst.MessageError); msg != nil {
		return ": " + msg.ParseError().Error()
	}
	return ""
}

func newProcessor(el *element) (processor, error) {
	switch el.spec.Processing.Kind {
	case ipc.ProcFaceOverlay:
		return newFaceOverlay(el)
	case ipc.ProcImageOverlay:
		return newImageOverlay(el)
	case ipc.ProcChroma:
		return newChroma(el)
	case ipc.ProcZBar:
		return &zbarProc{el: el}, nil
	}
	return noProc{}, nil
}

type noProc struct{}

func (noProc) control(ipc.Control) (bool, error) { return false, nil }
func (noProc) message(*gst.Structure) bool       { return false }

// watchKeyframeRequests turns the depayloader's upstream force-key-unit
// requests (after loss, or while waiting for the first keyframe) into
// needKeyframe events, at most one per 500 ms per input.
func (el *element) watchKeyframeRequests(src *gst.Element, input int) {
	pad := src.GetStaticPad("src")
	if pad == nil {
		return
	}
	pad.AddProbe(gst.PadProbeTypeEventUpstream, func(_ *gst.Pad, info *gst.PadProbeInfo) gst.PadProbeReturn {
		if ev := info.GetEvent(); ev != nil && ev.Type() == gst.EventTypeCustomUpstream && ev.HasName("GstForceKeyUnit") {
			el.needKeyframe(input)
		}
		return gst.PadProbeOK
	})
}

func (el *element) needKeyframe(input int) {
	if el.dyn != nil {
		el.dyn.needKeyframe(input)
		return
	}
	now := time.Now().UnixNano()
	last := &el.lastKeyEvent[input]
	if prev := last.Load(); now-prev < int64(500*time.Millisecond) || !last.CompareAndSwap(prev, now) {
		return
	}
	el.s.event(el.id, ipc.Event{Kind: ipc.EventNeedKeyframe, Stream: input})
}

// push feeds one RTP packet to input i (from the server's read loop).
func (el *element) push(i int, pkt []byte) {
	if el.dyn != nil && el.ready.Load() && !el.failed.Load() {
		el.dyn.push(i, pkt)
		return
	}
	if !el.ready.Load() || el.failed.Load() || i < 0 || i >= len(el.srcs) || len(pkt) == 0 {
		el.inputDropped.Add(1)
		return
	}
	if ret := el.srcs[i].PushBuffer(gst.NewBufferFromBytes(pkt)); ret != gst.FlowOK {
		el.inputDropped.Add(1)
		return
	}
	el.packetsIn.Add(1)
}

// busLoop reports the pipeline's errors, warnings and element messages, and
// the element's stats every 2 s.
func (el *element) busLoop() {
	defer close(el.busDone)
	bus := el.pipeline.GetPipelineBus()
	statsAt := time.Now().Add(2 * time.Second)
	var warnings int
	for {
		select {
		case <-el.stopBus:
			return
		default:
		}
		if time.Now().After(statsAt) {
			statsAt = time.Now().Add(2 * time.Second)
			el.s.event(el.id, ipc.Event{Kind: ipc.EventStats, Stats: el.stats()})
		}
		msg := bus.TimedPop(gst.ClockTime(100 * time.Millisecond))
		if msg == nil {
			continue
		}
		switch msg.Type() {
		case gst.MessageError:
			gerr := msg.ParseError()
			el.failed.Store(true)
			text := fmt.Sprintf("%s: %s", msg.Source(), gerr.Error())
			if d := gerr.DebugString(); d != "" {
				text += " (" + firstLine(d) + ")"
			}
			el.s.event(el.id, ipc.Event{Kind: ipc.EventError, Message: text})
			return // the pipeline is stopped by release
		case gst.MessageWarning:
			if warnings < 20 { // a broken stream can warn per frame
				warnings++
				el.s.event(el.id, ipc.Event{Kind: ipc.EventWarning, Message: fmt.Sprintf("%s: %s", msg.Source(), msg.ParseWarning().Error())})
			}
		case gst.MessageElement:
			st := msg.GetStructure()
			if st == nil || el.proc.message(st) {
				continue
			}
			if strings.HasPrefix(st.Name(), "GstForceKeyUnit") || strings.HasPrefix(st.Name(), "GstVideo") {
				continue
			}
			el.s.event(el.id, ipc.Event{Kind: ipc.EventMessage, Source: msg.Source(), Name: st.Name(), Fields: jsonFields(st)})
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// jsonFields converts a structure's fields to JSON-friendly values.
func jsonFields(st *gst.Structure) map[string]any {
	out := map[string]any{}
	for k, v := range st.Values() {
		switch v.(type) {
		case string, bool, int, int32, int64, uint, uint32, uint64, float32, float64:
			out[k] = v
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

func (el *element) stats() *ipc.Stats {
	el.mu.Lock()
	br := 0
	if len(el.bitrates) > 0 {
		br = el.bitrates[0]
	}
	el.mu.Unlock()
	outputs := len(el.sinks)
	if el.dyn != nil {
		outputs = el.dyn.outputCount()
	}
	return &ipc.Stats{PacketsIn: el.packetsIn.Load(), PacketsOut: el.packetsOut.Load(), BytesOut: el.bytesOut.Load(),
		InputDropped: el.inputDropped.Load(), KeyframesSent: el.keyframes.Load(), Bitrate: br, Outputs: outputs}
}

// teardown stops the pipeline and its bus goroutine.
func (el *element) teardown() {
	el.ready.Store(false)
	if el.pipeline == nil {
		return
	}
	for _, src := range el.srcs {
		src.EndStream()
	}
	if el.dyn != nil {
		el.dyn.close()
	}
	_ = el.pipeline.SetState(gst.StateNull)
	if el.stopBus != nil {
		close(el.stopBus)
		<-el.busDone
		el.stopBus = nil
	}
	el.pipeline = nil
}
