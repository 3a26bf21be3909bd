package mp4

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
)

// DemuxOption configures a Demuxer.
type DemuxOption func(*demuxConfig)

type demuxConfig struct {
	limits container.DemuxLimits
	scan   bool
}

// WithLimits bounds what the Demuxer buffers.
func WithLimits(l container.DemuxLimits) DemuxOption {
	return func(c *demuxConfig) { c.limits = l }
}

// WithIndexScan allows reading every moof header of a seekable fragmented
// file without an mfra (a recording cut short) to seek in it and find its
// duration (default true).
func WithIndexScan(on bool) DemuxOption {
	return func(c *demuxConfig) { c.scan = on }
}

// Demuxer reads progressive and fragmented MP4. Progressive files need a
// seekable source (their sample table points anywhere); fragmented ones
// also stream from a plain reader. It implements container.Demuxer.
type Demuxer struct {
	src *source
	cfg demuxConfig

	tracks []container.Track
	info   []*trackInfo
	video  int // first video track, -1 if none

	fragmented  bool
	tables      []sampleTable // progressive
	cursor      []int
	nextBox     int64 // fragmented: next top-level box to read
	firstMoof   int64
	index       []fragEntry
	indexed     bool
	pending     []container.Sample
	duration    time.Duration
	hasDuration bool

	seekFloor time.Duration
	needKey   bool
	eof       bool
	truncated bool
}

type trackInfo struct {
	id        uint32
	timescale uint32
	shift     int64 // edit list: subtracted from media times (ticks)
	trex      *mp4ff.TrexBox
}

type fragEntry struct {
	t   time.Duration
	pos int64
}

var _ container.Demuxer = (*Demuxer)(nil)

// NewDemuxer reads the movie header of an MP4 file from src. It does not
// close src.
func NewDemuxer(src io.Reader, opts ...DemuxOption) (*Demuxer, error) {
	cfg := demuxConfig{scan: true}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.limits = cfg.limits.WithDefaults()
	d := &Demuxer{src: newSource(src), cfg: cfg, video: -1}
	if err := d.open(); err != nil {
		return nil, err
	}
	return d, nil
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("mp4: %w: %s", container.ErrInvalidData, fmt.Sprintf(format, a...))
}

func (d *Demuxer) open() error {
	var moov *mp4ff.MoovBox
	pos := d.src.pos
	for {
		h, err := d.src.header(pos)
		if err != nil {
			if moov == nil {
				return invalid("no moov box: %v", err)
			}
			break // fragmented file with no fragment yet
		}
		if h.typ == "moov" {
			b, err := d.src.decode(h, d.cfg.limits.MaxElement)
			if err != nil {
				return err
			}
			var ok bool
			if moov, ok = b.(*mp4ff.MoovBox); !ok {
				return invalid("moov")
			}
			if err := d.readMoov(moov); err != nil {
				return err
			}
			if !d.fragmented {
				return d.buildTables(moov)
			}
		}
		if h.typ == "moof" {
			if moov == nil {
				return invalid("moof before moov")
			}
			d.firstMoof = h.start
			break
		}
		if h.size < 0 {
			if moov == nil {
				return invalid("no moov box")
			}
			break
		}
		if h.typ == "mdat" && moov == nil && d.src.seeker == nil {
			return fmt.Errorf("mp4: %w: the moov box follows the media data (not a fast-start file)", container.ErrNotSeekable)
		}
		pos = h.end()
	}
	d.nextBox = d.firstMoof
	if d.firstMoof == 0 {
		d.nextBox, d.eof = pos, true
	}
	if d.src.seeker != nil {
		d.readMfra()
	}
	return nil
}

