package process

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// Element is one piece of processing in a worker: RTP in on its inputs, RTP
// out on its outputs, events. Its methods are safe for concurrent use.
type Element struct {
	m    *Manager
	w    *worker
	id   uint32
	spec Spec
	h    Handler

	closed atomic.Bool
	failed atomic.Pointer[error]

	packetsIn, inputDropped, packetsOut, outputDropped, eventsDropped atomic.Uint64

	out      chan outPacket // worker RTP → delivery goroutine
	events   chan Event
	failCh   chan struct{} // closed on the first terminal failure
	failOnce sync.Once
	stopCh   chan struct{} // closed by Close
	stopOnce sync.Once
	started  atomic.Bool
	wg       sync.WaitGroup // the delivery goroutine
	pool     sync.Pool
}

type outPacket struct {
	output int
	buf    *[]byte
}

func newElement(m *Manager, w *worker, spec Spec, h Handler) *Element {
	return &Element{
		m: m, w: w, id: w.nextElem.Add(1), spec: spec, h: h,
		out:    make(chan outPacket, 512),
		events: make(chan Event, 128),
		failCh: make(chan struct{}),
		stopCh: make(chan struct{}),
	}
}

// Spec returns the spec the element was created with.
func (e *Element) Spec() Spec { return e.spec }

// WorkerPID returns the pid of the element's worker process.
func (e *Element) WorkerPID() int { return e.w.pid }

// Err returns why the element stopped (worker crash or hang, pipeline error), or nil.
func (e *Element) Err() error {
	if p := e.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// WriteRTP sends one RTP packet to input `input`. It never blocks: when the
// worker is not keeping up the packet is dropped and ErrBackpressure returned.
func (e *Element) WriteRTP(input int, pkt []byte) error {
	if e.closed.Load() {
		return ErrClosed
	}
	if err := e.Err(); err != nil {
		return err
	}
	if !e.hasInput(input) {
		return fmt.Errorf("processing: no input %d", input)
	}
	err := e.w.conn.TrySend(ipc.Header{Type: ipc.TypeRTP, Element: e.id, Stream: uint32(input)}, pkt)
	if errors.Is(err, ipc.ErrFull) {
		e.inputDropped.Add(1)
		return ErrBackpressure
	}
	if err != nil {
		if d := e.w.dead(); d != nil {
			return d
		}
		return fmt.Errorf("processing: write: %w", err)
	}
	e.packetsIn.Add(1)
	e.w.lastInput.Store(nowNano())
	return nil
}

// WritePacket marshals and sends a pion RTP packet (see WriteRTP).
func (e *Element) WritePacket(input int, p *rtp.Packet) error {
	bp := e.getBuf()
	b := (*bp)[:cap(*bp)]
	if n := p.MarshalSize(); n > len(b) {
		b = make([]byte, n)
	}
	n, err := p.MarshalTo(b)
	if err == nil {
		err = e.WriteRTP(input, b[:n])
	}
	*bp = b[:0]
	e.pool.Put(bp)
	return err
}

// RequestKeyframe makes the encoder of output `output` emit a keyframe (a
// downstream PLI/FIR).
func (e *Element) RequestKeyframe(ctx context.Context, output int) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpKeyframe, Stream: output})
}

// SetBitrate sets the target bitrate of output `output`'s encoder (bits per
// second), clamped to b.Min..b.Max when given, else to the output's bounds.
func (e *Element) SetBitrate(ctx context.Context, output int, b Bitrate) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpBitrate, Stream: output, Bitrate: &b})
}

// SetProperty sets property `name` of the GStreamer element named `element`
// in a GStreamerFilter command; value is parsed for the property's type.
func (e *Element) SetProperty(ctx context.Context, element, name, value string) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpSetProperty, Property: &ipc.Property{Element: element, Name: name, Value: value}})
}

// SetOverlayImage sets FaceOverlayFilter's image (offsets and sizes are
// fractions of the face); the image is fetched once.
func (e *Element) SetOverlayImage(ctx context.Context, img Image) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpSetOverlay, Image: &img})
}

// UnsetOverlayImage removes FaceOverlayFilter's image.
func (e *Element) UnsetOverlayImage(ctx context.Context) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpUnsetOverlay})
}

// AddImage adds or replaces ImageOverlayFilter image img.ID (geometry in
// fractions of the frame).
func (e *Element) AddImage(ctx context.Context, img Image) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpAddImage, Image: &img})
}

// RemoveImage removes ImageOverlayFilter image id.
func (e *Element) RemoveImage(ctx context.Context, id string) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpRemoveImage, Image: &ipc.Image{ID: id}})
}

// SetBackground sets ChromaFilter's background image.
func (e *Element) SetBackground(ctx context.Context, uri string) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpSetBackground, Image: &ipc.Image{URI: uri}})
}

