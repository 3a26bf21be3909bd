package process

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// worker is one gorento-worker process. Its owner goroutine (run) starts it,
// waits on it, watches it and tears it down; every other goroutine of the
// worker (the reader, the exec.Cmd's stderr copier) ends before run does.
type worker struct {
	key  string
	cfg  Config
	path string
	log  *slog.Logger

	conn   *ipc.Conn     // set before ready is closed
	ready  chan struct{} // closed after the handshake (or a failed start: startErr)
	done   chan struct{} // closed when the process and all goroutines are gone
	stopCh chan struct{} // closed to ask for a clean stop
	stop   sync.Once

	startErr error // valid after ready
	pid      int
	stderr   *tailWriter

	nextElem atomic.Uint32
	nextReq  atomic.Uint64

	// Liveness, written by the reader and the elements, read by the watchdog.
	lastHeard    atomic.Int64 // unix ns of the last message from the worker
	lastInput    atomic.Int64 // unix ns of the last RTP packet sent to it
	progress     atomic.Uint64
	lastProgress atomic.Int64 // unix ns when progress last moved (or an element was created)
	lastKeyWait  atomic.Int64 // unix ns of the last needKeyframe event

	mu       sync.Mutex // guards the fields below
	elements map[uint32]*Element
	pending  map[uint64]chan ipc.Reply
	deadErr  error // set once the worker is gone: crash, hang, or clean stop
}

func newWorker(key string, cfg Config, path string) *worker {
	w := &worker{
		key: key, cfg: cfg, path: path,
		log:      cfg.Logger.With("worker", key),
		ready:    make(chan struct{}),
		done:     make(chan struct{}),
		stopCh:   make(chan struct{}),
		stderr:   newTailWriter(cfg.Logger.With("worker", key), 20),
		elements: make(map[uint32]*Element),
		pending:  make(map[uint64]chan ipc.Reply),
	}
	return w
}

// requestStop asks the owner goroutine to stop the worker; it returns at once.
func (w *worker) requestStop() { w.stop.Do(func() { close(w.stopCh) }) }

