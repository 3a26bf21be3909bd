package mp4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"

	"github.com/gorento/gorento/internal/media/container"
)

// source reads top-level boxes, seeking when it can.
type source struct {
	r      io.Reader
	seeker io.Seeker
	pos    int64
	size   int64      // -1 when unknown
	last   *boxHeader // the header just read, for a stream asked for it again
}

func newSource(r io.Reader) *source {
	s := &source{r: r, size: -1}
	if sk, ok := r.(io.Seeker); ok {
		if p, err := sk.Seek(0, io.SeekCurrent); err == nil {
			s.seeker, s.pos = sk, p
			if end, err := sk.Seek(0, io.SeekEnd); err == nil {
				s.size = end
			}
			if _, err := sk.Seek(p, io.SeekStart); err != nil {
				s.seeker = nil
			}
		}
	}
	return s
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.pos += int64(n)
	return n, err
}

func (s *source) seekTo(abs int64) error {
	if abs == s.pos {
		return nil
	}
	if s.seeker == nil {
		if abs > s.pos {
			n, err := io.CopyN(io.Discard, s.r, abs-s.pos)
			s.pos += n
			return noEOF(err)
		}
		return container.ErrNotSeekable
	}
	if _, err := s.seeker.Seek(abs, io.SeekStart); err != nil {
		return fmt.Errorf("mp4: seek to %d: %w", abs, err)
	}
	s.pos = abs
	return nil
}

// readAt reads n bytes at abs.
func (s *source) readAt(abs int64, n int64, limit int64) ([]byte, error) {
	if n < 0 || n > limit {
		return nil, fmt.Errorf("mp4: %w: %d bytes (limit %d)", container.ErrTooLarge, n, limit)
	}
	if err := s.seekTo(abs); err != nil {
		return nil, err
	}
	if n <= 1<<16 {
		b := make([]byte, n)
		_, err := io.ReadFull(s, b)
		return b, noEOF(err)
	}
	b, err := io.ReadAll(io.LimitReader(s, n))
	if err == nil && int64(len(b)) < n {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

type boxHeader struct {
	typ    string
	start  int64
	size   int64 // whole box; -1: to the end of the file
	hdrLen int64
	raw    [16]byte // the header's bytes, so a stream need not go back
}

func (h boxHeader) end() int64 { return h.start + h.size }

// header reads the box header at abs.
func (s *source) header(abs int64) (boxHeader, error) {
	if l := s.last; l != nil && l.start == abs && s.pos == abs+l.hdrLen {
		return *l, nil
	}
	if err := s.seekTo(abs); err != nil {
		return boxHeader{}, err
	}
	var b [16]byte
	if _, err := io.ReadFull(s, b[:8]); err != nil {
		return boxHeader{}, err
	}
	h := boxHeader{typ: string(b[4:8]), start: abs, size: int64(binary.BigEndian.Uint32(b[:4])), hdrLen: 8}
	switch h.size {
	case 1:
		if _, err := io.ReadFull(s, b[8:16]); err != nil {
			return h, noEOF(err)
		}
		large := binary.BigEndian.Uint64(b[8:16])
		if large > 1<<62 {
			return h, fmt.Errorf("mp4: %w: box size", container.ErrInvalidData)
		}
		h.size, h.hdrLen = int64(large), 16
	case 0:
		h.size = -1
		if s.size >= 0 {
			h.size = s.size - abs
		}
	}
	h.raw = b
	if h.size >= 0 && h.size < h.hdrLen {
		return h, fmt.Errorf("mp4: %w: %q box of %d bytes", container.ErrInvalidData, h.typ, h.size)
	}
	s.last = &h
	return h, nil
}

// decode reads a whole box and decodes it with mp4ff. A panic in the
// decoder (untrusted input) becomes an error.
func (s *source) decode(h boxHeader, limit int64) (box mp4ff.Box, err error) {
	if h.size < 0 {
		return nil, fmt.Errorf("mp4: %w: %q box without size", container.ErrInvalidData, h.typ)
	}
	if h.size > limit {
		return nil, fmt.Errorf("mp4: %w: %q box of %d bytes (limit %d)", container.ErrTooLarge, h.typ, h.size, limit)
	}
	var buf []byte
	if s.pos == h.start+h.hdrLen { // just read its header: read on
		body, err := s.readAt(s.pos, h.size-h.hdrLen, limit)
		if err != nil {
			return nil, err
		}
		buf = append(append(make([]byte, 0, h.size), h.raw[:h.hdrLen]...), body...)
	} else {
		var err error
		if buf, err = s.readAt(h.start, h.size, limit); err != nil {
			return nil, err
		}
	}
	return decodeBytes(buf, h.start)
}

func decodeBytes(buf []byte, start int64) (box mp4ff.Box, err error) {
	defer func() {
		if r := recover(); r != nil {
			box, err = nil, fmt.Errorf("mp4: %w: decoder: %v", container.ErrInvalidData, r)
		}
	}()
	box, err = mp4ff.DecodeBox(uint64(start), bytes.NewReader(buf))
	if err != nil {
		return nil, fmt.Errorf("mp4: %w: %v", container.ErrInvalidData, err)
	}
	return box, nil
}

func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
