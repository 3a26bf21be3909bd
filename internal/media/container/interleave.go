package container

import (
	"fmt"
	"io"
	"time"

	"github.com/gorento/gorento/internal/media/frames"
)

// ring is a FIFO of entries that reuses its storage.
type ring struct {
	buf  []*entry
	head int
	n    int
}

func (r *ring) push(e *entry) {
	if r.n == len(r.buf) {
		nb := make([]*entry, max(16, 2*len(r.buf)))
		for i := 0; i < r.n; i++ {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = e
	r.n++
}

func (r *ring) peek() *entry { return r.buf[r.head] }

func (r *ring) pop() *entry {
	e := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return e
}

func (m *Muxer) newEntry(track int, t time.Duration, key bool, data []byte) *entry {
	var e *entry
	if n := len(m.free); n > 0 {
		e, m.free = m.free[n-1], m.free[:n-1]
	} else {
		e = &entry{}
	}
	e.track, e.t, e.key = track, t, key
	e.data = append(e.data[:0], data...)
	m.buffered += len(data)
	return e
}

func (m *Muxer) recycle(e *entry) {
	m.buffered -= len(e.data)
	if cap(e.data) > 1<<20 { // do not keep an outsized keyframe's buffer around
		e.data = nil
	}
	m.free = append(m.free, e)
}

// enqueue queues a sample at file time e.t for interleaving.
func (m *Muxer) enqueue(e *entry) error {
	ts := &m.tracks[e.track]
	if e.t < 0 { // before the file's start (a caller's clock moved back a little)
		e.t = 0
		m.stats.Clamped++
	}
	if ts.haveLast && e.t < ts.lastT {
		e.t = ts.lastT
		m.stats.Clamped++
	}
	if ts.haveLast && e.t > ts.lastT {
		ts.lastDur = e.t - ts.lastT
	}
	ts.lastT, ts.haveLast = e.t, true
	if end := e.t + m.sampleDuration(e.track); end > m.end {
		m.end = end
	}
	if e.t > m.newest {
		m.newest = e.t
	}
	ts.queue.push(e)
	return m.release(false)
}

// sampleDuration is the track's last sample interval, or the usual frame
// length of its codec before there is one.
func (m *Muxer) sampleDuration(track int) time.Duration {
	if d := m.tracks[track].lastDur; d > 0 {
		return d
	}
	switch t := m.in[track]; t.Codec {
	case frames.Opus, frames.PCMU, frames.PCMA:
		return 20 * time.Millisecond
	case frames.AAC:
		if t.SampleRate > 0 {
			return time.Second * 1024 / time.Duration(t.SampleRate)
		}
		return 21 * time.Millisecond
	}
	return 33 * time.Millisecond
}

// release moves queued samples into fragments in time order: the earliest
// head goes first once every track has something queued, or once it is
// older than the interleave delay (a silent track holds nothing back for
// longer), or at once when all is set (closing).
func (m *Muxer) release(all bool) error {
	for {
		best, empty := -1, false
		var bestT time.Duration
		for i := range m.tracks {
			ts := &m.tracks[i]
			if ts.outIdx < 0 {
				continue
			}
			if ts.queue.n == 0 {
				empty = true
				continue
			}
			if t := ts.queue.peek().t; best < 0 || t < bestT {
				best, bestT = i, t
			}
		}
		if best < 0 {
			return nil
		}
		if empty && !all && m.newest-bestT < m.cfg.interleave && m.buffered <= m.cfg.maxBuffered {
			return nil
		}
		if err := m.place(m.tracks[best].queue.pop()); err != nil {
			return err
		}
	}
}

// place adds a sample to the current fragment, cutting it first when the
// sample is a keyframe of the main video track and the fragment is at least
// a quarter of the fragment duration long, or when the fragment is full.
func (m *Muxer) place(e *entry) error {
	if m.fragOpen {
		d := e.t - m.frag.Start
		if (e.track == m.main && e.key && d >= m.cfg.fragment/4) || d >= m.cfg.fragment {
			if err := m.flushFragment(); err != nil {
				m.recycle(e)
				return err
			}
		}
	}
	if !m.fragOpen {
		m.frag.Start, m.fragOpen = e.t, true
	}
	m.frag.Samples = append(m.frag.Samples, FragmentSample{
		Track: m.tracks[e.track].outIdx, Time: e.t, Keyframe: e.key, Data: e.data,
	})
	m.fragUsed = append(m.fragUsed, e)
	return nil
}

// flushFragment fills in sample durations and writes the fragment.
func (m *Muxer) flushFragment() error {
	for i := range m.nextT {
		m.nextT[i] = -1
	}
	for i := len(m.frag.Samples) - 1; i >= 0; i-- {
		s := &m.frag.Samples[i]
		if next := m.nextT[s.Track]; next >= 0 {
			s.Duration = next - s.Time
		} else {
			s.Duration = m.sampleDuration(m.fragUsed[i].track)
		}
		m.nextT[s.Track] = s.Time
	}
	var err error
	m.buf, err = m.format.AppendFragment(m.buf[:0], m.pos, &m.frag)
	n := len(m.frag.Samples)
	for _, e := range m.fragUsed {
		m.recycle(e)
	}
	clear(m.frag.Samples)
	m.frag.Samples, m.fragUsed, m.fragOpen = m.frag.Samples[:0], m.fragUsed[:0], false
	if err != nil {
		return m.fail(fmt.Errorf("container: fragment: %w", err))
	}
	if err := m.write(m.buf); err != nil {
		return err
	}
	m.stats.Fragments++
	m.stats.SamplesWritten += uint64(n)
	if m.cfg.sync == SyncEveryFragment {
		return m.sync()
	}
	return nil
}

func (m *Muxer) write(b []byte) error {
	n, err := m.w.Write(b)
	m.pos += int64(n)
	m.stats.Bytes += int64(n)
	m.stats.Writes++
	m.stats.MaxWrite = max(m.stats.MaxWrite, len(b))
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return m.fail(fmt.Errorf("container: write %d bytes at offset %d: %w", len(b), m.pos, err))
	}
	return nil
}

func (m *Muxer) sync() error {
	s, ok := m.w.(interface{ Sync() error })
	if !ok {
		return nil
	}
	m.stats.Syncs++
	if err := s.Sync(); err != nil {
		return m.fail(fmt.Errorf("container: sync: %w", err))
	}
	return nil
}

// applyPatches rewrites header fields when the output can seek.
func (m *Muxer) applyPatches(ps []Patch) error {
	if len(ps) == 0 {
		return nil
	}
	switch w := m.w.(type) {
	case io.WriterAt:
		for _, p := range ps {
			if _, err := w.WriteAt(p.Data, p.Offset); err != nil {
				return m.fail(fmt.Errorf("container: patch at %d: %w", p.Offset, err))
			}
		}
	case io.WriteSeeker:
		for _, p := range ps {
			if _, err := w.Seek(p.Offset, io.SeekStart); err != nil {
				return m.fail(fmt.Errorf("container: patch at %d: %w", p.Offset, err))
			}
			if _, err := w.Write(p.Data); err != nil {
				return m.fail(fmt.Errorf("container: patch at %d: %w", p.Offset, err))
			}
		}
		if _, err := w.Seek(0, io.SeekEnd); err != nil {
			return m.fail(fmt.Errorf("container: seek to end: %w", err))
		}
	}
	return nil
}

func (m *Muxer) fail(err error) error {
	if m.err == nil {
		m.err = err
	}
	return m.err
}