// run is the owner goroutine.
func (w *worker) run(onGone func(*worker)) {
	defer close(w.done)
	defer onGone(w)
	conn, remote, err := ipc.Socketpair()
	if err != nil {
		w.failStart(err)
		return
	}
	// The worker's scratch directory (fetched images) is gorento's to
	// remove: a killed worker cannot clean up after itself.
	tmp, err := os.MkdirTemp("", "gorento-worker-")
	if err != nil {
		conn.Close()
		remote.Close()
		w.failStart(err)
		return
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(w.path)
	cmd.ExtraFiles = []*os.File{remote} // fd 3
	cmd.Env = append(os.Environ(), append([]string{
		"GORENTO_WORKER_KEY=" + w.key,
		"GORENTO_WORKER_HEARTBEAT=" + w.cfg.HeartbeatInterval.String(),
		"GORENTO_WORKER_TMPDIR=" + tmp,
	}, w.cfg.Env...)...)
	cmd.Stdout = w.stderr
	cmd.Stderr = w.stderr
	// Its own process group (a terminal's Ctrl-C goes to gorento, which stops
	// workers itself) and killed by the kernel if gorento dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	remote.Close()
	if err != nil {
		conn.Close()
		w.failStart(fmt.Errorf("exec %s: %w", w.path, err))
		return
	}
	w.pid = cmd.Process.Pid
	if w.cfg.MemoryLimit > 0 {
		lim := &unix.Rlimit{Cur: uint64(w.cfg.MemoryLimit), Max: uint64(w.cfg.MemoryLimit)}
		if err := unix.Prlimit(w.pid, unix.RLIMIT_AS, lim, nil); err != nil {
			w.log.Warn("processing worker memory limit not applied", "pid", w.pid, "err", err)
		}
	}
	w.conn = conn
	now := time.Now().UnixNano()
	w.lastHeard.Store(now)
	w.lastProgress.Store(now)

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	readerDone := make(chan error, 1)
	hello := make(chan struct{})
	go func() { readerDone <- w.read(hello) }()

	reason := w.supervise(cmd, hello, exited, readerDone)

	// Teardown: make sure the process is gone, then the reader.
	var waitErr error
	select {
	case waitErr = <-exited:
	case <-time.After(2 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		waitErr = <-exited
	}
	conn.Close()
	<-readerDone       //nolint:errcheck // the reader ends with the connection, closed above
	if reason == nil { // the process ended on its own
		reason = fmt.Errorf("%w: %s%s", ErrWorkerCrashed, exitText(waitErr), w.stderr.hint())
	}
	w.fail(reason)
}

// supervise waits for the handshake, then until the worker must end. It
// returns nil when the process ended by itself, else the reason it was ended.
func (w *worker) supervise(cmd *exec.Cmd, hello chan struct{}, exited, readerDone chan error) error {
	kill := func() { _ = cmd.Process.Signal(syscall.SIGKILL) }
	startTimer := time.NewTimer(w.cfg.StartTimeout)
	defer startTimer.Stop()
	select {
	case <-hello:
		close(w.ready)
	case err := <-exited:
		exited <- err
		w.startErr = fmt.Errorf("%w: %s before its handshake%s", ErrWorkerStart, exitText(err), w.stderr.hint())
		close(w.ready)
		return w.startErr
	case <-readerDone: //nolint:errcheck // why the connection closed comes from the process, below
		readerDone <- nil
		why := "connection closed"
		select { // usually the process is exiting: report how
		case err := <-exited:
			exited <- err
			why = exitText(err)
		case <-time.After(time.Second):
			kill()
		}
		w.startErr = fmt.Errorf("%w: %s before its handshake%s", ErrWorkerStart, why, w.stderr.hint())
		close(w.ready)
		return w.startErr
	case <-startTimer.C:
		kill()
		w.startErr = fmt.Errorf("%w: no handshake within %s%s", ErrWorkerStart, w.cfg.StartTimeout, w.stderr.hint())
		close(w.ready)
		return w.startErr
	case <-w.stopCh:
		kill()
		w.startErr = fmt.Errorf("%w: stopped while starting", ErrWorkerStart)
		close(w.ready)
		return w.startErr
	}
	w.log.Debug("processing worker started", "pid", w.pid)

	tick := time.NewTicker(min(time.Second, w.cfg.HangTimeout/4))
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			exited <- err
			return nil
		case err := <-readerDone:
			readerDone <- err
			if err != nil {
				w.log.Warn("processing worker protocol error", "pid", w.pid, "err", err)
				kill()
				return fmt.Errorf("%w: %v", ErrWorkerCrashed, err)
			}
			return nil // EOF: the process is exiting
		case <-w.stopCh:
			// Closing our end makes the worker's read fail: it exits.
			w.conn.Close()
			return errStopped
		case now := <-tick.C:
			if why := w.hung(now); why != "" {
				w.log.Warn("processing worker hung, killing it", "pid", w.pid, "why", why)
				kill()
				return fmt.Errorf("%w: %s", ErrWorkerHung, why)
			}
		}
	}
}

var errStopped = errors.New("processing worker stopped")

// hung tells why the worker counts as hung, or "". Only while input flows:
// an idle worker harms nobody.
func (w *worker) hung(now time.Time) string {
	t := now.UnixNano()
	hang := w.cfg.HangTimeout.Nanoseconds()
	in := w.lastInput.Load()
	if in == 0 || t-in > hang {
		return ""
	}
	if silent := t - w.lastHeard.Load(); silent > hang {
		return fmt.Sprintf("no heartbeat for %s while input flows", time.Duration(silent).Round(time.Millisecond))
	}
	stall := t - w.lastProgress.Load()
	if stall > hang && t-w.lastKeyWait.Load() > hang && t-in < int64(time.Second) {
		return fmt.Sprintf("no output for %s while input flows", time.Duration(stall).Round(time.Millisecond))
	}
	return ""
}

