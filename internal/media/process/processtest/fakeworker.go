// Package processtest helps test code that runs gorento-worker processes:
// a fake worker (the test binary re-executed, pure Go), the real worker
// binary, and media made and decoded with gst-launch-1.0 at test time.
// It imports only the wire protocol, so package process's own tests use it too.
package processtest

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// FakeWorker is a fake gorento-worker (pure Go, no GStreamer) that a test
// binary becomes when its TestMain calls RunFakeWorker. It speaks the real
// protocol and echoes each input packet to every output of the element.
// Packets that are a command, or an RTP packet (12-byte header) whose
// payload is one, change its behaviour:
//
//	"crash"  exit at once with status 2 (as a segfaulting plugin would)
//	"exit"   exit with status 0
//	"hang"   stop everything, heartbeats included (a deadlocked process)
//	"stall"  keep the heartbeat, stop producing output (stuck pipelines)
//	"error"  report a pipeline error for this element
//	"keywait" report needKeyframe on input 0 (a decoder waiting), no output
//
// Control requests "keyframe" and "bitrate" are answered and reported back
// as an EventMessage named after the op (Fields: stream, target), so tests
// see what reached the worker. Modes from the environment: "nohello" never
// greets, "badlib" fails as a missing GStreamer library would.
func FakeWorker(mode string) {
	switch mode {
	case "badlib":
		fmt.Fprintln(os.Stderr, "gorento-worker: error while loading shared libraries: libgstreamer-1.0.so.0: cannot open shared object file")
		os.Exit(127)
	case "nohello":
		time.Sleep(time.Hour)
	}
	f := os.NewFile(3, "ipc")
	conn, err := ipc.FileConn(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake worker:", err)
		os.Exit(3)
	}
	hb, _ := time.ParseDuration(os.Getenv("GORENTO_WORKER_HEARTBEAT"))
	var (
		mu       sync.Mutex
		elements = map[uint32]*ipc.Spec{}
		progress atomic.Uint64
		stalled  atomic.Bool
		hung     atomic.Bool
	)
	_ = conn.SendJSON(ipc.Header{Type: ipc.TypeHello}, ipc.Hello{PID: os.Getpid(), GStreamer: "fake"})
	go func() {
		for range time.Tick(hb) {
			if hung.Load() {
				continue
			}
			mu.Lock()
			n := len(elements)
			mu.Unlock()
			_ = conn.SendJSON(ipc.Header{Type: ipc.TypeHeartbeat}, ipc.Heartbeat{Progress: progress.Load(), Elements: n})
		}
	}()
	buf := make([]byte, ipc.MaxMessage+1)
	for {
		h, p, err := conn.Recv(buf)
		if err != nil {
			os.Exit(0) // gorento closed its end
		}
		switch h.Type {
		case ipc.TypeControl:
			var c ipc.Control
			if err := json.Unmarshal(p, &c); err != nil {
				os.Exit(4)
			}
			r := ipc.Reply{Req: c.Req}
			switch c.Op {
			case ipc.OpCreate:
				if c.Spec.Processing.Command == "fail" {
					r.Error = `no element "fail"`
					break
				}
				mu.Lock()
				elements[h.Element] = c.Spec
				mu.Unlock()
			case ipc.OpRelease:
				mu.Lock()
				delete(elements, h.Element)
				mu.Unlock()
			case ipc.OpKeyframe, ipc.OpBitrate:
				fields := map[string]any{"stream": c.Stream}
				if c.Bitrate != nil {
					fields["target"] = c.Bitrate.Target
				}
				_ = conn.SendJSON(ipc.Header{Type: ipc.TypeEvent, Element: h.Element}, ipc.Event{Kind: ipc.EventMessage, Name: c.Op, Fields: fields})
			case ipc.OpSetProperty:
				if c.Property.Element == "hang" { // hang without any input flowing
					hung.Store(true)
					select {}
				}
				if c.Property.Element != "known" {
					r.Error = fmt.Sprintf("no element named %q", c.Property.Element)
				}
			}
			_ = conn.SendJSON(ipc.Header{Type: ipc.TypeReply, Element: h.Element}, r)
		case ipc.TypeRTP:
			switch command(p) {
			case "crash":
				os.Exit(2)
			case "exit":
				os.Exit(0)
			case "hang":
				hung.Store(true)
				select {}
			case "stall":
				stalled.Store(true)
				continue
			case "error":
				_ = conn.SendJSON(ipc.Header{Type: ipc.TypeEvent, Element: h.Element}, ipc.Event{Kind: ipc.EventError, Message: "fake pipeline error"})
				continue
			case "keywait":
				stalled.Store(true)
				_ = conn.SendJSON(ipc.Header{Type: ipc.TypeEvent, Element: h.Element}, ipc.Event{Kind: ipc.EventNeedKeyframe})
				continue
			}
			if stalled.Load() {
				continue
			}
			mu.Lock()
			spec := elements[h.Element]
			mu.Unlock()
			if spec == nil {
				continue
			}
			for i := range spec.Outputs {
				_ = conn.Send(ipc.Header{Type: ipc.TypeRTP, Element: h.Element, Stream: uint32(i)}, p)
				progress.Add(1)
			}
		}
	}
}

// command returns the command a packet carries: the packet itself, or the
// payload of an RTP packet without CSRC or extension.
func command(p []byte) string {
	if len(p) > 12 && p[0] == 0x80 {
		return string(p[12:])
	}
	return string(p)
}

// FakeWorkerMode is the environment variable that makes a test binary the
// fake worker.
const FakeWorkerMode = "GORENTO_FAKE_WORKER"

// RunFakeWorker turns the process into the fake worker when the test
// binary was started as one; call it first in TestMain.
func RunFakeWorker() {
	if mode := os.Getenv(FakeWorkerMode); mode != "" {
		FakeWorker(mode)
		os.Exit(0)
	}
}

// FakeWorkerEnv is the environment (process.Config.Env) that makes the
// test binary (os.Executable, process.Config.WorkerPath) a fake worker in
// mode ("echo" for the plain one).
func FakeWorkerEnv(mode string) []string {
	// The race runtime sleeps 1 s at exit by default.
	return []string{FakeWorkerMode + "=" + mode, "GORACE=atexit_sleep_ms=0"}
}
