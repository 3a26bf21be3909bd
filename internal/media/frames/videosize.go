package frames

import (
	"encoding/binary"
	"fmt"

	mp4av1 "github.com/Eyevinn/mp4ff/av1"
	"github.com/Eyevinn/mp4ff/avc"
	"github.com/pion/rtp/codecs/vp9"
)

// VideoSize reads the picture size from a keyframe (VP8, VP9 and AV1
// keyframes carry it; for H.264 it comes from the SPS in the access unit).
func VideoSize(c Codec, keyframe []byte) (width, height int, err error) {
	switch c {
	case VP8: // RFC 6386 §9.1: 3-byte tag, start code 9d 01 2a, 14-bit sizes
		b := keyframe
		if len(b) < 10 || b[0]&1 != 0 || b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
			return 0, 0, fmt.Errorf("%w: not a VP8 keyframe", errBadPayload)
		}
		return int(binary.LittleEndian.Uint16(b[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(b[8:]) & 0x3fff), nil
	case VP9:
		var h vp9.Header
		if err := h.Unmarshal(keyframe); err != nil {
			return 0, 0, fmt.Errorf("VP9 header: %w", err)
		}
		if h.NonKeyFrame || h.FrameSize == nil {
			return 0, 0, fmt.Errorf("%w: not a VP9 keyframe", errBadPayload)
		}
		return int(h.Width()), int(h.Height()), nil
	case H264:
		sps, _ := H264ParameterSets(keyframe)
		if sps == nil {
			return 0, 0, fmt.Errorf("%w: no SPS", errBadPayload)
		}
		s, err := avc.ParseSPSNALUnit(sps, false)
		if err != nil {
			return 0, 0, fmt.Errorf("H.264 SPS: %w", err)
		}
		return int(s.Width), int(s.Height), nil
	case AV1:
		sh, err := AV1SequenceHeader(keyframe)
		if err != nil {
			return 0, 0, err
		}
		return int(sh.Width()), int(sh.Height()), nil
	}
	return 0, 0, fmt.Errorf("%w: %v has no picture size", ErrUnsupportedCodec, c)
}

// AV1SequenceHeader finds and parses the sequence header OBU of an AV1
// temporal unit (OBUs with size fields).
func AV1SequenceHeader(tu []byte) (sh *mp4av1.SequenceHeader, err error) {
	obu, err := AV1SequenceHeaderOBU(tu)
	if err != nil {
		return nil, err
	}
	n := 1
	if obu[0]&0x04 != 0 {
		n++
	}
	_, l := binary.Uvarint(obu[n:])
	sh, err = mp4av1.ParseSequenceHeader(obu[n+l:])
	if err != nil {
		return nil, fmt.Errorf("AV1 sequence header: %w", err)
	}
	return sh, nil
}

// AV1SequenceHeaderOBU returns the sequence header OBU of tu (a sub-slice).
func AV1SequenceHeaderOBU(tu []byte) ([]byte, error) {
	for b := tu; len(b) > 0; {
		h := b[0]
		n := 1
		if h&0x04 != 0 {
			n++
		}
		if h&0x02 == 0 || n >= len(b) {
			break
		}
		size, l := binary.Uvarint(b[n:])
		if l <= 0 || size > uint64(len(b)-n-l) {
			break
		}
		end := n + l + int(size)
		if (h>>3)&0x0f == 1 {
			return b[:end], nil
		}
		b = b[end:]
	}
	return nil, fmt.Errorf("%w: no AV1 sequence header", errBadPayload)
}
