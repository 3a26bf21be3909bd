package webrtcep

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/sdpneg"
)

// Simulcast offers come in two forms. RID simulcast (RFC 8853; Chrome,
// Firefox, Safari with sendEncodings): "a=rid:<id> send" lines and
// "a=simulcast:send a;b;c", each layer marked by the rtp-stream-id header
// extension; Pion receives it natively, one track per rid. SSRC-group SIM
// (Chrome's legacy SDP munging, kurento-utils' `simulcast` option):
// "a=ssrc-group:SIM s1 s2 s3", lowest layer first, no rids. Pion knows
// only the first form, so a SIM offer is rewritten into rids for Pion
// (simTransform) and the rids are taken out of the answer again; the rid
// (and mid) extensions the browser does not send are written into the
// first packets of each SSRC by simInjector (simulcast_inject.go).

// Header extensions of RID simulcast (RFC 8852) and of BUNDLE (RFC 8843).
const (
	extMid        = sdp.SDESMidURI
	extRID        = sdp.SDESRTPStreamIDURI
	extRepairedID = sdp.SDESRepairRTPStreamIDURI
)

// simulcastInfo is what an offer said of simulcast in its video m-line.
// Immutable once made.
type simulcastInfo struct {
	mid    string
	rids   map[string]uint8 // rid → layer, 0 the lowest
	layers int
	// SIM offers: the rids Gorento named ("s0"…), the SSRCs behind them
	// and their RTX SSRCs, the header extensions added for Pion (taken out
	// of the answer), and the extension ids in the offer given to Pion.
	sim      bool
	ssrcRID  map[uint32]string
	rtxRID   map[uint32]string
	addedExt []string
}

// layerOf returns the layer of a rid (-1: unknown, or no simulcast).
func (s *simulcastInfo) layerOf(rid string) int {
	if s == nil || rid == "" {
		return -1
	}
	if l, ok := s.rids[rid]; ok {
		return int(l)
	}
	return -1
}

// ridOf returns the rid of a SIM SSRC and whether it is a repair (RTX) stream.
func (s *simulcastInfo) ridOf(ssrc uint32) (rid string, repair, ok bool) {
	if s == nil || !s.sim {
		return "", false, false
	}
	if rid, ok = s.ssrcRID[ssrc]; ok {
		return rid, false, true
	}
	rid, ok = s.rtxRID[ssrc]
	return rid, true, ok
}

// knownRIDOrders are rid names whose order is plain from the names
// (lowest first): LiveKit's quarter/half/full, Janus's low/medium/high.
var knownRIDOrders = [][]string{{"q", "h", "f"}, {"l", "m", "h"}, {"low", "mid", "high"}, {"low", "medium", "high"}}

// readSimulcast finds simulcast in the first video m-line of an offer
// that has it (nil: none, or a single layer).
func readSimulcast(d *sdp.SessionDescription) (*simulcastInfo, error) {
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != "video" {
			continue
		}
		mid, _ := m.Attribute("mid")
		if info, err := ridSimulcast(m, mid); info != nil || err != nil {
			return info, err
		}
		if info, err := simGroup(m, mid); info != nil || err != nil {
			return info, err
		}
	}
	return nil, nil
}

// ridSimulcast reads RID simulcast: the send rids in the order of the
// a=simulcast line (alternatives and paused layers included), ordered by
// their max-width/max-height restrictions when every rid has one, by
// their names when they are a known set, else as listed (lowest first, as
// the W3C examples and the browsers' sendEncodings put them).
func ridSimulcast(m *sdp.MediaDescription, mid string) (*simulcastInfo, error) {
	sizes := map[string]int{}
	var declared []string
	for _, a := range m.Attributes {
		if a.Key != "rid" {
			continue
		}
		f := strings.Fields(a.Value)
		if len(f) < 2 || f[1] != "send" {
			continue
		}
		declared = append(declared, f[0])
		if len(f) > 2 {
			for _, kv := range strings.Split(f[2], ";") {
				k, v, _ := strings.Cut(kv, "=")
				if n, err := strconv.Atoi(v); err == nil && (k == "max-width" || k == "max-height") && n > sizes[f[0]] {
					sizes[f[0]] = n
				}
			}
		}
	}
	if len(declared) == 0 {
		return nil, nil
	}
	order := declared
	if v, ok := m.Attribute("simulcast"); ok {
		if dir, list, ok := strings.Cut(strings.TrimSpace(v), " "); ok && dir == "send" && strings.TrimSpace(list) != "" {
			order = nil
			for _, alt := range strings.FieldsFunc(strings.Fields(list)[0], func(r rune) bool { return r == ';' || r == ',' }) {
				order = append(order, strings.TrimPrefix(alt, "~"))
			}
		}
	}
	if len(order) > media.MaxLayers {
		return nil, failure(sdpneg.ErrProcessOffer, "Error processing offer: %d simulcast layers (at most %d)", len(order), media.MaxLayers)
	}
	if len(order) < 2 {
		return nil, nil
	}
	order = slices.Clone(order)
	switch {
	case len(sizes) == len(order):
		slices.SortStableFunc(order, func(a, b string) int { return sizes[a] - sizes[b] })
	default:
		for _, known := range knownRIDOrders {
			if subset(order, known) {
				slices.SortStableFunc(order, func(a, b string) int { return slices.Index(known, a) - slices.Index(known, b) })
				break
			}
		}
	}
	info := &simulcastInfo{mid: mid, rids: map[string]uint8{}, layers: len(order)}
	for i, r := range order {
		info.rids[r] = uint8(i)
	}
	return info, nil
}

