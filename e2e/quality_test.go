package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/testnet/impair"
)

// Issue 15's conditions, measured in Chromium through our room demo
// (KurentoRoom.js): publisher A with a 1280×720@30 Y4M camera, viewer B, and
// for one row a second viewer C on a clean direct link. A and B each sit behind
// their own TURN relay (internal/testnet/impair), clean unless the row impairs
// it; rates are htb limits on the relay's port. Every page samples getStats
// once a second; the table (measured vs expected) is logged and written to
// out/quality.md.
//
// Modes (GORENTO_QUALITY): "short" (default, CI: 8 s warm-up, 10 s windows),
// "full" (20 s warm-up, 30 s windows, plus the loss rows on B's link), "off".
// Assertions: a row's expectations are issue 15's, enforced; rows with a
// pending reason (the full mode's 10 % row on B's own link) only report a
// miss unless GORENTO_QUALITY_STRICT=1. An
// enforced row that misses is measured once more and fails if it misses
// again (one Chrome freeze decides the 3 % row, and the drop row's own
// freeze takes 0.4–0.9 s of its 1 s). What holds in every row (media flows
// through the relays, the viewers decode) is always asserted.

// link is one page's network: its relay's impairment and htb rates (bit/s, 0: none).
type link struct {
	Up, Down         impair.Profile
	UpRate, DownRate uint64
}

// rateStep changes a link's rate mid-call.
type rateStep struct {
	page string // "A" or "B"
	dir  impair.Direction
	rate uint64
}

type qualityRow struct {
	name    string
	a, b    link
	withC   bool      // a second viewer, no relay, no limit
	step    *rateStep // applied after the first window
	use     string    // whose link use is reported: "A" (uplink) or "B" (downlink)
	full    bool      // only in the full mode
	checks  []check
	pending string // why the checks only report a miss; "" = enforce
}

// result is one row's measurement; the step row has before/after windows.
type result struct {
	A            publisher
	B, C         viewer
	Before       publisher // step row: A before the drop
	After10      publisher // step row: A in the 10 s after the drop
	BAfter       viewer    // step row: B from the drop to the end
	UseLimit     float64   // the limited link's rate, kbit/s
	Use          float64   // fraction of it used (0–1), from the sender's getStats bytes (RTP headers and payload)
	WireKbps     float64   // what the limited link carried in the window, as htb counts it (every header)
	WireUse      float64   // WireKbps's fraction of the link: what issue 15's link-use checks read
	LoadStart    string
	LoadEnd      string
	RelayDropped uint64
}

// check is one of issue 15's expectations.
type check struct {
	what string
	ok   func(r result) bool
}

func atLeast(what string, f func(result) float64, min float64) check {
	return check{fmt.Sprintf("%s ≥ %g", what, min), func(r result) bool { return f(r) >= min }}
}

func atMost(what string, f func(result) float64, max float64) check {
	return check{fmt.Sprintf("%s ≤ %g", what, max), func(r result) bool { return f(r) <= max }}
}

const kbit = 1000

var (
	lossy10 = impair.Profile{Loss: 0.10}
	lossy3  = impair.Profile{Loss: 0.03}
	bFPS    = func(r result) float64 { return r.B.FPS }
	bHeight = func(r result) float64 { return r.B.Height }
	bFreeze = func(r result) float64 { return r.B.FreezeSeconds }
	use     = func(r result) float64 { return r.WireUse }
)

const ownLinkLoss = "full mode only: at 10 % loss on B's own link B gets 360p at 24–26 fps (its own repairs get no playout delay yet; docs/impaired-links.md)"

func qualityRows() []qualityRow {
	return []qualityRow{
		{name: "clean", checks: []check{atLeast("B height", bHeight, 720), atLeast("B fps", bFPS, 25)}},
		{name: "loss 10 % (A's link)", a: link{Up: lossy10, Down: lossy10},
			checks: []check{atLeast("B fps", bFPS, 25), atMost("B freezes s per 30 s", func(r result) float64 { return r.B.FreezeSeconds * 30 / r.windowSeconds() }, 2)}},
		{name: "loss 3 % (A's link)", a: link{Up: lossy3, Down: lossy3},
			checks: []check{atMost("B freezes", func(r result) float64 { return r.B.Freezes }, 0), atLeast("B fps", bFPS, 25)}},
		{name: "loss 10 % (B's link)", b: link{Up: lossy10, Down: lossy10}, full: true,
			checks: []check{atLeast("B fps", bFPS, 25), atMost("B freezes s per 30 s", func(r result) float64 { return r.B.FreezeSeconds * 30 / r.windowSeconds() }, 2)}, pending: ownLinkLoss},
		{name: "loss 3 % (B's link)", b: link{Up: lossy3, Down: lossy3}, full: true,
			checks: []check{atMost("B freezes", func(r result) float64 { return r.B.Freezes }, 0), atLeast("B fps", bFPS, 25)}},
		{name: "800 kbit link (A's uplink)", a: link{UpRate: 800 * kbit}, use: "A",
			checks: []check{atLeast("link use", use, 0.75)}},
		{name: "clean → 600 kbit (A's uplink)", step: &rateStep{"A", impair.Up, 600 * kbit}, use: "A",
			checks: []check{atMost("B freezes s after the drop", func(r result) float64 { return r.BAfter.FreezeSeconds }, 1), atLeast("link use 10 s after the drop", use, 0.80)}},
		{name: "only B's downlink 600 kbit", b: link{DownRate: 600 * kbit}, withC: true, use: "B",
			checks: []check{atLeast("A kb/s", func(r result) float64 { return r.A.Kbps }, 1500), atLeast("A height", func(r result) float64 { return r.A.Height }, 720),
				atLeast("C height", func(r result) float64 { return r.C.Height }, 720), atLeast("B fps", bFPS, 20), atMost("B freezes s", bFreeze, 1)}},
	}
}

