package procelem

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
)

// Element is a graph element backed by a worker element.
type Element struct {
	core media.Core
	cfg  Config
	ins  []*input
	outs []*output

	cur    atomic.Pointer[stage] // the live worker element; nil before the first and after a failure
	failed atomic.Pointer[error] // the first failure, reported once

	wake    chan struct{} // something for the control loop to do
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{} // closed when the control loop returns
	started bool

	opsMu sync.Mutex // guards ops and serialises (re)creation with Apply
	ops   []namedOp

	bitMu    sync.Mutex // guards bitrates
	bitrates Bitrates

	recreations atomic.Uint64
}

// Op is a setting applied to the worker element (SetOverlayImage, SetProperty…).
type Op func(ctx context.Context, w *process.Element) error

type namedOp struct {
	key string
	op  Op
}

var _ media.Element = (*Element)(nil)

// New creates the element in p and its worker element, with the codec the
// pipeline negotiated (else VP8 or Opus): a configuration the worker
// refuses, or a missing worker, fails here.
func New(ctx context.Context, p *media.Pipeline, cfg Config) (*Element, error) {
	if cfg.Backend == nil {
		return nil, ErrNoBackend
	}
	cfg = cfg.withDefaults()
	e := &Element{cfg: cfg, wake: make(chan struct{}, 1), done: make(chan struct{}), bitrates: *cfg.Bitrates}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	for i, d := range cfg.Inputs {
		e.ins = append(e.ins, &input{index: i, desc: d})
	}
	for _, d := range cfg.Outputs {
		e.outs = append(e.outs, &output{desc: d})
	}
	if err := e.core.Init(p, e, e, cfg.Events); err != nil {
		e.cancel()
		return nil, err
	}
	for _, in := range e.ins {
		in.pad = e.core.SinkPad(cfg.Media, in.desc)
	}
	for _, out := range e.outs {
		out.StreamOut = NewStreamOut(e.core.SourcePad(cfg.Media, out.desc))
	}
	guess := make([]*media.Codec, len(e.ins))
	for i := range guess {
		guess[i] = guessCodec(p, cfg.Media)
	}
	e.opsMu.Lock()
	err := e.createLocked(ctx, guess)
	e.opsMu.Unlock()
	if err != nil {
		e.cancel()
		e.core.Detach()
		return nil, err
	}
	e.core.UseQueue(cfg.Queue)
	e.started = true
	go e.run()
	return e, nil
}

// Core implements media.Element.
func (e *Element) Core() *media.Core { return &e.core }

// Release disconnects the element, stops its control loop and closes the
// worker element (the worker process stops with its last element). It
// returns when everything it ran has stopped. Idempotent.
func (e *Element) Release() {
	if !e.core.Detach() {
		return
	}
	e.cancel()
	if e.started {
		<-e.done
	}
}

// Err returns why the element stopped processing, or nil.
func (e *Element) Err() error {
	if p := e.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// Apply applies a setting to the worker element and, unless key is "",
// keeps it under key (replacing an earlier one) to apply again whenever
// the worker element is re-created. An error leaves nothing kept.
func (e *Element) Apply(ctx context.Context, key string, op Op) error {
	e.opsMu.Lock()
	defer e.opsMu.Unlock()
	if err := e.applyLocked(ctx, op); err != nil {
		return err
	}
	if key != "" {
		e.forgetLocked(key)
		e.ops = append(e.ops, namedOp{key, op})
	}
	return nil
}

// Remove applies op (undoing a setting) and forgets the setting kept under key.
func (e *Element) Remove(ctx context.Context, key string, op Op) error {
	e.opsMu.Lock()
	defer e.opsMu.Unlock()
	if err := e.applyLocked(ctx, op); err != nil {
		return err
	}
	e.forgetLocked(key)
	return nil
}

func (e *Element) forgetLocked(key string) {
	for i, o := range e.ops {
		if o.key == key {
			e.ops = append(e.ops[:i:i], e.ops[i+1:]...)
			return
		}
	}
}

func (e *Element) applyLocked(ctx context.Context, op Op) error {
	if err := e.Err(); err != nil {
		return err
	}
	st := e.cur.Load()
	if st == nil {
		return fmt.Errorf("%w: no worker element", ErrProcessing)
	}
	return op(ctx, st.el)
}

// SetBitrates changes the encoder bitrate bounds; the next adjustment
// (within a second) applies them.
func (e *Element) SetBitrates(b Bitrates) {
	e.bitMu.Lock()
	e.bitrates = b
	e.bitMu.Unlock()
	e.poke()
}

func (e *Element) currentBitrates() Bitrates {
	e.bitMu.Lock()
	defer e.bitMu.Unlock()
	return e.bitrates
}

// Stats are the element's counters.
type Stats struct {
	PacketsIn   uint64 // written to the worker
	InputDrops  uint64 // not written: wrong codec while re-creating, worker busy or failed
	PacketsOut  uint64 // pushed out of the source pads
	Recreations uint64 // worker elements created after the first
	WorkerPID   int    // 0 when none
}

// Stats returns the element's counters.
func (e *Element) Stats() Stats {
	var s Stats
	for _, in := range e.ins {
		w, d := in.Counts()
		s.PacketsIn += w
		s.InputDrops += d
	}
	for _, out := range e.outs {
		s.PacketsOut += out.Pushed()
	}
	s.Recreations = e.recreations.Load()
	if st := e.cur.Load(); st != nil {
		s.WorkerPID = st.el.WorkerPID()
	}
	return s
}

// poke wakes the control loop.
func (e *Element) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// fail stops processing for good and reports err once.
func (e *Element) fail(err error) {
	err = fmt.Errorf("%w: %w", ErrProcessing, err)
	if !e.failed.CompareAndSwap(nil, &err) {
		return
	}
	e.cfg.Logger.Warn("processing element failed", "key", e.cfg.Key, "kind", e.cfg.Processing.Kind, "err", err)
	e.core.Emit(media.ErrorEvent{Err: err})
	e.poke()
}
