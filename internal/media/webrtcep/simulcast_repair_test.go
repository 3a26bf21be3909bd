package webrtcep

import (
	"testing"
	"time"

	"github.com/gorento/gorento/internal/testutil"
)

// TestSimulcastRepairsWantedLayers: the publisher's endpoint asks for the
// losses of the layer its viewer gets, not of the layers nobody gets;
// streams that are no simulcast layer are always repaired.
func TestSimulcastRepairsWantedLayers(t *testing.T) {
	_, a, b, viewer := simulcastCall(t, true)
	bw := b.Bandwidths()
	bw.MaxVideoSend = 250
	b.SetBandwidths(bw)
	testutil.Eventually(t, 15*time.Second, "the middle layer", func() bool { return viewer.lastLayer() == 1 })
	ssrcs := map[int]uint32{}
	for _, in := range a.inboundLayers() {
		ssrcs[in.layer] = in.ssrc
	}
	if len(ssrcs) != 3 {
		t.Fatalf("layers received: %v", ssrcs)
	}
	testutil.Eventually(t, 10*time.Second, "only the middle layer repaired", func() bool {
		return a.repairWanted(ssrcs[1]) && !a.repairWanted(ssrcs[0]) && !a.repairWanted(ssrcs[2])
	})
	if !a.repairWanted(12345) {
		t.Error("a stream that is no simulcast layer is not repaired")
	}
}
