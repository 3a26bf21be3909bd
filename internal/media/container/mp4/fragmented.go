package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"

	"github.com/gorento/gorento/internal/media/container"
)

const moofLimit = 16 << 20

// nextFragmented returns the next sample of the current fragment, reading
// the next moof+mdat when it is used up.
func (d *Demuxer) nextFragmented() (container.Sample, error) {
	for len(d.pending) == 0 {
		if d.eof {
			return container.Sample{}, io.EOF
		}
		if err := d.readFragment(); err != nil {
			return container.Sample{}, err
		}
	}
	s := d.pending[0]
	d.pending = d.pending[1:]
	return s, nil
}

func (d *Demuxer) endOfData(err error) error {
	d.eof = true
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	return err
}

// readFragment reads the box at nextBox; a moof brings its mdat's samples.
func (d *Demuxer) readFragment() error {
	h, err := d.src.header(d.nextBox)
	if err != nil {
		return d.endOfData(err)
	}
	if h.size < 0 {
		return d.endOfData(io.EOF)
	}
	if h.typ != "moof" {
		d.nextBox = h.end()
		return nil
	}
	moof, err := d.decodeMoof(h)
	if err != nil {
		return d.endOfData(err)
	}
	mh, err := d.src.header(h.end())
	if err != nil {
		return d.endOfData(noEOF(err))
	}
	if mh.typ != "mdat" || mh.size < 0 {
		d.nextBox = h.end()
		return nil // a moof without its media: skipped
	}
	body, err := d.src.readAt(mh.start+mh.hdrLen, mh.size-mh.hdrLen, d.cfg.limits.MaxElement)
	if err != nil {
		return d.endOfData(err)
	}
	d.nextBox = mh.end()
	samples, err := d.fragmentSamples(moof, h.start, mh.start+mh.hdrLen, body)
	if err != nil {
		return err
	}
	sortSamples(samples)
	d.pending = samples
	return nil
}

func (d *Demuxer) decodeMoof(h boxHeader) (*mp4ff.MoofBox, error) {
	b, err := d.src.decode(h, moofLimit)
	if err != nil {
		return nil, err
	}
	moof, ok := b.(*mp4ff.MoofBox)
	if !ok {
		return nil, invalid("moof")
	}
	return moof, nil
}

func (d *Demuxer) trackByID(id uint32) int {
	for i, in := range d.info {
		if in.id == id {
			return i
		}
	}
	return -1
}

// trunSample is one sample of a track fragment, located in the file.
type trunSample struct {
	off      int64
	size     uint32
	dts, pts int64
	dur      uint32
	sync     bool
}

// eachTrafSample walks the samples of a traf. base is the moof's offset.
func (d *Demuxer) eachTrafSample(traf *mp4ff.TrafBox, moofStart int64, fn func(trunSample) bool) {
	if traf.Tfhd == nil {
		return
	}
	i := d.trackByID(traf.Tfhd.TrackID)
	if i < 0 {
		return
	}
	base := moofStart
	if traf.Tfhd.HasBaseDataOffset() {
		base = int64(traf.Tfhd.BaseDataOffset & (1<<62 - 1))
	}
	var dts int64
	if traf.Tfdt != nil {
		dts = int64(traf.Tfdt.BaseMediaDecodeTime() & (1<<62 - 1))
	}
	off := base
	for _, trun := range traf.Truns {
		trun.AddSampleDefaultValues(traf.Tfhd, d.info[i].trex)
		if trun.HasDataOffset() {
			off = base + int64(trun.DataOffset)
		}
		first, hasFirst := trun.FirstSampleFlags()
		for k, s := range trun.Samples {
			flags := s.Flags
			if k == 0 && hasFirst {
				flags = first
			}
			ts := trunSample{off: off, size: s.Size, dts: dts, pts: dts + int64(s.CompositionTimeOffset), dur: s.Dur,
				sync: flags&0x00010000 == 0}
			if !fn(ts) {
				return
			}
			off += int64(s.Size)
			dts += int64(s.Dur)
		}
	}
}

