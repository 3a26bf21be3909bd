package workerleg

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// Bitrates of what legs encode.
const (
	videoBitrate = 1_500_000
	audioBitrate = 64_000
)

// Worker returns the factory of transcoders running in the pipeline's
// worker process (key: the pipeline's id): one worker element per leg.
// The element is created in the background — an element's queue never
// waits for a worker to start — and packets written before it is ready are
// refused (ErrNotReady); Handler.Ready tells when it is.
func Worker(b procelem.Backend, key string) Factory {
	if b == nil {
		return nil
	}
	return func(in *media.Codec, out Output, h Handler) (Transcoder, error) {
		inStream, err := workerStream(in)
		if err != nil {
			return nil, err
		}
		outStream, ts, err := outputStream(out)
		if err != nil {
			return nil, err
		}
		w := &workerLeg{h: h, out: ts, inPT: inStream.PayloadType, inRate: in.ClockRate, times: newTiming(in.ClockRate, ts.ClockRate)}
		w.ctx, w.cancel = context.WithCancel(context.Background())
		spec := process.Spec{Inputs: []process.Stream{inStream}, Outputs: []process.Stream{outStream},
			Processing: process.Processing{Kind: process.ProcNone}}
		w.wg.Add(1)
		go w.start(b, key, spec)
		return w, nil
	}
}

// ErrNotReady is returned by WriteRTP while the worker element starts.
var ErrNotReady = errors.New("workerleg: transcoder not ready")

// workerLeg is one transcoder in a worker.
type workerLeg struct {
	h      Handler
	out    Stream
	inPT   uint8
	inRate uint32
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	el     atomic.Pointer[process.Element]
	closed atomic.Bool
	kfBusy atomic.Bool

	times *timing

	// Used by WriteRTP only (the recorder's lock serialises it).
	rw     rtpx.Rewriter
	tsBase uint32 // the first packet's rewritten timestamp: the leg's RTP time 0
	begun  bool
	buf    []byte
}

func (w *workerLeg) start(b procelem.Backend, key string, spec process.Spec) {
	defer w.wg.Done()
	ctx, cancel := context.WithTimeout(w.ctx, 30*time.Second)
	defer cancel()
	el, err := b.Create(ctx, key, spec, process.Handler{OnRTP: w.onRTP, OnEvent: w.onEvent})
	if err != nil {
		if !w.closed.Load() {
			w.h.OnError(err)
		}
		return
	}
	w.el.Store(el)
	if w.closed.Load() { // closed while starting
		_ = el.Close()
		return
	}
	if w.h.Ready != nil {
		w.h.Ready()
	}
	if w.h.NeedKeyframe != nil {
		w.h.NeedKeyframe()
	}
}

func (w *workerLeg) onRTP(_ int, b []byte) {
	if w.closed.Load() {
		return
	}
	var pkt rtp.Packet
	if pkt.Unmarshal(b) == nil {
		w.h.OnRTP(&pkt, w.times.output(pkt.Timestamp))
	}
}

func (w *workerLeg) onEvent(ev process.Event) {
	if w.closed.Load() {
		return
	}
	switch ev.Kind {
	case process.EventError:
		w.h.OnError(ev.Err)
	case process.EventNeedKeyframe:
		if w.h.NeedKeyframe != nil {
			w.h.NeedKeyframe()
		}
	}
}

// WriteRTP implements Transcoder: the input becomes one continuous stream
// for the worker's depayloader, whatever source feeds it, starting at RTP
// time 0 (timing.go).
func (w *workerLeg) WriteRTP(pkt *rtp.Packet, at time.Duration) error {
	el := w.el.Load()
	if el == nil || w.closed.Load() {
		return ErrNotReady
	}
	h := pkt.Header
	h.Extension, h.Extensions, h.ExtensionProfile, h.CSRC, h.Padding, h.PaddingSize = false, nil, 0, nil, false, 0
	w.rw.Rewrite(&h, w.inRate, media.Monotime())
	h.SSRC, h.PayloadType = 0x67726e74, w.inPT
	if !w.begun {
		w.begun, w.tsBase = true, h.Timestamp
	}
	h.Timestamp -= w.tsBase
	w.times.input(h.Timestamp, at)
	need := h.MarshalSize() + len(pkt.Payload)
	if cap(w.buf) < need {
		w.buf = make([]byte, (need+511)&^511)
	}
	b := w.buf[:need]
	n, err := h.MarshalTo(b)
	if err != nil {
		return err
	}
	copy(b[n:], pkt.Payload)
	return el.WriteRTP(0, b)
}

