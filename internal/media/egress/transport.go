package egress

import (
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media"
)

// RTCPWriter sends RTCP on a transport (Pion's PeerConnection.WriteRTCP):
// the sender reports of its tracks.
type RTCPWriter interface {
	WriteRTCP(pkts []rtcp.Packet) error
}

// TransportParams configure a transport.
type TransportParams struct {
	// RTCP sends the tracks' sender reports (nil: none are sent).
	RTCP RTCPWriter
	// Hooks see what the transport sends and receives (nil: none); when
	// they implement Pacer they also pace it.
	Hooks TransportHooks
	// OnError is told when the transport stops sending (ErrPathChanged),
	// on its worker: it must not block.
	OnError func(error)
}

// Transport is what one WebRtcEndpoint sends: its tracks (downtracks),
// owned by one worker for life.
type Transport struct {
	w      *worker
	p      TransportParams
	pacer  Pacer
	closed atomic.Bool

	mu     sync.Mutex // guards tracks
	tracks []*Downtrack

	fastOn atomic.Bool // fast != nil, for readers off the worker

	// Worker-owned.
	detached bool      // the worker no longer serves it
	stopped  bool      // sends nothing any more (ErrPathChanged)
	fast     *FastPath // nil: Pion's writer
	cc       twccSeq   // transport-wide sequence numbers (twcc.go)
	round    uint64    // worker round the run fields belong to
	runHead  int32     // first and last of this round's packets in worker.local
	runTail  int32
	srs      []rtcp.Packet // scratch of sendReports
	srCheck  int64         // sendReports looks at the tracks again at this time (sr.go)
}

func newTransport(w *worker, p TransportParams) *Transport {
	t := &Transport{w: w, p: p}
	t.pacer, _ = p.Hooks.(Pacer)
	if !w.post(op{kind: opAttach, t: t}) {
		t.closed.Store(true)
	}
	return t
}

// TrackParams configure a downtrack.
type TrackParams struct {
	Kind media.MediaType
	// OnGap is called (on the producer's goroutine) when a packet of a
	// video track was lost on the way to the worker (its queue was full):
	// the track drops up to the next keyframe, which it should ask for.
	OnGap func()
}

// AddTrack adds a track to the transport; it sends once bound.
func (t *Transport) AddTrack(p TrackParams) *Downtrack {
	d := newDowntrack(t, p)
	t.mu.Lock()
	t.tracks = append(t.tracks, d)
	t.mu.Unlock()
	return d
}

// OnRTCP hands the RTCP that receivers sent about the transport's tracks
// to its hooks, on its worker (nothing happens without hooks). NACKs go
// to Downtrack.NACK.
func (t *Transport) OnRTCP(pkts []rtcp.Packet) {
	if t.p.Hooks == nil || t.closed.Load() {
		return
	}
	t.w.post(op{kind: opRTCP, t: t, rtcp: pkts})
}

// Close stops the transport: it returns once its worker no longer sends
// for it (packets still queued for it are released unsent). Idempotent.
func (t *Transport) Close() {
	if t.closed.Swap(true) {
		return
	}
	done := make(chan struct{})
	if t.w.post(op{kind: opDetach, t: t, done: done}) {
		<-done
	}
}

// Worker is the index of the worker serving the transport.
func (t *Transport) Worker() int { return t.w.id }

func (t *Transport) onRTCP(pkts []rtcp.Packet, now int64) {
	if t.p.Hooks != nil {
		t.p.Hooks.OnRTCP(pkts, now)
	}
}

// tick runs the transport's timers on its worker.
func (t *Transport) tick(now int64) {
	t.sendReports(now)
	if t.p.Hooks != nil {
		t.p.Hooks.OnTick(now)
	}
}
