package webrtcep

// temporalStats adds the VP8 temporal layers a sink track sends to its
// stats: of a simulcast source's layer, or of a single-layer VP8 stream
// with temporal layers (egress.LayerSelector chooses them for both).
func (t *sinkTrack) temporalStats(s *RTPStats) {
	if t.layers == nil {
		return
	}
	if l := t.layers.Layer(); l.TemporalLayers > 0 {
		s.TemporalLayers, s.TemporalLayer, s.TargetTemporalLayer = l.TemporalLayers, l.Temporal, l.TargetTemporal
	}
}
