package webm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/at-wat/ebml-go"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
)

func (d *Demuxer) enterCluster(size int64) {
	d.inCluster, d.clusterEnd, d.clusterTC = true, -1, 0
	if size >= 0 {
		d.clusterEnd = d.r.pos + size
	}
}

// endOfData turns the end of the input into io.EOF, remembering whether the
// file was cut inside an element.
func (d *Demuxer) endOfData(err error) error {
	d.eof = true
	if errors.Is(err, io.ErrUnexpectedEOF) {
		d.truncated = true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return io.EOF
	}
	return err
}

// ReadSample returns the next sample.
func (d *Demuxer) ReadSample() (container.Sample, error) {
	for {
		if len(d.pending) > 0 {
			s := d.pending[0]
			d.pending = d.pending[1:]
			if d.dropAfterSeek(s) {
				continue
			}
			return s, nil
		}
		if d.eof {
			return container.Sample{}, io.EOF
		}
		if err := d.step(); err != nil {
			return container.Sample{}, err
		}
	}
}

// step reads one element and queues the samples it holds.
func (d *Demuxer) step() error {
	if !d.inCluster {
		h := d.peek
		d.peek = nil
		if h == nil {
			id, size, start, err := d.r.header()
			if err != nil {
				return d.endOfData(err)
			}
			h = &elemHeader{id, size, start}
		}
		if d.segmentEnd >= 0 && h.start >= d.segmentEnd {
			return d.endOfData(io.EOF)
		}
		switch {
		case h.id == idCluster:
			d.enterCluster(h.size)
		case h.id == idSegment || h.id == idEBML || h.size < 0:
			return d.endOfData(io.EOF) // chained segments are not read
		default:
			if err := d.r.skip(h.size); err != nil {
				return d.endOfData(err)
			}
		}
		return nil
	}
	if d.clusterEnd >= 0 && d.r.pos >= d.clusterEnd {
		d.inCluster = false
		return nil
	}
	id, size, start, err := d.r.header()
	if err != nil {
		return d.endOfData(err)
	}
	if d.clusterEnd < 0 && isTopLevel(id) { // end of a cluster of unknown size
		d.inCluster, d.peek = false, &elemHeader{id, size, start}
		return nil
	}
	if size < 0 {
		return d.invalid("element %#x of unknown size in a cluster", id)
	}
	switch id {
	case idTimecode:
		b, err := d.r.body(size, 8)
		if err != nil {
			return d.endOfData(err)
		}
		d.clusterTC = int64(beUint(b) & (1<<40 - 1))
	case idSimpleBlock:
		b, err := d.r.body(size, d.cfg.limits.MaxElement)
		if err != nil {
			return d.endOfData(err)
		}
		d.queueBlock(b, -1)
	case idBlockGroup:
		b, err := d.r.body(size, d.cfg.limits.MaxElement)
		if err != nil {
			return d.endOfData(err)
		}
		d.queueBlockGroup(b)
	default:
		if err := d.r.skip(size); err != nil {
			return d.endOfData(err)
		}
	}
	return nil
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func (d *Demuxer) trackIndex(num uint64) int {
	for i, n := range d.nums {
		if n == num {
			return i
		}
	}
	return -1
}

// queueBlockGroup reads a BlockGroup: a Block, and ReferenceBlock when it
// is not a keyframe.
func (d *Demuxer) queueBlockGroup(body []byte) {
	r := newReader(bytes.NewReader(body))
	var block []byte
	key := 1
	for {
		id, size, _, err := r.header()
		if err != nil || size < 0 {
			break
		}
		b, err := r.body(size, int64(len(body)))
		if err != nil {
			break
		}
		switch id {
		case idBlock:
			block = b
		case idReference:
			key = 0
		}
	}
	if block != nil {
		d.queueBlock(block, key)
	}
}

// queueBlock turns one (Simple)Block into samples; key is -1 to use the
// SimpleBlock's flag.
func (d *Demuxer) queueBlock(body []byte, key int) {
	b, err := ebml.UnmarshalBlock(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		d.badBlocks++
		return
	}
	i := d.trackIndex(b.TrackNumber)
	if i < 0 {
		return
	}
	t := d.tracks[i]
	keyframe := b.Keyframe
	if key >= 0 {
		keyframe = key == 1
	}
	if !t.Codec.IsVideo() {
		keyframe = true
	}
	pts := time.Duration((d.clusterTC + int64(b.Timecode)) * d.scale)
	for j, data := range b.Data {
		if len(data) == 0 {
			continue
		}
		if t.Codec == frames.H264 {
			if data, err = container.AVCCToAnnexB(data, t.CodecConfig, keyframe); err != nil {
				d.badBlocks++
				continue
			}
		}
		at := pts + time.Duration(j)*d.defDur[i]
		d.pending = append(d.pending, container.Sample{Track: i, PTS: at, DTS: at, Duration: d.laceDuration(i, len(b.Data)),
			Keyframe: keyframe, Data: data})
	}
}

func (d *Demuxer) laceDuration(i, n int) time.Duration {
	if n > 1 || d.defDur[i] > 0 {
		return d.defDur[i]
	}
	return 0
}

// dropAfterSeek filters what precedes the seek point in the cluster
// sought to.
func (d *Demuxer) dropAfterSeek(s container.Sample) bool {
	if s.PTS < d.seekFloor {
		return true
	}
	if d.needKey && d.tracks[s.Track].Codec.IsVideo() {
		if !s.Keyframe {
			return true
		}
		d.needKey = false
	}
	return false
}

// Duration returns the Info duration, or the end of the last sample found
// by scanning a seekable file without one.
func (d *Demuxer) Duration() (time.Duration, bool) {
	if d.hasDuration {
		return d.duration, true
	}
	if d.r.seeker != nil && d.cfg.scan {
		d.scan()
		return d.duration, d.hasDuration
	}
	return 0, false
}

// Seekable reports whether Seek can work.
func (d *Demuxer) Seekable() bool {
	return d.r.seeker != nil && (d.indexed || d.cfg.scan)
}

// Seek moves to the keyframe at or before pos.
func (d *Demuxer) Seek(pos time.Duration) (time.Duration, error) {
	if d.r.seeker == nil {
		return 0, container.ErrNotSeekable
	}
	if !d.indexed && d.cfg.scan {
		d.scan()
	}
	if len(d.index) == 0 {
		return 0, fmt.Errorf("webm: %w: no cues and nothing to index", container.ErrNotSeekable)
	}
	i := 0
	for j, e := range d.index {
		if e.t <= pos {
			i = j
		}
	}
	e := d.index[i]
	if err := d.r.seekTo(e.pos); err != nil {
		return 0, err
	}
	d.inCluster, d.peek, d.pending, d.eof = false, nil, nil, false
	d.seekFloor, d.needKey = e.t, d.video >= 0
	return e.t, nil
}

// scan walks the clusters of a seekable file, without reading block data,
// to index the keyframes of the first video track (every cluster for audio
// only files) and find the end time. The read position is restored.
func (d *Demuxer) scan() {
	if d.indexed && d.hasDuration {
		return
	}
	back, st := d.r.pos, struct {
		in     bool
		end    int64
		tc     int64
		peek   *elemHeader
		eof    bool
		trunc  bool
		pendin []container.Sample
	}{d.inCluster, d.clusterEnd, d.clusterTC, d.peek, d.eof, d.truncated, d.pending}
	defer func() {
		_ = d.r.seekTo(back)
		d.inCluster, d.clusterEnd, d.clusterTC, d.peek, d.eof, d.truncated, d.pending = st.in, st.end, st.tc, st.peek, st.eof, st.trunc, st.pendin
	}()
	if d.r.seekTo(d.firstCluster) != nil {
		return
	}
	var idx []indexEntry
	var last time.Duration
	var videoNum uint64
	if d.video >= 0 {
		videoNum = d.nums[d.video]
	}
	clusterAt := int64(-1)
	indexedCluster := false
	var peek *elemHeader
	inCluster, clusterEnd, tc := false, int64(-1), int64(0)
	for len(idx) < d.cfg.limits.MaxIndexEntries {
		var h elemHeader
		if peek != nil {
			h, peek = *peek, nil
		} else {
			if inCluster && clusterEnd >= 0 && d.r.pos >= clusterEnd {
				inCluster = false
			}
			id, size, start, err := d.r.header()
			if err != nil {
				break
			}
			h = elemHeader{id, size, start}
		}
		if !inCluster || (clusterEnd < 0 && isTopLevel(h.id)) {
			inCluster = false
			if h.id != idCluster {
				if h.size < 0 || h.id == idSegment || d.r.skip(h.size) != nil {
					break
				}
				continue
			}
			inCluster, clusterAt, indexedCluster, tc = true, h.start, false, 0
			clusterEnd = -1
			if h.size >= 0 {
				clusterEnd = d.r.pos + h.size
			}
			continue
		}
		if h.size < 0 {
			break
		}
		switch h.id {
		case idTimecode:
			b, err := d.r.body(h.size, 8)
			if err != nil {
				break
			}
			tc = int64(beUint(b) & (1<<40 - 1))
			if d.video < 0 {
				idx = append(idx, indexEntry{t: time.Duration(tc * d.scale), pos: clusterAt})
			}
			continue
		case idSimpleBlock:
			num, rel, flags, n, err := blockHeader(d.r)
			if err != nil || n > h.size || d.r.skip(h.size-n) != nil {
				break
			}
			t := time.Duration((tc + int64(rel)) * d.scale)
			if i := d.trackIndex(num); i >= 0 {
				last = max(last, t+d.defDur[i])
			}
			if num == videoNum && flags&0x80 != 0 && !indexedCluster {
				idx = append(idx, indexEntry{t: t, pos: clusterAt})
				indexedCluster = true
			}
			continue
		default:
			if d.r.skip(h.size) != nil {
				break
			}
			continue
		}
		break
	}
	sort.SliceStable(idx, func(i, j int) bool { return idx[i].t < idx[j].t })
	if !d.indexed && len(idx) > 0 {
		d.index, d.indexed = idx, true
	}
	if !d.hasDuration && last > 0 {
		d.duration, d.hasDuration = last, true
	}
}

// blockHeader reads a block's track number, relative timecode and flags;
// n is the number of bytes read.
func blockHeader(r *reader) (num uint64, rel int16, flags byte, n int64, err error) {
	start := r.pos
	num, _, err = r.readVint(false)
	if err != nil {
		return
	}
	var b [3]byte
	if _, err = io.ReadFull(r, b[:]); err != nil {
		return
	}
	return num, int16(uint16(b[0])<<8 | uint16(b[1])), b[2], r.pos - start, nil
}
