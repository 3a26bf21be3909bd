package webm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/at-wat/ebml-go"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
)

// More element IDs the reader meets at the top level.
const (
	idTags        = 0x1254C367
	idChapters    = 0x1043A770
	idAttachments = 0x1941A469
	idDocType     = 0x4282
)

func isTopLevel(id uint32) bool {
	switch id {
	case idCluster, idCues, idTags, idChapters, idAttachments, idSeekHead, idInfo, idTracks, idSegment, idEBML:
		return true
	}
	return false
}

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

// WithIndexScan allows scanning the clusters of a seekable file without
// Cues (a recording cut short) to seek in it and find its duration
// (default true; a source where every seek costs a request may turn it
// off).
func WithIndexScan(on bool) DemuxOption {
	return func(c *demuxConfig) { c.scan = on }
}

// Demuxer reads a WebM or Matroska file. It implements container.Demuxer.
type Demuxer struct {
	r   *reader
	cfg demuxConfig
	doc DocType

	tracks []container.Track
	nums   []uint64        // Matroska track numbers, parallel to tracks
	defDur []time.Duration // frame duration for laced blocks
	video  int             // first video track, -1 if none

	scale        int64 // ns per timestamp tick
	duration     time.Duration
	hasDuration  bool
	segmentData  int64
	segmentEnd   int64 // -1: unknown size
	cuesPos      int64 // -1: unknown
	firstCluster int64
	index        []indexEntry
	indexed      bool

	inCluster  bool
	clusterEnd int64 // -1: unknown size
	clusterTC  int64
	peek       *elemHeader
	pending    []container.Sample
	seekFloor  time.Duration // after a seek: drop samples before it
	needKey    bool          // after a seek: drop video until a keyframe
	eof        bool
	truncated  bool
	badBlocks  int
}

type elemHeader struct {
	id    uint32
	size  int64
	start int64
}

type indexEntry struct {
	t   time.Duration
	pos int64 // absolute offset of the cluster
}

var _ container.Demuxer = (*Demuxer)(nil)

// NewDemuxer reads the headers of a WebM/Matroska stream from src. With an
// io.Seeker it can seek, read Cues placed at the end, and index files
// without them. It does not close src.
func NewDemuxer(src io.Reader, opts ...DemuxOption) (*Demuxer, error) {
	cfg := demuxConfig{scan: true}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.limits = cfg.limits.WithDefaults()
	d := &Demuxer{r: newReader(src), cfg: cfg, scale: 1000000, video: -1, cuesPos: -1, segmentEnd: -1}
	if err := d.readHeaders(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Demuxer) invalid(format string, a ...any) error {
	return fmt.Errorf("webm: %w: %s", container.ErrInvalidData, fmt.Sprintf(format, a...))
}

func (d *Demuxer) readHeaders() error {
	id, size, _, err := d.r.header()
	if err != nil || id != idEBML {
		return d.invalid("not an EBML file")
	}
	body, err := d.r.body(size, 4096)
	if err != nil {
		return d.invalid("EBML header: %v", err)
	}
	d.doc = DocType(docTypeOf(body))
	if d.doc != WebM && d.doc != Matroska {
		return d.invalid("doctype %q", d.doc)
	}
	for {
		id, size, _, err = d.r.header()
		if err != nil {
			return d.invalid("no Segment: %v", err)
		}
		if id == idSegment {
			break
		}
		if size < 0 {
			return d.invalid("element %#x of unknown size before the Segment", id)
		}
		if err := d.r.skip(size); err != nil {
			return d.invalid("before the Segment: %v", err)
		}
	}
	d.segmentData = d.r.pos
	if size >= 0 {
		d.segmentEnd = d.r.pos + size
	}
	gotCues := false
	for {
		id, size, start, err := d.r.header()
		if err != nil {
			if d.tracks != nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
				d.eof = true // headers only
				break
			}
			return d.invalid("reading headers: %v", err)
		}
		if id == idCluster {
			d.firstCluster = start
			d.enterCluster(size)
			break
		}
		if size < 0 {
			return d.invalid("element %#x of unknown size", id)
		}
		switch id {
		case idSeekHead, idInfo, idTracks, idCues:
			body, err := d.r.body(size, d.cfg.limits.MaxElement)
			if err != nil {
				return d.invalid("element %#x: %v", id, err)
			}
			switch id {
			case idSeekHead:
				d.parseSeekHead(body)
			case idInfo:
				if err := d.parseInfo(body); err != nil {
					return err
				}
			case idTracks:
				if err := d.parseTracks(body); err != nil {
					return err
				}
			case idCues:
				d.parseCues(body)
				gotCues = true
			}
		default:
			if err := d.r.skip(size); err != nil {
				return d.invalid("element %#x: %v", id, err)
			}
		}
	}
	if d.tracks == nil {
		return d.invalid("no Tracks before the first Cluster")
	}
	if !gotCues && d.cuesPos > 0 && d.r.seeker != nil && !d.eof {
		d.readCuesAt(d.cuesPos)
	}
	return nil
}

