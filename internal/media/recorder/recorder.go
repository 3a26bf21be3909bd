// Package recorder is Kurento's RecorderEndpoint: it records the media
// reaching its sink pads into a WebM, Matroska or MP4 file, or uploads it
// over HTTP.
//
// Media arrives through the graph's slow-sink queue (media.Core.UseQueue):
// the disk or the upload server never stalls the call; a recorder that falls
// behind drops packets (video up to the next keyframe) and asks for a
// keyframe. Each track's RTP is depacketised (package frames) and placed on
// the recording's clock (feed.go); the muxer (package container) starts the
// file on a video keyframe with audio aligned, keeps gaps from loss, cuts
// paused time out and writes each ~1 s fragment as it completes, so a crash
// loses at most the last fragment.
//
// Codecs are those of Kurento's profile (WEBM: VP8 + Opus; MKV and MP4:
// H.264 + AAC): media in another codec goes through a Transcoder (the
// processing back end). Config.KeepCodecs keeps instead what the container
// can hold (docs/media-files.md).
//
// States and events follow KMS: record() → START (Recording), pause() →
// PAUSE (Paused), stop() → the file is finished in the background, then
// STOP (Stopped); a stopped recorder cannot start again. Errors (the
// destination cannot be opened, a write fails, the disk is full, media
// cannot be converted) are ErrorEvents; a write error also stops the
// recording cleanly. Events are delivered outside the recorder's lock.
package recorder

import (
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/mp4"
	"github.com/gorento/gorento/internal/media/container/webm"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/uriep"
	"github.com/gorento/gorento/internal/media/workerleg"
)

type pendingSample struct {
	kind media.MediaType
	s    container.Sample
}

// Recorder is a RecorderEndpoint.
type Recorder struct {
	core media.Core
	opts Options
	cfg  Config
	spec container.ProfileSpec
	log  *slog.Logger

	mu           sync.Mutex // guards the fields below and every track
	state        uriep.State
	stopping     bool // finishing the file in the background
	finished     bool // stopped: a recorder never starts again
	released     bool
	out          output
	mux          *container.Muxer
	tracks       [2]*track // by media type: Audio, Video; nil when not in the file
	fileSet      bool      // the file's tracks are decided (the muxer exists unless it failed)
	firstAt      time.Duration
	pending      []pendingSample // frames held until the file's tracks are decided
	pendingBytes int
	legsPrepared bool        // the tracks known at the first record() were set up
	waiting      int         // transcoders Recording waits for
	startPending bool        // Recording not reported yet
	startTimer   *time.Timer // reports it anyway
	failed       error       // the write error that stopped the recording
	reported     map[string]bool
	retired      []workerleg.Transcoder // closed outside the lock
	done         chan struct{}          // closed when a stop has finished
	eos          [2]bool
	posted       bool

	wg sync.WaitGroup // the goroutines finishing the file and waiting for end of stream
}

var (
	_ media.Element            = (*Recorder)(nil)
	_ media.Handler            = (*Recorder)(nil)
	_ media.EndOfStreamHandler = (*Recorder)(nil)
)

// New creates a recorder in p. It fails for profiles Gorento does not
// record; problems with the URI are reported by Record, as KMS does.
func New(p *media.Pipeline, opts Options, cfg Config, events media.EventHandler) (*Recorder, error) {
	if opts.Profile == "" {
		opts.Profile = container.ProfileWebM
	}
	spec, err := container.LookupProfile(opts.Profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProfile, err)
	}
	if !spec.Muxable {
		return nil, fmt.Errorf("%w: %s", ErrProfile, opts.Profile)
	}
	cfg = cfg.withDefaults()
	r := &Recorder{opts: opts, cfg: cfg, spec: spec, log: cfg.Logger.With("element", "recorder", "uri", redact(opts.URI)),
		reported: map[string]bool{}, done: make(chan struct{})}
	if err := r.core.Init(p, r, r, events); err != nil {
		return nil, err
	}
	r.core.UseQueue(cfg.Queue)
	return r, nil
}

// Core implements media.Element.
func (r *Recorder) Core() *media.Core { return &r.core }

// URI returns the recording's URI.
func (r *Recorder) URI() string { return r.opts.URI }

// Profile returns the media profile.
func (r *Recorder) Profile() container.Profile { return r.opts.Profile }

