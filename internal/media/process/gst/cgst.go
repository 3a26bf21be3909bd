//go:build cgo

package gst

// The worker's GStreamer calls, in C, with every reference owned explicitly.
//
// Why not go-gst for these: its wrappers tie GStreamer references to Go
// finalizers (freed whenever the garbage collector runs, on its thread) and
// some of its accessors get ownership wrong. The one that corrupted the
// worker's heap: ElementFactory.GetMetadata frees the string
// gst_element_factory_get_metadata returns, which the factory owns (transfer
// none) — every GStreamerFilter build freed its elements' "klass" strings
// again, and the worker aborted a few builds later in malloc
// (docs/processing.md, "Memory ownership in the worker"). Here:
//   - a pipeline is one reference the element owns (parsed with
//     GST_PARSE_FLAG_FATAL_ERRORS, so a failed parse leaves nothing behind) and
//     drops in teardown, after the state is NULL;
//   - elements and pads found in it are borrowed: the pipeline keeps them for
//     as long as the element keeps the pipeline;
//   - bus messages are popped, handled and unreffed by the bus goroutine;
//   - buffers in and out never get a Go wrapper: appsrc takes the buffer it is
//     pushed, appsink samples are unreffed in C after the Go callback;
//   - callbacks into Go (appsink samples, pad probes) carry a cgo.Handle that
//     GStreamer's destroy notify deletes.