// readCuesAt reads Cues placed after the clusters and comes back.
func (d *Demuxer) readCuesAt(pos int64) {
	back := d.r.pos
	defer func() { _ = d.r.seekTo(back) }()
	if d.r.seekTo(pos) != nil {
		return
	}
	id, size, _, err := d.r.header()
	if err != nil || id != idCues {
		return
	}
	if body, err := d.r.body(size, d.cfg.limits.MaxElement); err == nil {
		d.parseCues(body)
	}
}

func docTypeOf(body []byte) string {
	r := newReader(bytes.NewReader(body))
	for {
		id, size, _, err := r.header()
		if err != nil || size < 0 || size > int64(len(body)) {
			return ""
		}
		b, err := r.body(size, 256)
		if err != nil {
			return ""
		}
		if id == idDocType {
			return strings.TrimRight(string(b), "\x00")
		}
	}
}

func unmarshal(body []byte, v any) error {
	return ebml.Unmarshal(bytes.NewReader(body), v, ebml.WithIgnoreUnknown(true))
}

func (d *Demuxer) parseSeekHead(body []byte) {
	var sh struct {
		Seek []struct {
			SeekID       []byte `ebml:"SeekID"`
			SeekPosition uint64 `ebml:"SeekPosition"`
		} `ebml:"Seek"`
	}
	if unmarshal(body, &sh) != nil {
		return
	}
	for _, s := range sh.Seek {
		if bytes.Equal(s.SeekID, []byte{0x1C, 0x53, 0xBB, 0x6B}) && s.SeekPosition < 1<<56 {
			d.cuesPos = d.segmentData + int64(s.SeekPosition)
		}
	}
}

func (d *Demuxer) parseInfo(body []byte) error {
	var info struct {
		TimecodeScale uint64  `ebml:"TimecodeScale"`
		Duration      float64 `ebml:"Duration"`
	}
	if err := unmarshal(body, &info); err != nil {
		return d.invalid("Info: %v", err)
	}
	if info.TimecodeScale > 0 {
		if info.TimecodeScale > uint64(time.Second) {
			return d.invalid("timecode scale %d", info.TimecodeScale)
		}
		d.scale = int64(info.TimecodeScale)
	}
	if dur := info.Duration * float64(d.scale); dur > 0 && dur < float64(1<<62) {
		d.duration, d.hasDuration = time.Duration(dur), true
	}
	return nil
}

type trackDoc struct {
	TrackNumber     uint64 `ebml:"TrackNumber"`
	TrackType       uint64 `ebml:"TrackType"`
	Name            string `ebml:"Name"`
	CodecID         string `ebml:"CodecID"`
	CodecPrivate    []byte `ebml:"CodecPrivate"`
	DefaultDuration uint64 `ebml:"DefaultDuration"`
	Video           struct {
		PixelWidth  uint64 `ebml:"PixelWidth"`
		PixelHeight uint64 `ebml:"PixelHeight"`
	} `ebml:"Video"`
	Audio struct {
		SamplingFrequency float64 `ebml:"SamplingFrequency"`
		Channels          uint64  `ebml:"Channels"`
	} `ebml:"Audio"`
}