// fragmentSamples cuts a fragment's samples out of its mdat body.
func (d *Demuxer) fragmentSamples(moof *mp4ff.MoofBox, moofStart, dataStart int64, body []byte) ([]container.Sample, error) {
	var out []container.Sample
	var bad error
	for _, traf := range moof.Trafs {
		if traf.Tfhd == nil {
			continue
		}
		i := d.trackByID(traf.Tfhd.TrackID)
		d.eachTrafSample(traf, moofStart, func(ts trunSample) bool {
			rel := ts.off - dataStart
			if rel < 0 || rel+int64(ts.size) > int64(len(body)) {
				bad = invalid("sample outside its mdat")
				return false
			}
			s, err := d.sample(i, body[rel:rel+int64(ts.size):rel+int64(ts.size)], ts.dts, ts.pts, ts.dur, ts.sync)
			if err != nil {
				bad = err
				return false
			}
			out = append(out, s)
			return true
		})
		if bad != nil {
			return nil, bad
		}
	}
	return out, nil
}

// refTrack is the track seek points are taken from.
func (d *Demuxer) refTrack() int {
	if d.video >= 0 {
		return d.video
	}
	return 0
}

// readMfra reads the fragment index a clean close leaves at the end.
func (d *Demuxer) readMfra() {
	if d.src.size < 16 {
		return
	}
	tail, err := d.src.readAt(d.src.size-16, 16, 16)
	if err != nil || string(tail[4:8]) != "mfro" {
		return
	}
	size := int64(binary.BigEndian.Uint32(tail[12:16]))
	if size < 16 || size > d.src.size || size > moofLimit {
		return
	}
	h, err := d.src.header(d.src.size - size)
	if err != nil || h.typ != "mfra" {
		return
	}
	b, err := d.src.decode(h, moofLimit)
	if err != nil {
		return
	}
	mfra, ok := b.(*mp4ff.MfraBox)
	if !ok {
		return
	}
	ref := d.refTrack()
	var idx []fragEntry
	for _, tfra := range mfra.Tfras {
		if tfra.TrackID != d.info[ref].id {
			continue
		}
		for _, e := range tfra.Entries {
			if e.MoofOffset < uint64(d.firstMoof) || e.MoofOffset >= uint64(d.src.size) || e.Time > 1<<62 {
				continue
			}
			idx = append(idx, fragEntry{t: d.toTime(ref, int64(e.Time)), pos: int64(e.MoofOffset)})
		}
	}
	if len(idx) > 0 && len(idx) <= d.cfg.limits.MaxIndexEntries {
		sort.Slice(idx, func(i, j int) bool { return idx[i].t < idx[j].t })
		d.index, d.indexed = idx, true
	}
}

// scanFragments reads every moof (not the media) of a seekable file to
// index fragments starting on a sync sample and find the end time.
func (d *Demuxer) scanFragments() {
	if d.firstMoof == 0 {
		return
	}
	d.scanFrom(d.firstMoof)
}

// scanFrom reads the moofs from pos on.
func (d *Demuxer) scanFrom(pos int64) {
	ref := d.refTrack()
	var idx []fragEntry
	var end time.Duration
	for len(idx) < d.cfg.limits.MaxIndexEntries {
		h, err := d.src.header(pos)
		if err != nil || h.size < 0 {
			break
		}
		if h.typ == "moof" {
			moof, err := d.decodeMoof(h)
			if err != nil {
				break
			}
			for _, traf := range moof.Trafs {
				first := true
				var tr int
				if traf.Tfhd != nil {
					tr = d.trackByID(traf.Tfhd.TrackID)
				}
				d.eachTrafSample(traf, h.start, func(ts trunSample) bool {
					if first && tr == ref && ts.sync {
						idx = append(idx, fragEntry{t: d.toTime(tr, ts.pts), pos: h.start})
					}
					first = false
					end = max(end, d.toTime(tr, ts.pts+int64(ts.dur)))
					return true
				})
			}
		}
		pos = h.end()
	}
	if !d.indexed && len(idx) > 0 {
		sort.Slice(idx, func(i, j int) bool { return idx[i].t < idx[j].t })
		d.index, d.indexed = idx, true
	}
	if !d.hasDuration && end > 0 {
		d.duration, d.hasDuration = end, true
	}
}

func (d *Demuxer) seekFragmented(pos time.Duration) (time.Duration, error) {
	if !d.indexed && d.cfg.scan {
		d.scanFragments()
	}
	if len(d.index) == 0 {
		return 0, fmt.Errorf("mp4: %w: no fragment index", container.ErrNotSeekable)
	}
	e := d.index[0]
	for _, x := range d.index {
		if x.t <= pos {
			e = x
		}
	}
	d.nextBox = e.pos
	return e.t, nil
}
