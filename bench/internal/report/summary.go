package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gorento/gorento/bench/internal/scenario"
	"github.com/gorento/gorento/bench/internal/stats"
)

// Ours is the server whose ratios against the others are reported.
const Ours = "gorento"

// Row is one metric of one load configuration across servers.
type Row struct {
	Scenario string                   `json:"scenario"`
	N        int                      `json:"n"`
	SRTP     string                   `json:"srtp"`
	Metric   string                   `json:"metric"`
	Values   map[string]stats.Summary `json:"values"` // by server
	Ratios   map[string]stats.Summary `json:"ratios"` // gorento ÷ server, per repetition pair
}

type metric struct {
	name string
	get  func(l scenario.Load, base float64, base99 float64) float64
}

var loadMetrics = []metric{
	{"CPU per packet (µs)", func(l scenario.Load, _, _ float64) float64 { return l.CPUPerPktUs }},
	{"server core (%)", func(l scenario.Load, _, _ float64) float64 { return l.ServerCore }},
	{"loss (%)", func(l scenario.Load, _, _ float64) float64 { return 100 * l.Loss }},
	{"added latency p50 (ms)", func(l scenario.Load, b, _ float64) float64 { return l.LatP50Ms - b }},
	{"added latency p99 (ms)", func(l scenario.Load, _, b99 float64) float64 { return l.LatP99Ms - b99 }},
	{"raw latency p99 (ms)", func(l scenario.Load, _, _ float64) float64 { return l.LatP99Ms }},
	{"RSS per endpoint (KB)", func(l scenario.Load, _, _ float64) float64 { return l.RSSPerEndpointKB }},
	{"fds per endpoint", func(l scenario.Load, _, _ float64) float64 { return l.FDsPerEndpoint }},
	{"peer setup p50 (ms)", func(l scenario.Load, _, _ float64) float64 { return l.SetupP50Ms }},
	{"peer setup max (ms)", func(l scenario.Load, _, _ float64) float64 { return l.SetupMaxMs }},
	{"generator receive µs per packet", func(l scenario.Load, _, _ float64) float64 { return l.RecvCPUPerPkt }},
	{"generator total µs per packet", func(l scenario.Load, _, _ float64) float64 { return l.GenCPUPerPkt }},
}

type loadKey struct {
	scenario string
	n        int
	srtp     string
}

// groups returns the load configurations in first-run order and, per
// configuration and server, the runs in repetition order.
func groups(r *Results) ([]loadKey, map[loadKey]map[string][]scenario.Load) {
	var keys []loadKey
	out := map[loadKey]map[string][]scenario.Load{}
	for _, l := range r.Loads {
		k := loadKey{l.Scenario, l.N, l.SRTP}
		if out[k] == nil {
			out[k] = map[string][]scenario.Load{}
			keys = append(keys, k)
		}
		out[k][l.Server] = append(out[k][l.Server], l)
	}
	return keys, out
}

func (r *Results) baseline(srtp string) (p50, p99 float64) {
	for _, b := range r.Baselines {
		if b.SRTP == srtp && b.Err == "" {
			return b.LatP50Ms, b.LatP99Ms
		}
	}
	return 0, 0
}

