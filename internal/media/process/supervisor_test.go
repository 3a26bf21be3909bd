package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testutil"
)

func TestMain(m *testing.M) {
	processtest.RunFakeWorker()
	// A temp dir of this package's own: the tests count the workers' scratch
	// directories in it, and other packages' tests start workers meanwhile.
	tmp, err := os.MkdirTemp("", "gorento-process-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("TMPDIR", tmp)
	testutil.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		processtest.Cleanup()
		os.RemoveAll(tmp)
		os.Exit(code)
	}))
}

func fakeConfig(t *testing.T, mode string) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		WorkerPath:        exe,
		Env:               processtest.FakeWorkerEnv(mode),
		HeartbeatInterval: 50 * time.Millisecond,
		HangTimeout:       time.Second,
		StartTimeout:      5 * time.Second,
	}
}

var vp8Spec = Spec{
	Inputs:  []Stream{{Codec: CodecVP8, PayloadType: 96}},
	Outputs: []Stream{{Codec: CodecVP8, PayloadType: 96}},
}

// sink records what an element delivers.
type sink struct {
	packets atomic.Int64
	mu      sync.Mutex
	events  []Event
	errCh   chan error
}

func newSink() *sink { return &sink{errCh: make(chan error, 1)} }

func (s *sink) handler() Handler {
	return Handler{
		OnRTP: func(int, []byte) { s.packets.Add(1) },
		OnEvent: func(ev Event) {
			s.mu.Lock()
			s.events = append(s.events, ev)
			s.mu.Unlock()
			if ev.Kind == EventError {
				select {
				case s.errCh <- ev.Err:
				default:
				}
			}
		},
	}
}

func (s *sink) waitErr(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-s.errCh:
		return err
	case <-time.After(d):
		t.Fatal("no error event")
		return nil
	}
}

func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func create(t *testing.T, m *Manager, key string, s *sink) *Element {
	t.Helper()
	el, err := m.Create(context.Background(), key, vp8Spec, s.handler())
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return el
}

