package kms

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	nodes, links := s.graph(o)
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n  rankdir=LR;\n", o.id)
	for _, n := range nodes {
		fmt.Fprintf(&b, "  %q [label=%q shape=box];\n", n.obj.id, n.obj.class.Name+"\n"+n.obj.id)
	}
	for _, l := range links {
		fmt.Fprintf(&b, "  %q -> %q [label=%q];\n", l.source.id, l.sink.id, mediaTypeName(l.mediaType)+" "+l.sourcePad+"→"+l.sinkPad)
	}
	b.WriteString("}\n")
	return b.String()
}