// readMoov collects the tracks in supported codecs.
func (d *Demuxer) readMoov(moov *mp4ff.MoovBox) error {
	d.fragmented = moov.Mvex != nil
	if d.fragmented && moov.Mvex.Mehd != nil && moov.Mvhd != nil && moov.Mvhd.Timescale > 0 && moov.Mvex.Mehd.FragmentDuration > 0 {
		d.duration = scaled(moov.Mvex.Mehd.FragmentDuration, moov.Mvhd.Timescale)
		d.hasDuration = d.duration > 0
	}
	movieScale := uint32(1000)
	if moov.Mvhd != nil && moov.Mvhd.Timescale > 0 {
		movieScale = moov.Mvhd.Timescale
	}
	for _, trak := range moov.Traks {
		t, info, ok := trackOf(trak, movieScale)
		if !ok {
			continue
		}
		if d.fragmented {
			for _, trex := range moov.Mvex.Trexs {
				if trex.TrackID == info.id {
					info.trex = trex
				}
			}
		}
		if t.Codec.IsVideo() && d.video < 0 {
			d.video = len(d.tracks)
		}
		d.tracks = append(d.tracks, t)
		d.info = append(d.info, info)
	}
	if len(d.tracks) == 0 {
		return fmt.Errorf("mp4: %w: no track in a supported codec", container.ErrUnsupportedCodec)
	}
	return nil
}

func scaled(ticks int64, scale uint32) time.Duration {
	s := int64(scale)
	return time.Duration(ticks/s)*time.Second + time.Duration(ticks%s)*time.Second/time.Duration(s)
}

// trackOf reads a trak's codec and parameters.
func trackOf(trak *mp4ff.TrakBox, movieScale uint32) (container.Track, *trackInfo, bool) {
	var t container.Track
	if trak.Tkhd == nil || trak.Mdia == nil || trak.Mdia.Mdhd == nil || trak.Mdia.Minf == nil ||
		trak.Mdia.Minf.Stbl == nil || trak.Mdia.Minf.Stbl.Stsd == nil || trak.Mdia.Mdhd.Timescale == 0 {
		return t, nil, false
	}
	info := &trackInfo{id: trak.Tkhd.TrackID, timescale: trak.Mdia.Mdhd.Timescale}
	stsd := trak.Mdia.Minf.Stbl.Stsd
	switch {
	case stsd.AvcX != nil && stsd.AvcX.AvcC != nil:
		t.Codec = frames.H264
		rec := stsd.AvcX.AvcC.DecConfRec
		if len(rec.SPSnalus) == 0 || len(rec.PPSnalus) == 0 {
			return t, nil, false
		}
		cfg, err := container.AVCConfig(rec.SPSnalus[0], rec.PPSnalus[0])
		if err != nil {
			return t, nil, false
		}
		t.CodecConfig = cfg
		t.Width, t.Height = int(stsd.AvcX.Width), int(stsd.AvcX.Height)
	case stsd.VpXX != nil && stsd.VpXX.Type() == "vp09":
		t.Codec = frames.VP9
		t.Width, t.Height = int(stsd.VpXX.Width), int(stsd.VpXX.Height)
	case stsd.VpXX != nil && stsd.VpXX.Type() == "vp08":
		t.Codec = frames.VP8
		t.Width, t.Height = int(stsd.VpXX.Width), int(stsd.VpXX.Height)
	case stsd.Av01 != nil && stsd.Av01.Av1C != nil:
		t.Codec = frames.AV1
		t.Width, t.Height = int(stsd.Av01.Width), int(stsd.Av01.Height)
		var b sliceWriter
		if stsd.Av01.Av1C.Encode(&b) == nil && len(b.b) > 8 {
			t.CodecConfig = b.b[8:]
		}
	case stsd.Mp4a != nil && stsd.Mp4a.Esds != nil:
		dc := stsd.Mp4a.Esds.DecConfigDescriptor
		if dc == nil || dc.DecSpecificInfo == nil {
			return t, nil, false
		}
		t.Codec, t.CodecConfig = frames.AAC, dc.DecSpecificInfo.DecConfig
		r, c, err := container.ParseAACConfig(t.CodecConfig)
		if err != nil {
			return t, nil, false
		}
		t.SampleRate, t.Channels = r, c
	case stsd.Opus != nil && stsd.Opus.Dops != nil:
		o := stsd.Opus.Dops
		t.Codec, t.SampleRate, t.Channels = frames.Opus, 48000, int(o.OutputChannelCount)
		t.CodecConfig = container.OpusHead(int(o.OutputChannelCount), int(o.InputSampleRate), o.PreSkip)
	default:
		return t, nil, false
	}
	if trak.Edts != nil && len(trak.Edts.Elst) > 0 {
		info.shift = editShift(trak.Edts.Elst[0].Entries, movieScale, info.timescale)
	}
	return t, info, true
}

