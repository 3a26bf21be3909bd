// Package webm writes and reads WebM and Matroska files.
//
// The muxer side is a container.Format: a Segment of unknown size, a void
// reserved for the SeekHead, Info with a void reserved for Duration, Tracks,
// then one Cluster per fragment written whole as it completes; a clean Close
// appends Cues and patches the Segment size, SeekHead and Duration. A file
// cut anywhere therefore reads like a live WebM stream up to its last
// complete cluster.
//
// The EBML header, Tracks and Cues are marshalled with
// github.com/at-wat/ebml-go. Its streaming writer (mkvcore.NewSimpleBlockWriter)
// is not used: it hands every frame through a channel to a goroutine,
// marshals each SimpleBlock by reflection (allocations per frame), reports
// write errors through a callback instead of returning them, and writes
// block by block rather than one write per cluster; it can only put Cues in
// space reserved up front. Clusters and SimpleBlocks are therefore encoded
// here, into one reused buffer, which is all the hot path needs.
//
// Codecs: WebM holds VP8, VP9, AV1 and Opus; Matroska also H.264 and AAC.
package webm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/at-wat/ebml-go"
	ebmlwebm "github.com/at-wat/ebml-go/webm"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
)

// DocType is "webm" or "matroska".
type DocType string

// The two document types.
const (
	WebM     DocType = "webm"
	Matroska DocType = "matroska"
)

// NewMuxer returns a container.Muxer writing a WebM or Matroska file to w.
func NewMuxer(w io.Writer, doc DocType, tracks []container.Track, opts ...container.MuxOption) (*container.Muxer, error) {
	f, err := NewFormat(doc)
	if err != nil {
		return nil, err
	}
	return container.NewMuxer(w, f, tracks, opts...)
}

// NewFormat returns the container.Format for doc.
func NewFormat(doc DocType) (container.Format, error) {
	if doc != WebM && doc != Matroska {
		return nil, fmt.Errorf("webm: unknown doctype %q", doc)
	}
	return &format{doc: doc}, nil
}

const seekHeadRoom = 96 // bytes reserved for the SeekHead written on Close

type format struct {
	doc      DocType
	tracks   []container.Track
	hasVideo bool

	segmentSizeAt int64 // offset of the Segment's 8-byte size
	segmentData   int64 // offset of the Segment's first child
	seekHeadAt    int64
	infoAt        int64
	durationAt    int64
	tracksAt      int64
	cues          []cue
}

type cue struct {
	ms      uint64
	track   uint64
	cluster uint64 // position relative to the Segment data
}

func (f *format) Supports(c frames.Codec) bool {
	switch c {
	case frames.VP8, frames.VP9, frames.AV1, frames.Opus:
		return true
	case frames.H264, frames.AAC:
		return f.doc == Matroska
	}
	return false
}

// codecID is the Matroska CodecID of c.
func codecID(c frames.Codec) string {
	switch c {
	case frames.VP8:
		return "V_VP8"
	case frames.VP9:
		return "V_VP9"
	case frames.AV1:
		return "V_AV1"
	case frames.H264:
		return "V_MPEG4/ISO/AVC"
	case frames.Opus:
		return "A_OPUS"
	case frames.AAC:
		return "A_AAC"
	}
	return ""
}

type trackEntry struct {
	TrackNumber  uint64      `ebml:"TrackNumber"`
	TrackUID     uint64      `ebml:"TrackUID"`
	TrackType    uint64      `ebml:"TrackType"`
	FlagLacing   uint64      `ebml:"FlagLacing"`
	Name         string      `ebml:"Name,omitempty"`
	CodecID      string      `ebml:"CodecID"`
	CodecPrivate []byte      `ebml:"CodecPrivate,omitempty"`
	CodecDelay   uint64      `ebml:"CodecDelay,omitempty"`
	SeekPreRoll  uint64      `ebml:"SeekPreRoll,omitempty"`
	Video        *videoEntry `ebml:"Video"`
	Audio        *audioEntry `ebml:"Audio"`
}