/*
#cgo pkg-config: gstreamer-1.0 gstreamer-app-1.0
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/app/gstappsink.h>

extern GstFlowReturn goWorkerSample(uintptr_t h, guint8 *data, gsize size);
extern GstPadProbeReturn goWorkerProbe(uintptr_t h, GstPad *pad, GstPadProbeInfo *info);
extern void goWorkerHandleDone(uintptr_t h);

// w_parse_launch builds a pipeline; the caller owns the one reference.
static GstElement *w_parse_launch(const char *desc, GError **err) {
	GstElement *e = gst_parse_launch_full(desc, NULL, GST_PARSE_FLAG_FATAL_ERRORS, err);
	if (e != NULL && g_object_is_floating(e)) gst_object_ref_sink(e);
	return e;
}

// w_parse_bin parses a GStreamerFilter command on its own; the caller owns it.
static GstElement *w_parse_bin(const char *desc, GError **err) {
	GstElement *e = gst_parse_bin_from_description_full(desc, TRUE, NULL, GST_PARSE_FLAG_FATAL_ERRORS, err);
	if (e != NULL && g_object_is_floating(e)) gst_object_ref_sink(e);
	return e;
}

// w_bin_elements returns the elements of bin and of its sub-bins, borrowed
// (the bin keeps them), in an array the caller g_free()s.
static GstElement **w_bin_elements(GstElement *bin, guint *n) {
	GPtrArray *out = g_ptr_array_new();
	GstIterator *it = gst_bin_iterate_recurse(GST_BIN(bin));
	GValue v = G_VALUE_INIT;
	gboolean done = FALSE;
	while (!done) {
		switch (gst_iterator_next(it, &v)) {
		case GST_ITERATOR_OK:
			g_ptr_array_add(out, g_value_get_object(&v));
			g_value_reset(&v);
			break;
		case GST_ITERATOR_RESYNC:
			g_ptr_array_set_size(out, 0);
			gst_iterator_resync(it);
			break;
		default:
			done = TRUE;
		}
	}
	g_value_unset(&v);
	gst_iterator_free(it);
	*n = out->len;
	return (GstElement **)g_ptr_array_free(out, FALSE);
}

// w_child finds an element by name in bin (recursively), borrowed.
static GstElement *w_child(GstElement *bin, const char *name) {
	GstElement *e = gst_bin_get_by_name(GST_BIN(bin), name);
	if (e != NULL) gst_object_unref(e);
	return e;
}

// w_static_pad returns an element's static pad, borrowed (the element keeps it).
static GstPad *w_static_pad(GstElement *e, const char *name) {
	GstPad *p = gst_element_get_static_pad(e, name);
	if (p != NULL) gst_object_unref(p);
	return p;
}

// Factory name and class are the factory's (transfer none): never freed.
static const char *w_factory_name(GstElement *e) {
	GstElementFactory *f = gst_element_get_factory(e);
	return f == NULL ? NULL : gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f));
}
static const char *w_factory_klass(GstElement *e) {
	GstElementFactory *f = gst_element_get_factory(e);
	return f == NULL ? NULL : gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS);
}
static int w_is_uri_handler(GstElement *e) { return GST_IS_URI_HANDLER(e); }

static GstFlowReturn w_push(GstElement *src, const void *data, gsize size) {
	// gst_app_src_push_buffer takes the buffer's reference.
	return gst_app_src_push_buffer(GST_APP_SRC(src), gst_buffer_new_memdup(data, size));
}

static GstFlowReturn w_new_sample(GstAppSink *sink, gpointer user) {
	GstSample *s = gst_app_sink_pull_sample(sink);
	if (s == NULL) return GST_FLOW_EOS;
	GstFlowReturn ret = GST_FLOW_OK;
	GstBuffer *b = gst_sample_get_buffer(s);
	GstMapInfo m;
	if (b != NULL && gst_buffer_map(b, &m, GST_MAP_READ)) {
		ret = goWorkerSample((uintptr_t)user, m.data, m.size);
		gst_buffer_unmap(b, &m);
	}
	gst_sample_unref(s);
	return ret;
}

static void w_handle_done(gpointer user) { goWorkerHandleDone((uintptr_t)user); }

static void w_sink_callbacks(GstElement *sink, uintptr_t h) {
	GstAppSinkCallbacks cb;
	memset(&cb, 0, sizeof cb);
	cb.new_sample = w_new_sample;
	gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, (gpointer)h, w_handle_done);
}

static GstPadProbeReturn w_probe(GstPad *pad, GstPadProbeInfo *info, gpointer user) {
	return goWorkerProbe((uintptr_t)user, pad, info);
}

static gulong w_add_probe(GstPad *pad, GstPadProbeType mask, uintptr_t h) {
	return gst_pad_add_probe(pad, mask, w_probe, (gpointer)h, w_handle_done);
}

// w_probe_is_force_key_unit: the probed event asks upstream for a keyframe.
static int w_probe_is_force_key_unit(GstPadProbeInfo *info) {
	GstEvent *ev = gst_pad_probe_info_get_event(info);
	return ev != NULL && GST_EVENT_TYPE(ev) == GST_EVENT_CUSTOM_UPSTREAM && gst_event_has_name(ev, "GstForceKeyUnit");
}

// w_probe_map makes the probed buffer writable and maps it read-write.
static guint8 *w_probe_map(GstPadProbeInfo *info, GstMapInfo *m) {
	GstBuffer *b = gst_pad_probe_info_get_buffer(info);
	if (b == NULL) return NULL;
	b = gst_buffer_make_writable(b);
	GST_PAD_PROBE_INFO_DATA(info) = b;
	if (!gst_buffer_map(b, m, GST_MAP_READWRITE)) return NULL;
	return m->data;
}
static void w_probe_unmap(GstPadProbeInfo *info, GstMapInfo *m) {
	gst_buffer_unmap(gst_pad_probe_info_get_buffer(info), m);
}

// w_pad_size reads the width and height of a pad's current caps.
static int w_pad_size(GstPad *pad, int *w, int *h) {
	GstCaps *caps = gst_pad_get_current_caps(pad);
	int ok = 0;
	if (caps != NULL) {
		if (gst_caps_get_size(caps) > 0) {
			GstStructure *s = gst_caps_get_structure(caps, 0);
			ok = gst_structure_get_int(s, "width", w) && gst_structure_get_int(s, "height", h);
		}
		gst_caps_unref(caps);
	}
	return ok;
}

// w_force_key_unit sends an upstream force-key-unit event from a sink: the
// encoder makes its next frame a keyframe. The element takes the event.
static gboolean w_force_key_unit(GstElement *sink) {
	GstStructure *s = gst_structure_new("GstForceKeyUnit", "all-headers", G_TYPE_BOOLEAN, TRUE, "count", G_TYPE_UINT, 0, NULL);
	return gst_element_send_event(sink, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
}

// The dynamic kinds (dynamic.go) change their pipeline while it plays.
// Elements and bins they make are owned by the caller until w_bin_add
// hands that reference to the pipeline; from then on they are borrowed
// until w_bin_remove (or the pipeline's teardown) drops them. Request pads
// are borrowed from their element until w_release_pad.

// w_new_pipeline makes an empty pipeline; the caller owns it.
static GstElement *w_new_pipeline(void) {
	GstElement *p = gst_pipeline_new(NULL);
	if (p != NULL && g_object_is_floating(p)) gst_object_ref_sink(p);
	return p;
}

// w_make makes an element of a factory; the caller owns it.
static GstElement *w_make(const char *factory) {
	GstElement *e = gst_element_factory_make(factory, NULL);
	if (e != NULL && g_object_is_floating(e)) gst_object_ref_sink(e);
	return e;
}

// w_bin_add puts e in bin, which takes the caller's reference (dropped,
// and e destroyed, when it cannot be added).
static gboolean w_bin_add(GstElement *bin, GstElement *e) {
	gboolean ok = gst_bin_add(GST_BIN(bin), e); // takes its own reference: e is not floating
	gst_object_unref(e);
	return ok;
}

// w_bin_remove stops e and takes it out of bin, which drops it: e is gone
// afterwards (its pads are unlinked on the way).
static void w_bin_remove(GstElement *bin, GstElement *e) {
	gst_element_set_state(e, GST_STATE_NULL);
	gst_bin_remove(GST_BIN(bin), e);
}

// w_request_pad returns a new request pad of e (template e.g. "sink_%u"),
// borrowed: e keeps it until w_release_pad.
static GstPad *w_request_pad(GstElement *e, const char *tmpl) {
	GstPad *p = gst_element_request_pad_simple(e, tmpl);
	if (p != NULL) gst_object_unref(p);
	return p;
}

// w_release_pad gives a request pad back to its element (unlinked first):
// the pad is gone afterwards.
static void w_release_pad(GstElement *e, GstPad *p) { gst_element_release_request_pad(e, p); }

static int w_link(GstPad *src, GstPad *sink) { return gst_pad_link(src, sink) == GST_PAD_LINK_OK; }

// w_push_pts is w_push with a presentation time.
static GstFlowReturn w_push_pts(GstElement *src, const void *data, gsize size, GstClockTime pts) {
	GstBuffer *b = gst_buffer_new_memdup(data, size);
	GST_BUFFER_PTS(b) = pts;
	return gst_app_src_push_buffer(GST_APP_SRC(src), b);
}

// w_running_time is a pipeline's running time now (0 before it has a clock).
static GstClockTime w_running_time(GstElement *p) {
	GstClock *c = gst_element_get_clock(p);
	if (c == NULL) return 0;
	GstClockTime now = gst_clock_get_time(c);
	gst_object_unref(c);
	GstClockTime base = gst_element_get_base_time(p);
	return now > base ? now - base : 0;
}

// w_probe_caps_size reads the frame size of a probed caps event.
static int w_probe_caps_size(GstPadProbeInfo *info, int *w, int *h) {
	GstEvent *ev = gst_pad_probe_info_get_event(info);
	if (ev == NULL || GST_EVENT_TYPE(ev) != GST_EVENT_CAPS) return 0;
	GstCaps *caps = NULL;
	gst_event_parse_caps(ev, &caps); // the event's (transfer none)
	if (caps == NULL || gst_caps_get_size(caps) == 0) return 0;
	GstStructure *s = gst_caps_get_structure(caps, 0);
	return gst_structure_get_int(s, "width", w) && gst_structure_get_int(s, "height", h);
}

// w_wake_bus posts an empty application message so that a pop waiting on
// the bus returns now (the bus goroutine then sees it must stop).
static void w_wake_bus(GstBus *b) {
	gst_bus_post(b, gst_message_new_application(NULL, gst_structure_new_empty("gorento-wake")));
}

static const char *w_message_source(GstMessage *m) { return GST_MESSAGE_SRC_NAME(m); }
static GstMessageType w_message_type(GstMessage *m) { return GST_MESSAGE_TYPE(m); }

// w_message_error returns an error or warning message's text and first
// debug line (g_free both).
static void w_message_error(GstMessage *m, char **text, char **debug) {
	GError *err = NULL;
	if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) gst_message_parse_error(m, &err, debug);
	else gst_message_parse_warning(m, &err, debug);
	*text = g_strdup(err != NULL ? err->message : "unknown error");
	if (err != NULL) g_error_free(err);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime/cgo"
	"strings"
	"time"
	"unsafe"

	"github.com/go-gst/go-gst/gst"
)

// parseLaunch builds a pipeline from a gst-launch description; the caller
// owns it (unref).
func parseLaunch(desc string) (*C.GstElement, error) {
	return parse(desc, false)
}

// parseBin parses a description into a bin on its own; the caller owns it.
func parseBin(desc string) (*C.GstElement, error) {
	return parse(desc, true)
}

func parse(desc string, bin bool) (*C.GstElement, error) {
	cd := C.CString(desc)
	defer C.free(unsafe.Pointer(cd))
	var gerr *C.GError
	var e *C.GstElement
	if bin {
		e = C.w_parse_bin(cd, &gerr)
	} else {
		e = C.w_parse_launch(cd, &gerr)
	}
	if gerr != nil {
		msg := C.GoString(gerr.message)
		C.g_error_free(gerr)
		if e != nil { // not with FATAL_ERRORS; never keep a partial pipeline
			unref(e)
		}
		return nil, errors.New(msg)
	}
	if e == nil {
		return nil, errors.New("GStreamer built nothing")
	}
	return e, nil
}

func unref(e *C.GstElement) { C.gst_object_unref(C.gpointer(e)) }

// binElements returns the elements of bin, recursively (borrowed).
func binElements(bin *C.GstElement) []*C.GstElement {
	var n C.guint
	arr := C.w_bin_elements(bin, &n)
	defer C.g_free(C.gpointer(arr))
	if n == 0 {
		return nil
	}
	return append([]*C.GstElement(nil), unsafe.Slice(arr, int(n))...)
}

// child returns the element called name in bin (borrowed), or nil.
func child(bin *C.GstElement, name string) *C.GstElement {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return C.w_child(bin, cn)
}

// staticPad returns e's static pad called name (borrowed), or nil.
func staticPad(e *C.GstElement, name string) *C.GstPad {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return C.w_static_pad(e, cn)
}

// elementName is e's name.
func elementName(e *C.GstElement) string {
	n := C.gst_object_get_name((*C.GstObject)(unsafe.Pointer(e)))
	defer C.g_free(C.gpointer(n))
	return C.GoString(n)
}

// factoryName is the name of e's factory ("" for a bin made by the parser).
func factoryName(e *C.GstElement) string { return C.GoString(C.w_factory_name(e)) }

// factoryKlass is the "klass" metadata of e's factory (e.g. "Sink/File").
func factoryKlass(e *C.GstElement) string { return C.GoString(C.w_factory_klass(e)) }

func isURIHandler(e *C.GstElement) bool { return C.w_is_uri_handler(e) != 0 }

// setState changes e's state; a failure is reported.
func setState(e *C.GstElement, s C.GstState) bool {
	return C.gst_element_set_state(e, s) != C.GST_STATE_CHANGE_FAILURE
}

// pushRTP copies one packet into a buffer pushed to an appsrc.
func pushRTP(src *C.GstElement, pkt []byte) bool {
	return C.w_push(src, unsafe.Pointer(&pkt[0]), C.gsize(len(pkt))) == C.GST_FLOW_OK
}

func endOfStream(src *C.GstElement) { C.gst_app_src_end_of_stream((*C.GstAppSrc)(unsafe.Pointer(src))) }

// onSample makes f receive every sample of an appsink (on its streaming
// thread; data is valid during the call only).
func onSample(sink *C.GstElement, f func(data []byte)) {
	C.w_sink_callbacks(sink, C.uintptr_t(cgo.NewHandle(f)))
}

// probe is a pad probe callback; it returns a GstPadProbeReturn.
type probe func(pad *C.GstPad, info *C.GstPadProbeInfo) C.GstPadProbeReturn

// addProbe installs f on pad for mask (e.g. C.GST_PAD_PROBE_TYPE_BUFFER).
func addProbe(pad *C.GstPad, mask C.GstPadProbeType, f probe) {
	C.w_add_probe(pad, mask, C.uintptr_t(cgo.NewHandle(f)))
}

const (
	probeBuffer        = C.GST_PAD_PROBE_TYPE_BUFFER
	probeEventUpstream = C.GST_PAD_PROBE_TYPE_EVENT_UPSTREAM
	probeOK            = C.GST_PAD_PROBE_OK
)

func isForceKeyUnit(info *C.GstPadProbeInfo) bool { return C.w_probe_is_force_key_unit(info) != 0 }

// withWritableBuffer maps the probed buffer read-write for f.
func withWritableBuffer(info *C.GstPadProbeInfo, f func(pix []byte)) {
	var m C.GstMapInfo
	data := C.w_probe_map(info, &m)
	if data == nil {
		return
	}
	defer C.w_probe_unmap(info, &m)
	f(unsafe.Slice((*byte)(unsafe.Pointer(data)), int(m.size)))
}

// padSize reads the frame size from a pad's current caps.
func padSize(pad *C.GstPad) (w, h int, ok bool) {
	var cw, ch C.int
	if C.w_pad_size(pad, &cw, &ch) == 0 {
		return 0, 0, false
	}
	return int(cw), int(ch), true
}

func forceKeyUnit(sink *C.GstElement) bool { return C.w_force_key_unit(sink) != 0 }

// newPipeline makes an empty pipeline; the caller owns it (unref).
func newPipeline() (*C.GstElement, error) {
	p := C.w_new_pipeline()
	if p == nil {
		return nil, errors.New("GStreamer made no pipeline")
	}
	return p, nil
}

// makeElement makes an element of factory; the caller owns it until addToBin.
func makeElement(factory string) (*C.GstElement, error) {
	cf := C.CString(factory)
	defer C.free(unsafe.Pointer(cf))
	e := C.w_make(cf)
	if e == nil {
		return nil, fmt.Errorf("no GStreamer element %q", factory)
	}
	return e, nil
}

// addToBin puts e in bin, which takes the caller's reference: e is borrowed
// from then on (and gone, on failure).
func addToBin(bin, e *C.GstElement) error {
	if C.w_bin_add(bin, e) == 0 {
		return errors.New("cannot add an element to the pipeline")
	}
	return nil
}

// removeFromBin stops e and drops it from bin: e is gone afterwards.
func removeFromBin(bin, e *C.GstElement) { C.w_bin_remove(bin, e) }

// syncWithParent brings e to its bin's state (a piece added while playing).
func syncWithParent(e *C.GstElement) bool { return C.gst_element_sync_state_with_parent(e) != 0 }

// requestPad returns a new request pad of e (borrowed until releasePad), or nil.
func requestPad(e *C.GstElement, template string) *C.GstPad {
	ct := C.CString(template)
	defer C.free(unsafe.Pointer(ct))
	return C.w_request_pad(e, ct)
}

// releasePad gives a request pad back to e; the pad is gone afterwards.
func releasePad(e *C.GstElement, p *C.GstPad) { C.w_release_pad(e, p) }

// linkPads links src to sink.
func linkPads(src, sink *C.GstPad) bool { return C.w_link(src, sink) != 0 }

// pushRTPAt is pushRTP with a presentation time.
func pushRTPAt(src *C.GstElement, pkt []byte, pts time.Duration) bool {
	return C.w_push_pts(src, unsafe.Pointer(&pkt[0]), C.gsize(len(pkt)), C.GstClockTime(pts.Nanoseconds())) == C.GST_FLOW_OK
}

// runningTime is pipeline p's running time now.
func runningTime(p *C.GstElement) time.Duration { return time.Duration(C.w_running_time(p)) }

const probeEventDownstream = C.GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM

// probedCapsSize reads the frame size of a probed caps event.
func probedCapsSize(info *C.GstPadProbeInfo) (w, h int, ok bool) {
	var cw, ch C.int
	if C.w_probe_caps_size(info, &cw, &ch) == 0 {
		return 0, 0, false
	}
	return int(cw), int(ch), true
}

// bus is a pipeline's bus, owned.
type bus struct{ b *C.GstBus }

func pipelineBus(p *C.GstElement) bus { return bus{C.gst_element_get_bus(p)} }

func (b bus) unref() { C.gst_object_unref(C.gpointer(b.b)) }

// wake makes a pop in progress return.
func (b bus) wake() { C.w_wake_bus(b.b) }

// message is a popped bus message, owned until release.
type message struct{ m *C.GstMessage }

// pop waits up to d for a message; ok=false when none came.
func (b bus) pop(d time.Duration) (message, bool) {
	m := C.gst_bus_timed_pop(b.b, C.GstClockTime(d.Nanoseconds()))
	return message{m}, m != nil
}

// popError waits up to d for an error message and returns its text.
func (b bus) popError(d time.Duration) (string, bool) {
	m := C.gst_bus_timed_pop_filtered(b.b, C.GstClockTime(d.Nanoseconds()), C.GST_MESSAGE_ERROR)
	if m == nil {
		return "", false
	}
	msg := message{m}
	defer msg.release()
	text, _ := msg.errorText()
	return text, true
}

func (m message) release() { C.gst_mini_object_unref((*C.GstMiniObject)(unsafe.Pointer(m.m))) }

func (m message) isError() bool   { return C.w_message_type(m.m) == C.GST_MESSAGE_ERROR }
func (m message) isWarning() bool { return C.w_message_type(m.m) == C.GST_MESSAGE_WARNING }
func (m message) isElement() bool { return C.w_message_type(m.m) == C.GST_MESSAGE_ELEMENT }
func (m message) source() string  { return C.GoString(C.w_message_source(m.m)) }

// errorText returns an error or warning message's text and first debug line.
func (m message) errorText() (text, debug string) {
	var ct, cd *C.char
	C.w_message_error(m.m, &ct, &cd)
	text = C.GoString(ct)
	C.g_free(C.gpointer(ct))
	if cd != nil {
		debug = C.GoString(cd)
		C.g_free(C.gpointer(cd))
	}
	if i := strings.IndexByte(debug, '\n'); i >= 0 {
		debug = debug[:i]
	}
	return text, debug
}

// structure returns an element message's structure, valid until release.
// go-gst's Structure wraps it without taking ownership (no finalizer).
func (m message) structure() *gst.Structure {
	return gst.ToGstMessage(unsafe.Pointer(m.m)).GetStructure()
}
