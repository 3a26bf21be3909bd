package frames

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bluenviron/gortsplib/v5/pkg/format/rtpmpeg4audio"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

var errBadPayload = errors.New("malformed payload")

// payloadCodec is the per-codec part of depacketisation: where frames start
// and end, how payloads join into one access unit, which frames are
// keyframes. Payload descriptors are parsed with pion/rtp/codecs; H.264 and
// AAC have their own code (see h264Payload and aacPayload).
type payloadCodec interface {
	// isHead reports whether payload starts a frame.
	isHead(payload []byte) bool
	// frameEndsWithMarker says that the RTP marker bit ends a frame; when
	// false every packet is a frame.
	frameEndsWithMarker() bool
	// assemble appends the access unit made of payloads (in order, one
	// frame, all present) to dst and reports whether it is a keyframe.
	assemble(dst []byte, payloads [][]byte) ([]byte, bool, error)
	// reset forgets per-stream state after a loss.
	reset()
}

func newPayloadCodec(c Codec, o *options) (payloadCodec, error) {
	switch c {
	case VP8:
		return vp8Payload{}, nil
	case VP9:
		return vp9Payload{}, nil
	case AV1:
		return &av1Payload{}, nil
	case H264:
		p := &h264Payload{}
		if len(o.h264SPS) > 0 {
			p.params.learn(o.h264SPS)
		}
		if len(o.h264PPS) > 0 {
			p.params.learn(o.h264PPS)
		}
		return p, nil
	case Opus, PCMU, PCMA:
		return audioPayload{}, nil
	case AAC:
		p := &aacPayload{cfg: o.aac}
		if err := p.init(); err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, ErrUnsupportedCodec
}

// VP8 (RFC 7741): a frame starts with S=1 and partition index 0; the VP8
// payload header's P bit is 0 on keyframes.
type vp8Payload struct{}

func (vp8Payload) isHead(b []byte) bool      { return len(b) > 0 && b[0]&0x10 != 0 && b[0]&0x07 == 0 }
func (vp8Payload) frameEndsWithMarker() bool { return true }
func (vp8Payload) reset()                    {}
func (vp8Payload) assemble(dst []byte, ps [][]byte) ([]byte, bool, error) {
	var pkt codecs.VP8Packet
	start := len(dst)
	for _, p := range ps {
		if _, err := pkt.Unmarshal(p); err != nil {
			return dst[:start], false, err
		}
		dst = append(dst, pkt.Payload...)
	}
	if len(dst) == start {
		return dst, false, errBadPayload
	}
	return dst, dst[start]&0x01 == 0, nil
}

// VP9 (RFC 9628 draft): B marks the start of a (layer) frame; P=0 on the
// first packet means the picture is not inter-predicted, i.e. a keyframe.
type vp9Payload struct{}

func (vp9Payload) isHead(b []byte) bool      { return len(b) > 0 && b[0]&0x08 != 0 }
func (vp9Payload) frameEndsWithMarker() bool { return true }
func (vp9Payload) reset()                    {}
func (vp9Payload) assemble(dst []byte, ps [][]byte) ([]byte, bool, error) {
	var pkt codecs.VP9Packet
	start := len(dst)
	key := false
	for i, p := range ps {
		if _, err := pkt.Unmarshal(p); err != nil {
			return dst[:start], false, err
		}
		if i == 0 {
			key = !pkt.P && pkt.SID == 0
		}
		dst = append(dst, pkt.Payload...)
	}
	if len(dst) == start {
		return dst, false, errBadPayload
	}
	return dst, key, nil
}

// AV1 (AV1 RTP spec §4.4): Z=0 starts a frame; N=1 on the first packet of
// a coded video sequence, which is what a keyframe request produces. A
// temporal unit carrying a sequence header is treated as a keyframe too.
type av1Payload struct{ dep codecs.AV1Depacketizer }

func (*av1Payload) isHead(b []byte) bool      { return len(b) > 0 && b[0]&0x80 == 0 }
func (*av1Payload) frameEndsWithMarker() bool { return true }
func (p *av1Payload) reset()                  { p.dep = codecs.AV1Depacketizer{} }
func (p *av1Payload) assemble(dst []byte, ps [][]byte) ([]byte, bool, error) {
	p.dep = codecs.AV1Depacketizer{}
	start := len(dst)
	key := len(ps[0]) > 0 && ps[0][0]&0x08 != 0
	for _, b := range ps {
		out, err := p.dep.Unmarshal(b)
		if err != nil {
			return dst[:start], false, err
		}
		dst = append(dst, out...)
	}
	if len(dst) == start {
		return dst, false, errBadPayload
	}
	return dst, key || av1HasSequenceHeader(dst[start:]), nil
}

// av1HasSequenceHeader walks OBUs with size fields looking for a sequence
// header (type 1).
func av1HasSequenceHeader(b []byte) bool {
	for len(b) > 0 {
		h := b[0]
		typ := (h >> 3) & 0x0f
		if typ == 1 {
			return true
		}
		n := 1
		if h&0x04 != 0 { // extension byte
			n++
		}
		if h&0x02 == 0 || n >= len(b) { // no size field: last OBU
			return false
		}
		size, l := binary.Uvarint(b[n:])
		if l <= 0 || size > uint64(len(b)-n-l) {
			return false
		}
		b = b[n+l+int(size):]
	}
	return false
}

// Opus, G.711: one packet is one frame; every frame is a sync point.
type audioPayload struct{}

func (audioPayload) isHead([]byte) bool        { return true }
func (audioPayload) frameEndsWithMarker() bool { return false }
func (audioPayload) reset()                    {}
func (audioPayload) assemble(dst []byte, ps [][]byte) ([]byte, bool, error) {
	for _, p := range ps {
		dst = append(dst, p...)
	}
	return dst, true, nil
}

// AACConfig describes an RFC 3640 (mpeg4-generic, AAC-hbr) stream as its
// SDP fmtp gives it.
type AACConfig struct {
	SampleRate       uint32
	SizeLength       int // default 13
	IndexLength      int // default 3
	IndexDeltaLength int // default 3
}

// AAC (RFC 3640) is decoded by gortsplib's rtpmpeg4audio, which handles AU
// headers, several AUs per packet and AUs fragmented over packets (ending
// with the marker bit). One "frame" here is the packets up to a marker; the
// AUs found in it are reported by unitSizes and emitted as separate frames.
type aacPayload struct {
	cfg   AACConfig
	dec   *rtpmpeg4audio.Decoder
	sizes []int
}

func (p *aacPayload) init() error {
	if p.cfg.SampleRate == 0 {
		return fmt.Errorf("%w: AAC needs its sample rate", ErrBadParams)
	}
	if p.cfg.SizeLength == 0 {
		p.cfg.SizeLength, p.cfg.IndexLength, p.cfg.IndexDeltaLength = 13, 3, 3
	}
	p.dec = &rtpmpeg4audio.Decoder{SizeLength: p.cfg.SizeLength, IndexLength: p.cfg.IndexLength, IndexDeltaLength: p.cfg.IndexDeltaLength}
	return p.dec.Init()
}

func (*aacPayload) isHead([]byte) bool        { return true }
func (*aacPayload) frameEndsWithMarker() bool { return true }
func (p *aacPayload) reset()                  {}
func (p *aacPayload) unitSizes() []int        { return p.sizes }
func (p *aacPayload) assemble(dst []byte, ps [][]byte) ([]byte, bool, error) {
	if err := p.init(); err != nil { // each frame on its own: no stale fragments
		return dst, false, err
	}
	p.sizes = p.sizes[:0]
	start := len(dst)
	for i, b := range ps {
		pkt := rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Marker: i == len(ps)-1}, Payload: b}
		aus, err := p.dec.Decode(&pkt)
		if errors.Is(err, rtpmpeg4audio.ErrMorePacketsNeeded) {
			continue
		}
		if err != nil {
			return dst[:start], false, err
		}
		for _, au := range aus {
			dst = append(dst, au...)
			p.sizes = append(p.sizes, len(au))
		}
	}
	if len(p.sizes) == 0 {
		return dst[:start], false, errBadPayload
	}
	return dst, true, nil
}
