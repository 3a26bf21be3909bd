package container

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gorento/gorento/internal/media/frames"
)

// Muxer writes samples of several tracks into one file through a Format.
//
// Timeline: sample PTSs are on one clock shared by all tracks. The file
// starts on a video keyframe (the first one of each video track; video
// before it is dropped) and audio before that moment is dropped, so the
// tracks start within one audio frame of each other; if a track starts
// later it starts later in the file. Gaps in the input (loss) stay gaps.
// Pause cuts the paused time out: after Resume the file continues where it
// stopped, from the next video keyframe.
//
// Crash safety: the header goes out as soon as the file starts, then every
// fragment (≤ the fragment duration, one Write each) as it completes, so a
// file cut at any point plays up to its last complete fragment. Close
// writes the index and patches sizes and duration when the output can seek
// (io.WriterAt or io.WriteSeeker: pass the *os.File itself).
//
// Errors: the first write error stops the Muxer; every later call returns
// it (wrapping the os error, so errors.Is(err, syscall.ENOSPC) works).
//
// A Muxer is safe for concurrent use (one lock; writes happen under it).
type Muxer struct {
	mu     sync.Mutex
	w      io.Writer
	format Format
	cfg    muxConfig

	in     []Track      // as declared
	tracks []trackState // per declared track
	out    []Track      // tracks in the file
	main   int          // declared index of the video track fragments start on (-1: none)

	state    muxState
	started  bool          // the header is written
	offset   time.Duration // file time = PTS - offset
	end      time.Duration // end of the written timeline
	newest   time.Duration // newest file time queued
	gate     []*entry      // samples held while starting or resuming
	gateFrom time.Duration // PTS of the first sample held
	buffered int           // bytes held in gate and queues

	frag     Fragment
	fragOpen bool
	fragUsed []*entry
	nextT    []time.Duration
	free     []*entry
	buf      []byte
	pos      int64

	err    error
	closed bool
	stats  MuxStats
}

type muxState uint8

const (
	stateWaiting muxState = iota // for every track's first (key)frame
	stateRunning
	statePaused
)

type trackState struct {
	outIdx   int // index in the file, -1 if not in it
	gotStart bool
	firstPTS time.Duration
	lastT    time.Duration // last file time queued
	lastDur  time.Duration
	haveLast bool
	queue    ring
}

type entry struct {
	track int // declared index
	t     time.Duration
	key   bool
	data  []byte
}

// MuxStats counts what a Muxer did; the write figures describe the I/O
// pattern (one Write per fragment, plus header and trailer).
type MuxStats struct {
	SamplesIn, SamplesWritten uint64
	DroppedPaused             uint64 // while paused
	DroppedBeforeKeyframe     uint64 // video before its first keyframe (start/resume)
	DroppedBeforeStart        uint64 // audio before the file's first video keyframe
	DroppedNoTrack            uint64 // for tracks left out of the file
	Clamped                   uint64 // PTS going backwards, written at the previous time
	TracksLeftOut             int
	Fragments                 uint64
	Writes, Syncs             uint64
	Bytes                     int64
	MaxWrite                  int
	Duration                  time.Duration
}

// NewMuxer returns a Muxer writing tracks to w in format f. Nothing is
// written until the file starts (every track started, or the start wait
// passed). Close does not close w.
func NewMuxer(w io.Writer, f Format, tracks []Track, opts ...MuxOption) (*Muxer, error) {
	cfg := defaultMuxConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if len(tracks) == 0 {
		return nil, fmt.Errorf("%w: no tracks", ErrBadTrack)
	}
	m := &Muxer{w: w, format: f, cfg: cfg, in: append([]Track(nil), tracks...), main: -1}
	m.tracks = make([]trackState, len(tracks))
	for i, t := range tracks {
		if !f.Supports(t.Codec) {
			return nil, fmt.Errorf("%w: %v", ErrUnsupportedCodec, t.Codec)
		}
		if t.Codec == frames.AAC && t.SampleRate == 0 && len(t.CodecConfig) == 0 {
			return nil, fmt.Errorf("%w: AAC track %d needs its sample rate", ErrBadTrack, i)
		}
		if t.Codec.IsVideo() && m.main < 0 {
			m.main = i
		}
		m.tracks[i].outIdx = -1
	}
	return m, nil
}

