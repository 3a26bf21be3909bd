//go:build cgo

package gst

// #include <gst/gst.h>
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-gst/go-gst/gst"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// element is one GStreamer pipeline serving one gorento processing element.
// Its control goroutine builds it, handles its requests and tears it down;
// the pipeline reference it owns is dropped only there (cgst.go).
type element struct {
	s  *Server
	id uint32

	ctl  chan ipc.Control // requests, handled in order by the control goroutine
	once sync.Once
	done chan struct{} // closed when the control goroutine has torn down and exited

	// Set by build before ready is stored; read-only afterwards. The
	// elements are borrowed from pipe (valid until teardown drops it).
	spec       ipc.Spec
	pipe       *C.GstElement // owned
	bus        bus           // owned
	srcs       []*C.GstElement
	sinks      []*C.GstElement
	encs       []*C.GstElement
	userElems  []userElement            // the elements of a GStreamerFilter command
	userByName map[string]*C.GstElement // … in the pipeline, by their names in the command
	proc       processor
	times      []*rtpTimeline // per input of a ProcNone leg (rtptime.go); nil: arrival stamps
	dyn        *dynamic       // the dynamic kinds: hubs and the transcoder (dynamic.go)

	// pushMu makes teardown wait for a push in progress before the appsrcs
	// go away: push holds it shared, teardown takes it to clear ready.
	pushMu  sync.RWMutex
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
	el := &element{s: s, id: id, ctl: make(chan ipc.Control, 64), done: make(chan struct{})}
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

// controlLoop runs every request of the element, then its teardown: after
// a release, a failed create, or the server stopping (ctl closed).
func (el *element) controlLoop() {
	defer close(el.done)
	defer el.teardown()
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

// release is called when the server stops: the control goroutine tears the
// element down after the requests already queued.
func (el *element) release() {
	el.once.Do(func() { close(el.ctl) })
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
	p, err := parseLaunch(desc)
	if err != nil {
		return fmt.Errorf("build pipeline: %v", err)
	}
	el.pipe = p
	el.bus = pipelineBus(p)
	if el.userElems != nil {
		el.userByName = findUserElements(p, el.userElems)
	}
	el.lastKeyEvent = make([]atomic.Int64, len(spec.Inputs))
	for i := range spec.Inputs {
		src := child(p, fmt.Sprintf("src%d", i))
		if src == nil {
			return fmt.Errorf("pipeline lacks src%d", i)
		}
		el.srcs = append(el.srcs, src)
		if spec.Processing.Kind == ipc.ProcNone {
			el.times = append(el.times, newRTPTimeline(clockRate(spec.Inputs[i])))
		}
		el.watchKeyframeRequests(src, i)
	}
	for i, o := range spec.Outputs {
		sink := child(p, fmt.Sprintf("sink%d", i))
		if sink == nil {
			return fmt.Errorf("pipeline lacks sink%d", i)
		}
		el.sinks = append(el.sinks, sink)
		el.deliverSamples(sink, uint32(i))
		el.encs = append(el.encs, child(p, fmt.Sprintf("enc%d", i))) // nil: no settable encoder
		el.bitrates = append(el.bitrates, clampBitrate(o, 0))
	}
	if el.proc, err = newProcessor(el); err != nil {
		return err
	}
	el.stopBus = make(chan struct{})
	el.busDone = make(chan struct{})
	go el.busLoop()
	if !setState(p, C.GST_STATE_PLAYING) {
		return fmt.Errorf("start pipeline: state change failed%s", el.pendingError())
	}
	el.ready.Store(true)
	for i := range spec.Inputs {
		el.needKeyframe(i) // nothing decodes before the first keyframe
	}
	return nil
}

// deliverSamples sends what appsink sink receives as RTP of output out.
func (el *element) deliverSamples(sink *C.GstElement, out uint32) {
	onSample(sink, func(b []byte) {
		el.packetsOut.Add(1)
		el.bytesOut.Add(uint64(len(b)))
		el.s.progress.Add(1)
		_ = el.s.conn.Send(ipc.Header{Type: ipc.TypeRTP, Element: el.id, Stream: out}, b)
	})
}

// pendingError returns a bus error already posted (why a state change
// failed), unless the bus goroutine took it first.
func (el *element) pendingError() string {
	if text, ok := el.bus.popError(200 * time.Millisecond); ok {
		return ": " + text
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
func (el *element) watchKeyframeRequests(src *C.GstElement, input int) {
	pad := staticPad(src, "src")
	if pad == nil {
		return
	}
	addProbe(pad, probeEventUpstream, func(_ *C.GstPad, info *C.GstPadProbeInfo) C.GstPadProbeReturn {
		if isForceKeyUnit(info) {
			el.needKeyframe(input)
		}
		return probeOK
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
	el.pushMu.RLock()
	defer el.pushMu.RUnlock()
	if el.dyn != nil && el.ready.Load() && !el.failed.Load() {
		el.dyn.push(i, pkt)
		return
	}
	if !el.ready.Load() || el.failed.Load() || i < 0 || i >= len(el.srcs) || len(pkt) == 0 {
		el.inputDropped.Add(1)
		return
	}
	var ok bool
	if el.times != nil {
		ok = len(pkt) >= 12 && pushRTPAt(el.srcs[i], pkt, el.times[i].pts(pkt))
	} else {
		ok = pushRTP(el.srcs[i], pkt)
	}
	if !ok {
		el.inputDropped.Add(1)
		return
	}
	el.packetsIn.Add(1)
}

// busLoop reports the pipeline's errors, warnings and element messages, and
// the element's stats every 2 s. Each message is released once handled.
func (el *element) busLoop() {
	defer close(el.busDone)
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
		msg, ok := el.bus.pop(100 * time.Millisecond)
		if !ok {
			continue
		}
		stop := el.handleMessage(msg, &warnings)
		msg.release()
		if stop {
			return // the pipeline is stopped by teardown
		}
	}
}

// handleMessage handles one bus message; true: the pipeline failed.
func (el *element) handleMessage(msg message, warnings *int) bool {
	switch {
	case msg.isError():
		el.failed.Store(true)
		text, debug := msg.errorText()
		text = fmt.Sprintf("%s: %s", msg.source(), text)
		if debug != "" {
			text += " (" + debug + ")"
		}
		el.s.event(el.id, ipc.Event{Kind: ipc.EventError, Message: text})
		return true
	case msg.isWarning():
		if *warnings < 20 { // a broken stream can warn per frame
			*warnings++
			text, _ := msg.errorText()
			el.s.event(el.id, ipc.Event{Kind: ipc.EventWarning, Message: fmt.Sprintf("%s: %s", msg.source(), text)})
		}
	case msg.isElement():
		st := msg.structure()
		if st == nil || el.proc.message(st) {
			return false
		}
		if strings.HasPrefix(st.Name(), "GstForceKeyUnit") || strings.HasPrefix(st.Name(), "GstVideo") {
			return false
		}
		el.s.event(el.id, ipc.Event{Kind: ipc.EventMessage, Source: msg.source(), Name: st.Name(), Fields: jsonFields(st)})
	}
	return false
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

// teardown stops the pipeline and its bus goroutine, then drops the
// pipeline: every element borrowed from it is gone after this. It runs on
// the control goroutine only, and is idempotent.
func (el *element) teardown() {
	el.pushMu.Lock()
	el.ready.Store(false) // no push starts or is running past this point
	el.pushMu.Unlock()
	if el.pipe == nil {
		return
	}
	if el.stopBus != nil { // before NULL: the bus drops what is posted from then on
		close(el.stopBus)
		el.bus.wake()
		<-el.busDone
		el.stopBus = nil
	}
	for _, src := range el.srcs {
		endOfStream(src)
	}
	if el.dyn != nil {
		el.dyn.endInputs()
	}
	_ = setState(el.pipe, C.GST_STATE_NULL) // streaming threads (probes, appsink callbacks) have stopped
	el.bus.unref()
	unref(el.pipe)
	el.pipe, el.bus = nil, bus{}
	el.srcs, el.sinks, el.encs, el.userByName, el.proc, el.dyn, el.times = nil, nil, nil, nil, noProc{}, nil, nil
}