// read is the reader goroutine: every message from the worker.
func (w *worker) read(hello chan struct{}) error {
	buf := make([]byte, ipc.MaxMessage+1)
	gotHello := false
	for {
		h, payload, err := w.conn.Recv(buf)
		if err != nil {
			var perr error
			if errors.Is(err, ipc.ErrShort) || errors.Is(err, ipc.ErrVersion) || errors.Is(err, ipc.ErrType) ||
				errors.Is(err, ipc.ErrTooBig) || errors.Is(err, ipc.ErrReserved) {
				perr = err
			}
			return perr
		}
		now := time.Now().UnixNano()
		w.lastHeard.Store(now)
		switch h.Type {
		case ipc.TypeHello:
			var hl ipc.Hello
			if err := json.Unmarshal(payload, &hl); err != nil {
				return fmt.Errorf("hello: %w", err)
			}
			if !gotHello {
				gotHello = true
				w.log.Debug("processing worker hello", "gstreamer", hl.GStreamer)
				close(hello)
			}
		case ipc.TypeHeartbeat:
			var hb ipc.Heartbeat
			if err := json.Unmarshal(payload, &hb); err != nil {
				return fmt.Errorf("heartbeat: %w", err)
			}
			if old := w.progress.Swap(hb.Progress); old != hb.Progress {
				w.lastProgress.Store(now)
			}
		case ipc.TypeReply:
			var r ipc.Reply
			if err := json.Unmarshal(payload, &r); err != nil {
				return fmt.Errorf("reply: %w", err)
			}
			w.mu.Lock()
			ch := w.pending[r.Req]
			delete(w.pending, r.Req)
			w.mu.Unlock()
			if ch != nil {
				ch <- r // buffered
			}
		case ipc.TypeEvent:
			var e ipc.Event
			if err := json.Unmarshal(payload, &e); err != nil {
				return fmt.Errorf("event: %w", err)
			}
			if e.Kind == ipc.EventNeedKeyframe {
				w.lastKeyWait.Store(now)
			}
			if el := w.element(h.Element); el != nil {
				el.deliverEvent(eventFromWire(&e))
			}
		case ipc.TypeRTP:
			if el := w.element(h.Element); el != nil {
				el.deliverRTP(int(h.Stream), payload)
			}
		default:
			return fmt.Errorf("unexpected %s message from worker", h.Type)
		}
	}
}

func (w *worker) element(id uint32) *Element {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.elements[id]
}

func (w *worker) failStart(err error) {
	w.startErr = fmt.Errorf("%w: %v", ErrWorkerStart, err)
	close(w.ready)
	w.fail(w.startErr)
}

// fail records why the worker is gone, fails pending requests and tells
// every element (outside the lock).
func (w *worker) fail(reason error) {
	w.mu.Lock()
	if w.deadErr == nil {
		w.deadErr = reason
	}
	pending := w.pending
	w.pending = map[uint64]chan ipc.Reply{}
	els := make([]*Element, 0, len(w.elements))
	for _, el := range w.elements {
		els = append(els, el)
	}
	w.mu.Unlock()
	for _, ch := range pending {
		ch <- ipc.Reply{Error: reason.Error()}
	}
	if errors.Is(reason, errStopped) {
		return
	}
	if len(els) > 0 {
		w.log.Warn("processing worker gone; its elements stop", "err", reason, "elements", len(els))
	}
	for _, el := range els {
		el.failWith(reason)
	}
}

// dead returns why the worker is gone, or nil.
func (w *worker) dead() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.deadErr
}