func summarize(r *Results) []Row {
	keys, g := groups(r)
	var rows []Row
	for _, k := range keys {
		b50, b99 := r.baseline(k.srtp)
		for _, m := range loadMetrics {
			row := Row{Scenario: k.scenario, N: k.n, SRTP: k.srtp, Metric: m.name, Values: map[string]stats.Summary{}, Ratios: map[string]stats.Summary{}}
			per := map[string][]float64{}
			for srv, runs := range g[k] {
				for _, l := range runs {
					v := math.NaN()
					if l.Err == "" {
						v = m.get(l, b50, b99)
					}
					per[srv] = append(per[srv], v)
				}
				row.Values[srv] = stats.Summarize(per[srv])
			}
			for srv, vs := range per {
				if srv == Ours {
					continue
				}
				row.Ratios[srv] = pairRatios(per[Ours], vs)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// pairRatios divides ours by theirs repetition by repetition (runs of the
// same repetition ran next to each other), then summarizes.
func pairRatios(ours, theirs []float64) stats.Summary {
	var rs []float64
	for i := 0; i < len(ours) && i < len(theirs); i++ {
		if theirs[i] != 0 {
			rs = append(rs, ours[i]/theirs[i])
		}
	}
	return stats.Summarize(rs)
}

// Goal is one goal of the spec checked against this run.
type Goal struct {
	ID       string  `json:"id"`
	What     string  `json:"what"`
	Target   string  `json:"target"`
	Measured string  `json:"measured"`
	Ratio    float64 `json:"ratio"`
	Limit    float64 `json:"limit"`
	Pass     *bool   `json:"pass"` // nil: not measured in this run
}

func (r *Results) row(scenarioName string, n int, srtp, metricName string) *Row {
	for i := range r.Summary {
		x := &r.Summary[i]
		if x.Scenario == scenarioName && x.N == n && x.SRTP == srtp && x.Metric == metricName {
			return x
		}
	}
	return nil
}

// ratioGoal checks ratio (ours ÷ peer) ≤ limit, or ≥ limit when atLeast.
func ratioGoal(id, what, peer string, ratio stats.Summary, limit float64, atLeast bool) Goal {
	g := Goal{ID: id, What: what, Ratio: ratio.Median, Limit: limit}
	op := "≤"
	if atLeast {
		op = "≥"
	}
	g.Target = fmt.Sprintf("%s %.2f× %s", op, limit, peer)
	if math.IsNaN(ratio.Median) {
		g.Measured = "not measured"
		return g
	}
	pass := ratio.Median <= limit
	if atLeast {
		pass = ratio.Median >= limit
	}
	g.Pass = &pass
	g.Measured = fmt.Sprintf("%.2f× (%.2f–%.2f)", ratio.Median, ratio.Min, ratio.Max)
	return g
}

func missing() stats.Summary { return stats.Summarize(nil) }

// goals checks G1–G6 for the peers that took part in this run.
func goals(r *Results) []Goal {
	ran := map[string]bool{}
	for _, s := range servers(r) {
		ran[s] = true
	}
	var all []Goal
	for _, g := range allGoals(r) {
		peer := g.Target[strings.LastIndexByte(g.Target, ' ')+1:]
		if ran[Ours] && ran[peer] {
			all = append(all, g)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

func allGoals(r *Results) []Goal {
	var out []Goal
	ratio := func(row *Row, peer string) stats.Summary {
		if row == nil {
			return missing()
		}
		if s, ok := row.Ratios[peer]; ok {
			return s
		}
		return missing()
	}
	keys, _ := groups(r)
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].scenario < keys[j].scenario })
	// flag goals whose figures come from an overloaded run (≥ 1 % loss)
	flag := func(k loadKey, gs []Goal) []Goal {
		loss := r.row(k.scenario, k.n, k.srtp, "loss (%)")
		if loss == nil {
			return gs
		}
		for i := range gs {
			peer := gs[i].Target[strings.LastIndexByte(gs[i].Target, ' ')+1:]
			for _, who := range []string{peer, Ours} {
				if v, ok := loss.Values[who]; ok && v.Median >= 1 {
					gs[i].Measured += fmt.Sprintf(" — %s overloaded (%.1f %% loss)", who, v.Median)
				}
			}
		}
		return gs
	}
	for _, k := range keys {
		from := len(out)
		tag := fmt.Sprintf("%s 1→%d %s", k.scenario, k.n, k.srtp)
		switch k.scenario {
		case "fanout":
			cpu := r.row(k.scenario, k.n, k.srtp, "CPU per packet (µs)")
			out = append(out,
				ratioGoal("G1", "CPU per forwarded packet, "+tag, "livekit", ratio(cpu, "livekit"), 0.5, false),
				ratioGoal("G1", "CPU per forwarded packet, "+tag, "janus", ratio(cpu, "janus"), 0.35, false),
				ratioGoal("G1", "CPU per forwarded packet, "+tag, "pion-floor", ratio(cpu, "pion-floor"), 0.65, false))
			p50 := r.row(k.scenario, k.n, k.srtp, "added latency p50 (ms)")
			p99 := r.row(k.scenario, k.n, k.srtp, "added latency p99 (ms)")
			out = append(out,
				ratioGoal("G4", "added latency p50, "+tag, "livekit", ratio(p50, "livekit"), 1, false),
				ratioGoal("G4", "added latency p50, "+tag, "janus", ratio(p50, "janus"), 1, false),
				ratioGoal("G4", "added latency p99, "+tag, "janus", ratio(p99, "janus"), 0.5, false),
				ratioGoal("G4", "added latency p99, "+tag, "pion-floor", ratio(p99, "pion-floor"), 1.2, false))
			mem := r.row(k.scenario, k.n, k.srtp, "RSS per endpoint (KB)")
			out = append(out,
				ratioGoal("G5", "RSS per endpoint, "+tag, "livekit", ratio(mem, "livekit"), 0.5, false),
				ratioGoal("G5", "RSS per endpoint, "+tag, "janus", ratio(mem, "janus"), 1.5, false))
		case "echo":
			tag = fmt.Sprintf("echo N=%d %s", k.n, k.srtp)
			cpu := r.row(k.scenario, k.n, k.srtp, "CPU per packet (µs)")
			out = append(out,
				ratioGoal("G2", "CPU per echoed packet, "+tag, "janus", ratio(cpu, "janus"), 0.5, false),
				ratioGoal("G2", "CPU per echoed packet, "+tag, "pion-floor", ratio(cpu, "pion-floor"), 0.6, false))
		}
		out = append(out[:from], flag(k, out[from:])...)
	}
	ramp := map[string]scenario.Ramp{}
	for _, rp := range r.Ramps {
		ramp[rp.Server] = rp
	}
	for _, peer := range []struct {
		name  string
		limit float64
	}{{"livekit", 2}, {"janus", 3}} {
		s := missing()
		if o, ok := ramp[Ours]; ok {
			if p, ok := ramp[peer.name]; ok && p.MaxN > 0 {
				s = stats.Summarize([]float64{float64(o.MaxN) / float64(p.MaxN)})
			}
		}
		g := ratioGoal("G3", "max subscribers at <1% loss, p99 <100 ms", peer.name, s, peer.limit, true)
		if o, ok := ramp[Ours]; ok && (o.GeneratorLimited || o.FailedAt == 0) {
			g.Measured += " (gorento's figure is a lower bound: ramp cap or generator reached)"
		}
		out = append(out, g)
	}
	setup := map[string]scenario.Setup{}
	for _, s := range r.Setups {
		setup[s.Server] = s
	}
	one := func(f func(scenario.Setup) float64) stats.Summary {
		o, ok1 := setup[Ours]
		j, ok2 := setup["janus"]
		if !ok1 || !ok2 || f(j) == 0 || o.Err != "" || j.Err != "" {
			return missing()
		}
		return stats.Summarize([]float64{f(o) / f(j)})
	}
	out = append(out,
		ratioGoal("G6", "setup p50 (sequential), create→first echoed RTP", "janus", one(func(s scenario.Setup) float64 { return s.SeqP50Ms }), 0.3, false),
		ratioGoal("G6", "setup max (sequential and concurrent)", "janus", one(func(s scenario.Setup) float64 { return math.Max(s.SeqMaxMs, s.ConcMaxMs) }), 0.25, false),
		ratioGoal("G6", "concurrent sessions/s", "janus", one(func(s scenario.Setup) float64 { return s.SessionsPerS }), 3, true))
	return out
}
