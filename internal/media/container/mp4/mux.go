// Package mp4 writes fragmented MP4 and reads MP4 (progressive and
// fragmented), with github.com/Eyevinn/mp4ff for the boxes.
//
// The muxer side is a container.Format: ftyp+moov (with an mvex/mehd whose
// duration a clean Close fills in) as soon as the file starts, then one
// moof+mdat per fragment written whole as it completes — a file cut
// anywhere plays up to its last complete fragment — and on Close an mfra
// (tfra per track + mfro) indexing the fragments that start on a sync
// sample, so players can seek without reading every moof.
//
// Codecs: H.264 (avc1), VP9 (vp09), AV1 (av01), AAC (mp4a), Opus (Opus).
package mp4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	mp4av1 "github.com/Eyevinn/mp4ff/av1"
	mp4ff "github.com/Eyevinn/mp4ff/mp4"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
)

// NewMuxer returns a container.Muxer writing a fragmented MP4 file to w.
func NewMuxer(w io.Writer, tracks []container.Track, opts ...container.MuxOption) (*container.Muxer, error) {
	return container.NewMuxer(w, NewFormat(), tracks, opts...)
}

// NewFormat returns the fragmented-MP4 container.Format.
func NewFormat() container.Format { return &format{} }

const movieTimescale = 1000

type format struct {
	tracks []container.Track
	scales []uint32 // per-track timescale
	seq    uint32
	mehdAt int64 // offset of the mehd duration field
	tfra   [][]mp4ff.TfraEntry
	out    appendWriter
}

// appendWriter lets mp4ff encode straight into the Muxer's buffer.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (f *format) Supports(c frames.Codec) bool {
	switch c {
	case frames.H264, frames.VP9, frames.AV1, frames.AAC, frames.Opus:
		return true
	}
	return false
}

func (f *format) AppendInit(dst []byte, tracks []container.Track) ([]byte, error) {
	f.tracks = tracks
	f.tfra = make([][]mp4ff.TfraEntry, len(tracks))
	init := mp4ff.NewMP4Init()
	init.AddChild(mp4ff.NewFtyp("iso6", 0, []string{"iso6", "iso5", "mp41"}))
	moov := mp4ff.NewMoovBox()
	init.AddChild(moov)
	mvhd := mp4ff.CreateMvhd()
	mvhd.Timescale = movieTimescale
	moov.AddChild(mvhd)
	mvex := mp4ff.NewMvexBox()
	moov.AddChild(mvex)
	mvex.AddChild(&mp4ff.MehdBox{Version: 1})
	for _, t := range tracks {
		if err := f.addTrack(init, t); err != nil {
			return dst, err
		}
	}
	start := len(dst)
	f.out.b = dst
	if err := init.Encode(&f.out); err != nil {
		return dst, fmt.Errorf("mp4: init segment: %w", err)
	}
	dst = f.out.b
	i := bytes.Index(dst[start:], []byte("mehd"))
	if i < 0 {
		return dst, fmt.Errorf("mp4: mehd not written")
	}
	f.mehdAt = int64(start + i + 8) // type, version+flags, then the 64-bit duration
	return dst, nil
}

func (f *format) addTrack(init *mp4ff.InitSegment, t container.Track) error {
	if t.Codec.IsVideo() {
		trak := init.AddEmptyTrack(90000, "video", "und")
		f.scales = append(f.scales, 90000)
		w, h := uint16(t.Width), uint16(t.Height)
		switch t.Codec {
		case frames.H264:
			sps, pps, _, err := container.ParseAVCConfig(t.CodecConfig)
			if err != nil || len(sps) == 0 {
				return fmt.Errorf("mp4: H.264 track without parameter sets: %v", err)
			}
			return trak.SetAVCDescriptor("avc1", sps, pps, true)
		case frames.VP9:
			return trak.SetVPxDescriptor("vp09", &mp4ff.VppCBox{Version: 1, Profile: 0, Level: 31, BitDepth: 8,
				ChromaSubsampling: 1, ColourPrimaries: 1, TransferCharacteristics: 1, MatrixCoefficients: 1}, w, h)
		case frames.AV1:
			rec, err := mp4av1.DecodeAV1CodecConfRec(t.CodecConfig)
			if err != nil {
				return fmt.Errorf("mp4: av1C: %w", err)
			}
			return trak.SetAV1Descriptor("av01", &mp4ff.Av1CBox{CodecConfRec: rec}, w, h)
		}
		return fmt.Errorf("%w: %v in MP4", container.ErrUnsupportedCodec, t.Codec)
	}
	rate := t.SampleRate
	if rate <= 0 || rate > 0xffff {
		return fmt.Errorf("%w: sample rate %d", container.ErrBadTrack, rate)
	}
	trak := init.AddEmptyTrack(uint32(rate), "audio", "und")
	f.scales = append(f.scales, uint32(rate))
	stsd := trak.Mdia.Minf.Stbl.Stsd
	switch t.Codec {
	case frames.AAC:
		stsd.AddChild(mp4ff.CreateAudioSampleEntryBox("mp4a", uint16(t.Channels), 16, uint16(rate), mp4ff.CreateEsdsBox(t.CodecConfig)))
	case frames.Opus:
		h, err := container.ParseOpusHead(t.CodecConfig)
		if err != nil {
			return err
		}
		dops := &mp4ff.DopsBox{OutputChannelCount: byte(h.Channels), PreSkip: h.PreSkip, InputSampleRate: uint32(h.InputRate),
			OutputGain: h.Gain}
		if len(h.Mapping) >= 3 {
			dops.ChannelMappingFamily, dops.StreamCount, dops.CoupledCount = h.Mapping[0], h.Mapping[1], h.Mapping[2]
			dops.ChannelMapping = h.Mapping[3:]
		}
		stsd.AddChild(mp4ff.CreateAudioSampleEntryBox("Opus", uint16(h.Channels), 16, 48000, dops))
	default:
		return fmt.Errorf("%w: %v in MP4", container.ErrUnsupportedCodec, t.Codec)
	}
	return nil
}

