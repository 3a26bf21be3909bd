package media

import "encoding/binary"

// TrailerLen is the size of the trailer appended to every payload.
const TrailerLen = 16

// trailerMagic marks a payload that ends with a trailer.
const trailerMagic = 0xB7E5

// Trailer is what the generator writes at the end of each RTP payload. SFUs
// do not parse the end of the payload, so it arrives intact.
type Trailer struct {
	SendNs int64  // send time, nanoseconds since the generator's epoch
	Index  uint32 // packet index within the stream (0, 1, 2 …)
	Stream uint16 // stream id (publisher × kind)
}

// Put writes t into the last TrailerLen bytes of b.
func (t Trailer) Put(b []byte) {
	b = b[len(b)-TrailerLen:]
	binary.BigEndian.PutUint64(b, uint64(t.SendNs))
	binary.BigEndian.PutUint32(b[8:], t.Index)
	binary.BigEndian.PutUint16(b[12:], t.Stream)
	binary.BigEndian.PutUint16(b[14:], trailerMagic)
}

// ParseTrailer reads the trailer at the end of a payload.
func ParseTrailer(b []byte) (Trailer, bool) {
	if len(b) < TrailerLen {
		return Trailer{}, false
	}
	b = b[len(b)-TrailerLen:]
	if binary.BigEndian.Uint16(b[14:]) != trailerMagic {
		return Trailer{}, false
	}
	return Trailer{SendNs: int64(binary.BigEndian.Uint64(b)), Index: binary.BigEndian.Uint32(b[8:]), Stream: binary.BigEndian.Uint16(b[12:])}, true
}
