package bwe

import (
	"encoding/binary"
	"errors"

	"github.com/pion/rtcp"
)

// Transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01
// §3.1): RTPFB (PT 205) with FMT 15. Read here without allocating, because it
// arrives every 50–100 ms per subscriber; pion/rtcp's TransportLayerCC makes
// an object per chunk and per delta.

// Packet status symbols.
const (
	symNotReceived uint8 = 0
	symSmallDelta  uint8 = 1 // received, 1-byte delta (0–63.75 ms)
	symLargeDelta  uint8 = 2 // received, 2-byte signed delta
	symReserved    uint8 = 3 // treated as not received
)

const (
	rtcpTypeRTPFB = 205
	fmtTCC        = 15
	fciOffset     = 12 // after the RTCP header and the two SSRCs
	chunkOffset   = fciOffset + 8
	deltaUnit     = 250 // µs
	refTimeUnit   = 64000
)

// Feedback errors.
var (
	ErrFeedbackTruncated = errors.New("bwe: transport-cc feedback truncated")
	ErrFeedbackMalformed = errors.New("bwe: malformed transport-cc feedback")
)

// status is one packet's entry in a feedback.
type status struct {
	seq   uint16
	sym   uint8
	delta int32 // receive delta in 250 µs units (received packets only)
}

// feedbackReader walks the packet statuses of one transport-cc packet.
type feedbackReader struct {
	pkt       []byte // the packet, without padding
	baseSeq   uint16
	count     uint16
	refTime   uint32 // 24 bits, 64 ms units
	fbCount   uint8
	mediaSSRC uint32

	chunkPos  int    // next chunk to load
	chunk     uint16 // current chunk
	chunkIdx  int    // next symbol in it
	chunkLen  int    // symbols in it
	deltaPos  int    // next receive delta
	i         uint16 // statuses returned
	nonStrict bool   // reserved symbols, or received symbols after count in a vector
}

// isTransportCC reports whether one RTCP packet is transport-cc feedback.
func isTransportCC(pkt []byte) bool {
	return len(pkt) >= 4 && pkt[1] == rtcpTypeRTPFB && pkt[0]&0x1f == fmtTCC
}

// reset prepares r for pkt (exactly one RTCP packet, as its length field says).
func (r *feedbackReader) reset(pkt []byte) error {
	*r = feedbackReader{}
	if len(pkt) < chunkOffset {
		return ErrFeedbackTruncated
	}
	if pkt[0]>>6 != 2 || !isTransportCC(pkt) {
		return ErrFeedbackMalformed
	}
	n := (int(binary.BigEndian.Uint16(pkt[2:])) + 1) * 4
	if n > len(pkt) || n < chunkOffset {
		return ErrFeedbackTruncated
	}
	pkt = pkt[:n]
	if pkt[0]&0x20 != 0 { // padding: the last byte counts it
		pad := int(pkt[n-1])
		if pad == 0 || pad > n-chunkOffset {
			return ErrFeedbackMalformed
		}
		pkt = pkt[:n-pad]
	}
	r.pkt = pkt
	r.mediaSSRC = binary.BigEndian.Uint32(pkt[8:])
	r.baseSeq = binary.BigEndian.Uint16(pkt[fciOffset:])
	r.count = binary.BigEndian.Uint16(pkt[fciOffset+2:])
	r.refTime = uint32(pkt[fciOffset+4])<<16 | uint32(pkt[fciOffset+5])<<8 | uint32(pkt[fciOffset+6])
	r.fbCount = pkt[fciOffset+7]
	// The deltas follow the chunks that cover count statuses.
	pos, covered := chunkOffset, 0
	for covered < int(r.count) {
		if pos+2 > len(pkt) {
			return ErrFeedbackTruncated
		}
		covered += symbolsIn(binary.BigEndian.Uint16(pkt[pos:]))
		pos += 2
	}
	r.chunkPos, r.deltaPos = chunkOffset, pos
	return nil
}