func TestEchoAndRelease(t *testing.T) {
	fds := testutil.OpenFDs(t)
	m := NewManager(fakeConfig(t, "echo"))
	s := newSink()
	el := create(t, m, "p1", s)
	for i := 0; i < 20; i++ {
		if err := el.WriteRTP(0, []byte{0x80, 96, 0, byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "20 packets back", func() bool { return s.packets.Load() == 20 })
	if st := el.Stats(); st.PacketsIn != 20 || st.PacketsOut != 20 {
		t.Fatalf("stats %+v", st)
	}
	if err := el.WriteRTP(1, []byte{0x80}); err == nil {
		t.Fatal("write to a missing input accepted")
	}
	if err := el.RequestKeyframe(context.Background(), 3); err == nil {
		t.Fatal("keyframe on a missing output accepted")
	}
	if err := el.RequestKeyframe(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if err := el.SetProperty(context.Background(), "nope", "x", "1"); !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("SetProperty on an unknown element: %v", err)
	}
	pid := el.WorkerPID()
	if err := el.Close(); err != nil {
		t.Fatal(err)
	}
	if err := el.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := el.WriteRTP(0, []byte{0x80}); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if n := m.Workers(); n != 0 {
		t.Fatalf("%d workers after the last element closed", n)
	}
	if processAlive(pid) {
		t.Fatalf("worker %d still running", pid)
	}
	eventually(t, 10*time.Second, "fds back", func() bool { return testutil.OpenFDs(t) <= fds })
}

func processAlive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

func TestOneWorkerPerKey(t *testing.T) {
	m := NewManager(fakeConfig(t, "echo"))
	defer m.Close()
	a1 := create(t, m, "a", newSink())
	a2 := create(t, m, "a", newSink())
	b := create(t, m, "b", newSink())
	if a1.WorkerPID() != a2.WorkerPID() || a1.WorkerPID() == b.WorkerPID() {
		t.Fatalf("pids a1=%d a2=%d b=%d", a1.WorkerPID(), a2.WorkerPID(), b.WorkerPID())
	}
	if m.Workers() != 2 {
		t.Fatalf("workers = %d", m.Workers())
	}
	a1.Close()
	if m.Workers() != 2 || !processAlive(a2.WorkerPID()) {
		t.Fatal("worker stopped while an element still used it")
	}
	a2.Close()
	b.Close()
	if m.Workers() != 0 {
		t.Fatalf("workers = %d after closing all", m.Workers())
	}
}

func TestFanOutOutputs(t *testing.T) {
	m := NewManager(fakeConfig(t, "echo"))
	defer m.Close()
	var per [3]atomic.Int64
	spec := Spec{Inputs: vp8Spec.Inputs, Outputs: []Stream{{Codec: CodecVP8}, {Codec: CodecH264}, {Codec: CodecVP9}}}
	el, err := m.Create(context.Background(), "t", spec, Handler{OnRTP: func(o int, _ []byte) { per[o].Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer el.Close()
	_ = el.WriteRTP(0, []byte{0x80, 1})
	eventually(t, 10*time.Second, "one packet per output", func() bool {
		return per[0].Load() == 1 && per[1].Load() == 1 && per[2].Load() == 1
	})
}

// A crash of one worker reports an error on its elements only; the others go on.
func TestCrashIsolated(t *testing.T) {
	dirs := workerTmpDirs(t)
	m := NewManager(fakeConfig(t, "echo"))
	defer m.Close()
	keys := []string{"p1", "p2", "p3"}
	sinks := make([]*sink, 3)
	els := make([]*Element, 3)
	for i, k := range keys {
		sinks[i] = newSink()
		els[i] = create(t, m, k, sinks[i])
	}
	_ = els[0].WriteRTP(0, []byte("crash"))
	err := sinks[0].waitErr(t, 10*time.Second)
	if !errors.Is(err, ErrWorkerCrashed) || !strings.Contains(err.Error(), "exit status 2") {
		t.Fatalf("error = %v", err)
	}
	if !errors.Is(els[0].WriteRTP(0, []byte{0x80}), ErrWorkerCrashed) {
		t.Fatal("write to a crashed element did not report the crash")
	}
	for i := 1; i < 3; i++ {
		before := sinks[i].packets.Load()
		_ = els[i].WriteRTP(0, []byte{0x80, 2})
		eventually(t, 10*time.Second, "others still echo", func() bool { return sinks[i].packets.Load() > before })
	}
	eventually(t, 10*time.Second, "dead worker forgotten", func() bool { return m.Workers() == 2 })
	if n := m.Failures(); n != 1 {
		t.Errorf("failures counted: %d, want 1", n)
	}
	// A new element on the crashed key gets a new worker.
	again := create(t, m, "p1", newSink())
	if again.WorkerPID() == els[0].WorkerPID() {
		t.Fatal("reused the dead worker")
	}
	for _, el := range append(els, again) {
		el.Close()
	}
	if m.Workers() != 0 {
		t.Fatalf("workers = %d", m.Workers())
	}
	if n := m.Failures(); n != 1 {
		t.Errorf("failures after clean stops: %d, want 1", n)
	}
	if n := workerTmpDirs(t); n > dirs {
		t.Fatalf("%d worker scratch directories left", n-dirs)
	}
}

func TestCleanExitReported(t *testing.T) {
	m := NewManager(fakeConfig(t, "echo"))
	defer m.Close()
	s := newSink()
	el := create(t, m, "x", s)
	defer el.Close()
	_ = el.WriteRTP(0, []byte("exit"))
	if err := s.waitErr(t, 10*time.Second); !errors.Is(err, ErrWorkerCrashed) || !strings.Contains(err.Error(), "exit status 0") {
		t.Fatalf("error = %v", err)
	}
}

func TestPipelineErrorEvent(t *testing.T) {
	m := NewManager(fakeConfig(t, "echo"))
	defer m.Close()
	s := newSink()
	el := create(t, m, "x", s)
	defer el.Close()
	_ = el.WriteRTP(0, []byte("error"))
	var pe *PipelineError
	if err := s.waitErr(t, 10*time.Second); !errors.As(err, &pe) || pe.Message != "fake pipeline error" {
		t.Fatalf("error = %v", err)
	}
}

func feed(el *Element, stop chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			_ = el.WriteRTP(0, []byte{0x80, 3})
		}
	}
}

func TestHangKilled(t *testing.T) {
	for _, tc := range []struct{ cmd, why string }{{"hang", "no "}, {"stall", "no output"}} {
		t.Run(tc.cmd, func(t *testing.T) {
			m := NewManager(fakeConfig(t, "echo"))
			defer m.Close()
			s := newSink()
			el := create(t, m, "h", s)
			defer el.Close()
			pid := el.WorkerPID()
			_ = el.WriteRTP(0, []byte(tc.cmd))
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go feed(el, stop, &wg)
			err := s.waitErr(t, 10*time.Second)
			close(stop)
			wg.Wait()
			if !errors.Is(err, ErrWorkerHung) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("error = %v", err)
			}
			eventually(t, 10*time.Second, "killed process gone", func() bool { return !processAlive(pid) })
		})
	}
}

// No input, no hang: an idle worker whose pipelines do nothing is left alone;
// a decoder waiting for a keyframe is not a hang either.
func TestIdleOrWaitingNotKilled(t *testing.T) {
	for _, mode := range []string{"idle", "keywait"} {
		t.Run(mode, func(t *testing.T) {
			cfg := fakeConfig(t, "echo")
			cfg.HangTimeout = 1500 * time.Millisecond // generous: CI runs this under load
			m := NewManager(cfg)
			defer m.Close()
			s := newSink()
			el := create(t, m, "i", s)
			defer el.Close()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			if mode == "idle" {
				// The worker stops answering, but no input is sent to it.
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				_ = el.SetProperty(ctx, "hang", "x", "1")
				cancel()
			} else {
				_ = el.WriteRTP(0, []byte("keywait"))
				wg.Add(1)
				go func() { // input flows and the decoder keeps asking for a keyframe
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						case <-time.After(100 * time.Millisecond):
							_ = el.WriteRTP(0, []byte("keywait"))
						}
					}
				}()
			}
			select {
			case err := <-s.errCh:
				t.Fatalf("killed: %v", err)
			case <-time.After(2 * cfg.HangTimeout):
			}
			close(stop)
			wg.Wait()
		})
	}
}

