package kms

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gorento/gorento/internal/media"
)

// dotDetails are the GstreamerDotDetails enum values KMS accepts.
var dotDetails = []string{"SHOW_MEDIA_TYPE", "SHOW_CAPS_DETAILS", "SHOW_NON_DEFAULT_PARAMS",
	"SHOW_STATES", "SHOW_FULL_PARAMS", "SHOW_ALL", "SHOW_VERBOSE"}

// dotParams are the parameters of the DOT methods.
type dotParams struct {
	Details string `kurento:"details,type=GstreamerDotDetails,default=SHOW_ALL"`
}

// dotMethods render Gorento's element graph in Graphviz DOT. KMS returns its
// GStreamer pipeline here; Gorento describes the elements and connections
// that carry the media instead.
func dotMethods() []*Method {
	return []*Method{
		method("getGstreamerDot", "String", func(c *call, _ dotParams) (any, error) {
			return c.server.dot(c.obj), nil
		}),
		method("dumpGstreamerDot", "", func(c *call, _ dotParams) (any, error) {
			dir := c.server.cfg.DataDir
			if dir == "" {
				return nil, errNotImplemented("dumpGstreamerDot without a data directory")
			}
			dir = filepath.Join(dir, "dot")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, kurentoError(40003, "cannot create %s: %v", dir, err)
			}
			name := strings.NewReplacer("/", "_", ".", "_").Replace(c.obj.id) + ".dot"
			if err := os.WriteFile(filepath.Join(dir, name), []byte(c.server.dot(c.obj)), 0o644); err != nil {
				return nil, kurentoError(40003, "cannot write dot file: %v", err)
			}
			return nil, nil
		}),
	}
}

// dot renders the graph of a pipeline, or of one element and its links.
func (s *Server) dot(o *Object) string {
	var elems []*Object
	s.mu.Lock()
	if o.class.isA("MediaPipeline") || o.class.isA("Hub") {
		var add func(x *Object)
		add = func(x *Object) { // hub ports are their hub's children
			for _, ch := range x.children {
				elems = append(elems, ch)
				add(ch)
			}
		}
		add(o)
	} else {
		elems = []*Object{o}
	}
	s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR;\n", o.id)
	seen := map[string]bool{}
	node := func(x *Object) {
		if !seen[x.id] {
			seen[x.id] = true
			fmt.Fprintf(&b, "  %q [label=%q shape=box];\n", x.id, x.class.Name+"\n"+x.id)
		}
	}
	for _, e := range elems {
		el := e.element()
		if el == nil {
			continue
		}
		node(e)
		for _, cn := range el.Core().SinkConnections(media.ConnectionFilter{}) {
			if sink, ok := cn.Sink.Core().Owner.(*Object); ok {
				node(sink)
				fmt.Fprintf(&b, "  %q -> %q [label=%q];\n", e.id, sink.id, mediaTypeName(cn.MediaType)+" "+cn.SourceDesc+"→"+cn.SinkDesc)
			}
		}
	}
	b.WriteString("}\n")
	return b.String()
}