type videoEntry struct {
	PixelWidth  uint64 `ebml:"PixelWidth"`
	PixelHeight uint64 `ebml:"PixelHeight"`
}

type audioEntry struct {
	SamplingFrequency float64 `ebml:"SamplingFrequency"`
	Channels          uint64  `ebml:"Channels"`
}

func (f *format) AppendInit(dst []byte, tracks []container.Track) ([]byte, error) {
	f.tracks = tracks
	var buf bytes.Buffer
	header := *ebmlwebm.DefaultEBMLHeader
	header.DocType = string(f.doc)
	if err := ebml.Marshal(&struct {
		Header ebmlwebm.EBMLHeader `ebml:"EBML"`
	}{header}, &buf); err != nil {
		return dst, fmt.Errorf("webm: EBML header: %w", err)
	}
	dst = append(dst, buf.Bytes()...)

	dst = appendID(dst, idSegment)
	f.segmentSizeAt = int64(len(dst))
	dst = appendSize8(dst, unknownSize&^(1<<56))
	f.segmentData = int64(len(dst))

	f.seekHeadAt = int64(len(dst))
	dst = appendVoid(dst, seekHeadRoom)

	f.infoAt = int64(len(dst))
	var info []byte
	info = appendUint(info, idTimecodeScale, 1000000) // 1 ms
	info = appendString(info, idMuxingApp, "gorento")
	info = appendString(info, idWritingApp, "gorento")
	durationIn := len(info)
	info = appendVoid(info, 11) // room for Duration (ID 2, size 1, float 8)
	dst = appendSize(appendID(dst, idInfo), uint64(len(info)))
	f.durationAt = int64(len(dst) + durationIn)
	dst = append(dst, info...)

	entries := make([]trackEntry, len(tracks))
	for i, t := range tracks {
		e := trackEntry{TrackNumber: uint64(i + 1), TrackUID: uint64(i + 1), CodecID: codecID(t.Codec),
			CodecPrivate: t.CodecConfig, Name: t.Name}
		if t.Codec.IsVideo() {
			f.hasVideo = true
			e.TrackType = 1
			e.Video = &videoEntry{PixelWidth: uint64(t.Width), PixelHeight: uint64(t.Height)}
		} else {
			e.TrackType = 2
			e.Audio = &audioEntry{SamplingFrequency: float64(t.SampleRate), Channels: uint64(t.Channels)}
			if t.Codec == frames.Opus {
				if h, err := container.ParseOpusHead(t.CodecConfig); err == nil {
					e.CodecDelay = uint64(h.PreSkip) * uint64(time.Second) / 48000
				}
				e.SeekPreRoll = uint64(80 * time.Millisecond)
			}
		}
		entries[i] = e
	}
	buf.Reset()
	if err := ebml.Marshal(&struct {
		Tracks struct {
			TrackEntry []trackEntry `ebml:"TrackEntry"`
		} `ebml:"Tracks"`
	}{Tracks: struct {
		TrackEntry []trackEntry `ebml:"TrackEntry"`
	}{entries}}, &buf); err != nil {
		return dst, fmt.Errorf("webm: tracks: %w", err)
	}
	f.tracksAt = int64(len(dst))
	return append(dst, buf.Bytes()...), nil
}

func toMs(d time.Duration) int64 { return int64((d + time.Millisecond/2) / time.Millisecond) }