// UnsetBackground removes ChromaFilter's background image.
func (e *Element) UnsetBackground(ctx context.Context) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpUnsetBackground})
}

// ElementStats are the gorento-side counters of an element.
type ElementStats struct {
	PacketsIn     uint64 // accepted by the worker's socket
	InputDropped  uint64 // dropped because the worker was not keeping up
	PacketsOut    uint64 // delivered to OnRTP
	OutputDropped uint64 // dropped because OnRTP was not keeping up
	EventsDropped uint64
}

// Stats returns the element's counters.
func (e *Element) Stats() ElementStats {
	return ElementStats{PacketsIn: e.packetsIn.Load(), InputDropped: e.inputDropped.Load(),
		PacketsOut: e.packetsOut.Load(), OutputDropped: e.outputDropped.Load(), EventsDropped: e.eventsDropped.Load()}
}

func (e *Element) control(ctx context.Context, c ipc.Control) error {
	if e.closed.Load() {
		return ErrClosed
	}
	if err := e.Err(); err != nil {
		return err
	}
	if c.Op == ipc.OpKeyframe || c.Op == ipc.OpBitrate {
		if !e.hasOutput(c.Stream) {
			return fmt.Errorf("processing: no output %d", c.Stream)
		}
	}
	if err := e.w.request(ctx, e.id, c); err != nil {
		return fmt.Errorf("processing %s: %w", c.Op, err)
	}
	return nil
}

// Close releases the element in its worker; the worker stops when this was
// its last element (Close then waits for the process to exit). Callbacks
// stop: one already running may finish after Close returns. Idempotent.
func (e *Element) Close() error {
	if !e.closed.CompareAndSwap(false, true) {
		return nil
	}
	var err error
	// The last element of a worker needs no release: stopping the worker
	// tears everything down (and a hung worker would not answer anyway).
	e.m.mu.Lock()
	last := e.m.refs[e.w] <= 1
	e.m.mu.Unlock()
	if !last && e.w.dead() == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = e.w.request(ctx, e.id, ipc.Control{Op: ipc.OpRelease})
		cancel()
		if e.w.dead() != nil {
			err = nil // the worker went away meanwhile: nothing left to release
		}
	}
	e.w.mu.Lock()
	delete(e.w.elements, e.id)
	e.w.mu.Unlock()
	e.stopDelivery()
	e.m.release(e.w)
	if err != nil {
		return fmt.Errorf("processing: release element: %w", err)
	}
	return nil
}

// failWith stops the element for good and reports err once.
func (e *Element) failWith(err error) {
	e.failOnce.Do(func() {
		e.failed.Store(&err)
		close(e.failCh)
	})
}

func (e *Element) getBuf() *[]byte {
	if p, ok := e.pool.Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 0, 1500)
	return &b
}

// deliverRTP is called by the worker's reader; it never blocks.
func (e *Element) deliverRTP(output int, pkt []byte) {
	if e.closed.Load() {
		return
	}
	bp := e.getBuf()
	*bp = append((*bp)[:0], pkt...)
	select {
	case e.out <- outPacket{output: output, buf: bp}:
	default:
		e.outputDropped.Add(1)
		e.pool.Put(bp)
	}
}

// deliverEvent is called by the worker's reader; it never blocks. A pipeline
// error is terminal.
func (e *Element) deliverEvent(ev Event) {
	if ev.Kind == EventError {
		e.failWith(ev.Err)
		return
	}
	if e.closed.Load() {
		return
	}
	select {
	case e.events <- ev:
	default:
		e.eventsDropped.Add(1)
	}
}

func (e *Element) startDelivery() {
	e.started.Store(true)
	e.wg.Add(1)
	go e.deliver()
}

func (e *Element) stopDelivery() {
	e.stopOnce.Do(func() { close(e.stopCh) })
}

// deliver is the element's delivery goroutine: callbacks run here.
func (e *Element) deliver() {
	defer e.wg.Done()
	for {
		select {
		case <-e.stopCh:
			return
		case p := <-e.out:
			if !e.closed.Load() && e.h.OnRTP != nil {
				e.packetsOut.Add(1)
				e.h.OnRTP(p.output, *p.buf)
			}
			e.pool.Put(p.buf)
		case ev := <-e.events:
			if !e.closed.Load() && e.h.OnEvent != nil {
				e.h.OnEvent(ev)
			}
		case <-e.failCh:
			// Terminal: report it and stop delivering.
			if !e.closed.Load() && e.h.OnEvent != nil {
				err := e.Err()
				e.h.OnEvent(Event{Kind: EventError, Err: err, Message: err.Error()})
			}
			return
		}
	}
}

func controlCreate(s *Spec) ipc.Control { return ipc.Control{Op: ipc.OpCreate, Spec: s} }

func nowNano() int64 { return time.Now().UnixNano() }