// State returns the current state.
func (r *Recorder) State() uriep.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Record starts or resumes recording. Like KMS it refuses (false, logged)
// a recorder already recording, stopping or stopped.
func (r *Recorder) Record() bool {
	r.mu.Lock()
	switch {
	case r.finished || r.stopping || r.released:
		r.mu.Unlock()
		r.log.Warn("record refused: the recorder is stopped")
		return false
	case r.state == uriep.Start:
		r.mu.Unlock()
		r.log.Info("record refused: already recording")
		return false
	}
	if r.out == nil {
		out, err := openOutput(r.opts.URI, r.spec.Type, r.spec.Video == frames.CodecUnknown, &r.cfg, r.onOutputError)
		if err != nil {
			r.finished = true
			close(r.done)
			r.reportLocked(err)
			r.mu.Unlock()
			r.core.Deliver()
			return false
		}
		r.out = out
	}
	resumed := r.state == uriep.Pause && r.mux != nil
	first := !r.legsPrepared
	r.state = uriep.Start
	if resumed {
		r.mux.Resume()
	}
	if first {
		r.legsPrepared = true
		r.prepareLegsLocked()
	}
	if r.waiting > 0 {
		// Recording is reported once the transcoders can take media, as
		// KMS reports it once its muxing pipeline plays.
		r.startPending = true
		r.startTimer = time.AfterFunc(r.cfg.StopTimeout, r.onStartTimeout)
	} else {
		r.postLocked(uriep.StateChanged{State: uriep.Start}, Recording{})
	}
	r.mu.Unlock()
	r.core.Deliver()
	r.core.Sink(media.Video).RequestKeyframe()
	return true
}

// prepareLegsLocked sets up, when recording starts, the tracks of the
// connected kinds whose codec the pipeline negotiated: a transcoder takes
// a while to start, and should be ready when media comes.
func (r *Recorder) prepareLegsLocked() {
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		pref := r.core.Pipeline().PreferredCodec(mt)
		if pref == nil || r.tracks[mt] != nil || r.core.Sink(mt).Source() == nil {
			continue
		}
		if t := r.newTrackLocked(mt, pref); t != nil {
			t.switchInput(pref)
			if t.tc != nil {
				t.waiting = true
				r.waiting++
			}
		}
	}
}

// legReadyLocked is told that a transcoder that Recording waits for is
// ready (or failed).
func (r *Recorder) legReadyLocked(t *track) {
	if !t.waiting {
		return
	}
	t.waiting = false
	if r.waiting--; r.waiting == 0 {
		r.flushStartLocked()
	}
}

// flushStartLocked reports a start that waited for transcoders.
func (r *Recorder) flushStartLocked() {
	if !r.startPending {
		return
	}
	r.startPending = false
	if r.startTimer != nil {
		r.startTimer.Stop()
	}
	r.postLocked(uriep.StateChanged{State: uriep.Start}, Recording{})
}

// onStartTimeout reports the start when transcoders are slow to start.
func (r *Recorder) onStartTimeout() {
	r.mu.Lock()
	if r.startPending {
		r.log.Warn("transcoders not ready: reporting Recording anyway", "after", r.cfg.StopTimeout)
	}
	r.flushStartLocked()
	r.afterLocked()
}

// Pause pauses recording: media is dropped and the paused time cut out.
func (r *Recorder) Pause() bool {
	r.mu.Lock()
	if r.finished || r.stopping || r.released || r.state == uriep.Pause {
		r.mu.Unlock()
		r.log.Info("pause refused", "state", r.state)
		return false
	}
	r.flushStartLocked()
	r.state = uriep.Pause
	if r.mux != nil {
		r.mux.Pause()
	}
	r.core.Post(uriep.StateChanged{State: uriep.Pause}, Paused{})
	r.mu.Unlock()
	r.core.Deliver()
	return true
}

// Stop ends the recording: the file is finished in the background and
// Stopped reported then. It returns at once.
func (r *Recorder) Stop() {
	r.mu.Lock()
	r.stopLocked()
	r.mu.Unlock()
	r.core.Deliver()
}

// StopAndWait stops and waits until the file is finished or the stop
// timeout (KMS: 4 s) passes; it reports whether the recorder is stopped.
func (r *Recorder) StopAndWait() bool {
	r.Stop()
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	t := time.NewTimer(r.cfg.StopTimeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		r.log.Warn("stopAndWait timed out; the file is finished in the background", "timeout", r.cfg.StopTimeout)
		return false
	}
}

