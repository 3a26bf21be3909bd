package kurento

import (
	"context"
)

// Hub is the handle of any hub (Composite, Dispatcher, DispatcherOneToMany,
// AlphaBlending, Mixer).
type Hub struct{ MediaObject }

// HubPort is a HubPort handle: an element connecting a hub to the graph.
type HubPort struct{ MediaElement }

func (p *MediaPipeline) createHub(ctx context.Context, typ string, params map[string]any) (*Hub, error) {
	if params == nil {
		params = map[string]any{}
	}
	params["mediaPipeline"] = p.id
	id, err := p.c.Create(ctx, typ, params)
	if err != nil {
		return nil, err
	}
	return &Hub{MediaObject{c: p.c, id: id}}, nil
}

// CompositeOptions are the constructor parameters of a Composite (0: KMS's
// defaults, 800x600 at 15 fps).
type CompositeOptions struct {
	Width, Height, Framerate int
}

// CreateComposite creates a Composite in the pipeline.
func (p *MediaPipeline) CreateComposite(ctx context.Context, o CompositeOptions) (*Hub, error) {
	params := map[string]any{}
	for k, v := range map[string]int{"width": o.Width, "height": o.Height, "framerate": o.Framerate} {
		if v != 0 {
			params[k] = v
		}
	}
	return p.createHub(ctx, "Composite", params)
}

// CreateHub creates a hub without constructor parameters besides the
// pipeline: "Dispatcher", "DispatcherOneToMany", "AlphaBlending", "Mixer".
func (p *MediaPipeline) CreateHub(ctx context.Context, typ string) (*Hub, error) {
	return p.createHub(ctx, typ, nil)
}

// CreatePort creates a HubPort of the hub.
func (h *Hub) CreatePort(ctx context.Context) (*HubPort, error) {
	id, err := h.c.Create(ctx, "HubPort", map[string]any{"hub": h.id})
	if err != nil {
		return nil, err
	}
	return &HubPort{MediaElement{MediaObject{c: h.c, id: id}}}, nil
}

// ConnectPorts routes source's media to sink (Dispatcher.connect).
func (h *Hub) ConnectPorts(ctx context.Context, source, sink *HubPort) error {
	return h.Invoke(ctx, "connect", map[string]any{"source": source.id, "sink": sink.id}, nil)
}

// SetSource sets the port every port receives (DispatcherOneToMany).
func (h *Hub) SetSource(ctx context.Context, source *HubPort) error {
	return h.Invoke(ctx, "setSource", map[string]any{"source": source.id}, nil)
}

// RemoveSource stops dispatching (DispatcherOneToMany).
func (h *Hub) RemoveSource(ctx context.Context) error {
	return h.Invoke(ctx, "removeSource", nil, nil)
}

// SetMaster sets AlphaBlending's master port and its z-order.
func (h *Hub) SetMaster(ctx context.Context, source *HubPort, zOrder int) error {
	return h.Invoke(ctx, "setMaster", map[string]any{"source": source.id, "zOrder": zOrder}, nil)
}

// PortProperties place a port of an AlphaBlending, relative to the master.
type PortProperties struct {
	RelativeX, RelativeY, RelativeWidth, RelativeHeight float64
	ZOrder                                              int
}

// SetPortProperties places a port of an AlphaBlending.
func (h *Hub) SetPortProperties(ctx context.Context, port *HubPort, pp PortProperties) error {
	return h.Invoke(ctx, "setPortProperties", map[string]any{"port": port.id, "relativeX": pp.RelativeX, "relativeY": pp.RelativeY,
		"relativeWidth": pp.RelativeWidth, "relativeHeight": pp.RelativeHeight, "zOrder": pp.ZOrder}, nil)
}

// MixerConnect connects source's media of mediaType to sink (Mixer.connect).
func (h *Hub) MixerConnect(ctx context.Context, mediaType string, source, sink *HubPort) error {
	return h.Invoke(ctx, "connect", map[string]any{"media": mediaType, "source": source.id, "sink": sink.id}, nil)
}

// MixerDisconnect disconnects source's media of mediaType from sink (Mixer.disconnect).
func (h *Hub) MixerDisconnect(ctx context.Context, mediaType string, source, sink *HubPort) error {
	return h.Invoke(ctx, "disconnect", map[string]any{"media": mediaType, "source": source.id, "sink": sink.id}, nil)
}