func subset(names, of []string) bool {
	for _, n := range names {
		if !slices.Contains(of, n) {
			return false
		}
	}
	return true
}

// simGroup reads an SSRC-group SIM and the FID (RTX) groups of its SSRCs.
func simGroup(m *sdp.MediaDescription, mid string) (*simulcastInfo, error) {
	var sim []uint32
	fid := map[uint32]uint32{}
	for _, a := range m.Attributes {
		if a.Key != "ssrc-group" {
			continue
		}
		f := strings.Fields(a.Value)
		if len(f) == 0 {
			continue
		}
		ssrcs := make([]uint32, 0, len(f))
		for _, s := range f[1:] {
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return nil, failure(sdpneg.ErrInvalidSDP, "Error parsing SDP: bad SSRC %q in a=ssrc-group", s)
			}
			ssrcs = append(ssrcs, uint32(n))
		}
		switch {
		case len(f) > 0 && f[0] == "SIM" && sim == nil:
			sim = ssrcs
		case len(f) == 3 && f[0] == "FID":
			fid[ssrcs[0]] = ssrcs[1]
		}
	}
	if len(sim) < 2 {
		return nil, nil
	}
	if len(sim) > media.MaxLayers {
		return nil, failure(sdpneg.ErrProcessOffer, "Error processing offer: %d simulcast layers (at most %d)", len(sim), media.MaxLayers)
	}
	info := &simulcastInfo{mid: mid, rids: map[string]uint8{}, layers: len(sim), sim: true,
		ssrcRID: map[uint32]string{}, rtxRID: map[uint32]string{}}
	for i, s := range sim {
		rid := "s" + strconv.Itoa(i)
		if _, dup := info.ssrcRID[s]; dup {
			return nil, failure(sdpneg.ErrInvalidSDP, "Error parsing SDP: SSRC %d twice in a=ssrc-group:SIM", s)
		}
		info.rids[rid] = uint8(i)
		info.ssrcRID[s] = rid
		if r, ok := fid[s]; ok {
			info.rtxRID[r] = rid
		}
	}
	return info, nil
}

// simTransform rewrites a SIM offer's video m-line for Pion: its a=ssrc
// and a=ssrc-group lines become rids and a=simulcast, an a=msid is added
// when the msid was only on the a=ssrc lines, and the mid and rid header
// extensions are declared when the offer lacks them (recorded in
// info.addedExt, for simAnswer to take out again).
func simTransform(offer string, info *simulcastInfo) string {
	lines := strings.SplitAfter(offer, "\n")
	var out strings.Builder
	start, end := mediaSection(lines, info.mid)
	used := map[int]bool{}
	has := map[string]bool{}
	hasMsid := false
	msid := "gorento-simulcast video"
	for _, l := range lines[start:end] {
		v := strings.TrimRight(l, "\r\n")
		if id, uri, ok := parseExtmap(v); ok {
			used[id], has[uri] = true, true
		}
		if strings.HasPrefix(v, "a=msid:") {
			hasMsid = true
		}
		if rest, ok := strings.CutPrefix(v, "a=ssrc:"); ok {
			if _, attr, ok := strings.Cut(rest, " "); ok {
				if m, ok := strings.CutPrefix(attr, "msid:"); ok && len(strings.Fields(m)) == 2 {
					msid = m
				}
			}
		}
	}
	nextID := 1
	var added []string
	for _, l := range lines[:start] {
		out.WriteString(l)
	}
	for i, l := range lines[start:end] {
		v := strings.TrimRight(l, "\r\n")
		if strings.HasPrefix(v, "a=ssrc:") || strings.HasPrefix(v, "a=ssrc-group:") {
			continue
		}
		out.WriteString(l)
		if i != 0 {
			continue
		}
		// Right after the m= line: what Pion needs to see.
		for _, uri := range []string{extMid, extRID, extRepairedID} {
			if has[uri] {
				continue
			}
			for used[nextID] {
				nextID++
			}
			if nextID > 14 {
				break
			}
			used[nextID] = true
			fmt.Fprintf(&out, "a=extmap:%d %s\r\n", nextID, uri)
			added = append(added, uri)
		}
		if !hasMsid {
			fmt.Fprintf(&out, "a=msid:%s\r\n", msid)
		}
		names := make([]string, info.layers)
		for rid, l := range info.rids {
			names[l] = rid
		}
		for _, rid := range names {
			fmt.Fprintf(&out, "a=rid:%s send\r\n", rid)
		}
		fmt.Fprintf(&out, "a=simulcast:send %s\r\n", strings.Join(names, ";"))
	}
	for _, l := range lines[end:] {
		out.WriteString(l)
	}
	info.addedExt = added
	return out.String()
}