// editShift turns the first edits of an edit list into an offset of media
// time: an empty edit delays the track, a media time skips its start.
func editShift(entries []mp4ff.ElstEntry, movieScale, scale uint32) int64 {
	var shift int64
	for _, e := range entries {
		if e.MediaTime == -1 {
			shift -= int64(e.SegmentDuration) * int64(scale) / int64(movieScale)
			continue
		}
		return shift + e.MediaTime
	}
	return shift
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// Tracks returns the tracks in a supported codec.
func (d *Demuxer) Tracks() []container.Track { return append([]container.Track(nil), d.tracks...) }

// Fragmented reports whether the file is a fragmented MP4.
func (d *Demuxer) Fragmented() bool { return d.fragmented }

// Truncated reports whether the file ended inside a box.
func (d *Demuxer) Truncated() bool { return d.truncated }

// toTime converts media ticks of track i to file time.
func (d *Demuxer) toTime(i int, ticks int64) time.Duration {
	in := d.info[i]
	t := ticks - in.shift
	if t < 0 {
		return -scaled(-t, in.timescale)
	}
	return scaled(t, in.timescale)
}

// sample turns raw sample data into a container.Sample.
func (d *Demuxer) sample(i int, data []byte, dts, pts int64, dur uint32, sync bool) (container.Sample, error) {
	t := d.tracks[i]
	if !t.Codec.IsVideo() {
		sync = true
	}
	if t.Codec == frames.H264 {
		var err error
		if data, err = container.AVCCToAnnexB(data, t.CodecConfig, sync); err != nil {
			return container.Sample{}, err
		}
	}
	return container.Sample{Track: i, PTS: d.toTime(i, pts), DTS: d.toTime(i, dts),
		Duration: scaled(int64(dur), d.info[i].timescale), Keyframe: sync, Data: data}, nil
}

// ReadSample returns the next sample in decode-time order across tracks.
func (d *Demuxer) ReadSample() (container.Sample, error) {
	for {
		var s container.Sample
		var err error
		if d.fragmented {
			s, err = d.nextFragmented()
		} else {
			s, err = d.nextProgressive()
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				d.truncated, d.eof = true, true
				return container.Sample{}, io.EOF
			}
			return container.Sample{}, err
		}
		if s.PTS < d.seekFloor && s.DTS < d.seekFloor {
			continue
		}
		if d.needKey && d.tracks[s.Track].Codec.IsVideo() {
			if !s.Keyframe {
				continue
			}
			d.needKey = false
		}
		return s, nil
	}
}

// Duration returns the file's duration: the movie header's, else (a
// fragmented file) the end of its last fragment, found from the mfra's last
// entry or by scanning the moofs when allowed.
func (d *Demuxer) Duration() (time.Duration, bool) {
	if !d.hasDuration && d.fragmented && d.src.seeker != nil {
		switch {
		case d.indexed && len(d.index) > 0:
			d.scanFrom(d.index[len(d.index)-1].pos)
		case d.cfg.scan:
			d.scanFragments()
		}
	}
	return d.duration, d.hasDuration
}

// Seekable reports whether Seek can work.
func (d *Demuxer) Seekable() bool {
	if d.src.seeker == nil {
		return false
	}
	return !d.fragmented || d.indexed || d.cfg.scan
}

// Seek moves to the keyframe at or before pos.
func (d *Demuxer) Seek(pos time.Duration) (time.Duration, error) {
	if d.src.seeker == nil {
		return 0, container.ErrNotSeekable
	}
	d.pending, d.eof = nil, false
	var t time.Duration
	var err error
	if d.fragmented {
		t, err = d.seekFragmented(pos)
	} else {
		t, err = d.seekProgressive(pos)
	}
	if err != nil {
		return 0, err
	}
	d.seekFloor, d.needKey = t, d.video >= 0
	return t, nil
}

func sortSamples(s []container.Sample) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].DTS < s[j].DTS })
}
