package quality

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Markdown is the side-by-side table: per row and server, the median of the
// repetitions and their range.
func Markdown(rs []Result, c Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "gorento-bench quality (table written %s); warm-up %v, window %v; %d repetition(s), servers alternated (%s, reversed every other repetition)\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), c.Timing.Warm, c.Timing.Window, c.Reps, strings.Join(c.Servers, ", "))
	b.WriteString("| condition | server | B fps | B freezes (s) | B height | B kb/s | A sends kb/s (all layers) | A height | A layers (kb/s on layers without frames) | link use | load | runs |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range Rows() {
		for _, s := range c.Servers {
			var ok []Result
			var failed []string
			for _, r := range rs {
				if r.Row == row.Name && r.Server == s {
					if r.Err != "" {
						failed = append(failed, r.Err)
						continue
					}
					ok = append(ok, r)
				}
			}
			if len(ok) == 0 && len(failed) == 0 {
				continue
			}
			cell := func(f func(Result) float64, prec int) string { return spread(ok, f, prec) }
			height := cell(func(r Result) float64 { return r.B.Height }, 0)
			if row.WithC {
				height += "; C " + cell(func(r Result) float64 { return r.C.Height }, 0)
			}
			aSends := cell(func(r Result) float64 { return r.A.Kbps }, 0)
			if row.Step != nil {
				aSends = cell(func(r Result) float64 { return r.Before.Kbps }, 0) + " → " + cell(func(r Result) float64 { return r.After10.Kbps }, 0) + " → " + aSends
			}
			use := "–"
			if row.Use != "" {
				use = cell(func(r Result) float64 { return 100 * r.WireUse }, 0) + " % (RTP " + cell(func(r Result) float64 { return 100 * r.Use }, 0) + " %)"
			}
			var loads []string
			for _, r := range ok {
				loads = append(loads, r.LoadStart+"→"+r.LoadEnd)
			}
			runs := fmt.Sprint(len(ok))
			if len(failed) > 0 {
				runs += fmt.Sprintf(" (+%d failed: %s)", len(failed), failed[0])
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", row.Name, s,
				cell(func(r Result) float64 { return r.B.FPS }, 1), cell(func(r Result) float64 { return r.B.FreezeSeconds }, 1), height,
				cell(func(r Result) float64 { return r.B.Kbps }, 0), aSends, cell(func(r Result) float64 { return r.A.Height }, 0),
				cell(func(r Result) float64 { return float64(r.A.Layers) }, 0)+" ("+cell(func(r Result) float64 { return r.A.IdleKbps }, 0)+")", use, strings.Join(loads, ", "), runs)
		}
	}
	b.WriteString("\nStep row: B's figures from the drop to the end; A before → 10 s after the drop → after that. Cells: median (min–max).\n")
	return b.String()
}

// spread is "median (min–max)" of f over rs, or the value alone for one run.
func spread(rs []Result, f func(Result) float64, prec int) string {
	if len(rs) == 0 {
		return "–"
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	if v[0] == v[len(v)-1] {
		return fmt.Sprintf("%.*f", prec, m)
	}
	return fmt.Sprintf("%.*f (%.*f–%.*f)", prec, m, prec, v[0], prec, v[len(v)-1])
}