func (f *format) AppendFragment(dst []byte, off int64, fr *container.Fragment) ([]byte, error) {
	clusterMs := toMs(fr.Start)
	if clusterMs < 0 {
		return dst, fmt.Errorf("webm: negative cluster time %v", fr.Start)
	}
	start := len(dst)
	dst = appendID(dst, idCluster)
	sizeAt := len(dst)
	dst = appendSize8(dst, 0)
	dst = appendUint(dst, idTimecode, uint64(clusterMs))
	for i := range fr.Samples {
		s := &fr.Samples[i]
		rel := toMs(s.Time) - clusterMs
		if rel < math.MinInt16 || rel > math.MaxInt16 || s.Track > 125 {
			return dst[:start], fmt.Errorf("webm: block at %v does not fit a cluster at %v", s.Time, fr.Start)
		}
		flags := byte(0)
		if s.Keyframe || !f.tracks[s.Track].Codec.IsVideo() {
			flags = 0x80
		}
		dst = append(dst, idSimpleBlock)
		sizeAt := len(dst)
		dst = appendSize4(dst, 0)
		dst = append(dst, 0x80|byte(s.Track+1), byte(rel>>8), byte(rel), flags)
		if f.tracks[s.Track].Codec == frames.H264 {
			dst = frames.AppendAVCC(dst, s.Data)
		} else {
			dst = append(dst, s.Data...)
		}
		n := len(dst) - sizeAt - 4
		if n >= 1<<28-1 {
			return dst[:start], fmt.Errorf("webm: frame of %d bytes", n)
		}
		binary.BigEndian.PutUint32(dst[sizeAt:], uint32(n)|1<<28)
	}
	binary.BigEndian.PutUint64(dst[sizeAt:], uint64(len(dst)-sizeAt-8)|1<<56)
	if len(fr.Samples) > 0 {
		first := fr.Samples[0]
		if first.Keyframe && (f.tracks[first.Track].Codec.IsVideo() || !f.hasVideo) {
			f.cues = append(f.cues, cue{ms: uint64(clusterMs), track: uint64(first.Track + 1), cluster: uint64(off - f.segmentData)})
		}
	}
	return dst, nil
}

func (f *format) AppendTrailer(dst []byte, off int64, duration time.Duration) ([]byte, []container.Patch, error) {
	cuesAt := int64(-1)
	if len(f.cues) > 0 {
		points := make([]ebmlwebm.CuePoint, len(f.cues))
		for i, c := range f.cues {
			points[i] = ebmlwebm.CuePoint{CueTime: c.ms, CueTrackPositions: []ebmlwebm.CueTrackPosition{{CueTrack: c.track, CueClusterPosition: c.cluster}}}
		}
		var buf bytes.Buffer
		if err := ebml.Marshal(&struct {
			Cues ebmlwebm.Cues `ebml:"Cues"`
		}{ebmlwebm.Cues{CuePoint: points}}, &buf); err != nil {
			return dst, nil, fmt.Errorf("webm: cues: %w", err)
		}
		cuesAt = off
		dst = append(dst, buf.Bytes()...)
	}
	end := off + int64(len(dst))

	seek := make([]byte, 0, seekHeadRoom)
	var entries []byte
	for _, s := range []struct {
		id  uint32
		pos int64
	}{{idInfo, f.infoAt}, {idTracks, f.tracksAt}, {idCues, cuesAt}} {
		if s.pos < 0 {
			continue
		}
		var e []byte
		e = appendBinary(e, idSeekID, appendID(nil, s.id))
		e = appendSize(appendID(e, idSeekPosition), 8)
		e = binary.BigEndian.AppendUint64(e, uint64(s.pos-f.segmentData))
		entries = append(appendSize(appendID(entries, idSeek), uint64(len(e))), e...)
	}
	seek = append(appendSize(appendID(seek, idSeekHead), uint64(len(entries))), entries...)
	seek = appendVoid(seek, seekHeadRoom-len(seek))

	dur := appendFloat(nil, idDuration, float64(duration)/float64(time.Millisecond))
	return dst, []container.Patch{
		{Offset: f.segmentSizeAt, Data: appendSize8(nil, uint64(end-f.segmentData))},
		{Offset: f.seekHeadAt, Data: seek},
		{Offset: f.durationAt, Data: dur},
	}, nil
}
