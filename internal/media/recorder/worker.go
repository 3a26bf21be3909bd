package recorder

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

// Bitrates of what recorders encode.
const (
	recordVideoBitrate = 1_500_000
	recordAudioBitrate = 64_000
)

// WorkerTranscoders returns the factory of transcoders running in the
// pipeline's worker process (key: the pipeline's id): one worker element
// per leg, decode → encode (process.ProcNone with the profile's codec as
// output). The element is created in the background — the recorder's
// queue never waits for a worker to start — and packets written before it
// is ready are dropped (the first keyframe is asked for when it is).
func WorkerTranscoders(b procelem.Backend, key string) TranscoderFactory {
	if b == nil {
		return nil
	}
	return func(in *media.Codec, out frames.Codec, h TranscoderHandler) (Transcoder, error) {
		inStream, err := workerStream(in)
		if err != nil {
			return nil, err
		}
		outStream, ts, err := outputStream(out)
		if err != nil {
			return nil, err
		}
		w := &workerLeg{h: h, out: ts, inPT: inStream.PayloadType, inRate: in.ClockRate}
		w.ctx, w.cancel = context.WithCancel(context.Background())
		spec := process.Spec{Inputs: []process.Stream{inStream}, Outputs: []process.Stream{outStream},
			Processing: process.Processing{Kind: process.ProcNone}}
		w.wg.Add(1)
		go w.start(b, key, spec)
		return w, nil
	}
}

var errNotReady = errors.New("recorder: transcoder not ready")

// workerLeg is one transcoder in a worker.
type workerLeg struct {
	h      TranscoderHandler
	out    TranscodedStream
	inPT   uint8
	inRate uint32
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	el     atomic.Pointer[process.Element]
	closed atomic.Bool
	kfBusy atomic.Bool

	// Used by WriteRTP only (the recorder's lock serialises it).
	rw  rtpx.Rewriter
	buf []byte
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
		w.h.OnRTP(&pkt)
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
// for the worker's depayloader, whatever source feeds it.
func (w *workerLeg) WriteRTP(pkt *rtp.Packet) error {
	el := w.el.Load()
	if el == nil || w.closed.Load() {
		return errNotReady
	}
	h := pkt.Header
	h.Extension, h.Extensions, h.ExtensionProfile, h.CSRC, h.Padding, h.PaddingSize = false, nil, 0, nil, false, 0
	w.rw.Rewrite(&h, w.inRate, media.Monotime())
	h.SSRC, h.PayloadType = 0x67726e74, w.inPT
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
func (w *workerLeg) Output() TranscodedStream { return w.out }

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
	return process.Stream{}, fmt.Errorf("codec %s cannot be transcoded (VP8, VP9, H.264, Opus, PCMU, PCMA can)", c.MimeType)
}

// outputStream describes the codec a profile records to the worker.
func outputStream(c frames.Codec) (process.Stream, TranscodedStream, error) {
	switch c {
	case frames.VP8:
		return process.Stream{Codec: process.CodecVP8, PayloadType: 96, Bitrate: recordVideoBitrate},
			TranscodedStream{Codec: frames.VP8, ClockRate: 90000}, nil
	case frames.H264:
		return process.Stream{Codec: process.CodecH264, PayloadType: 96, Bitrate: recordVideoBitrate, H264Profile: "constrained-baseline"},
			TranscodedStream{Codec: frames.H264, ClockRate: 90000}, nil
	case frames.Opus:
		return process.Stream{Codec: process.CodecOpus, PayloadType: 111, Channels: 2, Bitrate: recordAudioBitrate},
			TranscodedStream{Codec: frames.Opus, ClockRate: 48000, Channels: 2}, nil
	case frames.AAC:
		return process.Stream{Codec: process.CodecAAC, PayloadType: 96, ClockRate: 48000, Channels: 2, Bitrate: recordAudioBitrate},
			TranscodedStream{Codec: frames.AAC, ClockRate: 48000, Channels: 2,
				AAC: frames.AACConfig{SampleRate: 48000, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}}, nil
	}
	return process.Stream{}, TranscodedStream{}, fmt.Errorf("the processing back end does not encode %v", c)
}
