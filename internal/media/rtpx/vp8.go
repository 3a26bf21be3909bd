package rtpx

import "errors"

// The VP8 payload descriptor (RFC 7741 §4.2) is parsed here rather than
// with pion/rtp's codecs.VP8Packet: the temporal-layer forwarder rewrites
// PictureID, TL0PICIDX and KEYIDX in place in the output copy, so it needs
// the byte offset of each field and the PictureID's width (the M bit),
// which VP8Packet does not keep, and the keyframe flag of the VP8 payload
// header after the descriptor. ParseVP8 returns a value and allocates
// nothing.

// ErrVP8Short is returned for a payload that ends inside its descriptor
// (or holds nothing after it).
var ErrVP8Short = errors.New("rtpx: VP8 payload descriptor truncated")

// VP8Descriptor is what a VP8 payload descriptor says about its packet.
// Offsets are from the start of the RTP payload; 0 means the field is
// absent (the first byte is always the required header).
type VP8Descriptor struct {
	Size      uint8 // descriptor length: the VP8 payload starts here
	PicOff    uint8 // offset of PictureID (I bit; 0: none)
	TL0Off    uint8 // offset of TL0PICIDX (L bit; 0: none)
	TKOff     uint8 // offset of the TID/Y/KEYIDX byte (T or K bit; 0: none)
	PictureID uint16
	WidePicID bool // PictureID has 15 bits (M bit), else 7
	TL0PICIDX uint8
	HasTID    bool  // T bit: TID and Y are meaningful
	TID       uint8 // temporal layer (0 without T)
	Sync      bool  // Y: the frame depends only on TL0 frames (layer sync)
	HasKeyIdx bool  // K bit
	KeyIdx    uint8 // 5 bits
	Start     bool  // S: the packet starts a VP8 partition
	PartID    uint8 // partition index
	Keyframe  bool  // the packet starts a keyframe (S, partition 0, P bit clear)
}

// FrameStart reports whether the packet is the first of a frame (the start
// of partition 0).
func (d *VP8Descriptor) FrameStart() bool { return d.Start && d.PartID == 0 }

// PicMask is the mask of the PictureID's bits (0x7fff or 0x7f).
func (d *VP8Descriptor) PicMask() uint16 {
	if d.WidePicID {
		return 0x7fff
	}
	return 0x7f
}

// ParseVP8 reads the payload descriptor of a VP8 RTP payload. It fails
// when the payload ends inside the descriptor or nothing follows it.
func ParseVP8(p []byte) (VP8Descriptor, error) {
	var d VP8Descriptor
	if len(p) < 2 {
		return d, ErrVP8Short
	}
	d.Start, d.PartID = p[0]&0x10 != 0, p[0]&0x07
	i := 1
	if p[0]&0x80 != 0 { // X: extended control bits
		x := p[1]
		i = 2
		if x&0x80 != 0 { // I: PictureID
			if len(p) <= i {
				return d, ErrVP8Short
			}
			d.PicOff = uint8(i)
			if p[i]&0x80 != 0 {
				if len(p) <= i+1 {
					return d, ErrVP8Short
				}
				d.WidePicID, d.PictureID = true, uint16(p[i]&0x7f)<<8|uint16(p[i+1])
				i += 2
			} else {
				d.PictureID = uint16(p[i])
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			if len(p) <= i {
				return d, ErrVP8Short
			}
			d.TL0Off, d.TL0PICIDX = uint8(i), p[i]
			i++
		}
		if x&0x30 != 0 { // T or K: TID|Y|KEYIDX
			if len(p) <= i {
				return d, ErrVP8Short
			}
			d.TKOff = uint8(i)
			if x&0x20 != 0 {
				d.HasTID, d.TID, d.Sync = true, p[i]>>6, p[i]&0x20 != 0
			}
			if x&0x10 != 0 {
				d.HasKeyIdx, d.KeyIdx = true, p[i]&0x1f
			}
			i++
		}
	}
	if len(p) <= i {
		return d, ErrVP8Short
	}
	d.Size = uint8(i)
	d.Keyframe = d.FrameStart() && p[i]&0x01 == 0
	return d, nil
}