// RequestKeyframe implements Transcoder (in the background: it is a
// request to the worker).
func (w *workerLeg) RequestKeyframe() {
	el := w.el.Load()
	if el == nil || w.closed.Load() || !w.kfBusy.CompareAndSwap(false, true) {
		return
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer w.kfBusy.Store(false)
		ctx, cancel := context.WithTimeout(w.ctx, 5*time.Second)
		defer cancel()
		_ = el.RequestKeyframe(ctx, 0)
	}()
}

// Output implements Transcoder.
func (w *workerLeg) Output() Stream { return w.out }

// Close implements Transcoder.
func (w *workerLeg) Close() {
	if !w.closed.CompareAndSwap(false, true) {
		return
	}
	w.cancel()
	w.wg.Wait()
	if el := w.el.Load(); el != nil {
		_ = el.Close()
	}
}

// workerStream describes an input codec to the worker.
func workerStream(c *media.Codec) (process.Stream, error) {
	_, name, _ := strings.Cut(c.MimeType, "/")
	if fc, err := frames.CodecFromMime(c.MimeType); err == nil && fc == frames.AAC {
		return process.Stream{Codec: process.CodecAAC, PayloadType: 96, ClockRate: c.ClockRate, Channels: max(c.Channels, 1)}, nil
	}
	for _, n := range []string{process.CodecVP8, process.CodecVP9, process.CodecH264, process.CodecOpus, process.CodecPCMU, process.CodecPCMA} {
		if strings.EqualFold(name, n) {
			pt := uint8(96)
			switch n {
			case process.CodecPCMU:
				pt = 0
			case process.CodecPCMA:
				pt = 8
			}
			return process.Stream{Codec: n, PayloadType: pt, ClockRate: c.ClockRate, Channels: c.Channels}, nil
		}
	}
	return process.Stream{}, fmt.Errorf("codec %s cannot be transcoded (VP8, VP9, H.264, Opus, PCMU, PCMA, AAC can)", c.MimeType)
}

// outputStream describes what a leg encodes to the worker.
func outputStream(o Output) (process.Stream, Stream, error) {
	ch := o.Channels
	if ch == 0 {
		ch = 2
	}
	switch o.Codec {
	case frames.VP8:
		return process.Stream{Codec: process.CodecVP8, PayloadType: 96, Bitrate: videoBitrate},
			Stream{Codec: frames.VP8, ClockRate: 90000}, nil
	case frames.VP9:
		return process.Stream{Codec: process.CodecVP9, PayloadType: 96, Bitrate: videoBitrate},
			Stream{Codec: frames.VP9, ClockRate: 90000}, nil
	case frames.H264:
		return process.Stream{Codec: process.CodecH264, PayloadType: 96, Bitrate: videoBitrate, H264Profile: "constrained-baseline"},
			Stream{Codec: frames.H264, ClockRate: 90000}, nil
	case frames.Opus:
		return process.Stream{Codec: process.CodecOpus, PayloadType: 111, Channels: uint16(ch), Bitrate: audioBitrate},
			Stream{Codec: frames.Opus, ClockRate: 48000, Channels: ch}, nil
	case frames.PCMU, frames.PCMA:
		name := map[frames.Codec]string{frames.PCMU: process.CodecPCMU, frames.PCMA: process.CodecPCMA}[o.Codec]
		return process.Stream{Codec: name, PayloadType: map[frames.Codec]uint8{frames.PCMU: 0, frames.PCMA: 8}[o.Codec], Channels: 1},
			Stream{Codec: o.Codec, ClockRate: 8000, Channels: 1}, nil
	case frames.AAC:
		return process.Stream{Codec: process.CodecAAC, PayloadType: 96, ClockRate: 48000, Channels: uint16(ch), Bitrate: audioBitrate},
			Stream{Codec: frames.AAC, ClockRate: 48000, Channels: ch,
				AAC: frames.AACConfig{SampleRate: 48000, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}}, nil
	}
	return process.Stream{}, Stream{}, fmt.Errorf("the processing back end does not encode %v", o.Codec)
}
