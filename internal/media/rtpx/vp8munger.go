package rtpx

// VP8Munger keeps the VP8 PictureID, TL0PICIDX and KEYIDX a receiver sees
// continuous while the forwarder drops whole frames (temporal layers above
// the viewer's target) or moves to another source (a simulcast layer, a
// new connection): a receiver's reference finder reads a PictureID gap as
// lost frames and a TL0PICIDX jump as a lost base-layer frame. The idea is
// LiveKit's vp8munger; this one keeps the source's PictureID width (the
// bytes are rewritten in place in the output copy, so the descriptor's
// length never changes) and remembers, in a small fixed log, where it
// skipped, so a late packet maps with the offset that held when it was
// due. The zero value is ready; not safe for concurrent use.
type VP8Munger struct {
	started  bool
	reanchor bool
	ssrc     uint32
	mask     uint16 // PictureID bits of the current source (0x7fff or 0x7f)

	picOff uint16 // source − output PictureID, for the newest pictures
	picTop uint16 // newest source PictureID seen (forwarded or dropped)
	outPic uint16 // output PictureID of picTop
	tl0Off uint8
	outTL0 uint8
	keyOff uint8
	outKey uint8
	drops  skipLog
}

// VP8Values are the munged PictureID, TL0PICIDX and KEYIDX of one packet
// (each meaningful where the packet's descriptor has the field).
type VP8Values struct {
	PictureID uint16
	TL0PICIDX uint8
	KeyIdx    uint8
}

// Reanchor makes the next forwarded packet continue the output values
// (after the last one sent) whatever its source's values are.
func (m *VP8Munger) Reanchor() { m.reanchor = true }

// Forward returns the output values of a forwarded packet of source ssrc.
func (m *VP8Munger) Forward(d *VP8Descriptor, ssrc uint32) VP8Values {
	mask := d.PicMask()
	if !m.started || m.reanchor || ssrc != m.ssrc || d.PicOff != 0 && mask != m.mask {
		m.anchor(d, ssrc, mask)
	}
	var v VP8Values
	if d.PicOff != 0 {
		off := m.picOff
		switch {
		case newerMasked(d.PictureID, m.picTop, mask):
			m.picTop = d.PictureID
		case d.PictureID != m.picTop:
			off = m.drops.offsetAt(d.PictureID, off, mask) // a late packet
		}
		v.PictureID = (d.PictureID - off) & mask
		if d.PictureID == m.picTop {
			m.outPic = v.PictureID
		}
	}
	if d.TL0Off != 0 {
		v.TL0PICIDX = d.TL0PICIDX - m.tl0Off
		if d.PicOff == 0 || d.PictureID == m.picTop {
			m.outTL0 = v.TL0PICIDX
		}
	}
	if d.HasKeyIdx {
		v.KeyIdx = (d.KeyIdx - m.keyOff) & 0x1f
		if d.PicOff == 0 || d.PictureID == m.picTop {
			m.outKey = v.KeyIdx
		}
	}
	return v
}

// anchor maps the next values of a new source right after the last ones
// sent (the first source keeps its own).
func (m *VP8Munger) anchor(d *VP8Descriptor, ssrc uint32, mask uint16) {
	if m.started {
		m.picOff = d.PictureID - (m.outPic + 1)
		m.tl0Off = d.TL0PICIDX - (m.outTL0 + 1)
		m.keyOff = d.KeyIdx - (m.outKey + 1)
	}
	m.started, m.reanchor, m.ssrc, m.mask = true, false, ssrc, mask
	m.picTop = d.PictureID - 1
	m.drops = skipLog{}
}

// Drop notes that a packet of source ssrc is not forwarded (a frame of a
// temporal layer above the target): the pictures after it move down one
// PictureID. Its TL0PICIDX and KEYIDX need nothing: base-layer frames are
// never dropped this way.
func (m *VP8Munger) Drop(d *VP8Descriptor, ssrc uint32) {
	if !m.started || m.reanchor || ssrc != m.ssrc || d.PicOff == 0 || d.PicMask() != m.mask {
		return // the next forwarded packet anchors anyway
	}
	if newerMasked(d.PictureID, m.picTop, m.mask) {
		m.drops.add(d.PictureID, m.picOff)
		m.picOff++
		m.picTop = d.PictureID
	}
}

// VP8Patch writes munged values into a packet's payload (a copy: the
// source payload is shared by every sink).
type VP8Patch struct {
	VP8Values
	picOff, tl0Off, tkOff uint8
	wide, changes         bool
}

// NewVP8Patch is the patch writing v into a payload described by d.
func NewVP8Patch(d *VP8Descriptor, v VP8Values) VP8Patch {
	p := VP8Patch{VP8Values: v, picOff: d.PicOff, tl0Off: d.TL0Off, wide: d.WidePicID}
	if d.HasKeyIdx {
		p.tkOff = d.TKOff
	}
	p.changes = d.PicOff != 0 && v.PictureID != d.PictureID || d.TL0Off != 0 && v.TL0PICIDX != d.TL0PICIDX ||
		d.HasKeyIdx && v.KeyIdx != d.KeyIdx
	return p
}

// Changes reports whether Apply changes anything.
func (p *VP8Patch) Changes() bool { return p.changes }

// Apply writes the values into b, a copy of the payload the patch was
// made for.
func (p *VP8Patch) Apply(b []byte) {
	if !p.changes {
		return
	}
	if o := int(p.picOff); o != 0 {
		if p.wide && o+1 < len(b) {
			b[o], b[o+1] = 0x80|byte(p.PictureID>>8)&0x7f, byte(p.PictureID)
		} else if !p.wide && o < len(b) {
			b[o] = byte(p.PictureID) & 0x7f
		}
	}
	if o := int(p.tl0Off); o != 0 && o < len(b) {
		b[o] = p.TL0PICIDX
	}
	if o := int(p.tkOff); o != 0 && o < len(b) {
		b[o] = b[o]&0xe0 | p.KeyIdx&0x1f
	}
}

// skipLog remembers where a numbering skipped (a value dropped, after
// which the offset grew by one), so that a late value maps with the
// offset in force before the skips newer than it. 16 entries cover far
// more reordering than a forwarder sees.
type skipLog struct {
	at     [16]uint16
	before [16]uint16 // the offset before the skip
	head   int        // next slot
	n      int
}

func (l *skipLog) add(at, before uint16) {
	l.at[l.head], l.before[l.head] = at, before
	l.head = (l.head + 1) % len(l.at)
	l.n = min(l.n+1, len(l.at))
}

// holds reports whether value v was not skipped, as far as the log
// remembers (false beyond it).
func (l *skipLog) holds(v, mask uint16) bool {
	for i := 0; i < l.n; i++ {
		if l.at[i] == v {
			return false
		}
	}
	oldest := (l.head - l.n + len(l.at)) % len(l.at)
	return l.n < len(l.at) || !newerMasked(l.at[oldest], v, mask)
}

// offsetAt is the offset for late value v, cur the current one; values
// compare within mask (0xffff for sequence numbers).
func (l *skipLog) offsetAt(v, cur, mask uint16) uint16 {
	for i := 0; i < l.n; i++ {
		j := (l.head - 1 - i + len(l.at)) % len(l.at)
		if !newerMasked(l.at[j], v, mask) {
			break
		}
		cur = l.before[j]
	}
	return cur
}

// newerMasked reports whether a is after b in a space of mask+1 values.
func newerMasked(a, b, mask uint16) bool {
	d := (a - b) & mask
	return d != 0 && d <= mask/2
}
