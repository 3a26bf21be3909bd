package player

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/player/source"
	"github.com/gorento/gorento/internal/media/uriep"
)

// Pacing.
const (
	// maxLate: a frame due this long ago re-anchors the schedule instead
	// of being sent in a burst with those behind it (a live source that
	// stalled, a machine that was busy).
	maxLate = time.Second
	// seekGap separates the last frame sent before a seek from the first
	// after it on the output timeline.
	seekGap = 40 * time.Millisecond
	// legWait bounds waiting, before playing, for worker legs to start.
	legWait = 5 * time.Second
	// rewindAfter: a keyframe request for encoded video is served by
	// going back to the last keyframe when none was sent for this long,
	// at most once per this long.
	rewindAfter = time.Second
)

// session is one playing of the source, from play() (or pause() from
// STOP) to stop() or the end: one goroutine opens the source and sends its
// frames at their times.
type session struct {
	pl     *Player
	given  source.Source // opened by the probe, or nil
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{}

	mu      sync.Mutex // guards the fields below
	paused  bool
	seekReq bool
	seekTo  time.Duration
	kfReq   bool // a receiver wants a keyframe of video sent as is
	stopped bool
	src     source.Source
	outs    []*output
}

func newSession(pl *Player, src source.Source, paused bool) *session {
	s := &session{pl: pl, given: src, paused: paused, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

func (s *session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *session) pause() {
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
	s.poke()
}

func (s *session) resume() {
	s.mu.Lock()
	s.paused = false
	s.mu.Unlock()
	s.poke()
}

func (s *session) seek(pos time.Duration) {
	s.mu.Lock()
	s.seekReq, s.seekTo = true, pos
	s.mu.Unlock()
	s.poke()
}

// stop ends the session and waits for its goroutine; closing the source
// unblocks a pending read.
func (s *session) stop() {
	s.mu.Lock()
	s.stopped = true
	src := s.src
	s.mu.Unlock()
	s.cancel()
	if src != nil {
		_ = src.Close()
	}
	s.poke()
	<-s.done
}

func (s *session) isStopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

// keyframe passes a receiver's keyframe request to a transcoded track.
func (s *session) keyframe(kind media.MediaType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.outs {
		if o == nil || o.kind != kind {
			continue
		}
		if o.leg != nil {
			o.leg.RequestKeyframe()
		} else {
			o.keyframeAsks++
			s.kfReq = true
		}
	}
	if s.kfReq {
		s.poke()
	}
}

func (s *session) run() {
	pl := s.pl
	defer pl.wg.Done()
	defer close(s.done)
	src := s.given
	if src == nil {
		ctx, cancel := context.WithTimeout(s.ctx, pl.cfg.OpenTimeout)
		var err error
		src, err = pl.open(ctx)
		cancel()
		if err != nil {
			if !s.isStopped() {
				pl.report(errorKind(err))
			}
			return
		}
	}
	defer src.Close()
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.src = src
	s.mu.Unlock()
	pl.setInfo(infoOf(src))
	outs := s.makeOutputs(src)
	defer func() {
		for _, o := range outs {
			if o != nil {
				o.close()
			}
		}
	}()
	if s.play(src, outs) {
		s.ended()
	}
}

// makeOutputs sets up one output per media kind (the first track of each).
func (s *session) makeOutputs(src source.Source) []*output {
	pl := s.pl
	outs := make([]*output, len(src.Tracks()))
	var have [2]bool
	ready := make(chan struct{}, len(outs))
	legs := 0
	for i, tr := range src.Tracks() {
		kind := media.Audio
		if tr.Codec.IsVideo() {
			kind = media.Video
		}
		if have[kind] {
			continue
		}
		o, err := newOutput(pl, tr, pl.core.Pipeline().PreferredCodec(kind), func() {
			select {
			case ready <- struct{}{}:
			default:
			}
		})
		if err != nil {
			pl.report(err)
			continue
		}
		have[kind] = true
		outs[i] = o
		if o.leg != nil {
			legs++
		}
	}
	s.mu.Lock()
	s.outs = outs
	s.mu.Unlock()
	// Worker legs drop what comes before they start: wait for them.
	timeout := time.NewTimer(legWait)
	defer timeout.Stop()
	for ; legs > 0; legs-- {
		select {
		case <-ready:
		case <-timeout.C:
			return outs
		case <-s.ctx.Done():
			return outs
		}
	}
	return outs
}

// play sends the frames at their times until the end (true), a stop or
// an error (false).
func (s *session) play(src source.Source, outs []*output) bool {
	pl := s.pl
	var (
		pending    *container.Sample
		pendingOut time.Duration
		fileBase   = time.Duration(-1) // file time of output time outBase
		outBase    time.Duration
		lastOut    = -seekGap
		lastPTS    time.Duration // file time of the last frame sent
		anchored   bool
		wallStart  time.Time
		outStart   time.Duration
		lastKey    time.Time // when a video keyframe was last sent
		lastRewind time.Time
	)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		stopped, paused, seekReq, seekTo, kfReq := s.stopped, s.paused, s.seekReq, s.seekTo, s.kfReq
		s.seekReq, s.kfReq = false, false
		s.mu.Unlock()
		// Encoded video cannot make a keyframe: a receiver that lost the
		// start (it joined late, its transport came up after the first
		// frames) gets the stream again from the last keyframe.
		if kfReq && !seekReq && src.Seekable() && time.Since(lastKey) > rewindAfter && time.Since(lastRewind) > rewindAfter {
			seekReq, seekTo, lastRewind = true, lastPTS, time.Now()
		}
		switch {
		case stopped:
			return false
		case seekReq:
			got, err := src.Seek(seekTo)
			if err != nil {
				pl.report(errors.Join(ErrSeek, err))
				continue
			}
			pending, fileBase, outBase, anchored = nil, got, lastOut+seekGap, false
			// What is sent next starts on a keyframe: no rewind to before the seek.
			lastPTS, lastKey = got, time.Now()
			pl.setPos(s, got)
			continue
		case paused:
			anchored = false
			select {
			case <-s.wake:
			case <-s.ctx.Done():
				return false
			}
			continue
		}
		if pending == nil {
			smp, err := src.ReadSample()
			if s.isStopped() {
				return false
			}
			if errors.Is(err, io.EOF) {
				return true
			}
			if err != nil {
				pl.report(errorKind(err))
				return false
			}
			if smp.Track < 0 || smp.Track >= len(outs) || outs[smp.Track] == nil {
				continue
			}
			if fileBase < 0 {
				fileBase = smp.PTS
			}
			pending, pendingOut = &smp, smp.PTS-fileBase+outBase
		}
		if !anchored {
			wallStart, outStart, anchored = time.Now(), pendingOut, true
		}
		wait := time.Until(wallStart.Add(pendingOut - outStart))
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-s.wake:
				if !timer.Stop() {
					<-timer.C
				}
				continue
			case <-s.ctx.Done():
				return false
			}
		} else if -wait > maxLate {
			anchored = false
		}
		o := outs[pending.Track]
		o.send(*pending, pendingOut)
		if o.kind == media.Video && pending.Keyframe {
			lastKey = time.Now()
		}
		lastOut, lastPTS = max(lastOut, pendingOut), pending.PTS
		pl.setPos(s, pending.PTS)
		pending = nil
	}
}

// ended ends the stream downstream and reports the end: STOP, then
// EndOfStream, as KMS.
func (s *session) ended() {
	pl := s.pl
	pl.core.Source(media.Audio).PushEndOfStream()
	pl.core.Source(media.Video).PushEndOfStream()
	pl.mu.Lock()
	if pl.sess != s {
		pl.mu.Unlock()
		return
	}
	pl.sess = nil
	pl.state = uriep.Stop
	pl.core.Post(uriep.StateChanged{State: uriep.Stop}, EndOfStream{})
	pl.mu.Unlock()
	pl.core.Deliver()
}

// setPos records the position of session s, unless it is no longer the
// player's (a frame it sent while Stop or a new Play took over).
func (pl *Player) setPos(s *session, p time.Duration) {
	pl.mu.Lock()
	if pl.sess == s {
		pl.pos = p
	}
	pl.mu.Unlock()
}

func (pl *Player) setInfo(in Info) {
	pl.mu.Lock()
	pl.info = in
	pl.mu.Unlock()
}
