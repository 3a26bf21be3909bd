package process

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// The test binary doubles as a fake gorento-worker (pure Go, no GStreamer):
// TestMain runs fakeWorker when GORENTO_FAKE_WORKER is set. It speaks the real
// protocol and echoes each input packet to every output of the element.
// Packets whose payload is a command change its behaviour:
//
//	"crash"  exit at once with status 2 (as a segfaulting plugin would)
//	"exit"   exit with status 0
//	"hang"   stop everything, heartbeats included (a deadlocked process)
//	"stall"  keep the heartbeat, stop producing output (stuck pipelines)
//	"error"  report a pipeline error for this element
//	"keywait" report needKeyframe on input 0 (a decoder waiting), no output
//
// Modes from the environment: "nohello" never greets, "badlib" fails as a
// missing GStreamer library would.
func fakeWorker(mode string) {
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
			switch string(p) {
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
