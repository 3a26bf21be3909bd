package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/internal/media/process"
)

// Processing is how the hubs that decode reach the pipeline's worker.
type Processing struct {
	// Backend creates worker elements (the server's process.Manager).
	Backend procelem.Backend
	// Key selects the pipeline's worker process (the pipeline's id).
	Key string
	// Bitrates returns a port's encoder bounds (nil: procelem.DefaultBitrates).
	Bitrates func(port media.Element) procelem.Bitrates
	// Events receives the hub's own events (an ErrorEvent when its worker
	// element fails; its ports report it too).
	Events media.EventHandler
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// ErrProcessing wraps a failure of a hub's worker element.
var ErrProcessing = errors.New("hub: media processing failed")

// Control loop timing.
const (
	reconcileInterval = 500 * time.Millisecond
	requestTimeout    = 5 * time.Second
)

// Default codecs of what a mixing hub sends when its receivers take any.
var (
	defaultVideo = &media.Codec{MimeType: "video/VP8", ClockRate: 90000}
	defaultAudio = &media.Codec{MimeType: "audio/opus", ClockRate: 48000, Channels: 2}
)

// processor runs the worker element of a hub that decodes. Each port's sink
// pads feed worker inputs (made when media arrives, with its codec); its
// source pads carry worker outputs, made while something is connected to
// them, in the codec their receivers take. Outputs that every port shares
// (a composite's picture) have one encoder per codec.
type processor struct {
	h        *Hub
	cfg      Processing
	w        *process.Element
	shared   [2]bool // per media type: one output serves every port (the picture of a compositor)
	mixes    bool    // audio outputs are per-port mixes
	explicit bool    // the mixes list the ports heard (Mixer), else every port but the own (Composite)

	mu      sync.Mutex // guards next, outputs and ports' hears; held across worker requests that change outputs
	next    int
	outputs map[int]*mixOutput
	byIndex atomic.Pointer[map[int]*mixOutput] // outputs, for the delivery goroutine

	refMu     sync.Mutex                        // serialises changes of inputRefs
	inputRefs atomic.Pointer[map[int]*inputRef] // worker input → the port feeding it

	failed atomic.Bool
	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// mixOutput is one encoder: a shared picture or one port's audio mix.
type mixOutput struct {
	index   int
	mt      media.MediaType
	codec   *media.Codec
	stream  process.Stream
	ports   atomic.Pointer[[]*Port] // who sends it
	bitrate int                     // last target (control loop)
}

// newProcessor creates the hub's worker element (a missing worker fails here).
func newProcessor(h *Hub, cfg Processing, proc process.Processing, shared [2]bool, mixes bool) (*processor, error) {
	if cfg.Backend == nil {
		return nil, procelem.ErrNoBackend
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &processor{h: h, cfg: cfg, shared: shared, mixes: mixes, outputs: map[int]*mixOutput{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	m.byIndex.Store(&map[int]*mixOutput{})
	m.inputRefs.Store(&map[int]*inputRef{})
	m.ctx, m.cancel = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(m.ctx, requestTimeout)
	defer cancel()
	w, err := cfg.Backend.Create(ctx, cfg.Key, process.Spec{Processing: proc}, process.Handler{OnRTP: m.onRTP, OnEvent: m.onEvent})
	if err != nil {
		m.cancel()
		return nil, err
	}
	m.w = w
	go m.run()
	return m, nil
}

// stop closes the worker element and joins the control loop.
func (m *processor) stop() {
	m.cancel()
	<-m.done
}

func (m *processor) poke() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *processor) request(f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(m.ctx, requestTimeout)
	defer cancel()
	return f(ctx)
}

func (m *processor) onRTP(i int, b []byte) {
	o := (*m.byIndex.Load())[i]
	if o == nil {
		return
	}
	if l := o.ports.Load(); l != nil {
		for _, p := range *l {
			p.mix.out[o.mt].Push(b, o.codec)
		}
	}
}

func (m *processor) onEvent(ev process.Event) {
	switch ev.Kind {
	case process.EventNeedKeyframe:
		if p, mt := m.inputOf(ev.Stream); p != nil {
			p.core.Sink(mt).RequestKeyframe()
		}
	case process.EventError:
		m.fail(ev.Err)
	}
}

// fail stops the hub's processing for good: one ErrorEvent on the hub and
// on each port.
func (m *processor) fail(err error) {
	if !m.failed.CompareAndSwap(false, true) {
		return
	}
	err = fmt.Errorf("%w: %w", ErrProcessing, err)
	m.cfg.Logger.Warn("hub processing failed", "key", m.cfg.Key, "err", err)
	if m.cfg.Events != nil {
		m.cfg.Events(media.ErrorEvent{Err: err})
	}
	for _, p := range m.h.Ports() {
		p.core.Emit(media.ErrorEvent{Err: err})
	}
}

// publishLocked refreshes the outputs' lock-free copy.
func (m *processor) publishLocked() {
	c := make(map[int]*mixOutput, len(m.outputs))
	for i, o := range m.outputs {
		c[i] = o
	}
	m.byIndex.Store(&c)
}

// run is the control loop: outputs follow the ports' receivers, inputs
// their sources; keyframe and bitrate requests go to the encoders; a
// failed worker element is reported.
func (m *processor) run() {
	defer close(m.done)
	tick := m.h.pipeline.Clock().NewTicker(reconcileInterval)
	defer tick.Stop()
	bitrates := 0
	for {
		select {
		case <-m.ctx.Done():
			_ = m.w.Close()
			return
		case <-m.wake:
		case <-tick.C():
			if bitrates++; bitrates%2 == 0 {
				m.followEstimates()
			}
		}
		if err := m.w.Err(); err != nil {
			m.fail(err)
		}
		if m.failed.Load() {
			continue
		}
		m.reconcile()
		m.sendKeyframes()
	}
}
