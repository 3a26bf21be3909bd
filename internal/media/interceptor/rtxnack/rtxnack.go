// Package rtxnack makes Pion's NACK generator see the packets a sender
// repaired through RTX (RFC 4588).
//
// Pion reads a stream's RTX packets through the RTX SSRC's own interceptor
// chain and hands them, unwrapped, to the media track's reader; the NACK
// generator only watches the media SSRC's chain, so it never learns that a
// NACKed packet arrived and asks for it again every 100 ms until it leaves
// the generator's window, each time costing the publisher a resend. This
// wrapper sits where the generator sits: for every RTX packet it reads the
// original sequence number (the payload's first two bytes) and feeds a
// header-only packet with that number into the generator's reader of the
// media stream, marking it received. Nothing else sees that packet.
//
// Why a wrapper and not our own generator: Pion's is fine otherwise, and
// its receive log is private (issue 13's step 7 replaces the inbound path
// as a whole).
package rtxnack

import (
	"encoding/binary"
	"strings"
	"sync"

	"github.com/pion/interceptor"
)

// Wrap returns a factory of NACK generators (gen) that also count RTX
// repairs as received. onNew (may be nil) is given each interceptor made,
// so its owner can Pair the SSRCs its remote description declares.
func Wrap(gen interceptor.Factory, onNew func(*Interceptor)) interceptor.Factory {
	return factory{gen, onNew}
}

type factory struct {
	gen   interceptor.Factory
	onNew func(*Interceptor)
}

func (f factory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	g, err := f.gen.NewInterceptor(id)
	if err != nil {
		return nil, err
	}
	i := &Interceptor{Interceptor: g, media: map[uint32]*stream{}, pairs: map[uint32]uint32{}}
	if f.onNew != nil {
		f.onNew(i)
	}
	return i, nil
}

// Interceptor is a NACK generator (embedded) that also learns of RTX repairs.
type Interceptor struct {
	interceptor.Interceptor

	mu    sync.Mutex         // guards media and pairs
	media map[uint32]*stream // by media SSRC
	pairs map[uint32]uint32  // RTX SSRC → media SSRC
}

// Pair declares that rtx repairs media (an a=ssrc-group:FID of the remote
// description: Pion does not tell interceptors which media stream an
// inbound RTX stream repairs). Without pairs, the repairs of the one media
// stream that has NACKs are recognized; with several, only paired ones.
func (i *Interceptor) Pair(media, rtx uint32) {
	i.mu.Lock()
	i.pairs[rtx] = media
	i.mu.Unlock()
}

// repaired returns the media stream an RTX SSRC repairs (nil: unknown).
func (i *Interceptor) repaired(rtx uint32) *stream {
	i.mu.Lock()
	defer i.mu.Unlock()
	if m, ok := i.pairs[rtx]; ok {
		return i.media[m]
	}
	if len(i.media) == 1 {
		for _, s := range i.media {
			return s
		}
	}
	return nil
}

// stream is one media stream the generator watches.
type stream struct {
	ssrc   uint32
	mu     sync.Mutex // one injection at a time (buf)
	gen    interceptor.RTPReader
	inject *injector
	buf    [12]byte
}

// injectKey marks, in the attributes of a Read, an injected packet.
type injectKey struct{}

// injector is the reader the generator wraps: it passes reads through,
// except injected ones, which it answers with the header in the attributes.
type injector struct{ next interceptor.RTPReader }

func (r *injector) Read(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
	if a != nil {
		if h, ok := a[injectKey{}].(*[12]byte); ok {
			return copy(b, h[:]), a, nil
		}
	}
	return r.next.Read(b, a)
}

// BindRemoteStream implements interceptor.Interceptor.
func (i *Interceptor) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if isRTX(info) {
		return i.bindRTX(info.SSRC, reader)
	}
	inj := &injector{next: reader}
	gen := i.Interceptor.BindRemoteStream(info, inj)
	if !hasNACK(info) {
		return gen
	}
	s := &stream{ssrc: info.SSRC, gen: gen, inject: inj}
	i.mu.Lock()
	i.media[info.SSRC] = s
	if info.SSRCRetransmission != 0 {
		i.pairs[info.SSRCRetransmission] = info.SSRC
	}
	i.mu.Unlock()
	return gen
}

// UnbindRemoteStream implements interceptor.Interceptor.
func (i *Interceptor) UnbindRemoteStream(info *interceptor.StreamInfo) {
	i.mu.Lock()
	delete(i.media, info.SSRC)
	i.mu.Unlock()
	i.Interceptor.UnbindRemoteStream(info)
}

func (i *Interceptor) bindRTX(ssrc uint32, reader interceptor.RTPReader) interceptor.RTPReader {
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := reader.Read(b, a)
		if err != nil {
			return n, a, err
		}
		if osn, ok := originalSeq(b[:n]); ok {
			if s := i.repaired(ssrc); s != nil {
				s.received(osn)
			}
		}
		return n, a, nil
	})
}

// received tells the generator that packet seq of the stream arrived.
func (s *stream) received(seq uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = [12]byte{0x80}
	binary.BigEndian.PutUint16(s.buf[2:], seq)
	binary.BigEndian.PutUint32(s.buf[8:], s.ssrc)
	var scratch [12]byte
	// A fresh map: the generator caches the parsed header in it.
	_, _, _ = s.gen.Read(scratch[:], interceptor.Attributes{injectKey{}: &s.buf})
}

// originalSeq returns the original sequence number an RTX packet carries
// (false for padding-only probes and malformed packets).
func originalSeq(b []byte) (uint16, bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return 0, false
	}
	off := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 {
		if len(b) < off+4 {
			return 0, false
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	end := len(b)
	if b[0]&0x20 != 0 && end > 0 {
		end -= int(b[end-1])
	}
	if end-off < 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(b[off:]), true
}

func hasNACK(info *interceptor.StreamInfo) bool {
	for _, fb := range info.RTCPFeedback {
		if fb.Type == "nack" && fb.Parameter == "" {
			return true
		}
	}
	return false
}

func isRTX(info *interceptor.StreamInfo) bool {
	return strings.HasSuffix(strings.ToLower(info.MimeType), "/rtx")
}
