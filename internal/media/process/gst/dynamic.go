//go:build cgo

package gst

// #include <gst/gst.h>
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// dynamic is an element whose inputs and outputs come and go while it runs
// (ipc.IsDynamic): the transcoder, the compositors and the audio mixers of
// the hubs. It keeps one GStreamer pipeline, built in pieces:
//
//	input  (a bin):   appsrc → depayload → decode → convert   ─┐
//	                                                            ├→ tee (transcoder, audio of mixers)
//	                                                            └→ compositor pad (video of mixers)
//	output (a bin):   [queue] → convert → encode → payload → appsink
//
// Mixers add a compositor fed by a black picture (its output goes through a
// tee to every video output) and one audiomixer per audio output, fed by a
// silent source and by the tees of the inputs it mixes. Pieces are linked
// and removed while the pipeline plays: inputs are stopped before their
// links go, branches are unlinked from tees before they stop.
//
// Packets get presentation times from their RTP timestamps (anchored to the
// running time at the first packet, re-anchored after a jump), so encoders
// stamp their output at the pace the sender captured, not at the jitter
// of arrival, and a mixer lines its inputs up on one timeline.
//
// Ownership (cgst.go): the pipeline is the element's (el.pipe, dropped in
// teardown). Every piece added to it is borrowed from it: valid until this
// code removes it (removeFromBin, releasePad) or teardown drops the
// pipeline. A removed input is out of d.inputs and waited past
// (el.pushMu) before it goes, so push never reaches a dropped appsrc.
type dynamic struct {
	el      *element
	kind    string
	p       *C.GstElement // el.pipe, borrowed
	width   int           // video output of mixers
	height  int
	fps     int
	latency time.Duration

	mu      sync.Mutex // guards the maps, layout, the compositor's pads and the mixers' links
	inputs  map[int]*dynInput
	outputs map[int]*dynOutput
	layout  ipc.Layout // alphaBlending
	vmix    *C.GstElement
	vtee    *C.GstElement // the compositor's picture, for video outputs
	bgCaps  *C.GstElement // capsfilters of the black background and of the output
	outCaps *C.GstElement
}

// dynInput is one input stream. Its timestamp fields belong to the
// server's read loop (push).
type dynInput struct {
	index  int
	stream ipc.Stream
	kind   string
	bin    *C.GstElement
	src    *C.GstElement // the appsrc in bin
	tee    *C.GstElement // the transcoder's, or audio of mixers
	vpad   *C.GstPad     // the compositor's pad (video of mixers)
	active atomic.Bool   // decoded a first picture
	width  atomic.Int32  // of its pictures
	height atomic.Int32

	rate   uint32
	anchor bool
	ts0    int64 // unwrapped RTP timestamp at the anchor
	ext    int64 // unwrapped RTP timestamp of the last packet
	last   uint32
	pts0   time.Duration // running time at the anchor

	lastAsk atomic.Int64 // unix ns of the last needKeyframe event
}

// dynOutput is one output stream.
type dynOutput struct {
	index  int
	stream ipc.Stream
	bin    *C.GstElement
	sink   *C.GstElement
	enc    *C.GstElement
	tee    *C.GstElement // the tee feeding it (video, transcoder)…
	teePad *C.GstPad     // … through this request pad

	// Audio outputs of mixers.
	amix    *C.GstElement
	silence *C.GstElement
	mixed   map[int]*mixLink // input index → its link into amix
}

// mixLink is one input feeding one audio mixer.
type mixLink struct {
	tee            *C.GstElement
	teePad, mixPad *C.GstPad
}

