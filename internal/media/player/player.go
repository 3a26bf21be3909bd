// Package player is Kurento's PlayerEndpoint: it plays a file, an HTTP
// resource or an RTSP stream into the pipeline.
//
// Media comes from package source (WebM/Matroska and MP4 files and HTTP
// resources, RTSP through gortsplib), paced by its timestamps on one
// goroutine per playing player (session.go). Tracks in a codec browsers
// decode are packetised and sent as they are; a player created before
// the pipeline's WebRtcEndpoints negotiate announces its codecs
// (Pipeline.ClaimCodec), so that browsers negotiate them, as in the Kurento
// player tutorial. Tracks no browser decodes (AAC), or whose codec is not
// the one the pipeline negotiated, go through a worker leg (package
// workerleg) into the negotiated codec.
//
// States and events follow KMS: play() → START, pause() → PAUSE, stop() →
// STOP; at the end of the media the player goes to STOP, then reports
// EndOfStream (and ends the stream downstream: a recorder with
// stopOnEndOfStream finishes its file). A source that cannot be opened or
// read is an ErrorEvent after play(), never an error of play() itself.
// The output timeline is continuous across pauses and seeks (receivers
// see one stream).
package player

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/player/source"
	"github.com/gorento/gorento/internal/media/uriep"
)

// Player is a PlayerEndpoint.
type Player struct {
	core media.Core
	opts Options
	cfg  Config
	log  *slog.Logger

	mu       sync.Mutex // guards the fields below
	state    uriep.State
	released bool
	probed   source.Source // opened by New for the first play (files and HTTP)
	info     Info
	sess     *session
	pos      time.Duration // position of the last frame sent
	reported map[string]bool

	wg sync.WaitGroup // sessions
}

// Info is Kurento's VideoInfo.
type Info struct {
	Seekable     bool
	SeekableInit time.Duration
	SeekableEnd  time.Duration
	Duration     time.Duration
}

var _ media.Element = (*Player)(nil)

// New creates a player in p. It reads the source's tracks (bounded by the
// probe timeout) so that the pipeline negotiates their codecs; a source
// that cannot be read is reported when play() is called, as KMS does.
func New(p *media.Pipeline, opts Options, cfg Config, events media.EventHandler) (*Player, error) {
	cfg = cfg.withDefaults()
	if opts.NetworkCache <= 0 {
		opts.NetworkCache = 2 * time.Second
	}
	pl := &Player{opts: opts, cfg: cfg, log: cfg.Logger.With("element", "player", "uri", redact(opts.URI)), reported: map[string]bool{}}
	if err := pl.core.Init(p, pl, pl, events); err != nil {
		return nil, err
	}
	if opts.Open == nil {
		pl.probe()
	}
	return pl, nil
}

// probe opens the source, claims the codecs of its tracks for the pipeline
// and keeps it (unless live) for the first play.
func (pl *Player) probe() {
	ctx, cancel := context.WithTimeout(context.Background(), pl.cfg.ProbeTimeout)
	defer cancel()
	src, err := pl.open(ctx)
	if err != nil {
		pl.log.Info("source not readable yet", "err", err)
		return
	}
	for _, tr := range src.Tracks() {
		if c := browserCodec(tr.Codec, tr.Channels); c != nil {
			kind := media.Audio
			if tr.Codec.IsVideo() {
				kind = media.Video
			}
			pl.core.Pipeline().ClaimCodec(kind, c)
		}
	}
	pl.info = infoOf(src)
	if src.Live() {
		_ = src.Close()
		return
	}
	pl.probed = src
}

// open opens the source.
func (pl *Player) open(ctx context.Context) (source.Source, error) {
	if pl.opts.Open != nil {
		return pl.opts.Open(ctx)
	}
	if err := uriep.CheckPath(pl.opts.URI, pl.cfg.AllowedPaths); err != nil {
		return nil, fmt.Errorf("%w: %v", source.ErrInvalidURI, err)
	}
	return source.Open(ctx, pl.opts.URI, source.Options{HTTPClient: pl.cfg.HTTPClient, Timeout: pl.cfg.OpenTimeout,
		NetworkCache: pl.opts.NetworkCache, Limits: pl.cfg.Limits, Logger: pl.log})
}

func infoOf(src source.Source) Info {
	d, ok := src.Duration()
	if !ok {
		d = 0
	}
	in := Info{Seekable: src.Seekable(), Duration: d}
	if in.Seekable {
		in.SeekableEnd = d
	}
	return in
}

// Core implements media.Element.
func (pl *Player) Core() *media.Core { return &pl.core }

// URI returns the player's URI.
func (pl *Player) URI() string { return pl.opts.URI }

// UseEncodedMedia returns the constructor's flag.
func (pl *Player) UseEncodedMedia() bool { return pl.opts.UseEncodedMedia }

// State returns the current state.
func (pl *Player) State() uriep.State {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.state
}

// Play starts playing (from the start when stopped) or resumes. Like KMS it
// refuses (false, logged) a player already playing.
func (pl *Player) Play() bool {
	pl.mu.Lock()
	switch {
	case pl.released || pl.state == uriep.Start:
		pl.mu.Unlock()
		pl.log.Info("play refused", "state", pl.state)
		return false
	case pl.state == uriep.Pause:
		pl.sess.resume()
	default:
		pl.startLocked(false)
	}
	pl.state = uriep.Start
	pl.core.Post(uriep.StateChanged{State: uriep.Start})
	pl.mu.Unlock()
	pl.core.Deliver()
	return true
}

