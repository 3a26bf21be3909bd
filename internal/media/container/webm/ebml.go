package webm

import (
	"encoding/binary"
	"math"
)

// Matroska element IDs (RFC 9559), with their length-marker bits.
const (
	idEBML          = 0x1A45DFA3
	idSegment       = 0x18538067
	idSeekHead      = 0x114D9B74
	idSeek          = 0x4DBB
	idSeekID        = 0x53AB
	idSeekPosition  = 0x53AC
	idInfo          = 0x1549A966
	idTimecodeScale = 0x2AD7B1
	idDuration      = 0x4489
	idMuxingApp     = 0x4D80
	idWritingApp    = 0x5741
	idTracks        = 0x1654AE6B
	idCluster       = 0x1F43B675
	idTimecode      = 0xE7
	idSimpleBlock   = 0xA3
	idBlockGroup    = 0xA0
	idBlock         = 0xA1
	idReference     = 0xFB
	idBlockDuration = 0x9B
	idCues          = 0x1C53BB6B
	idVoid          = 0xEC
	idCRC32         = 0xBF
)

// unknownSize is the 8-byte "size unknown" marker.
const unknownSize = 0x01FFFFFFFFFFFFFF

func appendID(b []byte, id uint32) []byte {
	switch {
	case id > 0xFFFFFF:
		return append(b, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	case id > 0xFFFF:
		return append(b, byte(id>>16), byte(id>>8), byte(id))
	case id > 0xFF:
		return append(b, byte(id>>8), byte(id))
	}
	return append(b, byte(id))
}

// appendSize8 writes n as an 8-byte VINT (room to patch it later).
func appendSize8(b []byte, n uint64) []byte {
	return binary.BigEndian.AppendUint64(b, n|1<<56)
}

// appendSize4 writes n (< 2^28-1) as a 4-byte VINT.
func appendSize4(b []byte, n uint64) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(n)|1<<28)
}

// appendSize writes n as the shortest VINT.
func appendSize(b []byte, n uint64) []byte {
	for l := 1; l <= 8; l++ {
		if n < 1<<(7*l)-1 {
			for i := l - 1; i >= 0; i-- {
				v := byte(n >> (8 * i))
				if i == l-1 {
					v |= 0x80 >> (l - 1)
				}
				b = append(b, v)
			}
			return b
		}
	}
	return appendSize8(b, n)
}

func appendUint(b []byte, id uint32, v uint64) []byte {
	n := 1
	for v>>(8*n) != 0 && n < 8 {
		n++
	}
	b = appendSize(appendID(b, id), uint64(n))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func appendFloat(b []byte, id uint32, v float64) []byte {
	b = appendSize(appendID(b, id), 8)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
}

func appendString(b []byte, id uint32, s string) []byte {
	return append(appendSize(appendID(b, id), uint64(len(s))), s...)
}

func appendBinary(b []byte, id uint32, v []byte) []byte {
	return append(appendSize(appendID(b, id), uint64(len(v))), v...)
}

// appendVoid appends a Void element of exactly n bytes (n ≥ 2).
func appendVoid(b []byte, n int) []byte {
	if n < 9 {
		b = append(b, idVoid, 0x80|byte(n-2))
		return append(b, make([]byte, n-2)...)
	}
	b = appendSize8(append(b, idVoid), uint64(n-9))
	return append(b, make([]byte, n-9)...)
}
