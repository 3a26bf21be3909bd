package webrtcep

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/egress"
	"github.com/gorento/gorento/internal/media/srtpx"
	"github.com/gorento/gorento/internal/udpx"
)

// ErrPathChanged is reported in an ErrorEvent when the endpoint's media path
// moved off the single UDP port after a sequence number wrap (only after
// an ICE restart): the endpoint stops sending; replace it.
var ErrPathChanged = egress.ErrPathChanged

// proofTries and proofWait bound the key check: a few RTCP packets sent
// through Pion, each watched on the socket.
const (
	proofTries = 3
	proofWait  = 500 * time.Millisecond
)

// startFastPath decides, once DTLS is connected, whether the egress writes
// this endpoint's packets itself: the selected ICE pair must sit on the
// single UDP port, we must be the DTLS server (the key tap), and the keys
// must be proven — Pion's own encryption of an RTCP packet we send must
// authenticate with them. Otherwise, or on any doubt, Pion's writer stays.
// It runs on a goroutine of the endpoint.
func (w *Endpoint) startFastPath() {
	pc := w.pcRef.Load()
	if pc == nil || w.tap == nil || w.engine.udp == nil {
		return
	}
	pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		w.log.Debug("fast path: no selected candidate pair", "err", err)
		return
	}
	dest := w.engine.fastDest(pair, w.ICESettings())
	if dest == nil {
		w.log.Debug("fast path: the ICE pair is not on the single UDP port", "local", candidateString(pair.Local))
		return
	}
	keys, err := w.tap.keys()
	if err != nil {
		w.log.Debug("fast path: SRTP keys not known (DTLS client role?)", "err", err)
		return
	}
	sess, err := srtpx.NewSession(keys.Profile, keys.LocalKey, keys.LocalSalt)
	if err != nil {
		w.log.Warn("fast path: SRTP session", "err", err)
		return
	}
	if !w.proveKeys(pc, dest, sess) {
		w.log.Warn("fast path: the tapped SRTP keys were not confirmed; Pion's writer is used", "profile", keys.Profile)
		return
	}
	w.fastMu.Lock()
	if w.fastDone {
		w.fastMu.Unlock()
		return
	}
	w.fastSess = sess
	if w.engine.cfg.DirectInbound {
		w.fastRemote, err = srtpx.NewSession(keys.Profile, keys.RemoteKey, keys.RemoteSalt)
		if err != nil {
			w.log.Warn("direct inbound: SRTP session", "err", err)
		}
	}
	remote := w.fastRemote
	w.fastMu.Unlock()
	w.engine.fastPaths.Add(1)
	w.tx.SetFastPath(egress.FastPath{Dest: dest, Session: sess})
	if remote != nil {
		w.direct.route(dest, remote)
	}
	w.log.Debug("fast path on", "profile", keys.Profile, "remote", dest.AddrPort(), "directInbound", remote != nil)
}

// FastPath reports whether the egress writes the endpoint's packets
// itself (srtpx + udpx) rather than through Pion's writer.
func (w *Endpoint) FastPath() bool { return w.tx.FastPathOn() }

// EgressStats are the engine's egress counters.
type EgressStats struct {
	Workers  []egress.WorkerStats
	Sockets  []udpx.Stats // the single UDP port's sockets
	FastPath int64        // endpoints whose egress took the fast path (until released)
}

// EgressStats returns the engine's egress counters.
func (e *Engine) EgressStats() EgressStats {
	st := EgressStats{Workers: e.egress.Stats(), FastPath: e.fastPaths.Load()}
	if e.udp != nil {
		for _, c := range e.udp.conns {
			st.Sockets = append(st.Sockets, c.Stats())
		}
	}
	return st
}