// WriteSample adds one frame. It does not keep s.Data.
func (m *Muxer) WriteSample(s Sample) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if m.err != nil {
		return m.err
	}
	if s.Track < 0 || s.Track >= len(m.in) {
		return fmt.Errorf("%w: index %d", ErrBadTrack, s.Track)
	}
	if len(s.Data) == 0 {
		return nil
	}
	m.stats.SamplesIn++
	ts := &m.tracks[s.Track]
	if m.started && ts.outIdx < 0 {
		m.stats.DroppedNoTrack++
		return nil
	}
	switch m.state {
	case statePaused:
		m.stats.DroppedPaused++
		return nil
	case stateRunning:
		if !ts.gotStart { // resumed without this track: video waits for a keyframe
			if m.in[s.Track].Codec.IsVideo() && !m.canStartOn(s) {
				m.stats.DroppedBeforeKeyframe++
				return nil
			}
			ts.gotStart = true
		}
		return m.enqueue(m.newEntry(s.Track, s.PTS-m.offset, s.Keyframe, s.Data))
	}
	// waiting for the start or for the resume
	if !ts.gotStart {
		if m.in[s.Track].Codec.IsVideo() && !m.canStartOn(s) {
			m.stats.DroppedBeforeKeyframe++
			return nil
		}
		ts.gotStart, ts.firstPTS = true, s.PTS
	}
	if len(m.gate) == 0 {
		m.gateFrom = s.PTS
	}
	m.gate = append(m.gate, m.newEntry(s.Track, s.PTS, s.Keyframe, s.Data))
	if m.allStarted() || (m.cfg.startWait > 0 && s.PTS-m.gateFrom >= m.cfg.startWait) || m.buffered > m.cfg.maxBuffered {
		return m.open()
	}
	return nil
}

// canStartOn reports whether a video sample can start the file: a keyframe
// whose codec configuration can be built.
func (m *Muxer) canStartOn(s Sample) bool {
	if !s.Keyframe {
		return false
	}
	t := m.in[s.Track]
	if len(t.CodecConfig) > 0 || m.started {
		return true
	}
	switch t.Codec {
	case frames.H264:
		sps, pps := frames.H264ParameterSets(s.Data)
		return sps != nil && pps != nil
	case frames.AV1:
		_, err := frames.AV1SequenceHeaderOBU(s.Data)
		return err == nil
	}
	return true
}

func (m *Muxer) allStarted() bool {
	for i := range m.tracks {
		if (!m.started || m.tracks[i].outIdx >= 0) && !m.tracks[i].gotStart {
			return false
		}
	}
	return true
}

// open starts the file (or resumes it) from the samples in the gate.
func (m *Muxer) open() error {
	origin, haveVideo, haveAny := time.Duration(0), false, false
	for i, ts := range m.tracks {
		if !ts.gotStart || (m.started && ts.outIdx < 0) {
			continue
		}
		video := m.in[i].Codec.IsVideo()
		switch {
		case video && (!haveVideo || ts.firstPTS < origin):
			origin, haveVideo = ts.firstPTS, true
		case !video && !haveVideo && (!haveAny || ts.firstPTS < origin):
			origin = ts.firstPTS
		}
		haveAny = true
	}
	if !haveAny {
		return nil
	}
	if !m.started {
		if err := m.writeHeader(); err != nil {
			return err
		}
		m.offset = origin
	} else {
		m.offset = origin - m.end
	}
	m.state = stateRunning
	gate := m.gate
	m.gate = m.gate[:0]
	for _, e := range gate {
		if m.tracks[e.track].outIdx < 0 {
			m.stats.DroppedNoTrack++
			m.recycle(e)
			continue
		}
		if e.t < origin && !m.in[e.track].Codec.IsVideo() {
			m.stats.DroppedBeforeStart++
			m.recycle(e)
			continue
		}
		e.t -= m.offset
		if err := m.enqueue(e); err != nil {
			return err
		}
	}
	return nil
}