func (f *format) ticks(track int, d time.Duration) uint64 {
	if d < 0 {
		d = 0
	}
	s := uint64(f.scales[track])
	return uint64(d/time.Second)*s + uint64(d%time.Second)*s/uint64(time.Second)
}

func (f *format) AppendFragment(dst []byte, off int64, fr *container.Fragment) ([]byte, error) {
	f.seq++
	var ids []uint32
	for tr := range f.tracks {
		for _, s := range fr.Samples {
			if s.Track == tr {
				ids = append(ids, uint32(tr+1))
				break
			}
		}
	}
	frag, err := mp4ff.CreateMultiTrackFragment(f.seq, ids)
	if err != nil {
		return dst, fmt.Errorf("mp4: fragment: %w", err)
	}
	// one trun per track; the mdat holds each track's samples in turn
	var dataSize uint64
	for traf, id := range ids {
		tr := int(id - 1)
		first := true
		for _, s := range fr.Samples {
			if s.Track != tr {
				continue
			}
			size := len(s.Data)
			if f.tracks[tr].Codec == frames.H264 {
				size = frames.AVCCSize(s.Data)
			}
			start, end := f.ticks(tr, s.Time), f.ticks(tr, s.Time+s.Duration)
			flags := mp4ff.NonSyncSampleFlags
			if s.Keyframe || !f.tracks[tr].Codec.IsVideo() {
				flags = mp4ff.SyncSampleFlags
			}
			if err := frag.AddSampleToTrack(mp4ff.Sample{Flags: flags, Dur: uint32(end - start), Size: uint32(size)}, id, start); err != nil {
				return dst, fmt.Errorf("mp4: sample: %w", err)
			}
			if first && flags == mp4ff.SyncSampleFlags {
				f.tfra[tr] = append(f.tfra[tr], mp4ff.TfraEntry{Time: start, MoofOffset: uint64(off), TrafNumber: uint32(traf + 1),
					TrunNumber: 1, SampleNumber: 1})
			}
			first = false
			dataSize += uint64(size)
		}
	}
	frag.SetTrunDataOffsets()
	f.out.b = dst
	if err := frag.Moof.Encode(&f.out); err != nil {
		return dst, fmt.Errorf("mp4: moof: %w", err)
	}
	dst = f.out.b
	if dataSize+8 > 1<<32-1 {
		return dst, fmt.Errorf("mp4: fragment of %d bytes", dataSize)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(dataSize+8))
	dst = append(dst, "mdat"...)
	for _, id := range ids {
		tr := int(id - 1)
		h264 := f.tracks[tr].Codec == frames.H264
		for _, s := range fr.Samples {
			if s.Track != tr {
				continue
			}
			if h264 {
				dst = frames.AppendAVCC(dst, s.Data)
			} else {
				dst = append(dst, s.Data...)
			}
		}
	}
	return dst, nil
}

func (f *format) AppendTrailer(dst []byte, off int64, duration time.Duration) ([]byte, []container.Patch, error) {
	mfra := &mp4ff.MfraBox{}
	for tr, entries := range f.tfra {
		if len(entries) == 0 {
			continue
		}
		if err := mfra.AddChild(&mp4ff.TfraBox{Version: 1, TrackID: uint32(tr + 1), Entries: entries}); err != nil {
			return nil, nil, err
		}
	}
	if len(mfra.Children) > 0 {
		if err := mfra.AddChild(&mp4ff.MfroBox{ParentSize: uint32(mfra.Size() + 16)}); err != nil {
			return nil, nil, err
		}
		f.out.b = dst
		if err := mfra.Encode(&f.out); err != nil {
			return dst, nil, fmt.Errorf("mp4: mfra: %w", err)
		}
		dst = f.out.b
	}
	ms := uint64(duration / time.Millisecond)
	return dst, []container.Patch{{Offset: f.mehdAt, Data: binary.BigEndian.AppendUint64(nil, ms)}}, nil
}
