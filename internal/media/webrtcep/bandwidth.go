package webrtcep

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// VideoDefaults are the server-wide video bandwidth defaults of every
// endpoint (issue 15.1). KMS's own defaults (maxVideoSendBandwidth 500
// kbps, the relayed REMB starting at 300 kbps) hold a 720p camera at
// 360p; these let a 720p/1080p camera send at its natural rate, as
// LiveKit's defaults do. An application that sets KMS's bandwidth
// properties gets exactly what KMS documents for them.
type VideoDefaults struct {
	// MaxSendKbps is every endpoint's initial maxVideoSendBandwidth: the
	// most a receiver's estimate may ask of the source (default
	// DefaultMaxVideoSendKbps; KMS uses 500).
	MaxSendKbps int
	// MinSendKbps is the initial minVideoSendBandwidth (default 100, as KMS).
	MinSendKbps int
	// CeilingKbps is the REMB sent to a publisher whose receivers set no
	// limit (no maxVideoRecvBandwidth, no receiver that asks for less):
	// default DefaultVideoCeilingKbps.
	CeilingKbps int
	// StartKbps is the x-google-start-bitrate written on the video codecs
	// of the SDP sent to the remote peer, so a Chromium publisher starts at
	// a rate where its encoder picks 720p at once instead of climbing from
	// 300 kbit/s for ~20 s (default DefaultVideoStartKbps; negative: none).
	// It never exceeds maxVideoRecvBandwidth when that is set.
	StartKbps int
	// PublisherFeedback chooses what the REMB to a publisher follows:
	// PublisherFeedbackBest (default: the best-served receiver, so one weak
	// viewer does not drag everyone down) or PublisherFeedbackLowest (the
	// lowest receiver estimate, as KMS relays them).
	PublisherFeedback string
}

// Video bandwidth defaults (kbps).
const (
	DefaultMaxVideoSendKbps = 4000
	DefaultMinVideoSendKbps = 100
	DefaultVideoCeilingKbps = 4000
	DefaultVideoStartKbps   = 1500
)

// Publisher feedback policies (VideoDefaults.PublisherFeedback).
const (
	PublisherFeedbackBest   = "best"
	PublisherFeedbackLowest = "lowest"
)

func (v VideoDefaults) withDefaults() (VideoDefaults, error) {
	if v.MaxSendKbps < 0 || v.MinSendKbps < 0 || v.CeilingKbps < 0 {
		return v, fmt.Errorf("webrtc: negative video bandwidth default")
	}
	if v.MaxSendKbps == 0 {
		v.MaxSendKbps = DefaultMaxVideoSendKbps
	}
	if v.MinSendKbps == 0 {
		v.MinSendKbps = DefaultMinVideoSendKbps
	}
	if v.CeilingKbps == 0 {
		v.CeilingKbps = DefaultVideoCeilingKbps
	}
	if v.StartKbps == 0 {
		v.StartKbps = DefaultVideoStartKbps
	}
	switch v.PublisherFeedback {
	case "":
		v.PublisherFeedback = PublisherFeedbackBest
	case PublisherFeedbackBest, PublisherFeedbackLowest:
	default:
		return v, fmt.Errorf("webrtc: publisherFeedback %q: want %q or %q", v.PublisherFeedback, PublisherFeedbackBest, PublisherFeedbackLowest)
	}
	return v, nil
}

// bandwidths are the endpoint's bandwidth settings, in kbps (mtu in
// bytes). Atomics: the RTCP loop reads them.
type bandwidths struct {
	maxAudioRecv, maxVideoRecv, minVideoRecv atomic.Int32
	minVideoSend, maxVideoSend               atomic.Int32
	mtu                                      atomic.Int32
}

func (b *bandwidths) init(d VideoDefaults) {
	b.minVideoSend.Store(int32(d.MinSendKbps))
	b.maxVideoSend.Store(int32(d.MaxSendKbps))
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
	w.updateBWEBounds()
}

// startKbps is the x-google-start-bitrate to announce (0: none): the
// server's start rate, within maxVideoRecvBandwidth and at least
// minVideoRecvBandwidth.
func (b *bandwidths) startKbps(d VideoDefaults) int32 {
	if d.StartKbps <= 0 {
		return 0
	}
	start := int32(d.StartKbps)
	if hi := b.maxVideoRecv.Load(); hi > 0 && start > hi {
		start = hi
	}
	if lo := b.minVideoRecv.Load(); start < lo {
		start = lo
	}
	return start
}

// annotate adds, to an SDP sent to the remote peer, b=AS lines for the
// configured receive limits and the start bitrate on the video codecs.
func (b *bandwidths) annotate(s string, d VideoDefaults) string {
	limits := map[string]int32{"audio": b.maxAudioRecv.Load(), "video": b.maxVideoRecv.Load()}
	start := b.startKbps(d)
	if limits["audio"] <= 0 && limits["video"] <= 0 && start == 0 {
		return s
	}
	if strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\r") {
		return s // a bare CR: its lines are not ours to cut (found by fuzzing)
	}
	lines := strings.SplitAfter(s, "\n")
	fmtps := videoFmtpLines(lines)
	var out strings.Builder
	var kind string
	for _, l := range lines {
		if start > 0 && kind == "video" && strings.HasPrefix(l, "a=fmtp:") {
			pt, params, _ := strings.Cut(strings.TrimRight(strings.TrimPrefix(l, "a=fmtp:"), "\r\n"), " ")
			if fmtps[pt] {
				fmt.Fprintf(&out, "a=fmtp:%s %s;x-google-start-bitrate=%d\r\n", pt, params, start)
				continue
			}
		}
		out.WriteString(l)
		if strings.HasPrefix(l, "m=") {
			kind = strings.TrimPrefix(strings.Fields(l)[0], "m=")
			continue
		}
		if strings.HasPrefix(l, "c=") && limits[kind] > 0 {
			fmt.Fprintf(&out, "b=AS:%d\r\n", limits[kind])
		}
		if start > 0 && kind == "video" && strings.HasPrefix(l, "a=rtpmap:") {
			pt, codec, _ := strings.Cut(strings.TrimRight(strings.TrimPrefix(l, "a=rtpmap:"), "\r\n"), " ")
			if _, has := fmtps[pt]; !has && !isRTXName(codec) {
				fmt.Fprintf(&out, "a=fmtp:%s x-google-start-bitrate=%d\r\n", pt, start)
			}
		}
	}
	return out.String()
}

// videoFmtpLines maps the payload types of the video m-lines that have an
// a=fmtp line to whether it is a media codec's (true) or RTX's (false,
// nothing to add there).
func videoFmtpLines(lines []string) map[string]bool {
	out := map[string]bool{}
	rtx := map[string]bool{}
	var kind string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "m="):
			kind = strings.TrimPrefix(strings.Fields(l)[0], "m=")
		case kind != "video":
		case strings.HasPrefix(l, "a=rtpmap:"):
			pt, codec, _ := strings.Cut(strings.TrimRight(strings.TrimPrefix(l, "a=rtpmap:"), "\r\n"), " ")
			rtx[pt] = isRTXName(codec)
		case strings.HasPrefix(l, "a=fmtp:"):
			pt, _, _ := strings.Cut(strings.TrimPrefix(l, "a=fmtp:"), " ")
			out[pt] = !rtx[pt]
		}
	}
	return out
}

// isRTXName reports whether an rtpmap encoding ("rtx/90000") is RTX's.
func isRTXName(codec string) bool {
	return strings.HasPrefix(strings.ToLower(codec), "rtx/")
}
