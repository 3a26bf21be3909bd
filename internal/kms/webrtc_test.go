package kms_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// loopbackConfig keeps every ICE candidate of the server on loopback.
func loopbackConfig() kms.Config {
	return kms.Config{WebRTC: kms.WebRTCDefaults{LoopbackOnly: true, Logger: quietLogger()}}
}

func dial(t *testing.T, url string) *kurento.Client {
	t.Helper()
	c, err := kurento.Dial(context.Background(), url, kurento.Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newPeer(t *testing.T, o testpeer.Options) *testpeer.Peer {
	t.Helper()
	p, err := testpeer.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// eventLog records event names in arrival order.
type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(s string) {
	l.mu.Lock()
	l.events = append(l.events, s)
	l.mu.Unlock()
}

func (l *eventLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

func (l *eventLog) has(s string) bool {
	for _, e := range l.list() {
		if e == s {
			return true
		}
	}
	return false
}

// indexOf returns the position of the first event equal to s, or -1.
func (l *eventLog) indexOf(s string) int {
	for i, e := range l.list() {
		if e == s {
			return i
		}
	}
	return -1
}

func openSockets(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc")
	}
	n := 0
	for _, e := range entries {
		if l, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && strings.HasPrefix(l, "socket:") {
			n++
		}
	}
	return n
}

// connectPeer runs KMS's WebRTC signalling between a test peer and an
// endpoint: the peer's candidates go in before the offer, as the tutorials
// send them; server candidates trickle back.
func connectPeer(t *testing.T, ctx context.Context, ep *kurento.WebRtcEndpoint, peer *testpeer.Peer, log *eventLog) {
	t.Helper()
	offer, err := peer.Offer()
	if err != nil {
		t.Fatal(err)
	}
	cands, err := peer.WaitCandidates(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if err := ep.AddIceCandidate(ctx, c.Candidate, *c.SDPMid, int(*c.SDPMLineIndex)); err != nil {
			t.Fatal(err)
		}
	}
	answerSet := make(chan struct{})
	if _, err := ep.OnIceCandidateFound(ctx, func(e wire.IceCandidateFound) {
		<-answerSet
		if log != nil {
			log.add("IceCandidateFound")
		}
		if err := peer.AddRemoteCandidate(e.Candidate.Candidate, e.Candidate.SdpMid, e.Candidate.SdpMLineIndex); err != nil {
			t.Errorf("peer rejected server candidate %q: %v", e.Candidate.Candidate, err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	answer, err := ep.ProcessOffer(ctx, offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.SetAnswer(answer); err != nil {
		t.Fatalf("answer rejected by the peer: %v\n%s", err, answer)
	}
	close(answerSet)
	if err := ep.GatherCandidates(ctx); err != nil {
		t.Fatal(err)
	}
	if err := peer.WaitConnected(10 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestLoopbackStats replays the loopback-stats tutorial call for call with a
// Pion peer as the browser: media goes out, comes back identical, the stats
// move, and the events arrive in a valid order.
func TestLoopbackStats(t *testing.T) {
	leakCheck(t)
	s := startServer(t, loopbackConfig())
	ctx := context.Background()
	sockets := openSockets(t)
	c := dial(t, s.URL)
	if _, err := c.ServerManager().Info(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetLatencyStats(ctx, true); err != nil {
		t.Fatal(err)
	}
	ep, err := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	log := &eventLog{}
	for _, name := range []string{"IceGatheringDone", "IceComponentStateChanged", "ConnectionStateChanged", "MediaSessionStarted", "NewCandidatePairSelected", "DtlsConnectionStateChange", "MediaFlowInStateChanged", "MediaFlowOutStateChanged"} {
		if _, err := c.Subscribe(ctx, ep.ID(), name, func(d json.RawMessage) {
			var ev struct {
				State    string `json:"state"`
				NewState string `json:"newState"`
			}
			_ = jsonUnmarshal(d, &ev)
			log.add(strings.TrimSuffix(name+":"+ev.State+ev.NewState, ":"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	peer := newPeer(t, testpeer.Options{SendAudio: true, SendVideo: true, RecvAudio: true, RecvVideo: true})
	// Loopback: the endpoint sends back what it receives.
	connectPeer(t, ctx, ep, peer, log)
	if err := ep.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	mediaUp := make(chan struct{})
	var once sync.Once
	if _, err := ep.OnMediaStateChanged(ctx, func(e wire.StateChange) {
		if e.OldState == "DISCONNECTED" && e.NewState == "CONNECTED" {
			once.Do(func() { close(mediaUp) })
		}
	}); err != nil {
		t.Fatal(err)
	}
	peer.StartMedia()
	select {
	case <-mediaUp:
	case <-time.After(10 * time.Second):
		t.Fatal("no MediaStateChanged CONNECTED")
	}
	testutil.Eventually(t, 10*time.Second, "echoed media", func() bool {
		return peer.Received(webrtc.RTPCodecTypeVideo).Marked >= 30 && peer.Received(webrtc.RTPCodecTypeAudio).Marked >= 50
	})
	sentA, sentV := peer.Sent()
	for kind, sent := range map[webrtc.RTPCodecType]uint32{webrtc.RTPCodecTypeAudio: sentA, webrtc.RTPCodecTypeVideo: sentV} {
		r := peer.Received(kind)
		if r.Marked != r.Packets {
			t.Errorf("%s: %d of %d packets are not the peer's own payloads", kind, r.Packets-r.Marked, r.Packets)
		}
		for n := range r.Counters {
			if n == 0 || n > sent+1 {
				t.Errorf("%s: received packet #%d that was never sent (sent %d)", kind, n, sent)
			}
		}
	}

	// Server stats move and match what flows.
	st1, err := ep.Stats(ctx, wire.MediaVideo)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond)
	st2, _ := ep.Stats(ctx, wire.MediaVideo)
	in1, in2, out2 := st1.Inbound(), st2.Inbound(), st2.Outbound()
	if len(in1) != 1 || len(in2) != 1 || len(out2) != 1 {
		t.Fatalf("video stats: %d/%d inbound, %d outbound entries\n%v", len(in1), len(in2), len(out2), st2)
	}
	if in2[0].PacketsReceived <= in1[0].PacketsReceived || in2[0].BytesReceived <= in1[0].BytesReceived {
		t.Errorf("inbound counters do not move: %+v → %+v", in1[0], in2[0])
	}
	if in1[0].ID != in2[0].ID {
		t.Errorf("stats id not stable: %s → %s", in1[0].ID, in2[0].ID)
	}
	if out2[0].PacketsSent == 0 || out2[0].BytesSent == 0 || out2[0].PacketsSent > in2[0].PacketsReceived+5 {
		t.Errorf("outbound counters %+v vs inbound %+v", out2[0], in2[0])
	}
	r := peer.Received(webrtc.RTPCodecTypeVideo)
	if got := out2[0].SSRC; got == "" || got == "0" || got != itoa(r.SSRC) {
		t.Errorf("outbound ssrc %s, peer receives ssrc %d", got, r.SSRC)
	}
	if e := st2.Endpoint(); e == nil || len(e.E2ELatency) != 1 || e.E2ELatency[0].Avg <= 0 || e.E2ELatency[0].Type != "VIDEO" {
		t.Errorf("endpoint latency stats = %+v", st2.Endpoint())
	}
	if in2[0].Jitter < 0 || in2[0].Jitter > 0.5 {
		t.Errorf("loopback inbound jitter = %v", in2[0].Jitter)
	}
	// Loopback UDP can drop a packet under load: it is NACKed and resent
	// on its own SSRC (no RTX negotiated here), which counts it received,
	// so the loss returns to 0 once repaired (a count that invents losses
	// does not).
	testutil.Eventually(t, 10*time.Second, "no inbound loss left unrepaired", func() bool {
		st, err := ep.Stats(ctx, wire.MediaVideo)
		if err != nil {
			return false
		}
		in := st.Inbound()
		return len(in) == 1 && in[0].PacketsLost == 0
	})
	// The peer's receiver reports echo our sender reports: a round trip on
	// loopback is a few milliseconds.
	testutil.Eventually(t, 10*time.Second, "a round-trip time", func() bool {
		st, _ := ep.Stats(ctx, wire.MediaVideo)
		out := st.Outbound()
		return len(out) == 1 && out[0].RoundTripTime > 0 && out[0].RoundTripTime < 0.5
	})

	// Events: real transitions in a valid order.
	want := []string{"MediaSessionStarted", "IceComponentStateChanged:GATHERING", "IceCandidateFound", "IceGatheringDone",
		"IceComponentStateChanged:CONNECTED", "IceComponentStateChanged:READY", "ConnectionStateChanged:CONNECTED"}
	last := -1
	for _, w := range want {
		i := log.indexOf(w)
		if i < 0 {
			t.Fatalf("event %s missing; got %v", w, log.list())
		}
		if w == "IceGatheringDone" {
			continue // may come after the connection (trickle ICE); checked below
		}
		if i < last {
			t.Errorf("event %s out of order in %v", w, log.list())
		}
		last = i
	}
	if log.indexOf("IceGatheringDone") < log.indexOf("IceCandidateFound") {
		t.Errorf("IceGatheringDone before the candidates: %v", log.list())
	}
	if !log.has("DtlsConnectionStateChange:CONNECTED") || !log.has("NewCandidatePairSelected") {
		t.Errorf("DTLS or candidate pair events missing: %v", log.list())
	}
	testutil.Eventually(t, 10*time.Second, "media flow events", func() bool {
		return log.has("MediaFlowInStateChanged:FLOWING") && log.has("MediaFlowOutStateChanged:FLOWING")
	})
	if st, _ := ep.MediaState(ctx); st != "CONNECTED" {
		t.Errorf("getMediaState = %s", st)
	}
	flowing, err := ep.IsMediaFlowingIn(ctx, wire.MediaVideo)
	if err != nil || !flowing {
		t.Errorf("isMediaFlowingIn(VIDEO) = %v, %v", flowing, err)
	}

	// Release stops everything: goroutines (leakCheck) and sockets.
	peer.Close()
	if err := p.Release(ctx); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	testutil.Eventually(t, 10*time.Second, "sockets to close", func() bool { return openSockets(t) <= sockets })
}

func itoa(v uint32) string {
	b := []byte{}
	if v == 0 {
		return "0"
	}
	for v > 0 {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
	}
	return string(b)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