// simAnswer takes out of Pion's answer to a transformed SIM offer what the
// remote peer did not offer: the rids, a=simulcast and the added header
// extensions.
func simAnswer(answer string, info *simulcastInfo) string {
	lines := strings.SplitAfter(answer, "\n")
	start, end := mediaSection(lines, info.mid)
	var out strings.Builder
	for i, l := range lines {
		v := strings.TrimRight(l, "\r\n")
		if i >= start && i < end {
			if strings.HasPrefix(v, "a=rid:") || strings.HasPrefix(v, "a=simulcast:") {
				continue
			}
			if _, uri, ok := parseExtmap(v); ok && slices.Contains(info.addedExt, uri) {
				continue
			}
		}
		out.WriteString(l)
	}
	return out.String()
}

// mediaSection returns the line range [start, end) of the m-section with
// this mid (the m= line first); the first video section without a mid.
func mediaSection(lines []string, mid string) (start, end int) {
	start, end = -1, len(lines)
	sectionStart, firstVideo := -1, -1
	for i, l := range lines {
		v := strings.TrimRight(l, "\r\n")
		if strings.HasPrefix(v, "m=") {
			if start >= 0 {
				return start, i
			}
			sectionStart = i
			if firstVideo < 0 && strings.HasPrefix(v, "m=video") {
				firstVideo = i
			}
			continue
		}
		if sectionStart >= 0 && mid != "" && v == "a=mid:"+mid {
			start = sectionStart
		}
	}
	if start >= 0 {
		return start, end
	}
	if firstVideo < 0 {
		return len(lines), len(lines)
	}
	for i := firstVideo + 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "m=") {
			return firstVideo, i
		}
	}
	return firstVideo, len(lines)
}

// parseExtmap reads "a=extmap:<id>[/<direction>] <uri> …".
func parseExtmap(v string) (id int, uri string, ok bool) {
	rest, ok := strings.CutPrefix(v, "a=extmap:")
	if !ok {
		return 0, "", false
	}
	f := strings.Fields(rest)
	if len(f) < 2 {
		return 0, "", false
	}
	idStr, _, _ := strings.Cut(f[0], "/")
	id, err := strconv.Atoi(idStr)
	if err != nil {
		return 0, "", false
	}
	return id, f[1], true
}

// registerSimulcast lets an endpoint receive simulcast: the rid header
// extensions Pion tells layers apart with (only when the offer has
// simulcast: other answers stay as they were), and the SIM injector.
func registerSimulcast(m *webrtc.MediaEngine, ir *interceptor.Registry, sim *atomic.Pointer[simulcastInfo]) error {
	if sim == nil || sim.Load() == nil {
		return nil
	}
	for _, uri := range []string{extRID, extRepairedID} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			return fmt.Errorf("register %s: %w", uri, err)
		}
	}
	ir.Add(simInjectorFactory{sim})
	return nil
}

// acceptSimulcast reads the simulcast of an offer and returns the offer
// to give Pion (a SIM offer rewritten into rids).
func (w *Endpoint) acceptSimulcast(offer string, parsed *sdp.SessionDescription) (string, *simulcastInfo, error) {
	info, err := readSimulcast(parsed)
	if err != nil {
		return "", nil, err
	}
	if info != nil && w.opts.SendOnly {
		info = nil // nothing is received
	}
	if info != nil && info.sim {
		offer = simTransform(offer, info)
	}
	w.simul.info.Store(info)
	if info != nil {
		w.log.Debug("simulcast offer", "layers", info.layers, "sim", info.sim)
	}
	return offer, info, nil
}

// simulcastAnswer is the answer to send for Pion's answer.
func simulcastAnswer(answer string, info *simulcastInfo) string {
	if info == nil || !info.sim {
		return answer
	}
	return simAnswer(answer, info)
}
