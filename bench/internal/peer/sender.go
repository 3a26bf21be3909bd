package peer

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/bench/internal/media"
)

// Sender plays the looped media to every publishing peer added to it: one
// goroutine per kind writes each frame's packets to all peers in turn,
// stamping each payload's trailer just before its write.
type Sender struct {
	media *media.Media
	epoch time.Time

	mu      sync.Mutex
	streams []*stream // guarded by mu (copy-on-write)
	list    atomic.Pointer[[]*stream]
	stop    chan struct{}
	wg      sync.WaitGroup
	started bool
}

type stream struct {
	id    uint16
	track *webrtc.TrackLocalStaticRTP
	pkt   rtp.Packet
	buf   []byte
	next  atomic.Uint32 // index of the next packet
	video bool
}

// NewSender prepares a sender; Start begins sending.
func NewSender(m *media.Media, epoch time.Time) *Sender {
	s := &Sender{media: m, epoch: epoch, stop: make(chan struct{})}
	s.list.Store(&[]*stream{})
	return s
}

// Add registers a peer's tracks (it may be added while sending).
func (s *Sender) Add(p *Peer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range []*stream{
		{id: p.Cfg.StreamBase, track: p.Audio},
		{id: p.Cfg.StreamBase + 1, track: p.Video, video: true},
	} {
		if st.track == nil {
			continue
		}
		st.pkt.Header = rtp.Header{Version: 2, SequenceNumber: st.id * 1000, Timestamp: uint32(st.id) * 100000}
		st.buf = make([]byte, 1500)
		s.streams = append(s.streams, st)
	}
	cp := append([]*stream(nil), s.streams...)
	s.list.Store(&cp)
}

// Start starts the audio and video loops.
func (s *Sender) Start() {
	if s.started {
		return
	}
	s.started = true
	s.wg.Add(2)
	go s.loop(s.media.Video, true)
	go s.loop(s.media.Audio, false)
}

func (s *Sender) loop(t *media.Track, video bool) {
	defer s.wg.Done()
	next := time.Now()
	for i := 0; ; i++ {
		f := &t.Frames[i%len(t.Frames)]
		for _, st := range *s.list.Load() {
			if st.video != video {
				continue
			}
			for j, pl := range f.Payloads {
				n := copy(st.buf, pl)
				b := st.buf[:n]
				st.pkt.Marker = j == len(f.Payloads)-1 && video || !video
				st.pkt.SequenceNumber++
				st.pkt.Payload = b
				media.Trailer{SendNs: time.Since(s.epoch).Nanoseconds(), Index: st.next.Load(), Stream: st.id}.Put(b)
				st.next.Add(1)
				_ = st.track.WriteRTP(&st.pkt)
			}
			st.pkt.Timestamp += f.TSStep
		}
		next = next.Add(f.Duration)
		d := time.Until(next)
		if d < -time.Second { // fell far behind: do not burst to catch up
			next = time.Now()
		}
		select {
		case <-s.stop:
			return
		case <-time.After(d):
		}
	}
}

// Snapshot returns, per stream id, the index of the next packet to send.
func (s *Sender) Snapshot() map[uint16]uint32 {
	out := map[uint16]uint32{}
	for _, st := range *s.list.Load() {
		out[st.id] = st.next.Load()
	}
	return out
}

// MakeWindow builds the measurement window between two snapshots.
func MakeWindow(from, to map[uint16]uint32, fromNs, toNs int64) Window {
	w := Window{Streams: map[uint16][2]uint32{}, FromNs: fromNs, ToNs: toNs}
	for id, a := range from {
		if b, ok := to[id]; ok {
			w.Streams[id] = [2]uint32{a, b}
		}
	}
	return w
}

// Stop stops sending.
func (s *Sender) Stop() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
}
