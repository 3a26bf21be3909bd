package transcode

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/internal/media/process"
)

// ErrTranscoding wraps the failures of a transcoder, reported as an
// ErrorEvent of the source element (KMS reports its agnosticbin's errors
// on the element that owns it).
var ErrTranscoding = errors.New("transcoding failed")

// requestTimeout bounds one request to the worker.
const requestTimeout = 5 * time.Second

// Transcoder is one source pad's transcoder.
type Transcoder struct {
	core media.Core
	f    *Factory
	src  *media.SourcePad
	from *media.Codec
	inPT uint8
	w    *process.Element
	in   procelem.StreamIn

	mu      sync.Mutex // guards outs and next; held across the worker request that adds or removes an output
	outs    map[*media.SourcePad]*output
	next    int
	byIndex atomic.Pointer[map[int]*output] // copy of outs by worker index, for the delivery goroutine

	failed   atomic.Bool
	encoders atomic.Int64 // outputs the worker reported running (its stats)
	wake     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}
}

// output is one encoder and the pad its packets leave from.
type output struct {
	index   int
	format  media.Format
	stream  *procelem.StreamOut
	bitrate int // last target set (control loop only)
}

var (
	_ media.Transcoder  = (*Transcoder)(nil)
	_ media.CodecSource = (*Transcoder)(nil)
)

