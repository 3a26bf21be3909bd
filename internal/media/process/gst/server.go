//go:build cgo

package gst

/*
#cgo pkg-config: gstreamer-1.0
#include <gst/gst.h>
#include <stdlib.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/go-gst/go-gst/gst"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// Server is the worker's protocol loop and its elements.
type Server struct {
	conn      *ipc.Conn
	heartbeat time.Duration
	images    *imageStore
	log       *slog.Logger

	progress atomic.Uint64 // RTP packets produced, all elements

	mu       sync.Mutex // guards elements
	elements map[uint32]*element
}

// GStreamerVersion returns the runtime GStreamer version string.
func GStreamerVersion() string {
	s := C.gst_version_string()
	defer C.free(unsafe.Pointer(s))
	return C.GoString(s)
}

// NewServer initialises GStreamer and returns a server on conn. tmpDir
// keeps fetched images; it is the caller's to remove.
func NewServer(conn *ipc.Conn, heartbeat time.Duration, tmpDir string, log *slog.Logger) *Server {
	gst.Init(nil)
	return &Server{conn: conn, heartbeat: heartbeat, images: newImageStore(tmpDir), log: log, elements: map[uint32]*element{}}
}

// Serve runs until gorento closes its end (or asks for shutdown), then
// releases every element.
func (s *Server) Serve() error {
	if err := s.conn.SendJSON(ipc.Header{Type: ipc.TypeHello}, ipc.Hello{PID: os.Getpid(), GStreamer: GStreamerVersion()}); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.heartbeats(stop)
	}()
	err := s.loop()
	close(stop)
	wg.Wait()
	s.mu.Lock()
	els := s.elements
	s.elements = map[uint32]*element{}
	s.mu.Unlock()
	for _, el := range els {
		el.release()
	}
	// Each control goroutine tears its element down after its queued
	// requests; gorento kills a worker that takes too long to exit.
	for _, el := range els {
		<-el.done
	}
	if strings.Contains(os.Getenv("GST_TRACERS"), "leaks") {
		// Every element is gone: the leaks tracer reports what is still
		// alive at deinit (docs/processing.md, checking the worker).
		C.gst_deinit()
	}
	return err
}

func (s *Server) heartbeats(stop chan struct{}) {
	t := time.NewTicker(s.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.mu.Lock()
			n := len(s.elements)
			s.mu.Unlock()
			if err := s.conn.SendJSON(ipc.Header{Type: ipc.TypeHeartbeat}, ipc.Heartbeat{Progress: s.progress.Load(), Elements: n}); err != nil {
				return
			}
		}
	}
}

func (s *Server) loop() error {
	buf := make([]byte, ipc.MaxMessage+1)
	for {
		h, payload, err := s.conn.Recv(buf)
		if err != nil {
			return nil // gorento closed its end: exit
		}
		switch h.Type {
		case ipc.TypeRTP:
			s.mu.Lock()
			el := s.elements[h.Element]
			s.mu.Unlock()
			if el != nil {
				el.push(int(h.Stream), payload)
			}
		case ipc.TypeControl:
			var c ipc.Control
			if err := json.Unmarshal(payload, &c); err != nil {
				return fmt.Errorf("control message: %w", err)
			}
			if c.Op == ipc.OpShutdown {
				return nil
			}
			s.control(h.Element, c)
		default:
			return fmt.Errorf("unexpected %s message from gorento", h.Type)
		}
	}
}

// control dispatches one request. Create and the element's later requests
// run on the element's own control goroutine (in order), so a slow one
// (fetching an image) never stalls media of other elements.
func (s *Server) control(id uint32, c ipc.Control) {
	s.mu.Lock()
	el := s.elements[id]
	if c.Op == ipc.OpCreate {
		if el != nil {
			s.mu.Unlock()
			s.reply(id, c.Req, fmt.Errorf("element %d exists", id))
			return
		}
		el = newElement(s, id)
		s.elements[id] = el
	}
	if c.Op == ipc.OpRelease {
		delete(s.elements, id)
	}
	s.mu.Unlock()
	if el == nil {
		if c.Op == ipc.OpRelease {
			s.reply(id, c.Req, nil) // already gone (failed create)
			return
		}
		s.reply(id, c.Req, fmt.Errorf("no element %d", id))
		return
	}
	el.enqueue(c)
}

func (s *Server) reply(id uint32, req uint64, err error) {
	r := ipc.Reply{Req: req}
	if err != nil {
		r.Error = err.Error()
	}
	_ = s.conn.SendJSON(ipc.Header{Type: ipc.TypeReply, Element: id}, r)
}

func (s *Server) event(id uint32, e ipc.Event) {
	_ = s.conn.SendJSON(ipc.Header{Type: ipc.TypeEvent, Element: id}, e)
}

// forget drops a failed element from the table (its release will find nothing).
func (s *Server) forget(id uint32, el *element) {
	s.mu.Lock()
	if s.elements[id] == el {
		delete(s.elements, id)
	}
	s.mu.Unlock()
}