// request sends a control message and waits for its reply.
func (w *worker) request(ctx context.Context, elem uint32, c ipc.Control) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.cfg.RequestTimeout)
		defer cancel()
	}
	c.Req = w.nextReq.Add(1)
	ch := make(chan ipc.Reply, 1)
	w.mu.Lock()
	if w.deadErr != nil {
		err := w.deadErr
		w.mu.Unlock()
		return err
	}
	w.pending[c.Req] = ch
	w.mu.Unlock()
	drop := func() {
		w.mu.Lock()
		delete(w.pending, c.Req)
		w.mu.Unlock()
	}
	b, err := json.Marshal(c)
	if err != nil {
		drop()
		return fmt.Errorf("processing %s: %w", c.Op, err)
	}
	// Control messages never block the caller past its context: retry a full
	// socket until the deadline (a worker that stops reading is hung and the
	// watchdog kills it).
	for {
		err = w.conn.TrySend(ipc.Header{Type: ipc.TypeControl, Element: elem}, b)
		if !errors.Is(err, ipc.ErrFull) {
			break
		}
		select {
		case <-ctx.Done():
			drop()
			return fmt.Errorf("processing %s: %w", c.Op, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err != nil {
		drop()
		if d := w.dead(); d != nil {
			return d
		}
		return fmt.Errorf("processing %s: %w", c.Op, err)
	}
	select {
	case r := <-ch:
		if r.Error != "" {
			if d := w.dead(); d != nil {
				return d
			}
			return fmt.Errorf("%w: %s", ErrRejected, r.Error)
		}
		return nil
	case <-ctx.Done():
		drop()
		return fmt.Errorf("processing %s: no answer from the worker: %w", c.Op, ctx.Err())
	}
}

func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			return "killed by signal " + st.Signal().String()
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// tailWriter logs each line the worker writes and keeps the last few for
// error messages, and the first lines that say why it died: a crash ends
// with a long stack dump whose last lines (registers) explain nothing.
type tailWriter struct {
	log   *slog.Logger
	max   int
	mu    sync.Mutex // guards lines, part, fatal
	part  []byte
	lines []string
	fatal []string
}

// fatalLine reports whether a worker's line is the C library's or the Go
// runtime's reason for ending the process.
func fatalLine(l string) bool {
	for _, p := range []string{"SIG", "fatal error:", "panic:", "free(): ", "malloc(): ", "malloc_consolidate(): ",
		"double free", "corrupted ", "Segmentation fault", "Aborted"} {
		if strings.HasPrefix(l, p) || p != "SIG" && strings.Contains(l, p) {
			return true
		}
	}
	return false
}

func newTailWriter(log *slog.Logger, max int) *tailWriter { return &tailWriter{log: log, max: max} }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.part = append(t.part, p...)
	var out []string
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(t.part[:i]))
		t.part = t.part[i+1:]
		if line == "" {
			continue
		}
		out = append(out, line)
		if len(t.fatal) < 3 && fatalLine(line) {
			t.fatal = append(t.fatal, line)
		}
		t.lines = append(t.lines, line)
		if len(t.lines) > t.max {
			t.lines = t.lines[len(t.lines)-t.max:]
		}
	}
	if len(t.part) > 4096 { // a line without end: keep memory bounded
		t.part = t.part[:0]
	}
	t.mu.Unlock()
	for _, l := range out {
		t.log.Info("processing worker: " + l)
	}
	return len(p), nil
}

// hint returns the last stderr lines, and names the Debian packages when the
// dynamic linker could not find GStreamer.
func (t *tailWriter) hint() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return ""
	}
	last := t.fatal
	if len(last) == 0 {
		last = t.lines
		if len(last) > 3 {
			last = last[len(last)-3:]
		}
	}
	s := "; worker said: " + strings.Join(last, " | ")
	for _, l := range t.lines {
		if strings.Contains(l, "error while loading shared libraries") || strings.Contains(l, "gstreamer") && strings.Contains(l, "not found") {
			s += "; install the Debian packages " + debianPackages
			break
		}
	}
	return s
}
