package gst

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// defaultDeny lists factories a GStreamerFilter command may never use by
// default: they read or write files, open sockets or devices, or build
// sources from URIs at run time. The class rule (sources and sinks) in
// checkFactory catches most of these too; the list also covers bins.
var defaultDeny = []string{
	"filesrc", "filesink", "multifilesrc", "multifilesink", "splitfilesrc", "splitmuxsink", "splitmuxsrc",
	"udpsrc", "udpsink", "multiudpsink", "dynudpsink", "tcpserversrc", "tcpserversink", "tcpclientsrc",
	"tcpclientsink", "multisocketsink", "socketsrc", "shmsrc", "shmsink", "fdsrc", "fdsink", "giosrc", "giosink",
	"giostreamsrc", "giostreamsink", "souphttpsrc", "souphttpclientsink", "curlhttpsink", "curlfilesink",
	"curlftpsink", "curlsmtpsink", "curlsftpsink", "rtmpsrc", "rtmpsink", "rtmp2src", "rtmp2sink", "srtsrc",
	"srtsink", "rtspsrc", "rtspclientsink", "v4l2src", "v4l2sink", "alsasrc", "alsasink", "pulsesrc", "pulsesink",
	"ximagesrc", "autovideosrc", "autoaudiosrc", "autovideosink", "autoaudiosink", "uridecodebin",
	"uridecodebin3", "urisourcebin", "playbin", "playbin3", "playsink", "appsrc", "appsink",
	"webrtcbin", "ristsrc", "ristsink", "hlssink", "hlssink2", "dashsink", "gdkpixbufsink",
	// loads an image file named in a property
	"gdkpixbufoverlay", "rsvgoverlay",
}

// checkFactory applies an element policy to one element of a command.
// klass is the factory's "klass" metadata (e.g. "Sink/File").
func checkFactory(pol *ipc.ElementPolicy, factory, klass string, uriHandler bool) error {
	if pol == nil {
		pol = &ipc.ElementPolicy{}
	}
	if len(pol.Allow) > 0 {
		if slices.Contains(pol.Allow, factory) {
			return nil
		}
		return fmt.Errorf("element %q is not allowed in a GStreamerFilter (processing.elementPolicy.allow)", factory)
	}
	if slices.Contains(pol.Deny, factory) || slices.Contains(defaultDeny, factory) {
		return fmt.Errorf("element %q is not allowed in a GStreamerFilter: it can reach files, sockets or devices (processing.elementPolicy)", factory)
	}
	if pol.AllowIO {
		return nil
	}
	for _, part := range strings.Split(klass, "/") {
		switch part {
		case "Source", "Sink", "Device":
			return fmt.Errorf("element %q (%s) is not allowed in a GStreamerFilter: sources, sinks and devices are denied (processing.elementPolicy)", factory, klass)
		}
	}
	if uriHandler {
		return fmt.Errorf("element %q reads or writes URIs and is not allowed in a GStreamerFilter (processing.elementPolicy)", factory)
	}
	return nil
}
