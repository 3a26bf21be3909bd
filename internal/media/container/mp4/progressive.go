package mp4

import (
	"fmt"
	"io"
	"sort"
	"time"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"

	"github.com/gorento/gorento/internal/media/container"
)

// sampleTable is a progressive track's samples, expanded from stbl.
type sampleTable struct {
	off  []int64
	size []uint32
	dts  []int64
	cto  []int32
	dur  []uint32
	sync []bool // nil: every sample is a sync sample
}

func (d *Demuxer) buildTables(moov *mp4ff.MoovBox) error {
	if d.src.seeker == nil {
		return fmt.Errorf("mp4: %w: a progressive MP4 needs a seekable source", container.ErrNotSeekable)
	}
	var end time.Duration
	for i, info := range d.info {
		var trak *mp4ff.TrakBox
		for _, t := range moov.Traks {
			if t.Tkhd != nil && t.Tkhd.TrackID == info.id {
				trak = t
			}
		}
		tab, err := expand(trak.Mdia.Minf.Stbl, d.cfg.limits.MaxIndexEntries)
		if err != nil {
			return fmt.Errorf("mp4: track %d: %w", info.id, err)
		}
		d.tables = append(d.tables, tab)
		if n := len(tab.dts); n > 0 {
			end = max(end, d.toTime(i, tab.dts[n-1]+int64(tab.cto[n-1])+int64(tab.dur[n-1])))
		}
	}
	d.cursor = make([]int, len(d.tables))
	if !d.hasDuration {
		d.duration, d.hasDuration = end, end > 0
	}
	return nil
}

// expand turns stsz/stco/stsc/stts/ctts/stss into per-sample arrays.
func expand(stbl *mp4ff.StblBox, limit int) (sampleTable, error) {
	var t sampleTable
	if stbl.Stsz == nil || stbl.Stsc == nil || stbl.Stts == nil || (stbl.Stco == nil && stbl.Co64 == nil) {
		return t, fmt.Errorf("%w: incomplete sample table", container.ErrInvalidData)
	}
	n := int(stbl.Stsz.SampleNumber)
	if n > limit {
		return t, fmt.Errorf("%w: %d samples", container.ErrTooLarge, n)
	}
	if stbl.Stsz.SampleUniformSize == 0 && len(stbl.Stsz.SampleSize) < n {
		return t, fmt.Errorf("%w: stsz", container.ErrInvalidData)
	}
	t.off, t.size, t.dts, t.cto, t.dur = make([]int64, n), make([]uint32, n), make([]int64, n), make([]int32, n), make([]uint32, n)
	for i := 0; i < n; i++ {
		if stbl.Stsz.SampleUniformSize != 0 {
			t.size[i] = stbl.Stsz.SampleUniformSize
		} else {
			t.size[i] = stbl.Stsz.SampleSize[i]
		}
	}
	// chunk offsets
	var chunks []int64
	if stbl.Co64 != nil {
		for _, o := range stbl.Co64.ChunkOffset {
			chunks = append(chunks, int64(o&(1<<62-1)))
		}
	} else {
		for _, o := range stbl.Stco.ChunkOffset {
			chunks = append(chunks, int64(o))
		}
	}
	entries := stbl.Stsc.Entries
	s := 0
	for e := 0; e < len(entries) && s < n; e++ {
		first := int(entries[e].FirstChunk)
		last := len(chunks)
		if e+1 < len(entries) {
			last = int(entries[e+1].FirstChunk) - 1
		}
		per := int(entries[e].SamplesPerChunk)
		if first < 1 || last > len(chunks) || per <= 0 {
			return t, fmt.Errorf("%w: stsc", container.ErrInvalidData)
		}
		for c := first; c <= last && s < n; c++ {
			off := chunks[c-1]
			for k := 0; k < per && s < n; k++ {
				t.off[s] = off
				off += int64(t.size[s])
				s++
			}
		}
	}
	if s < n {
		return t, fmt.Errorf("%w: stsc covers %d of %d samples", container.ErrInvalidData, s, n)
	}
	// decode times
	s = 0
	var dts int64
	for e := range stbl.Stts.SampleCount {
		if e >= len(stbl.Stts.SampleTimeDelta) {
			break
		}
		for k := uint32(0); k < stbl.Stts.SampleCount[e] && s < n; k++ {
			t.dts[s], t.dur[s] = dts, stbl.Stts.SampleTimeDelta[e]
			dts += int64(stbl.Stts.SampleTimeDelta[e])
			s++
		}
	}
	for ; s < n; s++ {
		t.dts[s] = dts
	}
	if c := stbl.Ctts; c != nil {
		for i := 0; i < n && i < 1<<31; i++ {
			t.cto[i] = c.GetCompositionTimeOffset(uint32(i + 1))
		}
	}
	if stbl.Stss != nil {
		t.sync = make([]bool, n)
		for _, nr := range stbl.Stss.SampleNumber {
			if nr >= 1 && int(nr) <= n {
				t.sync[nr-1] = true
			}
		}
	}
	return t, nil
}

func (t *sampleTable) isSync(i int) bool { return t.sync == nil || t.sync[i] }

// nextProgressive reads the track sample with the earliest decode time.
func (d *Demuxer) nextProgressive() (container.Sample, error) {
	best := -1
	var bestT time.Duration
	for i, tab := range d.tables {
		c := d.cursor[i]
		if c >= len(tab.dts) {
			continue
		}
		if t := d.toTime(i, tab.dts[c]); best < 0 || t < bestT {
			best, bestT = i, t
		}
	}
	if best < 0 {
		d.eof = true
		return container.Sample{}, io.EOF
	}
	tab, c := &d.tables[best], d.cursor[best]
	d.cursor[best]++
	data, err := d.src.readAt(tab.off[c], int64(tab.size[c]), d.cfg.limits.MaxElement)
	if err != nil {
		return container.Sample{}, err
	}
	return d.sample(best, data, tab.dts[c], tab.dts[c]+int64(tab.cto[c]), tab.dur[c], tab.isSync(c))
}

// seekProgressive puts the video track on the sync sample at or before pos
// and the other tracks on their first sample from there.
func (d *Demuxer) seekProgressive(pos time.Duration) (time.Duration, error) {
	ref := d.video
	if ref < 0 {
		ref = 0
	}
	tab := &d.tables[ref]
	k := -1
	for i := range tab.dts {
		if !tab.isSync(i) {
			continue
		}
		if d.toTime(ref, tab.dts[i]+int64(tab.cto[i])) > pos && k >= 0 {
			break
		}
		k = i
	}
	if k < 0 {
		return 0, fmt.Errorf("mp4: %w: no sync sample", container.ErrNotSeekable)
	}
	t := d.toTime(ref, tab.dts[k]+int64(tab.cto[k]))
	for i := range d.tables {
		if i == ref {
			d.cursor[i] = k
			continue
		}
		ti := &d.tables[i]
		d.cursor[i] = sort.Search(len(ti.dts), func(j int) bool { return d.toTime(i, ti.dts[j]+int64(ti.cto[j])) >= t })
	}
	return t, nil
}
