package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
)

// rtspSource plays an RTSP stream. gortsplib's goroutines deliver RTP to
// onPacket, which depacketises it and queues frames for ReadSample; one
// goroutine of ours waits for the client to end. Close stops the client
// and waits for that goroutine.
type rtspSource struct {
	client *gortsplib.Client
	tracks []container.Track
	byPT   map[*description.Media]map[uint8]*rtspTrack
	queue  chan container.Sample
	done   chan struct{} // closed when the client has ended
	err    error         // why it ended; written before done is closed

	closeOnce sync.Once
}

type rtspTrack struct {
	mu       sync.Mutex // guards all below: UDP media may be read concurrently
	index    int
	rate     uint32
	dp       *frames.Depacketizer
	anchored bool
	rtpTS    uint32        // RTP timestamp of the last packet with a PTS
	pts      time.Duration // its PTS
	skipVid  bool          // a frame was dropped: wait for a keyframe
	dropped  uint64
}

// trackFor maps an RTSP format to a frames codec and a Depacketizer.
func trackFor(f format.Format, opts Options) (container.Track, []frames.Option, bool) {
	dopts := []frames.Option{}
	if d := min(max(opts.NetworkCache, 100*time.Millisecond), 10*time.Second); d > 0 {
		dopts = append(dopts, frames.WithMaxDelay(d))
	}
	switch f := f.(type) {
	case *format.H264:
		if f.PacketizationMode > 1 {
			return container.Track{}, nil, false
		}
		if len(f.SPS) > 0 && len(f.PPS) > 0 {
			dopts = append(dopts, frames.WithH264ParameterSets(f.SPS, f.PPS))
		}
		t := container.Track{Codec: frames.H264}
		if cfg, err := container.AVCConfig(f.SPS, f.PPS); err == nil {
			t.CodecConfig = cfg
			if w, h, err := frames.VideoSize(frames.H264, append(append([]byte{0, 0, 0, 1}, f.SPS...), 0, 0, 0, 1)); err == nil {
				t.Width, t.Height = w, h
			}
		}
		return t, dopts, true
	case *format.VP8:
		return container.Track{Codec: frames.VP8}, dopts, true
	case *format.VP9:
		return container.Track{Codec: frames.VP9}, dopts, true
	case *format.AV1:
		return container.Track{Codec: frames.AV1}, dopts, true
	case *format.Opus:
		return container.Track{Codec: frames.Opus, SampleRate: 48000, Channels: max(f.ChannelCount, 1)}, dopts, true
	case *format.G711:
		if f.SampleRate != 8000 || f.ChannelCount > 1 {
			return container.Track{}, nil, false
		}
		c := frames.PCMA
		if f.MULaw {
			c = frames.PCMU
		}
		return container.Track{Codec: c, SampleRate: 8000, Channels: 1}, dopts, true
	case *format.MPEG4Audio:
		if f.Config == nil || f.SizeLength == 0 {
			return container.Track{}, nil, false // LATM is not supported
		}
		cfg, err := f.Config.Marshal()
		if err != nil {
			return container.Track{}, nil, false
		}
		t := container.Track{Codec: frames.AAC, SampleRate: f.Config.SampleRate, Channels: int(f.Config.ChannelConfig), CodecConfig: cfg}
		dopts = append(dopts, frames.WithAAC(frames.AACConfig{SampleRate: uint32(f.Config.SampleRate), SizeLength: f.SizeLength,
			IndexLength: f.IndexLength, IndexDeltaLength: f.IndexDeltaLength}))
		return t, dopts, true
	}
	return container.Track{}, nil, false
}