// buildDynamic makes el a dynamic element (called by element.build).
func (el *element) buildDynamic(spec *ipc.Spec) error {
	d := &dynamic{el: el, kind: spec.Processing.Kind, inputs: map[int]*dynInput{}, outputs: map[int]*dynOutput{},
		width: spec.Processing.Width, height: spec.Processing.Height, fps: spec.Processing.Framerate,
		latency: time.Duration(spec.Processing.LatencyMs) * time.Millisecond, layout: ipc.Layout{Master: -1}}
	if d.latency == 0 {
		d.latency = ipc.DefaultMixLatencyMs * time.Millisecond
	}
	switch d.kind {
	case ipc.ProcComposite:
		d.width, d.height, d.fps = orDefault(d.width, ipc.DefaultCompositeWidth), orDefault(d.height, ipc.DefaultCompositeHeight), orDefault(d.fps, ipc.DefaultCompositeFramerate)
	case ipc.ProcAlphaBlending:
		d.width, d.height, d.fps = orDefault(d.width, 640), orDefault(d.height, 480), orDefault(d.fps, 15)
	}
	desc := ""
	if d.kind == ipc.ProcComposite || d.kind == ipc.ProcAlphaBlending {
		caps := d.videoCaps()
		// The black background keeps the compositor producing pictures
		// before and between inputs (KMS does the same).
		desc = fmt.Sprintf("videotestsrc is-live=true do-timestamp=true pattern=black ! capsfilter name=bgcaps caps=\"%s\" ! "+
			"compositor name=vmix background=black start-time-selection=first latency=%d ! "+
			"capsfilter name=outcaps caps=\"%s\" ! tee name=vtee allow-not-linked=true", caps, d.latency.Nanoseconds(), caps)
	}
	var err error
	if desc == "" {
		d.p, err = newPipeline()
	} else {
		d.p, err = parseLaunch(desc)
	}
	if err != nil {
		return fmt.Errorf("build %s: %v", d.kind, err)
	}
	el.pipe = d.p
	el.bus = pipelineBus(d.p)
	if desc != "" {
		d.vmix, d.vtee = child(d.p, "vmix"), child(d.p, "vtee")
		d.bgCaps, d.outCaps = child(d.p, "bgcaps"), child(d.p, "outcaps")
	}
	el.proc = noProc{}
	el.dyn = d
	el.stopBus = make(chan struct{})
	el.busDone = make(chan struct{})
	go el.busLoop()
	if !setState(d.p, C.GST_STATE_PLAYING) {
		return fmt.Errorf("start %s: state change failed%s", d.kind, el.pendingError())
	}
	for i, in := range spec.Inputs {
		if err := d.addInput(i, in); err != nil {
			return err
		}
	}
	for i, out := range spec.Outputs {
		if err := d.addOutput(i, out); err != nil {
			return err
		}
	}
	el.ready.Store(true)
	return nil
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// videoCaps are the mixer's picture: I420, what the encoders take, so the
// compositor blends into it directly (no conversion per output).
func (d *dynamic) videoCaps() string {
	return fmt.Sprintf("video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1,pixel-aspect-ratio=1/1", d.width, d.height, d.fps)
}

// handle runs the element's requests (on its control goroutine).
func (d *dynamic) handle(c ipc.Control) error {
	switch c.Op {
	case ipc.OpAddInput:
		if c.Input == nil {
			return errors.New("addInput without a stream")
		}
		return d.addInput(c.Stream, *c.Input)
	case ipc.OpRemoveInput:
		return d.removeInput(c.Stream)
	case ipc.OpAddOutput:
		if c.Output == nil {
			return errors.New("addOutput without a stream")
		}
		return d.addOutput(c.Stream, *c.Output)
	case ipc.OpRemoveOutput:
		return d.removeOutput(c.Stream)
	case ipc.OpSetMix:
		if c.Mix == nil {
			return errors.New("setMix without ports")
		}
		return d.setMix(c.Stream, c.Mix.Ports)
	case ipc.OpSetLayout:
		if c.Layout == nil || d.kind != ipc.ProcAlphaBlending {
			return fmt.Errorf("setLayout applies to alpha blending")
		}
		d.mu.Lock()
		d.layout = *c.Layout
		d.relayoutLocked()
		d.mu.Unlock()
		return nil
	case ipc.OpKeyframe:
		return d.forceKeyframe(c.Stream)
	case ipc.OpBitrate:
		if c.Bitrate == nil {
			return errors.New("bitrate request without a bitrate")
		}
		return d.setBitrate(c.Stream, *c.Bitrate)
	}
	return fmt.Errorf("operation %q does not apply to a %s element", c.Op, d.kind)
}

// addInput starts decoding input i.
func (d *dynamic) addInput(i int, st ipc.Stream) error {
	spec := ipc.Spec{Processing: ipc.Processing{Kind: d.kind}}
	if d.kind == ipc.ProcTranscode {
		d.mu.Lock()
		n := len(d.inputs)
		for _, in := range d.inputs {
			spec.Inputs = append(spec.Inputs, in.stream)
		}
		d.mu.Unlock()
		if n > 0 {
			return errors.New("a transcoder has one input")
		}
	}
	if err := spec.CheckStream(st, true); err != nil {
		return fmt.Errorf("input %d: %w", i, err)
	}
	d.mu.Lock()
	_, dup := d.inputs[i]
	d.mu.Unlock()
	if dup {
		return fmt.Errorf("input %d exists", i)
	}
	dec, err := decodeChain(st)
	if err != nil {
		return err
	}
	kind := st.Kind()
	conv := "videoconvert"
	if kind == "audio" {
		conv = "audioconvert ! audioresample ! capsfilter caps=audio/x-raw,format=S16LE,rate=48000,channels=1"
	}
	if kind == "video" && d.vmix != nil {
		conv += fmt.Sprintf(" ! queue name=in%d max-size-buffers=2 leaky=downstream", i)
	}
	bin, err := parseBin(fmt.Sprintf("appsrc name=src is-live=true do-timestamp=false format=time min-latency=0 "+
		"max-bytes=4000000 block=false leaky-type=downstream caps=\"%s\" ! %s ! %s", inputCaps(st), dec, conv))
	if err != nil {
		return fmt.Errorf("input %d: %v", i, err)
	}
	if err := addToBin(d.p, bin); err != nil { // bin is borrowed from here on
		return fmt.Errorf("input %d: %v", i, err)
	}
	in := &dynInput{index: i, stream: st, kind: kind, bin: bin, src: child(bin, "src"), rate: clockRate(st)}
	if err := d.plugInput(in); err != nil {
		d.unplugInput(in, nil, nil)
		return fmt.Errorf("input %d: %w", i, err)
	}
	d.el.watchKeyframeRequests(in.src, i)
	d.mu.Lock()
	d.inputs[i] = in
	d.linkMixersLocked(in)
	if d.kind == ipc.ProcTranscode {
		for _, o := range d.outputs {
			d.linkTeeLocked(in.tee, o)
		}
	}
	d.mu.Unlock()
	syncWithParent(bin)
	d.needKeyframe(i)
	return nil
}

// plugInput links a new input's bin to the compositor or to a tee of its own.
func (d *dynamic) plugInput(in *dynInput) error {
	out := staticPad(in.bin, "src")
	if in.src == nil || out == nil {
		return errors.New("no appsrc or no output pad")
	}
	addProbe(out, probeEventDownstream, func(_ *C.GstPad, info *C.GstPadProbeInfo) C.GstPadProbeReturn {
		if w, h, ok := probedCapsSize(info); ok {
			d.onCaps(in, w, h)
		}
		return probeOK
	})
	if in.kind == "video" && d.vmix != nil {
		// Linking asks the compositor for its caps, which it takes from
		// its output capsfilter: a resize (relayoutLocked, the master's
		// first picture) in the middle of that query makes it EMPTY and
		// the link fail, and the input would never be shown. d.mu keeps
		// resizes out until the link is made.
		d.mu.Lock()
		defer d.mu.Unlock()
		in.vpad = requestPad(d.vmix, "sink_%u")
		if in.vpad == nil || !linkPads(out, in.vpad) {
			return errors.New("cannot link to the compositor")
		}
		_ = setPadProp(in.vpad, "alpha", "0") // shown once it has a picture and a place
		if d.kind == ipc.ProcComposite {
			_ = setPadProp(in.vpad, "sizing-policy", "keep-aspect-ratio")
		}
		return nil
	}
	tee, err := makeElement("tee")
	if err != nil {
		return err
	}
	_ = setProp(tee, "allow-not-linked", "true")
	if err := addToBin(d.p, tee); err != nil {
		return err
	}
	in.tee = tee
	if !linkPads(out, staticPad(tee, "sink")) {
		return errors.New("cannot link to its tee")
	}
	syncWithParent(tee)
	return nil
}

// unplugInput stops an input and takes its pieces out of the pipeline,
// after the mixer links and tee pads given (the input's) are released.
func (d *dynamic) unplugInput(in *dynInput, links []mixLinkOf, teePads []*C.GstPad) {
	// Stop the input first: nothing is pushing when its links go.
	_ = setState(in.bin, C.GST_STATE_NULL)
	if in.tee != nil {
		for _, l := range links {
			l.link.release(l.amix)
		}
		for _, pad := range teePads {
			releasePad(in.tee, pad)
		}
		removeFromBin(d.p, in.tee)
	}
	if in.vpad != nil {
		releasePad(d.vmix, in.vpad)
	}
	removeFromBin(d.p, in.bin)
}

// onCaps records an input's picture size when it decodes its first
// picture (or changes size): it then takes its place (KMS counts an
// input in the layout once its media starts).
func (d *dynamic) onCaps(in *dynInput, w, h int) {
	if in.kind != "video" {
		return
	}
	in.width.Store(int32(w))
	in.height.Store(int32(h))
	in.active.Store(true)
	d.mu.Lock()
	d.relayoutLocked()
	d.mu.Unlock()
}

// removeInput stops input i; its place and its mixes go.
func (d *dynamic) removeInput(i int) error {
	d.mu.Lock()
	in := d.inputs[i]
	delete(d.inputs, i)
	var links []mixLinkOf
	var teePads []*C.GstPad // the transcoder's outputs
	for _, o := range d.outputs {
		if l := o.mixed[i]; l != nil {
			links = append(links, mixLinkOf{l, o.amix})
			delete(o.mixed, i)
		}
		if d.kind == ipc.ProcTranscode && o.teePad != nil {
			teePads = append(teePads, o.teePad)
			o.tee, o.teePad = nil, nil
		}
	}
	d.mu.Unlock()
	if in == nil {
		return fmt.Errorf("no input %d", i)
	}
	// A push that found the input before it left the map is over once
	// pushMu can be taken: nothing reaches its appsrc from here on.
	d.el.pushMu.Lock()
	d.el.pushMu.Unlock() //nolint:staticcheck // an empty critical section: a barrier
	d.unplugInput(in, links, teePads)
	d.mu.Lock()
	d.relayoutLocked()
	d.mu.Unlock()
	return nil
}

// mixLinkOf is a mixer link and the mixer it feeds.
type mixLinkOf struct {
	link *mixLink
	amix *C.GstElement
}

// addOutput starts encoding output i.
func (d *dynamic) addOutput(i int, st ipc.Stream) error {
	d.mu.Lock()
	_, dup := d.outputs[i]
	var spec ipc.Spec
	spec.Processing.Kind = d.kind
	for _, in := range d.inputs {
		spec.Inputs = append(spec.Inputs, in.stream)
	}
	d.mu.Unlock()
	if dup {
		return fmt.Errorf("output %d exists", i)
	}
	if err := spec.CheckStream(st, false); err != nil {
		return fmt.Errorf("output %d: %w", i, err)
	}
	enc, err := encodeChain(st, i, false)
	if err != nil {
		return err
	}
	kind := st.Kind()
	mixing := kind == "audio" && d.kind != ipc.ProcTranscode
	head := fmt.Sprintf("queue name=out%d max-size-buffers=3 leaky=downstream ! ", i)
	if mixing {
		head = ""
	}
	if kind == "video" && st.FramerateNum > 0 {
		head += fmt.Sprintf("videorate drop-only=true ! video/x-raw,framerate=%d/%d ! ", st.FramerateNum, max(st.FramerateDen, 1))
	}
	bin, err := parseBin(head + enc)
	if err != nil {
		return fmt.Errorf("output %d: %v", i, err)
	}
	if err := addToBin(d.p, bin); err != nil { // bin is borrowed from here on
		return fmt.Errorf("output %d: %v", i, err)
	}
	o := &dynOutput{index: i, stream: st, bin: bin, mixed: map[int]*mixLink{}}
	if o.sink = child(bin, fmt.Sprintf("sink%d", i)); o.sink == nil {
		removeFromBin(d.p, bin)
		return fmt.Errorf("output %d: no sink%d", i, i)
	}
	o.enc = child(bin, fmt.Sprintf("enc%d", i)) // nil: no settable encoder
	if o.enc != nil && (st.Codec == ipc.CodecVP8 || st.Codec == ipc.CodecVP9) {
		// libvpx's threads spin while they wait for each other: in a worker
		// whose decoders and compositor already keep the cores busy, one
		// encoder thread costs less CPU for the same pictures.
		_ = setProp(o.enc, "threads", "1")
	}
	d.el.deliverSamples(o.sink, uint32(i))
	syncWithParent(bin)
	if mixing {
		if err := d.addMixer(o); err != nil {
			d.removeMixer(o)
			removeFromBin(d.p, bin)
			return fmt.Errorf("output %d: %w", i, err)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.outputs[i] = o
	switch {
	case mixing:
		for _, in := range d.inputs {
			d.linkMixersLocked(in)
		}
	case d.kind == ipc.ProcTranscode:
		for _, in := range d.inputs {
			d.linkTeeLocked(in.tee, o)
		}
	case kind == "video" && d.vtee != nil:
		d.linkTeeLocked(d.vtee, o)
	}
	return nil
}

// linkTeeLocked feeds output o from tee.
func (d *dynamic) linkTeeLocked(tee *C.GstElement, o *dynOutput) {
	if tee == nil || o.teePad != nil || o.amix != nil {
		return
	}
	pad := requestPad(tee, "src_%u")
	if pad == nil {
		return
	}
	if !linkPads(pad, staticPad(o.bin, "sink")) {
		releasePad(tee, pad)
		return
	}
	o.tee, o.teePad = tee, pad
}

// removeOutput stops output i: unlinked from what feeds it, then stopped.
func (d *dynamic) removeOutput(i int) error {
	d.mu.Lock()
	o := d.outputs[i]
	delete(d.outputs, i)
	var tee *C.GstElement
	var teePad *C.GstPad
	if o != nil {
		tee, teePad = o.tee, o.teePad
		o.tee, o.teePad = nil, nil
	}
	d.mu.Unlock()
	if o == nil {
		return fmt.Errorf("no output %d", i)
	}
	if teePad != nil {
		releasePad(tee, teePad)
	}
	if o.amix != nil {
		d.removeMixer(o)
	}
	removeFromBin(d.p, o.bin)
	return nil
}

// push feeds one RTP packet to input i, stamped from its RTP timestamp.
func (d *dynamic) push(i int, pkt []byte) {
	d.mu.Lock()
	in := d.inputs[i]
	d.mu.Unlock()
	if in == nil || len(pkt) < 12 {
		d.el.inputDropped.Add(1)
		return
	}
	if !pushRTPAt(in.src, pkt, d.pts(in, pkt)) {
		d.el.inputDropped.Add(1)
		return
	}
	d.el.packetsIn.Add(1)
}

// maxSkew is how far a packet's presentation time may drift from its
// arrival before the input's timeline is re-anchored.
const maxSkew = 500 * time.Millisecond

// pts maps a packet's RTP timestamp to running time.
func (d *dynamic) pts(in *dynInput, pkt []byte) time.Duration {
	return d.ptsAt(in, pkt, d.runningTime())
}

// ptsAt is pts with the running time now given.
func (d *dynamic) ptsAt(in *dynInput, pkt []byte, now time.Duration) time.Duration {
	ts := uint32(pkt[4])<<24 | uint32(pkt[5])<<16 | uint32(pkt[6])<<8 | uint32(pkt[7])
	if !in.anchor {
		in.anchor, in.ext, in.last, in.ts0, in.pts0 = true, int64(ts), ts, int64(ts), now
		return now
	}
	in.ext += int64(int32(ts - in.last))
	in.last = ts
	pts := in.pts0 + time.Duration((in.ext-in.ts0)*int64(time.Second)/int64(in.rate))
	if pts < now-d.lateLimit() || pts > now+maxSkew {
		in.ts0, in.pts0, pts = in.ext, now, now
	}
	return pts
}

// lateLimit is how far behind its arrival a packet's presentation time may
// fall before the input's timeline is re-anchored. A mixer (compositor,
// audiomixer) drops what reaches it later than its latency: an input whose
// packets stayed between that latency and maxSkew behind (a backlog after
// a stall) would be silent until the backlog drained. Half the latency
// leaves the other half to depayloading and decoding.
func (d *dynamic) lateLimit() time.Duration {
	if d.kind == ipc.ProcTranscode {
		return maxSkew // no aggregator: lateness drops nothing
	}
	return min(maxSkew, d.latency/2)
}

// runningTime is the pipeline's running time now.
func (d *dynamic) runningTime() time.Duration { return runningTime(d.p) }

// needKeyframe asks gorento for a keyframe of input i, at most every 500 ms.
func (d *dynamic) needKeyframe(i int) {
	d.mu.Lock()
	in := d.inputs[i]
	d.mu.Unlock()
	if in == nil || in.kind != "video" {
		return
	}
	now := time.Now().UnixNano()
	if prev := in.lastAsk.Load(); now-prev < int64(500*time.Millisecond) || !in.lastAsk.CompareAndSwap(prev, now) {
		return
	}
	d.el.s.event(d.el.id, ipc.Event{Kind: ipc.EventNeedKeyframe, Stream: i})
}

// forceKeyframe makes output i's encoder emit a keyframe.
func (d *dynamic) forceKeyframe(i int) error {
	d.mu.Lock()
	o := d.outputs[i]
	d.mu.Unlock()
	if o == nil {
		return fmt.Errorf("no output %d", i)
	}
	if !forceKeyUnit(o.sink) {
		return fmt.Errorf("output %d: the encoder did not take the keyframe request", i)
	}
	d.el.keyframes.Add(1)
	return nil
}

// setBitrate sets output i's encoder target within its bounds.
func (d *dynamic) setBitrate(i int, b ipc.Bitrate) error {
	d.mu.Lock()
	o := d.outputs[i]
	d.mu.Unlock()
	if o == nil {
		return fmt.Errorf("no output %d", i)
	}
	st := o.stream
	if b.Min > 0 {
		st.MinBitrate = b.Min
	}
	if b.Max > 0 {
		st.MaxBitrate = b.Max
	}
	if o.enc == nil {
		return nil
	}
	return setEncoderBitrate(o.enc, st.Codec, clampBitrate(st, b.Target))
}

// outputCount is the number of encoders running.
func (d *dynamic) outputCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.outputs)
}

// endInputs ends every input's stream before the pipeline stops
// (element.teardown).
func (d *dynamic) endInputs() {
	d.mu.Lock()
	ins := make([]*dynInput, 0, len(d.inputs))
	for _, in := range d.inputs {
		ins = append(ins, in)
	}
	d.mu.Unlock()
	for _, in := range ins {
		endOfStream(in.src)
	}
}
