package kms

import "github.com/gorento/gorento/internal/media"

// graphNode and graphLink are a pipeline's elements and the connections
// between them: what getGstreamerDot renders in DOT and the admin console
// draws (admin.go).
type graphNode struct{ obj *Object }

type graphLink struct {
	source, sink       *Object
	mediaType          media.MediaType
	sourcePad, sinkPad string
	flowing            bool
}

// graph returns the elements of a pipeline (a hub's ports are its
// children), the ports of a hub, or one element and the elements it feeds,
// with the connections leaving them.
func (s *Server) graph(o *Object) ([]graphNode, []graphLink) {
	var elems []*Object
	s.mu.Lock()
	if o.class.isA("MediaPipeline") || o.class.isA("Hub") {
		var add func(x *Object)
		add = func(x *Object) {
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
	var nodes []graphNode
	var links []graphLink
	seen := map[*Object]bool{}
	node := func(x *Object) {
		if !seen[x] {
			seen[x] = true
			nodes = append(nodes, graphNode{obj: x})
		}
	}
	for _, e := range elems {
		el := e.element()
		if el == nil {
			continue
		}
		node(e)
		for _, cn := range el.Core().SinkConnections(media.ConnectionFilter{}) {
			sink, ok := cn.Sink.Core().Owner.(*Object)
			if !ok {
				continue
			}
			node(sink)
			links = append(links, graphLink{source: e, sink: sink, mediaType: cn.MediaType, sourcePad: cn.SourceDesc,
				sinkPad: cn.SinkDesc, flowing: el.Core().IsFlowingOut(cn.MediaType, cn.SourceDesc)})
		}
	}
	return nodes, links
}
