package webm

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/gorento/gorento/internal/media/container"
)

// reader walks EBML elements over a stream, keeping the absolute position;
// with an io.Seeker below it skips and seeks without reading.
type reader struct {
	src    io.Reader
	seeker io.Seeker
	br     *bufio.Reader
	pos    int64
}

func newReader(src io.Reader) *reader {
	r := &reader{src: src, br: bufio.NewReaderSize(src, 64<<10)}
	if s, ok := src.(io.Seeker); ok {
		if p, err := s.Seek(0, io.SeekCurrent); err == nil {
			r.seeker, r.pos = s, p
		}
	}
	return r
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.br.Read(p)
	r.pos += int64(n)
	return n, err
}

func (r *reader) ReadByte() (byte, error) {
	b, err := r.br.ReadByte()
	if err == nil {
		r.pos++
	}
	return b, err
}

// skip moves n bytes forward.
func (r *reader) skip(n int64) error {
	if n < 0 {
		return fmt.Errorf("%w: negative skip", container.ErrInvalidData)
	}
	if n <= int64(r.br.Buffered()) || r.seeker == nil {
		m, err := io.CopyN(io.Discard, r.br, n)
		r.pos += m
		if errors.Is(err, io.EOF) {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	return r.seekTo(r.pos + n)
}

// seekTo moves to an absolute offset (seekable sources only).
func (r *reader) seekTo(abs int64) error {
	if r.seeker == nil {
		if abs >= r.pos {
			return r.skip(abs - r.pos)
		}
		return container.ErrNotSeekable
	}
	if _, err := r.seeker.Seek(abs, io.SeekStart); err != nil {
		return fmt.Errorf("webm: seek to %d: %w", abs, err)
	}
	r.br.Reset(r.src)
	r.pos = abs
	return nil
}

// readVint reads a variable-size integer; keepMarker keeps the length bit
// (element IDs), otherwise it is stripped (sizes). unknown reports an
// all-ones size.
func (r *reader) readVint(keepMarker bool) (v uint64, unknown bool, err error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, false, err
	}
	l := 1
	for mask := byte(0x80); l <= 8 && b&mask == 0; mask >>= 1 {
		l++
	}
	if l > 8 || (keepMarker && l > 4) {
		return 0, false, fmt.Errorf("%w: VINT length", container.ErrInvalidData)
	}
	v = uint64(b)
	if !keepMarker {
		v &= 0xff >> l
	}
	allOnes := v == uint64(0xff>>l)
	for i := 1; i < l; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return 0, false, noEOF(err)
		}
		v = v<<8 | uint64(c)
		allOnes = allOnes && c == 0xff
	}
	return v, !keepMarker && allOnes, nil
}

// header reads an element header: ID, data size (-1 if unknown) and the
// offset of its start.
func (r *reader) header() (id uint32, size int64, start int64, err error) {
	start = r.pos
	v, _, err := r.readVint(true)
	if err != nil {
		return 0, 0, start, err
	}
	s, unknown, err := r.readVint(false)
	if err != nil {
		return 0, 0, start, noEOF(err)
	}
	if unknown {
		return uint32(v), -1, start, nil
	}
	if s > 1<<56 {
		return 0, 0, start, fmt.Errorf("%w: element size", container.ErrInvalidData)
	}
	return uint32(v), int64(s), start, nil
}

// body reads an element's data, refusing sizes past limit; memory grows
// with what is actually read, so a lying size cannot allocate it all.
func (r *reader) body(size int64, limit int64) ([]byte, error) {
	if size < 0 || size > limit {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", container.ErrTooLarge, size, limit)
	}
	if size <= 64<<10 {
		b := make([]byte, size)
		_, err := io.ReadFull(r, b)
		return b, noEOF(err)
	}
	b, err := io.ReadAll(io.LimitReader(r, size))
	if err == nil && int64(len(b)) < size {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
