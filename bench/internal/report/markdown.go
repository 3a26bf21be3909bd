package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gorento/gorento/bench/internal/stats"
)

// serverOrder is the column order of the tables.
var serverOrder = []string{"gorento", "gorento-base", "gorento-room", "pion-floor", "janus", "livekit"}

func servers(r *Results) []string {
	seen := map[string]bool{}
	for _, l := range r.Loads {
		seen[l.Server] = true
	}
	for _, s := range r.Setups {
		seen[s.Server] = true
	}
	for _, s := range r.Ramps {
		seen[s.Server] = true
	}
	var out []string
	for _, s := range serverOrder {
		if seen[s] {
			out = append(out, s)
			delete(seen, s)
		}
	}
	var rest []string
	for s := range seen {
		rest = append(rest, s)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func cell(s stats.Summary, ok bool) string {
	if !ok || math.IsNaN(s.Median) {
		return "–"
	}
	if len(s.Runs) <= 1 || s.Min == s.Max {
		return num(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", num(s.Median), num(s.Min), num(s.Max))
}

func ratioCell(s stats.Summary, ok bool) string {
	if !ok || math.IsNaN(s.Median) {
		return "–"
	}
	if s.Min == s.Max {
		return num(s.Median) + "×"
	}
	return fmt.Sprintf("%s× (%s–%s)", num(s.Median), num(s.Min), num(s.Max))
}

func markdown(r *Results) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	srv := servers(r)
	var peers []string
	for _, s := range srv {
		if s != Ours {
			peers = append(peers, s)
		}
	}
	w("# gorento-bench %s, %s\n\n", r.Mode, r.Started)
	w("- Host: %s, %s CPUs, kernel %s, %s; server pinned to CPU %s, generator to CPU %s; private network namespace, loopback only\n",
		r.Host["cpu"], r.Host["cpus"], r.Host["kernel"], r.Host["go"], r.Plan["serverCPU"], r.Plan["generatorCPU"])
	w("- Media: %s\n", r.Media)
	var vs []string
	for k, v := range r.Versions {
		vs = append(vs, k+" "+v)
	}
	sort.Strings(vs)
	w("- Versions: %s\n", strings.Join(vs, "; "))
	w("- Plan: %d repetitions in A-B-A-B order, window %s (+%s warm-up); cheap subscribers decrypt 1 in %s packets; total %.0f s\n",
		atoi(r.Plan["reps"]), r.Plan["window"], r.Plan["warmup"], r.Plan["sampleEvery"], r.Seconds)
	if len(r.Unavailable) > 0 {
		var u []string
		for k, v := range r.Unavailable {
			u = append(u, fmt.Sprintf("**%s**: %s", k, v))
		}
		sort.Strings(u)
		w("- Not run: %s\n", strings.Join(u, "; "))
	}
	w("\nCells are the median of the repetitions with the range in brackets. Ratios are gorento ÷ peer, computed per repetition (the runs of one repetition ran back to back) and then summarised. Added latency is the one-way latency minus a direct Pion→Pion link with the same generator and SRTP profile")
	for _, bl := range r.Baselines {
		w(" (%s: p50 %.3f ms, p99 %.3f ms)", bl.SRTP, bl.LatP50Ms, bl.LatP99Ms)
	}
	w(".\n")

	if len(r.Goals) > 0 {
		w("\n## Goals (spec §5, G1–G6)\n\n| Goal | What | Target | Measured gorento ÷ peer | Met |\n|---|---|---|---|---|\n")
		for _, g := range r.Goals {
			met := "not measured"
			if g.Pass != nil {
				met = map[bool]string{true: "yes", false: "**no**"}[*g.Pass]
			}
			w("| %s | %s | %s | %s | %s |\n", g.ID, g.What, g.Target, g.Measured, met)
		}
	}

	keys, _ := groups(r)
	for _, k := range keys {
		title := fmt.Sprintf("Fan-out 1 → %d subscribers, SRTP %s", k.n, profileName(k.srtp))
		if k.scenario == "echo" {
			title = fmt.Sprintf("Echo, %d peers each looped back, SRTP %s", k.n, profileName(k.srtp))
		}
		w("\n## %s\n\n| Metric |", title)
		for _, s := range srv {
			w(" %s |", s)
		}
		for _, p := range peers {
			w(" gorento ÷ %s |", p)
		}
		w("\n|---|%s\n", strings.Repeat("---|", len(srv)+len(peers)))
		overloaded := map[string]bool{} // median loss ≥ 1 %
		for _, row := range r.Summary {
			if row.Scenario == k.scenario && row.N == k.n && row.SRTP == k.srtp && row.Metric == "loss (%)" {
				for s, v := range row.Values {
					overloaded[s] = v.Median >= 1
				}
			}
		}
		dagger := false
		for _, row := range r.Summary {
			if row.Scenario != k.scenario || row.N != k.n || row.SRTP != k.srtp {
				continue
			}
			w("| %s |", row.Metric)
			for _, s := range srv {
				v, ok := row.Values[s]
				mark := ""
				if ok && overloaded[s] && row.Metric != "loss (%)" {
					mark, dagger = " †", true
				}
				w(" %s%s |", cell(v, ok), mark)
			}
			for _, p := range peers {
				v, ok := row.Ratios[p]
				w(" %s |", ratioCell(v, ok))
			}
			w("\n")
		}
		if dagger {
			w("\n† This server lost ≥ 1 %% of the packets at this load (overloaded): its figures here are not comparable cost figures.\n")
		}
		var errs []string
		_, g := groups(r)
		for s, runs := range g[k] {
			for _, l := range runs {
				if l.Err != "" {
					errs = append(errs, fmt.Sprintf("%s: %s", s, l.Err))
				}
			}
		}
		if len(errs) > 0 {
			sort.Strings(errs)
			w("\nErrors: %s\n", strings.Join(errs, "; "))
		}
	}

	if len(r.Setups) > 0 {
		w("\n## Session setup: create → first echoed RTP\n\n| Server | SRTP | sequential n | p50 (ms) | p99 (ms) | max (ms) | concurrent n | p50 (ms) | p99 (ms) | max (ms) | sessions/s | failures |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, s := range r.Setups {
			if s.Err != "" {
				w("| %s | %s | error: %s |||||||||| |\n", s.Server, s.SRTP, s.Err)
				continue
			}
			w("| %s | %s | %d | %s | %s | %s | %d | %s | %s | %s | %s | %d |\n", s.Server, s.SRTP, s.Sequential, num(s.SeqP50Ms), num(s.SeqP99Ms), num(s.SeqMaxMs),
				s.Concurrent, num(s.ConcP50Ms), num(s.ConcP99Ms), num(s.ConcMaxMs), num(s.SessionsPerS), s.Failures)
		}
	}
	if len(r.Churns) > 0 {
		w("\n## Churn: create pipeline + endpoint, connect, negotiate, first echoed RTP, release\n\n| Server | cycles | seconds | RSS before → 3 s after → settled (KB) | growth | anonymous RSS (KB) | goroutines | heap (KB) | threads | fds | failures |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range r.Churns {
			if c.Err != "" {
				w("| %s | %d | error: %s |||||||| |\n", c.Server, c.Cycles, c.Err)
				continue
			}
			w("| %s | %d | %.1f | %d → %d → %d (%.0f s) | %+.1f%% | %d → %d | %s | %s | %d → %d | %d → %d | %d |\n", c.Server, c.Cycles, c.Seconds, c.RSSBeforeKB, c.RSSAfterNowKB, c.RSSAfterKB,
				c.SettleSec, c.RSSGrowthPct, c.AnonBeforeKB, c.AnonAfterKB, fromTo(int64(c.GoroutinesBefore), int64(c.GoroutinesAfter)), fromTo(c.HeapBeforeKB, c.HeapAfterKB),
				c.ThreadsBefore, c.ThreadsAfter, c.FDsBefore, c.FDsAfter, c.Failures)
		}
	}
	if len(r.Releases) > 0 {
		w("\n## Release at once: one pipeline of N connected WebRtcEndpoints released with one request\n\n| Server | endpoints | connected in (s) | released in (s) | server CPU during the release (s) | RSS before → connected → after (KB) | goroutines | threads | fds |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, x := range r.Releases {
			if x.Err != "" {
				w("| %s | %d | error: %s |||||| |\n", x.Server, x.Endpoints, x.Err)
				continue
			}
			g := "–"
			if x.GoroutinesBefore >= 0 {
				g = fmt.Sprintf("%d → %d → %d", x.GoroutinesBefore, x.GoroutinesPeak, x.GoroutinesAfter)
			}
			w("| %s | %d | %.1f | %.2f | %.2f | %d → %d → %d | %s | %d → %d | %d → %d |\n", x.Server, x.Endpoints, x.SetupSec, x.ReleaseSec, x.ReleaseCPUSec,
				x.RSSBeforeKB, x.RSSPeakKB, x.RSSAfterKB, g, x.ThreadsBefore, x.ThreadsAfter, x.FDsBefore, x.FDsAfter)
		}
	}
	if len(r.Ramps) > 0 {
		w("\n## Ramp: max subscribers at < 1 %% loss and p99 < 100 ms (server on one core)\n\n| Server | SRTP | max N | failed at | why | steps (N: µs/pkt, core %%, loss %%, p99 ms, generator core %%) |\n|---|---|---|---|---|---|\n")
		for _, rp := range r.Ramps {
			var st []string
			for _, l := range rp.Steps {
				if l.Err != "" {
					st = append(st, fmt.Sprintf("%d: error", l.N))
					continue
				}
				st = append(st, fmt.Sprintf("%d: %s, %.0f, %.2f, %s, %.0f", l.N, num(l.CPUPerPktUs), l.ServerCore, 100*l.Loss, num(l.LatP99Ms), l.GenCore))
			}
			failed := "–"
			if rp.FailedAt > 0 {
				failed = fmt.Sprint(rp.FailedAt)
			}
			why := rp.Reason
			if rp.FailedAt == 0 && why == "" {
				why = "passed every step (cap reached)"
			}
			w("| %s | %s | %d | %s | %s | %s |\n", rp.Server, rp.SRTP, rp.MaxN, failed, why, strings.Join(st, "; "))
		}
	}
	w("\nPlots: `cpu_per_packet.png`, `latency_p99.png` (fan-out and ramp steps with < 1 %% loss, by N). Raw runs: `results.json`. Server logs: `logs/`.\n")
	return b.String()
}

func profileName(p string) string {
	switch p {
	case "cm":
		return "AES_CM_128_HMAC_SHA1_80"
	case "gcm":
		return "AEAD_AES_128_GCM"
	}
	return p
}

func atoi(s string) int {
	n := 0
	_, _ = fmt.Sscan(s, &n) // the leading number of s; 0 when there is none
	return n
}

// fromTo prints "a → b", or "–" when the server does not report the figure (-1).
func fromTo(a, b int64) string {
	if a < 0 || b < 0 {
		return "–"
	}
	return fmt.Sprintf("%d → %d", a, b)
}