// timing of one mode.
type timing struct {
	warm, window, after time.Duration // after: step row, measured from 10 s after the drop
}

func (r result) windowSeconds() float64 { return max(r.B.Seconds, 1) }

func TestQuality(t *testing.T) {
	mode := os.Getenv("GORENTO_QUALITY")
	if mode == "" {
		mode = "short"
	}
	tm := map[string]timing{"short": {8 * time.Second, 10 * time.Second, 6 * time.Second}, "full": {20 * time.Second, 30 * time.Second, 20 * time.Second}}[mode]
	if mode == "off" || tm.window == 0 || testing.Short() {
		t.Skipf("GORENTO_QUALITY=%s", mode)
	}
	requireBrowser(t)
	if !impair.LoopbackOnly() {
		if os.Getenv("CI") == "true" {
			t.Fatal("the quality test needs a loopback-only network namespace (scripts/netns-run.sh)")
		}
		t.Skip("run inside scripts/netns-run.sh (the quality test shapes lo)")
	}
	cam := fakeCamera(t)
	strict := os.Getenv("GORENTO_QUALITY_STRICT") == "1"
	var lines [][]string
	var notes []string
	for _, row := range qualityRows() {
		if row.full && mode != "full" {
			continue
		}
		t.Run(row.name, func(t *testing.T) {
			enforced := row.pending == "" || strict
			r, ok := measureQualityRow(t, row, cam, tm, enforced)
			if !ok {
				return
			}
			verdicts := []string{}
			for _, c := range row.checks {
				switch {
				case c.ok(r):
					verdicts = append(verdicts, "✓ "+c.what)
				case enforced:
					verdicts = append(verdicts, "✗ "+c.what)
					t.Errorf("%s: expected %s", row.name, c.what)
				default:
					verdicts = append(verdicts, "✗ "+c.what+" (pending)")
					t.Logf("%s: %s not met yet: %s", row.name, c.what, row.pending)
				}
			}
			lines = append(lines, row.cells(r, strings.Join(verdicts, "; ")))
		})
	}
	if len(lines) == 0 {
		return
	}
	notes = append(notes, fmt.Sprintf("mode %s: warm-up %v, window %v; %s", mode, tm.warm, tm.window, time.Now().Format(time.RFC3339)))
	report := table([]string{"condition", "B fps", "B freezes", "B height", "B kb/s", "A sends kb/s", "A height", "A estimate", "A limited by", "link use", "load", "expected (issue 15)"}, lines) +
		"\n" + strings.Join(notes, "\n") + "\n"
	t.Log("\n" + report)
	if err := os.WriteFile(filepath.Join(outDir(t), "quality-"+mode+".md"), []byte(report), 0o644); err != nil {
		t.Error(err)
	}
}

// qualityAttempts is how often an enforced row is measured before a miss
// counts: one browser run on a shared machine can lose a second to a
// scheduling stall, two misses in a row are the server's.
const qualityAttempts = 2

// measureQualityRow runs the row (again, if enforced and a check missed)
// and returns the last measurement; ok is false if a run failed outright.
func measureQualityRow(t *testing.T, row qualityRow, cam string, tm timing, enforced bool) (r result, ok bool) {
	attempts := 1
	if enforced {
		attempts = qualityAttempts
	}
	for n := 1; n <= attempts; n++ {
		if !t.Run(fmt.Sprintf("run %d", n), func(t *testing.T) { r = runQualityRow(t, row, cam, tm) }) {
			return r, false
		}
		missed := row.missed(r)
		if len(missed) == 0 {
			break
		}
		if n < attempts {
			t.Logf("%s: missed %s (load %s→%s): measured once more", row.name, strings.Join(missed, ", "), r.LoadStart, r.LoadEnd)
		}
	}
	return r, true
}

// missed lists the checks r does not meet.
func (row qualityRow) missed(r result) []string {
	var out []string
	for _, c := range row.checks {
		if !c.ok(r) {
			out = append(out, c.what)
		}
	}
	return out
}

func (row qualityRow) cells(r result, verdict string) []string {
	aSends, est := f0(r.A.Kbps), f0(r.A.EstimateKbps)
	freezes := fmt.Sprintf("%s s (%s)", f1(r.B.FreezeSeconds), f0(r.B.Freezes))
	if row.step != nil {
		aSends = fmt.Sprintf("%s→%s→%s", f0(r.Before.Kbps), f0(r.After10.Kbps), f0(r.A.Kbps))
		est = fmt.Sprintf("%s→%s→%s", f0(r.Before.EstimateKbps), f0(r.After10.EstimateKbps), f0(r.A.EstimateKbps))
		freezes = fmt.Sprintf("%s s (%s) after the drop", f1(r.BAfter.FreezeSeconds), f0(r.BAfter.Freezes))
	}
	useCell := "–"
	if row.use != "" {
		useCell = fmt.Sprintf("%.0f %% of %s (RTP %.0f %%)", 100*r.WireUse, f0(r.UseLimit), 100*r.Use)
	}
	height := f0(r.B.Height)
	if r.B.MinHeight < r.B.Height {
		height = fmt.Sprintf("%s (min %s)", f0(r.B.Height), f0(r.B.MinHeight))
	}
	if row.withC {
		height += fmt.Sprintf("; C %s", f0(r.C.Height))
	}
	return []string{row.name, f1(r.B.FPS), freezes, height, f0(r.B.Kbps), aSends, f0(r.A.Height), est, r.A.Limit, useCell,
		r.LoadStart + "→" + r.LoadEnd, verdict}
}
