package source

import (
	"bytes"
	"errors"
	"io"
	"sync"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/mp4"
	"github.com/gorento/gorento/internal/media/container/webm"
)

// demuxed is a file-like source: a demuxer over a reader it owns.
type demuxed struct {
	container.Demuxer
	closeOnce sync.Once
	closer    io.Closer
	closeErr  error
}

func (d *demuxed) Live() bool { return false }

func (d *demuxed) ReadSample() (container.Sample, error) {
	s, err := d.Demuxer.ReadSample()
	if err != nil && !errors.Is(err, io.EOF) {
		return s, mediaError(err)
	}
	return s, err
}

func (d *demuxed) Close() error {
	d.closeOnce.Do(func() { d.closeErr = d.closer.Close() })
	return d.closeErr
}

var ebmlMagic = []byte{0x1A, 0x45, 0xDF, 0xA3}

// sniff tells the container format from a file's first bytes.
func sniff(head []byte) (string, error) {
	if bytes.HasPrefix(head, ebmlMagic) {
		return "webm", nil
	}
	if len(head) >= 8 {
		switch string(head[4:8]) {
		case "ftyp", "moov", "mdat", "free", "skip", "wide", "styp", "moof", "pdin":
			return "mp4", nil
		}
	}
	return "", errors.New("neither Matroska/WebM nor MP4")
}

// demux opens the demuxer for format over r; scan allows index scans
// (cheap on files, one request per skip over HTTP).
func demux(format string, r io.Reader, closer io.Closer, opts Options, scan bool) (Source, error) {
	var d container.Demuxer
	var err error
	switch format {
	case "webm":
		d, err = webm.NewDemuxer(r, webm.WithLimits(opts.Limits), webm.WithIndexScan(scan))
	default:
		d, err = mp4.NewDemuxer(r, mp4.WithLimits(opts.Limits), mp4.WithIndexScan(scan))
	}
	if err != nil {
		_ = closer.Close()
		return nil, mediaError(err)
	}
	return &demuxed{Demuxer: d, closer: closer}, nil
}

// readHead reads up to n bytes for sniffing.
func readHead(r io.Reader, n int) ([]byte, error) {
	head := make([]byte, n)
	m, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return head[:m], nil
}

// OpenReader reads WebM/Matroska or MP4 (fragmented, or with its moov box
// before the media) streamed from r as it arrives, e.g. an HTTP upload: the
// source is not seekable. Closing the source closes r.
func OpenReader(r io.ReadCloser, opts Options) (Source, error) {
	opts = opts.withDefaults()
	head, err := readHead(r, 16)
	if err != nil {
		_ = r.Close()
		return nil, uriError("read: %v", err)
	}
	format, err := sniff(head)
	if err != nil {
		_ = r.Close()
		return nil, mediaError(err)
	}
	return demux(format, io.MultiReader(bytes.NewReader(head), r), r, opts, false)
}
