package webrtcep

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// bandwidths are the endpoint's bandwidth settings, in kbps (mtu in
// bytes). Atomics: the RTCP loop reads them.
type bandwidths struct {
	maxAudioRecv, maxVideoRecv, minVideoRecv atomic.Int32
	minVideoSend, maxVideoSend               atomic.Int32
	mtu                                      atomic.Int32
}

func (b *bandwidths) init() {
	b.minVideoSend.Store(100)
	b.maxVideoSend.Store(500)
	b.mtu.Store(1200)
}

// Bandwidths are the bandwidth settings, in kbps (MTU in bytes): receive
// limits are signalled to the sender (REMB, SDP b=AS), send limits clamp
// what receivers' estimates ask of upstream.
type Bandwidths struct {
	MaxAudioRecv, MaxVideoRecv, MinVideoRecv, MinVideoSend, MaxVideoSend, MTU int
}

// Bandwidths returns the current bandwidth settings.
func (w *Endpoint) Bandwidths() Bandwidths {
	b := &w.bw
	return Bandwidths{int(b.maxAudioRecv.Load()), int(b.maxVideoRecv.Load()), int(b.minVideoRecv.Load()),
		int(b.minVideoSend.Load()), int(b.maxVideoSend.Load()), int(b.mtu.Load())}
}

// SetBandwidths changes the bandwidth settings; receive limits are
// signalled to the sender with REMB at the next report.
func (w *Endpoint) SetBandwidths(v Bandwidths) {
	b := &w.bw
	b.maxAudioRecv.Store(int32(v.MaxAudioRecv))
	b.maxVideoRecv.Store(int32(v.MaxVideoRecv))
	b.minVideoRecv.Store(int32(v.MinVideoRecv))
	b.minVideoSend.Store(int32(v.MinVideoSend))
	b.maxVideoSend.Store(int32(v.MaxVideoSend))
	b.mtu.Store(int32(v.MTU))
}

// annotate adds b=AS lines for the configured receive limits to an SDP sent
// to the remote peer.
func (b *bandwidths) annotate(s string) string {
	limits := map[string]int32{"audio": b.maxAudioRecv.Load(), "video": b.maxVideoRecv.Load()}
	if limits["audio"] <= 0 && limits["video"] <= 0 {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	var out strings.Builder
	var kind string
	for _, l := range lines {
		out.WriteString(l)
		if strings.HasPrefix(l, "m=") {
			kind = strings.TrimPrefix(strings.Fields(l)[0], "m=")
			continue
		}
		if strings.HasPrefix(l, "c=") && limits[kind] > 0 {
			fmt.Fprintf(&out, "b=AS:%d\r\n", limits[kind])
		}
	}
	return out.String()
}