func newTranscoder(f *Factory, p *media.Pipeline, src *media.SourcePad, from *media.Codec) (*Transcoder, error) {
	in, err := procelem.WorkerStream(from)
	if err != nil {
		return nil, err
	}
	t := &Transcoder{f: f, src: src, from: from, inPT: in.PayloadType, outs: map[*media.SourcePad]*output{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	t.byIndex.Store(&map[int]*output{})
	t.encoders.Store(-1)
	t.ctx, t.cancel = context.WithCancel(context.Background())
	if err := t.core.Init(p, t, t, nil); err != nil {
		t.cancel()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(t.ctx, requestTimeout)
	defer cancel()
	t.w, err = f.Backend.Create(ctx, f.Key, process.Spec{Inputs: []process.Stream{in}, Processing: process.Processing{Kind: process.ProcTranscode}},
		process.Handler{OnRTP: t.onRTP, OnEvent: t.onEvent})
	if err != nil {
		t.cancel()
		t.core.Detach()
		return nil, err
	}
	t.core.UseQueue(media.QueueConfig{})
	go t.run()
	return t, nil
}

// Core implements media.Element.
func (t *Transcoder) Core() *media.Core { return &t.core }

// Release implements media.Element: the worker element is closed and the
// control loop joined. Idempotent.
func (t *Transcoder) Release() {
	if !t.core.Detach() {
		return
	}
	t.cancel()
	<-t.done
}

// Input implements media.Transcoder.
func (t *Transcoder) Input() *media.SinkPad { return t.core.Sink(t.from.Kind()) }

// Output implements media.Transcoder: an encoder for f in the worker.
func (t *Transcoder) Output(f media.Format) (*media.SourcePad, error) {
	st, err := procelem.WorkerStream(f.Codec)
	if err != nil {
		return nil, err
	}
	if f.Codec.Kind() == media.Video {
		b := t.f.bitrates(t.src)
		st.MinBitrate, st.MaxBitrate, st.Bitrate = b.Min, b.Max, clamp(b.Target, b)
		st.FramerateNum, st.FramerateDen = f.FramerateNum, f.FramerateDen
	} else if f.Bitrate > 0 {
		st.Bitrate = f.Bitrate
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.next
	t.next++
	ctx, cancel := context.WithTimeout(t.ctx, requestTimeout)
	defer cancel()
	if err := t.w.AddOutput(ctx, i, st); err != nil {
		return nil, err
	}
	pad := t.core.SourcePad(f.Codec.Kind(), fmt.Sprintf("transcoded-%d", i))
	t.outs[pad] = &output{index: i, format: f, stream: procelem.NewStreamOut(pad), bitrate: st.Bitrate}
	t.publishLocked()
	return pad, nil
}

// RemoveOutput implements media.Transcoder.
func (t *Transcoder) RemoveOutput(pad *media.SourcePad) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.outs[pad]
	if o == nil {
		return
	}
	delete(t.outs, pad)
	t.publishLocked()
	ctx, cancel := context.WithTimeout(t.ctx, requestTimeout)
	defer cancel()
	if err := t.w.RemoveOutput(ctx, o.index); err != nil && t.ctx.Err() == nil {
		t.f.logger().Debug("transcoder: removing an output", "key", t.f.Key, "err", err)
	}
}

func (t *Transcoder) publishLocked() {
	m := make(map[int]*output, len(t.outs))
	for _, o := range t.outs {
		m[o.index] = o
	}
	t.byIndex.Store(&m)
}

// Outputs returns the number of encoders the transcoder runs.
func (t *Transcoder) Outputs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.outs)
}

// WorkerEncoders returns the encoders the worker last reported running
// (its stats, every 2 s; -1 before the first report).
func (t *Transcoder) WorkerEncoders() int { return int(t.encoders.Load()) }

// SourceCodec implements media.CodecSource: each output's codec.
func (t *Transcoder) SourceCodec(p *media.SourcePad) *media.Codec {
	for _, o := range *t.byIndex.Load() {
		if o.stream.Pad() == p {
			return o.format.Codec
		}
	}
	return nil
}

// Consume implements media.Handler, on the input queue's goroutine.
func (t *Transcoder) Consume(_ *media.SinkPad, pkt *media.Packet) {
	if pkt.Codec == nil || t.failed.Load() || !t.from.Same(pkt.Codec) {
		t.in.Drop()
		return
	}
	if err := t.in.Write(t.w, 0, t.inPT, pkt, t.core.Pipeline().Now()); err != nil {
		t.poke()
	}
}

// RequestKeyframe implements media.Handler: that output's encoder makes one.
func (t *Transcoder) RequestKeyframe(p *media.SourcePad) {
	for _, o := range *t.byIndex.Load() {
		if o.stream.Pad() == p {
			o.stream.AskKeyframe()
			t.poke()
			return
		}
	}
}

// BitrateEstimate implements media.Handler: the input is decoded, any
// rate does (unknown).
func (t *Transcoder) BitrateEstimate(*media.SinkPad) uint64 { return 0 }

// SourceChanged implements media.Handler: the input continues as one
// stream and starts with a keyframe.
func (t *Transcoder) SourceChanged(p *media.SinkPad) {
	t.in.Reanchor()
	if p.MediaType() == media.Video && p.Feed() != nil {
		p.RequestKeyframe()
	}
}

// Forwards implements media.Handler.
func (t *Transcoder) Forwards() bool { return true }

func (t *Transcoder) onRTP(i int, b []byte) {
	if o := (*t.byIndex.Load())[i]; o != nil {
		o.stream.Push(b, o.format.Codec)
	}
}

func (t *Transcoder) onEvent(ev process.Event) {
	switch ev.Kind {
	case process.EventNeedKeyframe:
		t.Input().RequestKeyframe()
	case process.EventError:
		t.fail(ev.Err)
	case process.EventStats:
		if ev.Stats != nil {
			t.encoders.Store(int64(ev.Stats.Outputs))
		}
	}
}

// fail stops the transcoder for good, reported once on the source element.
func (t *Transcoder) fail(err error) {
	if !t.failed.CompareAndSwap(false, true) {
		return
	}
	err = fmt.Errorf("%w: %s: %w", ErrTranscoding, t.from.MimeType, err)
	t.f.logger().Warn("transcoder failed", "key", t.f.Key, "err", err)
	t.src.Owner().Core().Emit(media.ErrorEvent{Err: err})
}

func (t *Transcoder) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}