func symbolsIn(c uint16) int {
	switch {
	case c&0x8000 == 0: // run length
		return int(c & 0x1fff)
	case c&0x4000 == 0: // status vector, 14 one-bit symbols
		return 14
	default: // status vector, 7 two-bit symbols
		return 7
	}
}

func symbolAt(c uint16, k int) uint8 {
	switch {
	case c&0x8000 == 0:
		return uint8(c>>13) & 3
	case c&0x4000 == 0:
		return uint8(c>>(13-k)) & 1
	default:
		return uint8(c>>(12-2*k)) & 3
	}
}

// next returns the next status; ok is false after the last one.
func (r *feedbackReader) next() (s status, ok bool, err error) {
	if r.i >= r.count {
		return s, false, nil
	}
	for r.chunkIdx >= r.chunkLen {
		// reset proved the chunks covering count are there.
		r.chunk = binary.BigEndian.Uint16(r.pkt[r.chunkPos:])
		r.chunkPos += 2
		r.chunkIdx, r.chunkLen = 0, symbolsIn(r.chunk)
	}
	s = status{seq: r.baseSeq + r.i, sym: symbolAt(r.chunk, r.chunkIdx)}
	r.chunkIdx++
	r.i++
	switch s.sym {
	case symSmallDelta:
		if r.deltaPos+1 > len(r.pkt) {
			return s, false, ErrFeedbackTruncated
		}
		s.delta = int32(r.pkt[r.deltaPos])
		r.deltaPos++
	case symLargeDelta:
		if r.deltaPos+2 > len(r.pkt) {
			return s, false, ErrFeedbackTruncated
		}
		s.delta = int32(int16(binary.BigEndian.Uint16(r.pkt[r.deltaPos:])))
		r.deltaPos += 2
	case symReserved:
		r.nonStrict = true
		s.sym = symNotReceived
	}
	if r.i == r.count && r.chunk&0x8000 != 0 {
		for k := r.chunkIdx; k < r.chunkLen; k++ {
			if symbolAt(r.chunk, k) != symNotReceived {
				r.nonStrict = true
			}
		}
	}
	return s, true, nil
}

// pionReader walks a feedback already parsed by pion/rtcp (what Pion's RTCP
// readers hand out), producing the same statuses.
type pionReader struct {
	fb       *rtcp.TransportLayerCC
	chunk    int
	chunkIdx int
	delta    int
	i        uint16
}

func (p *pionReader) next() (s status, ok bool, err error) {
	fb := p.fb
	for p.i < fb.PacketStatusCount && p.chunk < len(fb.PacketChunks) {
		var sym uint16
		switch c := fb.PacketChunks[p.chunk].(type) {
		case *rtcp.RunLengthChunk:
			if p.chunkIdx >= int(c.RunLength) {
				p.chunk, p.chunkIdx = p.chunk+1, 0
				continue
			}
			sym = c.PacketStatusSymbol
		case *rtcp.StatusVectorChunk:
			if p.chunkIdx >= len(c.SymbolList) {
				p.chunk, p.chunkIdx = p.chunk+1, 0
				continue
			}
			sym = c.SymbolList[p.chunkIdx]
		default:
			p.chunk, p.chunkIdx = p.chunk+1, 0
			continue
		}
		p.chunkIdx++
		s = status{seq: fb.BaseSequenceNumber + p.i}
		p.i++
		if sym == rtcp.TypeTCCPacketReceivedSmallDelta || sym == rtcp.TypeTCCPacketReceivedLargeDelta {
			if p.delta >= len(fb.RecvDeltas) {
				return s, false, nil
			}
			s.sym = uint8(sym)
			s.delta = int32(fb.RecvDeltas[p.delta].Delta / deltaUnit)
			p.delta++
		}
		return s, true, nil
	}
	return s, false, nil
}