// proveKeys sends RTCP through Pion and checks that what Pion put on the
// socket authenticates with sess.
func (w *Endpoint) proveKeys(pc *webrtc.PeerConnection, dest *udpx.Dest, sess *srtpx.Session) bool {
	proved := make(chan struct{})
	var once sync.Once
	cancel := dest.Conn().WatchSends(dest.AddrPort(), func(b []byte) bool {
		if !isRTCP(b) {
			return false
		}
		p := append([]byte(nil), b...)
		if _, err := sess.NewStream(binary.BigEndian.Uint32(p[4:])).UnprotectRTCP(p); err != nil {
			return false
		}
		once.Do(func() { close(proved) })
		return true
	})
	defer cancel()
	ssrc := w.tracks[media.Video].boundSSRC()
	if ssrc == 0 {
		ssrc = w.tracks[media.Audio].boundSSRC()
	}
	if ssrc == 0 {
		ssrc = 1
	}
	for range proofTries {
		// An empty receiver report: valid RTCP that any receiver ignores.
		_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverReport{SSRC: ssrc}})
		select {
		case <-proved:
			return true
		case <-time.After(proofWait):
		case <-w.life.Done():
			return false
		}
	}
	return false
}

// isRTCP tells SRTCP from SRTP, STUN and DTLS (RFC 7983, RFC 5761).
func isRTCP(b []byte) bool {
	return len(b) >= 8 && b[0] >= 128 && b[0] <= 191 && b[1] >= 192 && b[1] <= 223
}

// pairChanged follows the selected ICE pair with the fast path: another
// address on the single port (a NAT rebinding, a renomination) moves it;
// a pair off the single port goes back to Pion's writer (egress decides
// whether it still may).
func (w *Endpoint) pairChanged(p *webrtc.ICECandidatePair) {
	w.fastMu.Lock()
	sess, remote := w.fastSess, w.fastRemote
	w.fastMu.Unlock()
	if sess == nil || p == nil {
		return
	}
	if dest := w.engine.fastDest(p, w.ICESettings()); dest != nil {
		w.tx.SetFastPath(egress.FastPath{Dest: dest, Session: sess})
		if remote != nil {
			w.direct.route(dest, remote)
		}
		return
	}
	w.tx.ClearFastPath()
	w.direct.unroute()
}

// fastDest is the destination of a selected pair on the single UDP port, or
// nil when its local candidate is not one of our sockets (TCP, a relay, a
// port per endpoint). A host candidate advertised with an external address
// (1:1 NAT) is matched by its port when only one socket of its family has
// that port.
func (e *Engine) fastDest(p *webrtc.ICECandidatePair, s ICESettings) *udpx.Dest {
	if p.Local == nil || p.Remote == nil || p.Local.Protocol != webrtc.ICEProtocolUDP ||
		p.Local.Typ == webrtc.ICECandidateTypeRelay {
		return nil
	}
	local, err1 := netip.ParseAddr(p.Local.Address)
	remote, err2 := netip.ParseAddr(p.Remote.Address)
	if err1 != nil || err2 != nil {
		return nil
	}
	conn := e.conn(netip.AddrPortFrom(local, p.Local.Port))
	if conn == nil && (s.ExternalIPv4 != "" || s.ExternalIPv6 != "") {
		conn = e.connByPort(local.Unmap().Is4(), p.Local.Port)
	}
	if conn == nil {
		return nil
	}
	return conn.Dest(netip.AddrPortFrom(remote, p.Remote.Port))
}

// connByPort is the one socket of a family on port (nil: none or several).
func (e *Engine) connByPort(v4 bool, port uint16) *udpx.Conn {
	var found *udpx.Conn
	for _, c := range e.udp.conns {
		la := c.LocalAddrPort()
		if la.Port() != port || la.Addr().Unmap().Is4() != v4 {
			continue
		}
		if found != nil {
			return nil
		}
		found = c
	}
	return found
}

// transportError reports a transport that stopped sending.
func (w *Endpoint) transportError(err error) {
	w.log.Warn("endpoint stopped sending", "err", err)
	w.spawn(func() {
		w.core.Post(media.ErrorEvent{Err: err})
		w.core.Deliver()
	})
}