// Pause holds the position; from STOP it opens the source without playing.
func (pl *Player) Pause() bool {
	pl.mu.Lock()
	switch {
	case pl.released || pl.state == uriep.Pause:
		pl.mu.Unlock()
		pl.log.Info("pause refused", "state", pl.state)
		return false
	case pl.state == uriep.Start:
		pl.sess.pause()
	default:
		pl.startLocked(true)
	}
	pl.state = uriep.Pause
	pl.core.Post(uriep.StateChanged{State: uriep.Pause})
	pl.mu.Unlock()
	pl.core.Deliver()
	return true
}

// Stop stops playing; a later play starts from the beginning.
func (pl *Player) Stop() {
	pl.mu.Lock()
	if pl.state == uriep.Stop {
		pl.mu.Unlock()
		pl.log.Info("stop ignored: not playing")
		return
	}
	sess := pl.sess
	pl.sess = nil
	pl.state, pl.pos = uriep.Stop, 0
	pl.core.Post(uriep.StateChanged{State: uriep.Stop})
	pl.mu.Unlock()
	pl.core.Deliver()
	if sess != nil {
		sess.stop()
	}
}

// startLocked starts a session (its goroutine opens the source).
func (pl *Player) startLocked(paused bool) {
	src := pl.probed
	pl.probed = nil
	pl.pos = 0
	s := newSession(pl, src, paused)
	pl.sess = s
	pl.wg.Add(1)
	go s.run()
}

// Position returns the position of the last frame sent.
func (pl *Player) Position() time.Duration {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.pos
}

// SetPosition seeks to pos (to the keyframe at or before it). It fails
// with ErrSeek when stopped or when the media is not seekable.
func (pl *Player) SetPosition(pos time.Duration) error {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.sess == nil || !pl.info.Seekable {
		return fmt.Errorf("%w: %s", ErrSeek, map[bool]string{true: "the media is not seekable", false: "the player is stopped"}[pl.sess != nil])
	}
	if pos < 0 || (pl.info.Duration > 0 && pos > pl.info.Duration) {
		return fmt.Errorf("%w: position %v outside 0…%v", ErrSeek, pos, pl.info.Duration)
	}
	pl.pos = pos
	pl.sess.seek(pos)
	return nil
}

// VideoInfo returns what is known of the media (from the probe, then from
// the playing source).
func (pl *Player) VideoInfo() Info {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.info
}

// Release stops playing, disconnects the player and waits for its
// goroutines; nothing it opened stays open.
func (pl *Player) Release() {
	pl.mu.Lock()
	if pl.released {
		pl.mu.Unlock()
		return
	}
	pl.released = true
	sess, probed := pl.sess, pl.probed
	pl.sess, pl.probed = nil, nil
	pl.mu.Unlock()
	if sess != nil {
		sess.stop()
	}
	if probed != nil {
		_ = probed.Close()
	}
	pl.core.Detach()
	pl.wg.Wait()
}

// report posts an ErrorEvent, once per distinct message.
func (pl *Player) report(err error) {
	pl.mu.Lock()
	msg := err.Error()
	first := !pl.reported[msg]
	pl.reported[msg] = true
	if first {
		pl.core.Post(media.ErrorEvent{Err: err})
	}
	pl.mu.Unlock()
	if first {
		pl.log.Warn("player error", "err", err)
		pl.core.Deliver()
	}
}

// Consume implements media.Handler: a player takes no media.
func (pl *Player) Consume(*media.SinkPad, *media.Packet) {}

// RequestKeyframe implements media.Handler: a transcoded track makes one;
// encoded media sent as it is cannot (receivers wait for the file's next
// keyframe).
func (pl *Player) RequestKeyframe(p *media.SourcePad) {
	pl.mu.Lock()
	sess := pl.sess
	pl.mu.Unlock()
	if sess != nil {
		sess.keyframe(p.MediaType())
	}
}

// BitrateEstimate implements media.Handler.
func (pl *Player) BitrateEstimate(*media.SinkPad) uint64 { return 0 }

// SourceChanged implements media.Handler.
func (pl *Player) SourceChanged(*media.SinkPad) {}

// Forwards implements media.Handler: nothing entering leaves (it takes no media).
func (pl *Player) Forwards() bool { return false }

// redact hides the password of a URI in logs.
func redact(uri string) string {
	if u, err := url.Parse(uri); err == nil {
		return u.Redacted()
	}
	return "(unparsable URI)"
}

// errorKind is the source error an open or read failure wraps.
func errorKind(err error) error {
	for _, k := range []error{source.ErrInvalidURI, source.ErrInvalidMedia, source.ErrUnsupportedScheme} {
		if errors.Is(err, k) {
			return err
		}
	}
	if errors.Is(err, container.ErrInvalidData) || errors.Is(err, container.ErrTooLarge) {
		return fmt.Errorf("%w: %v", source.ErrInvalidMedia, err)
	}
	return fmt.Errorf("%w: %v", source.ErrInvalidURI, err)
}