func openRTSP(ctx context.Context, uri string, opts Options) (Source, error) {
	u, err := base.ParseURL(uri)
	if err != nil {
		return nil, uriError("%v", err)
	}
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, ReadTimeout: opts.Timeout, WriteTimeout: opts.Timeout}
	if err := c.Start(); err != nil {
		return nil, uriError("RTSP: %v", err)
	}
	fail := func(err error) (Source, error) {
		c.Close()
		_ = c.Wait()
		return nil, err
	}
	stop := context.AfterFunc(ctx, c.Close) // opening is bounded by ctx
	defer stop()
	desc, _, err := c.Describe(u)
	if err != nil {
		return fail(uriError("RTSP DESCRIBE %s: %v", (*url.URL)(u).Redacted(), err))
	}
	s := &rtspSource{client: c, byPT: map[*description.Media]map[uint8]*rtspTrack{},
		queue: make(chan container.Sample, opts.QueueFrames), done: make(chan struct{})}
	var medias []*description.Media
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			t, dopts, ok := trackFor(f, opts)
			if !ok {
				continue
			}
			dp, err := frames.NewDepacketizer(t.Codec, dopts...)
			if err != nil {
				continue
			}
			rt := &rtspTrack{index: len(s.tracks), rate: uint32(f.ClockRate()), dp: dp}
			if s.byPT[m] == nil {
				s.byPT[m] = map[uint8]*rtspTrack{}
				medias = append(medias, m)
			}
			s.byPT[m][f.PayloadType()] = rt
			s.tracks = append(s.tracks, t)
			break // one format per media
		}
	}
	if len(s.tracks) == 0 {
		return fail(fmt.Errorf("%w: RTSP stream has no track in a supported codec", ErrInvalidMedia))
	}
	if err := c.SetupAll(desc.BaseURL, medias); err != nil {
		return fail(uriError("RTSP SETUP: %v", err))
	}
	c.OnPacketRTPAny(s.onPacket)
	if _, err := c.Play(nil); err != nil {
		return fail(uriError("RTSP PLAY: %v", err))
	}
	if ctx.Err() != nil {
		return fail(uriError("RTSP: %v", ctx.Err()))
	}
	go func() { // owner: s; ends when the client ends (Close or failure)
		s.err = c.Wait()
		close(s.done)
	}()
	return s, nil
}

// onPacket runs on gortsplib's reading goroutines.
func (s *rtspSource) onPacket(m *description.Media, _ format.Format, pkt *rtp.Packet) {
	t := s.byPT[m][pkt.PayloadType]
	if t == nil {
		return
	}
	pts, ok := s.client.PacketPTS(m, pkt)
	t.mu.Lock()
	defer t.mu.Unlock()
	if ok {
		t.anchored, t.rtpTS = true, pkt.Timestamp
		t.pts = time.Duration(pts) * time.Second / time.Duration(t.rate)
	}
	t.dp.Push(pkt)
	for {
		f, ok := t.dp.Pop()
		if !ok {
			return
		}
		if !t.anchored {
			continue
		}
		video := f.Codec.IsVideo()
		if video && t.skipVid && !f.Keyframe {
			continue
		}
		at := t.pts + time.Duration(int32(f.RTPTimestamp-t.rtpTS))*time.Second/time.Duration(t.rate)
		select {
		case s.queue <- container.Sample{Track: t.index, PTS: at, DTS: at, Keyframe: f.Keyframe, Data: f.Data}:
			t.skipVid = false
		default: // the reader is behind: drop (video until a keyframe)
			t.dropped++
			t.skipVid = video
		}
	}
}

func (s *rtspSource) Tracks() []container.Track       { return append([]container.Track(nil), s.tracks...) }
func (s *rtspSource) Duration() (time.Duration, bool) { return 0, false }
func (s *rtspSource) Seekable() bool                  { return false }
func (s *rtspSource) Live() bool                      { return true }

func (s *rtspSource) Seek(time.Duration) (time.Duration, error) {
	return 0, container.ErrNotSeekable
}

// ReadSample waits for the next frame; after the stream ends it returns
// the queued frames, then io.EOF (Close) or the client's error.
func (s *rtspSource) ReadSample() (container.Sample, error) {
	select {
	case smp := <-s.queue:
		return smp, nil
	case <-s.done:
	}
	select {
	case smp := <-s.queue:
		return smp, nil
	default:
	}
	if s.err != nil && !errors.As(s.err, &liberrors.ErrClientTerminated{}) {
		return container.Sample{}, uriError("RTSP: %v", s.err)
	}
	return container.Sample{}, io.EOF
}

func (s *rtspSource) Close() error {
	s.closeOnce.Do(func() {
		s.client.Close()
		<-s.done
	})
	return nil
}
