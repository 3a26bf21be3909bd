package egress

import (
	"errors"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/rtpx"
	"github.com/gorento/gorento/internal/media/srtpx"
	"github.com/gorento/gorento/internal/udpx"
)

// The fast path: a transport whose keys are known (srtpx) and whose
// selected ICE pair sits on a socket of ours (udpx) has its packets
// encrypted in place into the worker's batch and sent many per system call
// (sendmmsg, GSO), instead of one write each through Pion's SRTP session
// and ICE connection. Pion keeps ICE, DTLS, RTCP and everything inbound.
//
// Rollover counters stay exact because nobody else writes these SSRCs: a
// downtrack numbers its own output (outTop, the highest packet index sent,
// whichever writer sent it) and protects every packet with its exact index
// (srtpx.Stream.ProtectIndex), a resend with the index it was first sent
// with. Pion's writer, used before the fast path starts, derives the same
// indexes from the same sequence numbers, so a transport can move from
// Pion's writer to the fast path at any time, and back while no SSRC has
// wrapped (ClearFastPath).

// FastPath is how a transport writes its packets itself.
type FastPath struct {
	Dest    *udpx.Dest     // the selected pair's remote address, on the socket of its local one
	Session *srtpx.Session // this side's SRTP keys (protect)
}

// ErrPathChanged is reported (TransportParams.OnError) when a transport on
// the fast path must leave it after a rollover counter moved past 0: Pion's
// writer would restart its own from 0, and the receiver would fail to
// decrypt. The transport stops sending; the application replaces it.
var ErrPathChanged = errors.New("egress: ICE path changed off the single port after a sequence number wrap; transport stopped")

// SetFastPath starts the fast path (or moves it to another destination,
// after a NAT rebinding or a renomination on the same socket).
func (t *Transport) SetFastPath(fp FastPath) {
	t.w.post(op{kind: opFast, t: t, fast: &fp})
}

// ClearFastPath goes back to Pion's writer (the selected pair left our
// sockets): at once while no SSRC of the transport has wrapped, else the
// transport stops and reports ErrPathChanged.
func (t *Transport) ClearFastPath() {
	t.w.post(op{kind: opFast, t: t})
}

// FastPathOn reports whether the transport writes its packets itself.
func (t *Transport) FastPathOn() bool { return t.fastOn.Load() }

// setFast runs on the worker.
func (t *Transport) setFast(fp *FastPath) {
	if fp == nil {
		if t.fast == nil {
			return
		}
		t.mu.Lock()
		wrapped := false
		for _, d := range t.tracks {
			wrapped = wrapped || d.outTop > 0xffff || d.rtxExt > 0xffff
		}
		t.mu.Unlock()
		t.fast = nil
		t.fastOn.Store(false)
		if wrapped {
			t.stopped = true
			if t.p.OnError != nil {
				t.p.OnError(ErrPathChanged)
			}
		}
		return
	}
	if t.fast != nil && t.fast.Session != fp.Session {
		return // keys never change under a transport (no DTLS renegotiation)
	}
	t.fast = fp
	t.fastOn.Store(true)
}

// streamFor returns the SRTP stream of ssrc on the fast path (made on
// first use; a downtrack sends on its SSRC and its RTX SSRC).
func (d *Downtrack) streamFor(fp *FastPath, ssrc uint32) *srtpx.Stream {
	if d.streamSess != fp.Session {
		d.streams, d.streamSess = [2]*srtpx.Stream{}, fp.Session
	}
	for _, s := range d.streams {
		if s != nil && s.SSRC() == ssrc {
			return s
		}
	}
	s := fp.Session.NewStream(ssrc)
	d.streams[0], d.streams[1] = s, d.streams[0]
	return s
}

// gcmScratch is the room reserved after each packet: what the AES-CM
// keystream may use past the payload (srtpx gcmCTR), covering any tag.
const gcmScratch = 16

// sendFast encrypts one packet into the worker's batch.
func (d *Downtrack) sendFast(fp *FastPath, hdr *rtp.Header, payload []byte, patch *rtpx.VP8Patch, index uint64) {
	w := d.t.w
	hl := hdr.MarshalSize()
	pad := 0
	if hdr.Padding {
		pad = int(hdr.PaddingSize)
	}
	n := hl + len(payload) + pad
	buf, err := w.batch.Reserve(fp.Dest, n+gcmScratch)
	if err != nil {
		d.stats.sendErrors.Add(1)
		return
	}
	if _, err := hdr.MarshalTo(buf); err != nil {
		w.batch.Commit(0)
		d.stats.sendErrors.Add(1)
		return
	}
	copy(buf[hl:], payload)
	if patch != nil {
		patch.Apply(buf[hl : hl+len(payload)])
	}
	if pad > 0 {
		clear(buf[n-pad : n-1])
		buf[n-1] = byte(pad)
	}
	out, err := d.streamFor(fp, hdr.SSRC).ProtectIndex(buf[:n], index)
	if err != nil {
		w.batch.Commit(0)
		d.stats.sendErrors.Add(1)
		return
	}
	w.batch.Commit(len(out))
}

// mediaIndex is the SRTP packet index of an outgoing media packet, which
// also moves the highest one sent.
func (d *Downtrack) mediaIndex(seq uint16) uint64 {
	if !d.outStarted {
		d.outStarted, d.outTop = true, uint64(seq)
		return d.outTop
	}
	i := nearestIndex(d.outTop, seq)
	d.outTop = max(d.outTop, i)
	return i
}

// nearestIndex is the packet index with sequence number seq nearest to top
// (RFC 3711 §3.3.1, Appendix A).
func nearestIndex(top uint64, seq uint16) uint64 {
	i := top&^0xffff | uint64(seq)
	switch d := int64(i) - int64(top); {
	case d > 1<<15 && i >= 1<<16:
		i -= 1 << 16
	case d < -(1 << 15):
		i += 1 << 16
	}
	return i
}