// stopLocked starts the stop (see Stop).
func (r *Recorder) stopLocked() {
	switch {
	case r.finished || r.stopping:
		return
	case r.out == nil && r.state == uriep.Stop:
		r.log.Info("stop ignored: not recording")
		return
	case r.out == nil: // paused before recording: nothing to finish
		r.finished = true
		close(r.done)
		if r.state != uriep.Stop {
			r.state = uriep.Stop
			r.postLocked(uriep.StateChanged{State: uriep.Stop}, Stopped{})
		}
		return
	}
	r.flushStartLocked()
	r.stopping = true
	r.wg.Add(1)
	go r.finish()
}

// finish writes the last frames, closes the muxer and the destination,
// then reports STOP.
func (r *Recorder) finish() {
	defer r.wg.Done()
	r.mu.Lock()
	if !r.fileSet && r.firstAt != 0 && r.failed == nil {
		r.setupFileLocked()
	}
	for _, t := range r.tracks {
		if t != nil {
			t.flush()
			if t.tc != nil {
				r.retireLocked(t.tc)
				t.tc = nil
			}
		}
	}
	retired := r.takeRetiredLocked()
	mux, out := r.mux, r.out
	r.mu.Unlock()
	for _, tc := range retired {
		tc.Close()
	}
	var err error
	if mux != nil {
		err = mux.Close()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	r.mu.Lock()
	if err != nil && r.failed == nil {
		r.reportLocked(writeError(err))
	}
	r.stopping, r.finished = false, true
	if r.state != uriep.Stop {
		r.state = uriep.Stop
		r.postLocked(uriep.StateChanged{State: uriep.Stop}, Stopped{})
	}
	close(r.done)
	r.mu.Unlock()
	r.core.Deliver()
	r.log.Info("recording finished", "err", err)
}

// Release stops the recording (waiting up to the stop timeout, as KMS),
// disconnects the recorder and waits for its goroutines; an upload still
// waiting for its server is aborted.
func (r *Recorder) Release() {
	r.mu.Lock()
	if r.released {
		r.mu.Unlock()
		return
	}
	r.released = true
	r.mu.Unlock()
	r.StopAndWait()
	r.core.Detach()
	r.mu.Lock()
	done, out := r.done, r.out
	r.mu.Unlock()
	select {
	case <-done:
	default:
		if up, ok := out.(*upload); ok {
			up.abort()
		}
	}
	r.wg.Wait()
}

// writeLocked hands a sample to the muxer (or holds it until the muxer
// exists); a write error stops the recording.
func (r *Recorder) writeLocked(kind media.MediaType, s container.Sample) {
	if r.failed != nil {
		return
	}
	if !r.fileSet {
		s.Data = append([]byte(nil), s.Data...)
		r.pending = append(r.pending, pendingSample{kind, s})
		r.pendingBytes += len(s.Data)
		return
	}
	if r.mux == nil {
		return
	}
	if err := r.mux.WriteSample(s); err != nil {
		r.failLocked(writeError(err))
	}
}

// failLocked reports a write error once and stops the recording.
func (r *Recorder) failLocked(err error) {
	if r.failed != nil {
		return
	}
	r.failed = err
	r.reportLocked(err)
	r.stopLocked()
}

// onOutputError is told of an upload failure (from the upload's goroutines).
func (r *Recorder) onOutputError(err error) {
	r.mu.Lock()
	if !r.finished {
		r.failLocked(err)
	}
	r.mu.Unlock()
	r.core.Deliver()
}

// reportLocked posts an ErrorEvent, once per distinct message.
func (r *Recorder) reportLocked(err error) {
	msg := err.Error()
	if r.reported[msg] {
		return
	}
	r.reported[msg] = true
	r.log.Warn("recording error", "err", err)
	r.postLocked(media.ErrorEvent{Err: err})
}

func (r *Recorder) postLocked(events ...media.Event) {
	r.core.Post(events...)
	r.posted = true
}

// retireLocked queues a transcoder to be closed outside the lock.
func (r *Recorder) retireLocked(tc workerleg.Transcoder) { r.retired = append(r.retired, tc) }

func (r *Recorder) takeRetiredLocked() []workerleg.Transcoder {
	l := r.retired
	r.retired = nil
	return l
}

// now is the pipeline clock's time: the recording's clock.
func (r *Recorder) now() time.Duration { return time.Duration(r.core.Pipeline().Now()) }

// Consume implements media.Handler (on the queue's goroutine).
func (r *Recorder) Consume(p *media.SinkPad, pkt *media.Packet) {
	mt := p.MediaType()
	if mt != media.Audio && mt != media.Video || pkt.Codec == nil {
		return
	}
	r.mu.Lock()
	if r.out != nil && !r.stopping && !r.finished && r.failed == nil {
		at := time.Duration(pkt.EnteredAt) // the ingress time, when the pipeline measures latency
		if at == 0 {
			at = r.now()
		}
		if r.firstAt == 0 {
			r.firstAt = at
		}
		t := r.tracks[mt]
		if t == nil && !r.fileSet {
			t = r.newTrackLocked(mt, pkt.Codec)
		}
		if t != nil {
			t.consume(pkt, at)
		}
		if !r.fileSet && r.readyLocked(at) {
			r.setupFileLocked()
		}
	}
	r.afterLocked()
}

// afterLocked unlocks, closes retired transcoders and delivers events.
func (r *Recorder) afterLocked() {
	retired, posted := r.takeRetiredLocked(), r.posted
	r.posted = false
	r.mu.Unlock()
	for _, tc := range retired {
		tc.Close()
	}
	if posted {
		r.core.Deliver()
	}
}

// onTranscoded returns the handler of the output packets of the leg-th
// transcoder of a track.
func (r *Recorder) onTranscoded(kind media.MediaType, leg uint64) func(*rtp.Packet, time.Duration) {
	return func(pkt *rtp.Packet, at time.Duration) {
		r.mu.Lock()
		if t := r.tracks[kind]; t != nil && t.leg == leg && t.tc != nil && !r.stopping && !r.finished && r.failed == nil {
			if at == 0 {
				at = r.now()
			}
			t.transcoded(pkt, at)
		}
		r.afterLocked()
	}
}

// onTranscoderReady returns the handler told that the leg-th transcoder
// of a track started.
func (r *Recorder) onTranscoderReady(kind media.MediaType, leg uint64) func() {
	return func() {
		r.mu.Lock()
		if t := r.tracks[kind]; t != nil && t.leg == leg && t.tc != nil {
			r.legReadyLocked(t)
		}
		r.afterLocked()
	}
}

// onTranscoderError returns the handler of the leg-th transcoder's failure.
func (r *Recorder) onTranscoderError(kind media.MediaType, leg uint64) func(error) {
	return func(err error) {
		r.mu.Lock()
		if t := r.tracks[kind]; t != nil && t.leg == leg && t.tc != nil && !r.finished {
			r.legReadyLocked(t)
			r.reportLocked(fmt.Errorf("%w: %v", ErrTranscode, err))
			t.refused = t.in
			t.in, t.tcFeed = nil, nil
			if t.tc != nil {
				r.retireLocked(t.tc)
				t.tc = nil
			}
		}
		r.afterLocked()
	}
}

// newTrackLocked adds the track of kind mt when its first packet arrives
// at at, before the file starts: in the profile's codec or, with
// KeepCodecs, in the incoming codec when the container holds it. Nil when
// the profile does not record that kind.
func (r *Recorder) newTrackLocked(mt media.MediaType, in *media.Codec) *track {
	codec, ok := r.spec.Accepts(frameKind(mt))
	if !ok {
		return nil
	}
	f, err := r.format()
	if err != nil {
		return nil
	}
	tr := container.Track{Codec: codec}
	if r.cfg.KeepCodecs {
		if c, err := frames.CodecFromMime(in.MimeType); err == nil && c.Kind() == frameKind(mt) && f.Supports(c) {
			tr.Codec = c
			if c == frames.AAC {
				aacTrack(&tr, in)
			}
		}
	}
	switch {
	case tr.Codec == frames.Opus:
		tr.Channels = 2
	case tr.Codec == frames.AAC && len(tr.CodecConfig) == 0 && tr.SampleRate == 0:
		tr.SampleRate, tr.Channels = 48000, 2 // the transcoder's output
	}
	t := newTrack(r, mt, -1, tr.Codec)
	t.decl = tr
	r.tracks[mt] = t
	return t
}

// readyLocked reports whether the file's tracks can be decided: every
// connected kind the profile records has sent media, or one of them has
// waited a second (or buffered too much) for the others.
func (r *Recorder) readyLocked(now time.Duration) bool {
	if r.firstAt == 0 {
		return false
	}
	if now-r.firstAt >= time.Second || r.pendingBytes > maxPending {
		return true
	}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		if _, ok := r.spec.Accepts(frameKind(mt)); ok && r.tracks[mt] == nil && r.core.Sink(mt).Source() != nil {
			return false
		}
	}
	return true
}

