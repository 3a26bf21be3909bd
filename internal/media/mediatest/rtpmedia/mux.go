package rtpmedia

import (
	"os"
	"sort"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/webm"
	"github.com/gorento/gorento/internal/media/frames"
)

// Received is the RTP of one received track, in arrival order; At, when
// set, holds each packet's arrival time (else all tracks start at 0).
type Received struct {
	Codec   frames.Codec
	Packets []*rtp.Packet
	At      []time.Duration
}

// Mux writes received tracks into a Matroska file at path — RTP through
// frames.Depacketizer into the container muxer — so that ffprobe can
// decode what a receiver got. It returns the frames per track.
func Mux(t testing.TB, path string, tracks ...Received) []int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var decl []container.Track
	for _, tr := range tracks {
		ct := container.Track{Codec: tr.Codec}
		if tr.Codec == frames.Opus {
			ct.Channels = 2
		}
		decl = append(decl, ct)
	}
	m, err := webm.NewMuxer(f, webm.Matroska, decl, container.WithStartWait(0))
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, len(tracks))
	type item struct {
		track int
		s     container.Sample
	}
	var all []item
	for i, tr := range tracks {
		dp, err := frames.NewDepacketizer(tr.Codec)
		if err != nil {
			t.Fatal(err)
		}
		clock := frames.NewClock(dp.ClockRate())
		var unwrap frames.TimestampUnwrapper
		for j, p := range tr.Packets {
			ext := unwrap.Unwrap(p.Timestamp)
			if j == 0 {
				at := time.Duration(0)
				if len(tr.At) > 0 {
					at = tr.At[0]
				}
				clock.Anchor(ext, at)
			}
			dp.Push(p)
			for {
				fr, ok := dp.Pop()
				if !ok {
					break
				}
				all = append(all, item{i, container.Sample{Track: i, PTS: clock.Time(fr.Timestamp), Keyframe: fr.Keyframe, Data: fr.Data}})
				counts[i]++
			}
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].s.PTS < all[b].s.PTS })
	for _, it := range all {
		if err := m.WriteSample(it.s); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return counts
}
