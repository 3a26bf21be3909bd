package container

import (
	"bytes"
	"encoding/binary"
	"fmt"

	mp4av1 "github.com/Eyevinn/mp4ff/av1"
	"github.com/Eyevinn/mp4ff/avc"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/gorento/gorento/internal/media/frames"
)

// AVCConfig builds an AVCDecoderConfigurationRecord from an SPS and a PPS
// (NAL units without start codes), with 4-byte NAL lengths.
func AVCConfig(sps, pps []byte) ([]byte, error) {
	rec, err := avc.CreateAVCDecConfRec([][]byte{sps}, [][]byte{pps}, true)
	if err != nil {
		return nil, fmt.Errorf("avcC: %w", err)
	}
	var b bytes.Buffer
	if err := rec.Encode(&b); err != nil {
		return nil, fmt.Errorf("avcC: %w", err)
	}
	return b.Bytes(), nil
}

// ParseAVCConfig returns the parameter sets and NAL length size of an
// AVCDecoderConfigurationRecord.
func ParseAVCConfig(b []byte) (sps, pps [][]byte, lengthSize int, err error) {
	rec, err := avc.DecodeAVCDecConfRec(b)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: avcC: %v", ErrInvalidData, err)
	}
	if len(b) < 5 {
		return nil, nil, 0, fmt.Errorf("%w: avcC too short", ErrInvalidData)
	}
	return rec.SPSnalus, rec.PPSnalus, int(b[4]&0x03) + 1, nil
}

// AV1Config builds an AV1CodecConfigurationRecord from the sequence header
// OBU found in an AV1 keyframe.
func AV1Config(keyframe []byte) ([]byte, error) {
	obu, err := frames.AV1SequenceHeaderOBU(keyframe)
	if err != nil {
		return nil, err
	}
	sh, err := frames.AV1SequenceHeader(keyframe)
	if err != nil {
		return nil, err
	}
	rec := mp4av1.CodecConfRecFromSequenceHeader(sh, append([]byte(nil), obu...))
	var b bytes.Buffer
	if err := rec.Encode(&b); err != nil {
		return nil, fmt.Errorf("av1C: %w", err)
	}
	return b.Bytes(), nil
}

// OpusPreSkip is the decoder delay written for Opus tracks made from RTP:
// 0, because RTP timestamps of WebRTC Opus are already presentation times
// and a non-zero pre-skip would shift audio against video in players.
const OpusPreSkip = 0

// OpusHead builds an RFC 7845 identification header (mapping family 0).
func OpusHead(channels, inputRate int, preSkip uint16) []byte {
	if channels < 1 || channels > 2 {
		channels = 2
	}
	b := make([]byte, 19)
	copy(b, "OpusHead")
	b[8] = 1
	b[9] = byte(channels)
	binary.LittleEndian.PutUint16(b[10:], preSkip)
	binary.LittleEndian.PutUint32(b[12:], uint32(inputRate))
	return b
}

// OpusHeadInfo is what an OpusHead says.
type OpusHeadInfo struct {
	Channels  int
	PreSkip   uint16
	InputRate int
	Gain      int16
	Mapping   []byte // mapping family, stream count, coupled count, mapping (family ≠ 0)
}

// ParseOpusHead parses an RFC 7845 identification header.
func ParseOpusHead(b []byte) (OpusHeadInfo, error) {
	if len(b) < 19 || string(b[:8]) != "OpusHead" || b[9] == 0 {
		return OpusHeadInfo{}, fmt.Errorf("%w: OpusHead", ErrInvalidData)
	}
	h := OpusHeadInfo{Channels: int(b[9]), PreSkip: binary.LittleEndian.Uint16(b[10:]),
		InputRate: int(binary.LittleEndian.Uint32(b[12:])), Gain: int16(binary.LittleEndian.Uint16(b[16:]))}
	if b[18] != 0 {
		if len(b) < 21+int(b[9]) {
			return OpusHeadInfo{}, fmt.Errorf("%w: OpusHead channel mapping", ErrInvalidData)
		}
		h.Mapping = append([]byte(nil), b[18:21+int(b[9])]...)
	}
	return h, nil
}

// AACConfig builds an AAC-LC AudioSpecificConfig.
func AACConfig(sampleRate, channels int) ([]byte, error) {
	if channels < 1 || channels > 6 {
		return nil, fmt.Errorf("%w: AAC with %d channels", ErrBadTrack, channels)
	}
	c := mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: sampleRate, ChannelConfig: uint8(channels)}
	b, err := c.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: AudioSpecificConfig: %v", ErrBadTrack, err)
	}
	return b, nil
}

// ParseAACConfig returns the sample rate and channel count of an
// AudioSpecificConfig.
func ParseAACConfig(b []byte) (sampleRate, channels int, err error) {
	var c mpeg4audio.AudioSpecificConfig
	if err := c.Unmarshal(b); err != nil {
		return 0, 0, fmt.Errorf("%w: AudioSpecificConfig: %v", ErrInvalidData, err)
	}
	ch := int(c.ChannelConfig)
	if ch == 7 {
		ch = 8
	}
	return c.SampleRate, ch, nil
}

// AVCCToAnnexB converts a length-prefixed H.264 sample (4-byte lengths, as
// in MP4 and Matroska) to Annex B, putting the SPS/PPS of the decoder
// configuration avcC in front of a keyframe that lacks them, so that a
// decoder or RTP receiver can start on any keyframe.
func AVCCToAnnexB(avcc []byte, avcC []byte, keyframe bool) ([]byte, error) {
	annexB, err := frames.AppendAnnexB(make([]byte, 0, len(avcc)+64), avcc, 4)
	if err != nil || !keyframe {
		return annexB, err
	}
	if s, p := frames.H264ParameterSets(annexB); s != nil && p != nil {
		return annexB, nil
	}
	sps, pps, _, err := ParseAVCConfig(avcC)
	if err != nil || len(sps) == 0 || len(pps) == 0 {
		return annexB, nil
	}
	out := make([]byte, 0, len(annexB)+len(sps[0])+len(pps[0])+8)
	out = append(append(out, 0, 0, 0, 1), sps[0]...)
	out = append(append(out, 0, 0, 0, 1), pps[0]...)
	return append(out, annexB...), nil
}