// writeHeader fixes the file's tracks and writes the header.
func (m *Muxer) writeHeader() error {
	for i := range m.tracks {
		ts := &m.tracks[i]
		if !ts.gotStart {
			m.stats.TracksLeftOut++
			continue
		}
		var first []byte
		for _, e := range m.gate {
			if e.track == i {
				first = e.data
				break
			}
		}
		t, err := finalizeTrack(m.in[i], first)
		if err != nil {
			return m.fail(err)
		}
		ts.outIdx = len(m.out)
		m.out = append(m.out, t)
	}
	if m.main >= 0 && m.tracks[m.main].outIdx < 0 {
		m.main = -1
		for i := range m.tracks {
			if m.tracks[i].outIdx >= 0 && m.in[i].Codec.IsVideo() {
				m.main = i
				break
			}
		}
	}
	m.nextT = make([]time.Duration, len(m.out))
	var err error
	if m.buf, err = m.format.AppendInit(m.buf[:0], m.out); err != nil {
		return m.fail(fmt.Errorf("container: header: %w", err))
	}
	m.started = true
	return m.write(m.buf)
}

// finalizeTrack fills what the file header needs from the first frame.
func finalizeTrack(t Track, first []byte) (Track, error) {
	var err error
	switch t.Codec {
	case frames.VP8, frames.VP9, frames.H264, frames.AV1:
		if t.Width == 0 || t.Height == 0 {
			if w, h, err := frames.VideoSize(t.Codec, first); err == nil {
				t.Width, t.Height = w, h
			}
		}
		if len(t.CodecConfig) == 0 && t.Codec == frames.H264 {
			sps, pps := frames.H264ParameterSets(first)
			if t.CodecConfig, err = AVCConfig(sps, pps); err != nil {
				return t, err
			}
		}
		if len(t.CodecConfig) == 0 && t.Codec == frames.AV1 {
			if t.CodecConfig, err = AV1Config(first); err != nil {
				return t, err
			}
		}
	case frames.Opus:
		if t.Channels == 0 {
			t.Channels = 2
		}
		t.SampleRate = 48000
		if len(t.CodecConfig) == 0 {
			t.CodecConfig = OpusHead(t.Channels, 48000, OpusPreSkip)
		}
	case frames.AAC:
		if t.Channels == 0 {
			t.Channels = 2
		}
		if len(t.CodecConfig) == 0 {
			if t.CodecConfig, err = AACConfig(t.SampleRate, t.Channels); err != nil {
				return t, err
			}
		} else if r, c, err := ParseAACConfig(t.CodecConfig); err == nil {
			t.SampleRate, t.Channels = r, c
		}
	case frames.PCMU, frames.PCMA:
		if t.SampleRate == 0 {
			t.SampleRate = 8000
		}
		if t.Channels == 0 {
			t.Channels = 1
		}
	}
	return t, nil
}

// Pause drops samples until Resume; the paused time is cut out.
func (m *Muxer) Pause() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.err != nil {
		return
	}
	if m.state == stateWaiting && !m.started {
		for _, e := range m.gate {
			m.recycle(e)
		}
		m.gate = m.gate[:0]
		for i := range m.tracks {
			m.tracks[i].gotStart = false
		}
	}
	m.state = statePaused
}

// Resume continues after Pause from the next video keyframe (the next
// sample for audio-only files), placed right after the last one written.
func (m *Muxer) Resume() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.err != nil || m.state != statePaused {
		return
	}
	m.state = stateWaiting
	for i := range m.tracks {
		m.tracks[i].gotStart = false
	}
}

// Close writes what is buffered and the trailer, then patches the header
// when the output can seek. It is idempotent and returns the first error.
func (m *Muxer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return m.err
	}
	m.closed = true
	if m.err != nil {
		return m.err
	}
	if !m.started && len(m.gate) > 0 {
		if err := m.open(); err != nil {
			return err
		}
	}
	if !m.started {
		return nil
	}
	if err := m.release(true); err != nil {
		return err
	}
	if m.fragOpen {
		if err := m.flushFragment(); err != nil {
			return err
		}
	}
	trailer, patches, err := m.format.AppendTrailer(m.buf[:0], m.pos, m.end)
	if err != nil {
		return m.fail(fmt.Errorf("container: trailer: %w", err))
	}
	m.buf = trailer
	if err := m.write(trailer); err != nil {
		return err
	}
	if err := m.applyPatches(patches); err != nil {
		return err
	}
	if m.cfg.sync != SyncNever {
		return m.sync()
	}
	return nil
}

// Stats returns the counters so far.
func (m *Muxer) Stats() MuxStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.stats
	s.Duration = m.end
	return s
}

// Tracks returns the tracks in the file (empty until it started).
func (m *Muxer) Tracks() []Track {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Track(nil), m.out...)
}