// maxPending bounds the frames held while the file's tracks are decided.
const maxPending = 16 << 20

// setupFileLocked creates the muxer with the tracks that have media and
// hands it the frames held so far.
func (r *Recorder) setupFileLocked() {
	r.fileSet = true
	f, err := r.format()
	if err != nil {
		r.failLocked(err)
		return
	}
	var decl []container.Track
	for _, mt := range []media.MediaType{media.Video, media.Audio} {
		if t := r.tracks[mt]; t != nil {
			t.index = len(decl)
			decl = append(decl, t.decl)
		}
	}
	opts := []container.MuxOption{container.WithFragmentDuration(r.cfg.FragmentDuration), container.WithSync(r.cfg.Sync),
		container.WithStartWait(max(r.cfg.StartWait, 0))}
	var w = r.out
	if fo, ok := r.out.(fileOutput); ok {
		w = fo // the *os.File: the muxer patches the header on close
	}
	mux, err := container.NewMuxer(w, f, decl, opts...)
	if err != nil {
		r.failLocked(fmt.Errorf("%w: %v", ErrWrite, err))
		return
	}
	r.mux = mux
	if r.state == uriep.Pause {
		mux.Pause()
	}
	pending := r.pending
	r.pending, r.pendingBytes = nil, 0
	for _, p := range pending {
		p.s.Track = r.tracks[p.kind].index
		r.writeLocked(p.kind, p.s)
	}
}

