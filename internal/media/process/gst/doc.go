// Package gst is the GStreamer side of the processing back end: it runs
// inside gorento-worker, serves the ipc protocol on fd 3 and builds one
// GStreamer pipeline per element: appsrc (RTP) → depayload → decode →
// processing → encode → payload → appsink (RTP). It needs cgo and go-gst;
// without cgo only the pure-Go helpers (descriptions, geometry, images,
// chroma keying) build, and gorento itself never imports this package.
package gst
