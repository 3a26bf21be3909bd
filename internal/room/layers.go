package room

import (
	"context"

	"github.com/gorento/gorento/pkg/kurento"
)

// receivedLayer answers getReceivedLayer {sender} (a Gorento extension of
// the room protocol): which simulcast layer of sender's stream the media
// server sends this participant, read from the subscription endpoint's
// getStats (its simulcast* and temporal* extension fields). simulcast is
// false when the stream has no layers, or the media server does not report
// them; temporalLayers 0 when it has no VP8 temporal layers. targetBitrate
// is the media server's estimate of what it may send this participant (bps).
func (s *Session) receivedLayer(ctx context.Context, params map[string]any) (any, error) {
	p, err := s.member()
	if err != nil {
		return nil, err
	}
	sender, err := str(params, "sender")
	if err != nil {
		return nil, err
	}
	name := senderName(sender)
	p.mu.Lock()
	var ep *kurento.WebRtcEndpoint
	if sub := p.subs[name]; sub != nil {
		ep = sub.ep
	}
	p.mu.Unlock()
	if ep == nil {
		return nil, roomError(CodeUserNotStreaming, "Not receiving '%s'", sender)
	}
	st, err := ep.Stats(ctx, "VIDEO")
	if err != nil {
		return nil, roomError(CodeMediaEndpoint, "Cannot read the stats of the subscription to '%s': %v", sender, err)
	}
	out := map[string]any{"simulcast": false, "layer": -1, "targetLayer": -1, "layers": 0, "layerBitrate": 0, "bytesSent": 0,
		"temporalLayer": -1, "temporalLayers": 0, "targetBitrate": 0}
	for _, o := range st.Outbound() {
		out["bytesSent"], out["targetBitrate"] = o.BytesSent, o.TargetBitrate
		if l := o.OutboundLayer; l != nil {
			out["simulcast"], out["layer"], out["targetLayer"] = true, l.Layer, l.TargetLayer
			out["layers"], out["layerBitrate"] = l.Layers, l.LayerBitrate
		}
		if tl := o.OutboundTemporal; tl != nil {
			out["temporalLayer"], out["temporalLayers"] = tl.TemporalLayer, tl.TemporalLayers
		}
	}
	return out, nil
}
