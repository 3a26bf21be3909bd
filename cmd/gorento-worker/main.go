//go:build cgo

// Command gorento-worker runs GStreamer media processing for gorento: filters,
// transcoding, mixing. gorento starts one per MediaPipeline and talks to it
// over the SOCK_SEQPACKET socket it passes as fd 3 (package
// internal/media/process/ipc). It is not meant to be run by hand.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/gorento/gorento/internal/media/process/gst"
	"github.com/gorento/gorento/internal/media/process/ipc"
)

func main() {
	code := 0
	defer func() { os.Exit(code) }() // after the deferred clean-up
	if len(os.Args) > 1 && (os.Args[1] == "-version" || os.Args[1] == "--version") {
		fmt.Println("gorento-worker, GStreamer", gst.GStreamerVersion())
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// facedetect's OpenCV complains on stderr about optional cascades
	// (nose, mouth) Debian does not ship; they are not used.
	if os.Getenv("OPENCV_LOG_LEVEL") == "" {
		os.Setenv("OPENCV_LOG_LEVEL", "SILENT")
	}
	f := os.NewFile(3, "gorento-ipc")
	conn, err := ipc.FileConn(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorento-worker: fd 3 is not gorento's socket (this program is started by gorento):", err)
		os.Exit(2)
	}
	// FileConn made a close-on-exec copy: close fd 3 itself so that helper
	// processes GStreamer may spawn (gst-plugin-scanner) do not inherit it.
	f.Close()
	hb, err := time.ParseDuration(os.Getenv("GORENTO_WORKER_HEARTBEAT"))
	if err != nil || hb <= 0 {
		hb = time.Second
	}
	// gorento makes (and removes) the scratch directory for fetched images;
	// run by hand without it, the worker makes its own.
	tmp := os.Getenv("GORENTO_WORKER_TMPDIR")
	if tmp == "" {
		if tmp, err = os.MkdirTemp("", "gorento-worker-"); err != nil {
			log.Error("temp dir", "err", err)
			os.Exit(1)
		}
		defer os.RemoveAll(tmp)
	}
	if err := gst.NewServer(conn, hb, tmp, log).Serve(); err != nil {
		log.Error("gorento-worker", "err", err)
		code = 1
	}
}
