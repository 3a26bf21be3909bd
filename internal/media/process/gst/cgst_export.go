//go:build cgo

package gst

// The Go ends of cgst.go's C callbacks (a file with //export may only
// declare in its preamble, so they live here).

/*
#cgo pkg-config: gstreamer-1.0
#include <stdint.h>
#include <gst/gst.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

//export goWorkerSample
func goWorkerSample(h C.uintptr_t, data *C.guint8, size C.gsize) C.GstFlowReturn {
	f := cgo.Handle(h).Value().(func([]byte))
	f(unsafe.Slice((*byte)(unsafe.Pointer(data)), int(size)))
	return C.GST_FLOW_OK
}

//export goWorkerProbe
func goWorkerProbe(h C.uintptr_t, pad *C.GstPad, info *C.GstPadProbeInfo) C.GstPadProbeReturn {
	return cgo.Handle(h).Value().(probe)(pad, info)
}

// goWorkerHandleDone is GStreamer's destroy notify of a callback's data.
//
//export goWorkerHandleDone
func goWorkerHandleDone(h C.uintptr_t) { cgo.Handle(h).Delete() }
