package procelem

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
)

// Control loop timing.
const (
	bitrateInterval  = time.Second            // how often the downstream estimate is followed
	keyframeInterval = 300 * time.Millisecond // least time between two keyframes asked of an encoder
	controlTimeout   = 5 * time.Second        // one keyframe or bitrate request
)

// stage is one worker element and the codecs it was created for.
type stage struct {
	el   *process.Element
	in   []*media.Codec
	out  []*media.Codec
	inPT []uint8

	mu      sync.RWMutex // held (read) while a callback runs; written to close
	closed  bool
	bitrate []int // last target set per output (control loop only)
}

// createLocked creates a worker element for the input codecs, replays the
// kept settings and makes it current, closing the previous one. With
// e.opsMu held. Without enough inputs yet (OutputCodecs says wait) it does
// nothing.
func (e *Element) createLocked(ctx context.Context, inCodecs []*media.Codec) error {
	outCodecs, ok := e.cfg.OutputCodecs(inCodecs)
	if !ok {
		return nil
	}
	if len(outCodecs) != len(e.outs) {
		return fmt.Errorf("procelem: %d output codecs for %d outputs", len(outCodecs), len(e.outs))
	}
	st := &stage{in: inCodecs, out: outCodecs, bitrate: make([]int, len(outCodecs))}
	spec := process.Spec{Processing: e.cfg.Processing}
	for _, c := range inCodecs {
		s, err := WorkerStream(c)
		if err != nil {
			return err
		}
		spec.Inputs = append(spec.Inputs, s)
		st.inPT = append(st.inPT, s.PayloadType)
	}
	br := e.currentBitrates()
	for j, c := range outCodecs {
		s, err := WorkerStream(c)
		if err != nil {
			return err
		}
		s.SSRC = rand.Uint32()
		if e.cfg.Media == media.Video {
			s.MinBitrate, s.MaxBitrate, s.Bitrate = br.Min, br.Max, clamp(br.Target, br)
			st.bitrate[j] = s.Bitrate
		}
		spec.Outputs = append(spec.Outputs, s)
	}
	el, err := e.cfg.Backend.Create(ctx, e.cfg.Key, spec, process.Handler{
		OnRTP:   func(j int, b []byte) { st.onRTP(e, j, b) },
		OnEvent: func(ev process.Event) { st.onEvent(e, ev) },
	})
	if err != nil {
		return err
	}
	st.el = el
	for _, o := range e.ops {
		if err := o.op(ctx, el); err != nil {
			e.cfg.Logger.Warn("processing element: a setting could not be applied again", "key", e.cfg.Key, "setting", o.key, "err", err)
		}
	}
	if old := e.cur.Swap(st); old != nil {
		e.recreations.Add(1)
		old.close()
	}
	return nil
}

func (st *stage) close() {
	st.mu.Lock()
	st.closed = true
	st.mu.Unlock()
	_ = st.el.Close()
}

func (st *stage) onRTP(e *Element, j int, b []byte) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.closed || e.cur.Load() != st || j < 0 || j >= len(e.outs) {
		return
	}
	e.outs[j].push(st, j, b)
}

func (st *stage) onEvent(e *Element, ev process.Event) {
	st.mu.RLock()
	closed := st.closed
	st.mu.RUnlock()
	if closed {
		return
	}
	switch ev.Kind {
	case process.EventError:
		if e.cur.Load() == st {
			e.fail(ev.Err)
		}
	case process.EventNeedKeyframe:
		if ev.Stream >= 0 && ev.Stream < len(e.ins) {
			e.ins[ev.Stream].pad.RequestKeyframe()
		}
	default:
		if e.cfg.OnEvent != nil {
			e.cfg.OnEvent(e, ev)
		}
	}
}

// run is the control loop: the only goroutine that re-creates and closes
// worker elements after New, and the one that sends keyframe and bitrate
// requests (which wait for the worker's answer, so never on a media path).
func (e *Element) run() {
	defer close(e.done)
	t := e.core.Pipeline().Clock().NewTicker(bitrateInterval)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			if st := e.cur.Swap(nil); st != nil {
				st.close()
			}
			return
		case <-e.wake:
		case <-t.C():
			e.followEstimate()
		}
		e.reconcile()
		e.sendKeyframes()
	}
}

// reconcile reports a failed worker element, and re-creates it when an
// input's codec changed.
func (e *Element) reconcile() {
	st := e.cur.Load()
	if st != nil && e.Err() == nil {
		if err := st.el.Err(); err != nil {
			e.fail(err)
		}
	}
	if e.Err() != nil {
		if st := e.cur.Swap(nil); st != nil {
			st.close()
		}
		return
	}
	want := make([]*media.Codec, len(e.ins))
	changed := st == nil
	for i, in := range e.ins {
		c := in.seen.Load()
		switch {
		case c == nil && st != nil:
			c = st.in[i]
		case c != nil && st != nil && !sameCodec(st.in[i], c):
			changed = true
		}
		want[i] = c
	}
	if !changed {
		return
	}
	e.opsMu.Lock()
	err := e.createLocked(e.ctx, want)
	e.opsMu.Unlock()
	if err != nil && e.ctx.Err() == nil {
		e.fail(fmt.Errorf("re-creating for %s: %w", codecList(want), err))
	}
}

func codecList(cs []*media.Codec) string {
	s := ""
	for i, c := range cs {
		if i > 0 {
			s += ", "
		}
		if c == nil {
			s += "none"
		} else {
			s += c.MimeType
		}
	}
	return s
}

// sendKeyframes makes the encoders asked for a keyframe emit one, at most
// one per keyframeInterval per output.
func (e *Element) sendKeyframes() {
	st := e.cur.Load()
	if st == nil {
		return
	}
	now := e.core.Pipeline().Now()
	for j, out := range e.outs {
		if !out.TakeKeyframe(now) {
			continue
		}
		ctx, cancel := context.WithTimeout(e.ctx, controlTimeout)
		err := st.el.RequestKeyframe(ctx, j)
		cancel()
		if err != nil && !errors.Is(err, context.Canceled) {
			e.cfg.Logger.Debug("processing element: keyframe request failed", "key", e.cfg.Key, "err", err)
		}
	}
}

// followEstimate sets each video encoder's target to what the receivers
// behind its pad can take, within the element's bounds; the element's
// target while no estimate is known. Changes under 5 % are ignored.
func (e *Element) followEstimate() {
	st := e.cur.Load()
	if st == nil || e.cfg.Media != media.Video {
		return
	}
	b := e.currentBitrates()
	for j, out := range e.outs {
		target := b.Target
		if est := out.Pad().DownstreamBitrate(); est > 0 {
			target = int(min(est, 1<<31-1))
		}
		target = clamp(target, b)
		last := st.bitrate[j]
		if last != 0 && abs(target-last)*20 < last {
			continue
		}
		ctx, cancel := context.WithTimeout(e.ctx, controlTimeout)
		err := st.el.SetBitrate(ctx, j, process.Bitrate{Target: target, Min: b.Min, Max: b.Max})
		cancel()
		if err == nil {
			st.bitrate[j] = target
		} else if !errors.Is(err, context.Canceled) {
			e.cfg.Logger.Debug("processing element: bitrate change failed", "key", e.cfg.Key, "err", err)
		}
	}
}

func clamp(target int, b Bitrates) int { return b.Clamp(target) }

// Clamp bounds target by Min and Max (0 = unbounded).
func (b Bitrates) Clamp(target int) int {
	if b.Min > 0 && target < b.Min {
		target = b.Min
	}
	if b.Max > 0 && target > b.Max {
		target = b.Max
	}
	return target
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