func (d *Demuxer) parseTracks(body []byte) error {
	var doc struct {
		TrackEntry []trackDoc `ebml:"TrackEntry"`
	}
	if err := unmarshal(body, &doc); err != nil {
		return d.invalid("Tracks: %v", err)
	}
	d.tracks = []container.Track{}
	for _, e := range doc.TrackEntry {
		t, ok := trackFromDoc(e)
		if !ok || e.TrackNumber == 0 {
			continue // a codec we do not read: its blocks are skipped
		}
		if t.Codec.IsVideo() && d.video < 0 {
			d.video = len(d.tracks)
		}
		dd := time.Duration(e.DefaultDuration)
		if dd <= 0 || dd > time.Second {
			dd = defaultFrameDuration(t)
		}
		d.tracks = append(d.tracks, t)
		d.nums = append(d.nums, e.TrackNumber)
		d.defDur = append(d.defDur, dd)
	}
	if len(d.tracks) == 0 {
		return fmt.Errorf("webm: %w: no track in a supported codec", container.ErrUnsupportedCodec)
	}
	return nil
}

func trackFromDoc(e trackDoc) (t container.Track, ok bool) {
	t = container.Track{Name: e.Name, CodecConfig: e.CodecPrivate}
	switch id := e.CodecID; {
	case id == "V_VP8":
		t.Codec = frames.VP8
	case id == "V_VP9":
		t.Codec = frames.VP9
	case id == "V_AV1":
		t.Codec = frames.AV1
	case id == "V_MPEG4/ISO/AVC":
		t.Codec = frames.H264
		if _, _, _, err := container.ParseAVCConfig(e.CodecPrivate); err != nil {
			return t, false // also refuses NAL lengths other than 4 bytes
		}
	case id == "A_OPUS":
		t.Codec, t.SampleRate = frames.Opus, 48000
	case strings.HasPrefix(id, "A_AAC"):
		t.Codec = frames.AAC
	default:
		return t, false
	}
	if t.Codec.IsVideo() {
		t.Width, t.Height = int(min(e.Video.PixelWidth, 1<<16)), int(min(e.Video.PixelHeight, 1<<16))
		return t, true
	}
	if t.SampleRate == 0 && e.Audio.SamplingFrequency > 0 && e.Audio.SamplingFrequency < 1e6 {
		t.SampleRate = int(e.Audio.SamplingFrequency)
	}
	t.Channels = int(min(e.Audio.Channels, 255))
	if t.Codec == frames.AAC {
		if r, c, err := container.ParseAACConfig(t.CodecConfig); err == nil {
			t.SampleRate, t.Channels = r, c
		} else if cfg, err := container.AACConfig(t.SampleRate, t.Channels); err == nil {
			t.CodecConfig = cfg
		} else {
			return t, false
		}
	}
	return t, true
}

func defaultFrameDuration(t container.Track) time.Duration {
	switch t.Codec {
	case frames.AAC:
		if t.SampleRate > 0 {
			return time.Second * 1024 / time.Duration(t.SampleRate)
		}
	case frames.Opus:
		return 20 * time.Millisecond
	}
	return 0
}

func (d *Demuxer) parseCues(body []byte) {
	var cues struct {
		CuePoint []struct {
			CueTime           uint64 `ebml:"CueTime"`
			CueTrackPositions []struct {
				CueTrack           uint64 `ebml:"CueTrack"`
				CueClusterPosition uint64 `ebml:"CueClusterPosition"`
			} `ebml:"CueTrackPositions"`
		} `ebml:"CuePoint"`
	}
	if unmarshal(body, &cues) != nil {
		return
	}
	want := uint64(0)
	if d.video >= 0 {
		want = d.nums[d.video]
	}
	var idx []indexEntry
	for _, p := range cues.CuePoint {
		for _, tp := range p.CueTrackPositions {
			if (want != 0 && tp.CueTrack != want) || tp.CueClusterPosition >= 1<<56 || p.CueTime > 1<<40 {
				continue
			}
			idx = append(idx, indexEntry{t: time.Duration(int64(p.CueTime) * d.scale), pos: d.segmentData + int64(tp.CueClusterPosition)})
			break
		}
		if len(idx) >= d.cfg.limits.MaxIndexEntries {
			break
		}
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i].t < idx[j].t })
	if len(idx) > 0 {
		d.index, d.indexed = idx, true
	}
}

// Tracks returns the tracks in a supported codec.
func (d *Demuxer) Tracks() []container.Track { return append([]container.Track(nil), d.tracks...) }

// DocType is the file's document type.
func (d *Demuxer) DocType() DocType { return d.doc }

// Truncated reports whether reading ended inside an element (a file cut
// short, as a crash leaves it).
func (d *Demuxer) Truncated() bool { return d.truncated }
