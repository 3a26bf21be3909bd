package frames

// TimestampUnwrapper extends 32-bit RTP timestamps to int64 so that a
// recording longer than one wrap (13 h at 90 kHz, 24 h at 48 kHz, or much
// sooner after a random start) keeps a monotonic timeline. A value less than
// half the range behind the newest is a late (reordered) one, not a wrap.
// The first value is returned unchanged; later ones are relative to it.
type TimestampUnwrapper struct {
	started bool
	last    uint32 // newest raw value
	ext     int64  // its extended value
}

// Unwrap returns the extended value of ts.
func (u *TimestampUnwrapper) Unwrap(ts uint32) int64 {
	if !u.started {
		u.started, u.last, u.ext = true, ts, int64(ts)
		return u.ext
	}
	d := int32(ts - u.last) // signed distance modulo 2^32
	ext := u.ext + int64(d)
	if d > 0 {
		u.last, u.ext = ts, ext
	}
	return ext
}

// Reset forgets the history (a new stream follows).
func (u *TimestampUnwrapper) Reset() { *u = TimestampUnwrapper{} }

// SeqUnwrapper extends 16-bit RTP sequence numbers the same way.
type SeqUnwrapper struct {
	started bool
	last    uint16
	ext     int64
}

// Unwrap returns the extended value of seq.
func (u *SeqUnwrapper) Unwrap(seq uint16) int64 {
	if !u.started {
		u.started, u.last, u.ext = true, seq, int64(seq)
		return u.ext
	}
	d := int16(seq - u.last)
	ext := u.ext + int64(d)
	if d > 0 {
		u.last, u.ext = seq, ext
	}
	return ext
}

// Reset forgets the history.
func (u *SeqUnwrapper) Reset() { *u = SeqUnwrapper{} }
