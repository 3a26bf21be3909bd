package wire

import (
	"encoding/json"
	"strings"
	"testing"
)

// The simulcast fields are extensions: absent for a stream without
// layers, so unmodified clients see KMS's stats unchanged.
func TestStatsLayerFields(t *testing.T) {
	plain, _ := json.Marshal(OutboundRTPStats{PacketsSent: 1})
	if strings.Contains(string(plain), "simulcast") {
		t.Errorf("stats without layers carry simulcast fields: %s", plain)
	}
	withLayer, _ := json.Marshal(OutboundRTPStats{OutboundLayer: &OutboundLayer{Layer: 1, TargetLayer: 2, Layers: 3, LayerBitrate: 500000}})
	for _, want := range []string{`"simulcastLayer":1`, `"simulcastTargetLayer":2`, `"simulcastLayers":3`, `"simulcastLayerBitrate":500000`} {
		if !strings.Contains(string(withLayer), want) {
			t.Errorf("%s lacks %s", withLayer, want)
		}
	}
	in, _ := json.Marshal(InboundRTPStats{InboundLayer: &InboundLayer{Rid: "f", Layer: 2}})
	if !strings.Contains(string(in), `"rid":"f"`) || !strings.Contains(string(in), `"simulcastLayer":2`) {
		t.Errorf("inbound layer stats = %s", in)
	}
	var back OutboundRTPStats
	if err := json.Unmarshal(withLayer, &back); err != nil || back.OutboundLayer == nil || back.Layers != 3 {
		t.Errorf("round trip = %+v, %v", back, err)
	}
}
