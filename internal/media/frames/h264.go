package frames

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// H.264 NAL unit types used here (ITU-T H.264 table 7-1, RFC 6184 §5.2).
const (
	nalIDR   = 5
	nalSPS   = 7
	nalPPS   = 8
	nalAUD   = 9
	nalSTAPA = 24
	nalFUA   = 28
)

var startCode = []byte{0, 0, 0, 1}

// EachNAL calls fn with every NAL unit of an Annex B byte stream (start
// codes of 3 or 4 bytes, leading zeros ignored). It does not allocate.
func EachNAL(annexB []byte, fn func(nal []byte)) {
	i := nextStartCode(annexB, 0)
	for i < len(annexB) {
		// skip the start code
		for i < len(annexB) && annexB[i] == 0 {
			i++
		}
		i++ // the 0x01
		if i > len(annexB) {
			return
		}
		end := nextStartCode(annexB, i)
		nal := annexB[i:end]
		// trailing zeros belong to the next start code (4-byte form)
		for len(nal) > 0 && nal[len(nal)-1] == 0 && end < len(annexB) {
			nal = nal[:len(nal)-1]
		}
		if len(nal) > 0 {
			fn(nal)
		}
		i = end
	}
}

// nextStartCode returns the index of the first 0x000001 at or after i
// (len(b) if none).
func nextStartCode(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	if j := bytes.Index(b[i:], startCode[1:]); j >= 0 {
		return i + j
	}
	return len(b)
}

// H264Keyframe reports whether an Annex B access unit holds an IDR slice.
func H264Keyframe(annexB []byte) bool {
	key := false
	EachNAL(annexB, func(nal []byte) {
		if nal[0]&0x1f == nalIDR {
			key = true
		}
	})
	return key
}

// H264ParameterSets returns the first SPS and PPS of an Annex B access unit
// (sub-slices of annexB, nil when absent).
func H264ParameterSets(annexB []byte) (sps, pps []byte) {
	EachNAL(annexB, func(nal []byte) {
		switch nal[0] & 0x1f {
		case nalSPS:
			if sps == nil {
				sps = nal
			}
		case nalPPS:
			if pps == nil {
				pps = nal
			}
		}
	})
	return sps, pps
}

// AVCCSize is the size AppendAVCC will append for annexB.
func AVCCSize(annexB []byte) int {
	n := 0
	EachNAL(annexB, func(nal []byte) {
		if nal[0]&0x1f != nalAUD {
			n += 4 + len(nal)
		}
	})
	return n
}

// AppendAVCC appends annexB to dst as 4-byte length-prefixed NAL units (the
// "avcC" sample format of MP4 and Matroska). Access unit delimiters are
// dropped, as those containers require.
func AppendAVCC(dst, annexB []byte) []byte {
	EachNAL(annexB, func(nal []byte) {
		if nal[0]&0x1f == nalAUD {
			return
		}
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
		dst = append(dst, nal...)
	})
	return dst
}

var errBadAVCC = errors.New("bad length-prefixed NAL unit")

// AppendAnnexB appends an AVCC sample (NAL units prefixed by lengthSize-byte
// big-endian lengths, 1, 2 or 4) to dst in Annex B form.
func AppendAnnexB(dst, avcc []byte, lengthSize int) ([]byte, error) {
	if lengthSize != 1 && lengthSize != 2 && lengthSize != 4 {
		return dst, fmt.Errorf("%w: length size %d", errBadAVCC, lengthSize)
	}
	for len(avcc) > 0 {
		if len(avcc) < lengthSize {
			return dst, errBadAVCC
		}
		var n uint64
		for _, b := range avcc[:lengthSize] {
			n = n<<8 | uint64(b)
		}
		avcc = avcc[lengthSize:]
		if n > uint64(len(avcc)) {
			return dst, fmt.Errorf("%w: %d bytes announced, %d left", errBadAVCC, n, len(avcc))
		}
		if n > 0 {
			dst = append(dst, startCode...)
			dst = append(dst, avcc[:n]...)
		}
		avcc = avcc[n:]
	}
	return dst, nil
}

// h264Params remembers the last SPS and PPS seen on a stream so that a
// keyframe sent without them (they came earlier, or out of band in the SDP)
// can be made self-contained.
type h264Params struct {
	sps, pps []byte
}

func (p *h264Params) learn(nal []byte) {
	switch nal[0] & 0x1f {
	case nalSPS:
		p.sps = append(p.sps[:0], nal...)
	case nalPPS:
		p.pps = append(p.pps[:0], nal...)
	}
}

func (p *h264Params) complete() bool { return len(p.sps) > 0 && len(p.pps) > 0 }