// format is the container format of the profile.
func (r *Recorder) format() (container.Format, error) {
	switch r.spec.Type {
	case container.FormatWebM:
		return webm.NewFormat(webm.WebM)
	case container.FormatMatroska:
		return webm.NewFormat(webm.Matroska)
	case container.FormatMP4:
		return mp4.NewFormat(), nil
	}
	return nil, fmt.Errorf("%w: %s", ErrProfile, r.spec.Profile)
}

// RequestKeyframe implements media.Handler: a recorder has no output.
func (r *Recorder) RequestKeyframe(*media.SourcePad) {}

// BitrateEstimate implements media.Handler: no limit from a recorder.
func (r *Recorder) BitrateEstimate(*media.SinkPad) uint64 { return 0 }

// SourceChanged implements media.Handler: a new video source starts with
// a keyframe when recording.
func (r *Recorder) SourceChanged(p *media.SinkPad) {
	if p.MediaType() == media.Video && r.State() == uriep.Start && p.Source() != nil {
		p.RequestKeyframe()
	}
}

// Forwards implements media.Handler.
func (r *Recorder) Forwards() bool { return false }

// EndOfStream implements media.EndOfStreamHandler: with StopOnEndOfStream
// the recording stops once every recorded track's stream ended, after the
// packets still queued are written.
func (r *Recorder) EndOfStream(p *media.SinkPad) {
	mt := p.MediaType()
	if !r.opts.StopOnEndOfStream || (mt != media.Audio && mt != media.Video) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.eos[mt] = true
	for _, k := range []media.MediaType{media.Audio, media.Video} {
		_, inProfile := r.spec.Accepts(frameKind(k))
		expected := r.tracks[k] != nil || (!r.fileSet && inProfile && r.core.Sink(k).Source() != nil)
		if expected && !r.eos[k] {
			return
		}
	}
	if r.finished || r.stopping || r.released {
		return
	}
	r.wg.Add(1)
	go r.stopWhenDrained()
}

// stopWhenDrained waits (up to 2 s) for the input queue to empty, then stops.
func (r *Recorder) stopWhenDrained() {
	defer r.wg.Done()
	for i := 0; i < 200; i++ {
		if st, ok := r.core.QueueStats(); !ok || st.Queued == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.log.Info("end of stream: stopping")
	r.Stop()
}

func frameKind(mt media.MediaType) frames.Kind {
	if mt == media.Audio {
		return frames.Audio
	}
	return frames.Video
}

// redact hides the password of a URI in logs.
func redact(uri string) string {
	if u, err := url.Parse(uri); err == nil {
		return u.Redacted()
	}
	return "(unparsable URI)"
}
