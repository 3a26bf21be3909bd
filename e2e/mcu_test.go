package e2e

import (
	"path/filepath"
	"testing"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media/process/processtest"
)

// TestMCUDemo: three Chromium pages join one Composite through the MCU
// demo; each decodes one picture with the three cameras in a 2×2 grid (the
// fourth cell black) and, after one leaves, two side by side. A screenshot
// is kept in out/.
func TestMCUDemo(t *testing.T) {
	requireBrowser(t)
	worker := processtest.WorkerBin(t)
	_, addr := startGorento(t, func(c *config.Config) { c.Processing.WorkerPath = worker })
	d := startDriver(t, "mcu.mjs", "http://"+addr, filepath.Join(outDir(t), "mcu.png"))
	var res struct {
		OK      bool
		Error   string
		Results []struct {
			FramesDecoded int
			Width         int
			Cells         []int
		}
		Errors []string
	}
	d.next(t, &res)
	if !res.OK {
		t.Fatalf("driver: %s %v", res.Error, res.Errors)
	}
	for i, r := range res.Results {
		if r.FramesDecoded <= 0 || r.Width != 800 {
			t.Errorf("page %d: %+v (want the Composite's 800-wide picture decoding)", i, r)
		}
	}
	for _, e := range res.Errors {
		t.Logf("page error: %s", e)
	}
}