func TestStartFailures(t *testing.T) {
	t.Run("missing libraries", func(t *testing.T) {
		m := NewManager(fakeConfig(t, "badlib"))
		defer m.Close()
		_, err := m.Create(context.Background(), "k", vp8Spec, Handler{})
		if !errors.Is(err, ErrWorkerStart) || !strings.Contains(err.Error(), "gstreamer1.0-plugins-base") || !strings.Contains(err.Error(), "exit status 127") {
			t.Fatalf("error = %v", err)
		}
		if m.Workers() != 0 {
			t.Fatal("failed worker kept")
		}
	})
	t.Run("no handshake", func(t *testing.T) {
		cfg := fakeConfig(t, "nohello")
		cfg.StartTimeout = 300 * time.Millisecond
		m := NewManager(cfg)
		defer m.Close()
		_, err := m.Create(context.Background(), "k", vp8Spec, Handler{})
		if !errors.Is(err, ErrWorkerStart) || !strings.Contains(err.Error(), "no handshake") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("not found", func(t *testing.T) {
		m := NewManager(Config{WorkerPath: "/nonexistent/gorento-worker"})
		_, err := m.Create(context.Background(), "k", vp8Spec, Handler{})
		if !errors.Is(err, ErrWorkerNotFound) || !strings.Contains(err.Error(), "gorento-worker") || !strings.Contains(err.Error(), "gstreamer1.0-opencv") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("rejected spec", func(t *testing.T) {
		m := NewManager(fakeConfig(t, "echo"))
		defer m.Close()
		spec := vp8Spec
		spec.Processing = Processing{Kind: ProcGStreamer, Command: "fail"}
		_, err := m.Create(context.Background(), "k", spec, Handler{})
		if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), `no element "fail"`) {
			t.Fatalf("error = %v", err)
		}
		if m.Workers() != 0 {
			t.Fatal("worker kept for a rejected element")
		}
	})
	t.Run("invalid spec", func(t *testing.T) {
		m := NewManager(fakeConfig(t, "echo"))
		_, err := m.Create(context.Background(), "k", Spec{}, Handler{})
		if err == nil || m.Workers() != 0 {
			t.Fatalf("error = %v, workers %d", err, m.Workers())
		}
	})
}

func TestMaxWorkers(t *testing.T) {
	cfg := fakeConfig(t, "echo")
	cfg.MaxWorkers = 2
	m := NewManager(cfg)
	defer m.Close()
	a := create(t, m, "a", newSink())
	b := create(t, m, "b", newSink())
	if _, err := m.Create(context.Background(), "c", vp8Spec, Handler{}); !errors.Is(err, ErrTooManyWorkers) {
		t.Fatalf("third worker: %v", err)
	}
	a2 := create(t, m, "a", newSink()) // same key: no new worker
	a.Close()
	a2.Close()
	c := create(t, m, "c", newSink())
	b.Close()
	c.Close()
}

func TestCloseFromCallback(t *testing.T) {
	m := NewManager(fakeConfig(t, "echo"))
	defer m.Close()
	closed := make(chan error, 1)
	var el *Element
	ready := make(chan struct{})
	el, err := m.Create(context.Background(), "cb", vp8Spec, Handler{OnRTP: func(int, []byte) {
		<-ready
		closed <- el.Close()
	}})
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	_ = el.WriteRTP(0, []byte{0x80})
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close from a callback deadlocked")
	}
	if m.Workers() != 0 {
		t.Fatal("worker left")
	}
}

func TestManagerCloseStopsAll(t *testing.T) {
	m := NewManager(fakeConfig(t, "echo"))
	s := newSink()
	el := create(t, m, "a", s)
	create(t, m, "b", newSink())
	m.Close()
	if err := s.waitErr(t, 10*time.Second); !errors.Is(err, ErrClosed) {
		t.Fatalf("error = %v", err)
	}
	if m.Workers() != 0 {
		t.Fatal("workers left")
	}
	if _, err := m.Create(context.Background(), "c", vp8Spec, Handler{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("create after close: %v", err)
	}
	el.Close()
}

func TestCreateCloseCycles(t *testing.T) {
	fds := testutil.OpenFDs(t)
	m := NewManager(fakeConfig(t, "echo"))
	for i := 0; i < 100; i++ {
		s := newSink()
		el := create(t, m, "cycle", s)
		_ = el.WriteRTP(0, []byte{0x80, byte(i)})
		if err := el.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if m.Workers() != 0 {
		t.Fatal("workers left")
	}
	eventually(t, 10*time.Second, "fds back", func() bool { return testutil.OpenFDs(t) <= fds })
}

func syscallKill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

func TestMemoryLimitApplied(t *testing.T) {
	cfg := fakeConfig(t, "echo")
	cfg.MemoryLimit = 64 << 40 // far above what the (race-instrumented) fake needs
	m := NewManager(cfg)
	defer m.Close()
	el := create(t, m, "mem", newSink())
	defer el.Close()
	limits, err := os.ReadFile("/proc/" + strconv.Itoa(el.WorkerPID()) + "/limits")
	if err != nil {
		t.Skip(err)
	}
	want := strconv.FormatInt(cfg.MemoryLimit, 10)
	for _, line := range strings.Split(string(limits), "\n") {
		if strings.HasPrefix(line, "Max address space") {
			if !strings.Contains(line, want) {
				t.Fatalf("limit not applied: %q", line)
			}
			return
		}
	}
	t.Fatal("no address-space line in /proc/pid/limits")
}

// workerTmpDirs counts the workers' scratch directories in the temp dir.
func workerTmpDirs(t *testing.T) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(os.TempDir(), "gorento-worker-*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}
