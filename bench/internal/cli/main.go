// Package cli is gorento-bench's command line: it prepares what a run needs
// (builds, Debian packages, LiveKit, media), re-executes itself inside a
// private network namespace with the generator pinned to its CPU, runs the
// planned scenarios against every available server in A-B-A-B order and
// writes the report.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/gorento/gorento/bench/internal/floor"
	"github.com/gorento/gorento/bench/internal/media"
	"github.com/gorento/gorento/bench/internal/report"
	"github.com/gorento/gorento/bench/internal/scenario"
	"github.com/gorento/gorento/bench/internal/target"
)

const usage = `usage: gorento-bench <command> [flags]

commands:
  compare   the full side-by-side comparison (gorento, gorento-room, pion-floor, janus, livekit)
  smoke     gorento only, N=5, 5 s, synthetic media (part of ./dev test)
  run       like compare, but nothing is selected unless given by flags
  quality   issue 15's impaired-link rows in Chromium: gorento's room demo against LiveKit (livekit-client)
  report    rewrite results.md and the plots of an output directory from its results.json
  floor     serve the bare Pion floor (used by the tool itself)

Run "gorento-bench compare -h" for the flags.`

// Main runs the command line and returns the exit code.
func Main(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	switch args[0] {
	case "floor":
		return floorMain(args[1:])
	case "report":
		return reportMain(args[1:])
	case "quality":
		return qualityMain(args[1:])
	case "smoke", "compare", "run":
	default:
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	mode := args[0]
	c, err := flags(mode, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "gorento-bench:", err)
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorento-bench:", err)
		return 1
	}
	if !loopbackOnly() {
		// Outside the namespace: prepare, then re-exec inside.
		extra, prepNotes := prepare(c, root)
		for k, v := range prepNotes {
			extra = append(extra, "-note", k+"="+v)
		}
		err := reexecInNetns(root, c.GenCPU, append(append([]string{mode}, args[1:]...), extra...))
		fmt.Fprintln(os.Stderr, "gorento-bench: cannot enter a private network namespace:", err)
		return 1
	}
	if err := pinSelf(c.GenCPU, args); err != nil {
		fmt.Fprintln(os.Stderr, "gorento-bench: pin:", err)
	}
	return runInside(c, root)
}

func floorMain(args []string) int {
	fs := flag.NewFlagSet("floor", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	srtp := fs.String("srtp", "", "SRTP profile: cm, gcm or empty")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s, err := floor.New(*srtp)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := listen(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "floor listening on %s\n", ln.Addr())
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
		<-ch
		_ = srv.Close()
	}()
	_ = srv.Serve(ln)
	return 0
}

func runInside(c *Config, root string) int {
	// Pinned to one CPU the runtime would use one P; the socket readers
	// block in recvmmsg, so give the scheduler a second P to hand work to.
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	out := c.Out
	if out == "" {
		out = filepath.Join(root, ".build", "bench", c.Mode+"-"+start.Format("20060102-150405"))
	}
	if err := os.MkdirAll(filepath.Join(out, "logs"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if c.CPUProfile != "" {
		if f, err := os.Create(c.CPUProfile); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	res := &report.Results{Mode: c.Mode, Started: start.UTC().Format(time.RFC3339), Unavailable: map[string]string{},
		Plan: c.plan(), Host: report.HostInfo()}
	for _, n := range c.Notes {
		k, v, _ := strings.Cut(n, "=")
		res.Unavailable[k] = v
	}

	var m *media.Media
	if c.Media == "real" && c.IVF != "" && c.OGG != "" {
		var err error
		if m, err = media.Load(c.IVF, c.OGG); err != nil {
			logf("real media unreadable (%v): synthetic media instead", err)
		}
	}
	if m == nil {
		m = media.Synthetic(2_000_000)
	}
	res.Media = m.Describe()
	logf("media %s", res.Media)

	self, _ := os.Executable()
	env := target.Env{GorentoBin: c.GorentoBin, GorentoBaseBin: c.GorentoBaseBin, SelfBin: self, LiveKitBin: c.LiveKit}
	if env.GorentoBin == "" {
		if b := filepath.Join(root, ".build", "gorento"); exists(b) {
			env.GorentoBin = b
		}
	}
	wantJanus := c.Servers.has("janus") || c.SetupServers.has("janus") || c.RampServers.has("janus")
	if wantJanus && res.Unavailable["janus"] == "" {
		if err := janusVethUp(); err != nil {
			res.Unavailable["janus"] = "veth for 127.0.0.2: " + err.Error()
		} else if so, err := buildShim(out); err != nil {
			res.Unavailable["janus"] = "LD_PRELOAD shim: " + err.Error()
		} else {
			env.ShimSO = so
		}
	}
	servers := map[string]target.Server{}
	for _, n := range unique(c.Servers, c.SetupServers, c.ChurnServers, c.ReleaseServers, c.RampServers) {
		if why, bad := res.Unavailable[n]; bad {
			logf("server %s unavailable: %s — continuing without it", n, why)
			continue
		}
		f, ok := target.Lookup(n)
		if !ok {
			res.Unavailable[n] = "no driver in this binary"
			logf("server %s unavailable: no driver in this binary — continuing without it", n)
			continue
		}
		if err := f.Available(env); err != nil {
			res.Unavailable[n] = err.Error()
			logf("server %s unavailable: %v — continuing without it", n, err)
			continue
		}
		s := f.New(env)
		if g, ok := s.(*target.Gorento); ok {
			if g.Name() != "gorento-base" {
				g.UDPPort, g.PerEndpointPorts = c.GorentoUDPPort, c.GorentoPerEndpoint
			}
		}
		servers[n] = s
	}
	res.Versions = target.Versions(env)

	senv := &scenario.Env{Media: m, Epoch: start, Dir: filepath.Join(out, "logs"), ServerCPU: c.ServerCPU,
		SampleEvery: c.SampleEvery, Warmup: c.Warmup, Drain: c.Drain, SetupBudget: c.SetupBudget, Logf: logf}
	profiles := map[string]bool{}
	for _, it := range append(append(items{}, c.Fanout...), c.Echo...) {
		profiles[it.SRTP] = true
	}
	for _, p := range []string{"gcm", "cm"} {
		if profiles[p] && ctx.Err() == nil {
			res.Baselines = append(res.Baselines, senv.Baseline(ctx, p, c.Window))
		}
	}
	for _, it := range c.Fanout {
		for rep := 0; rep < c.Reps && ctx.Err() == nil; rep++ {
			for _, n := range c.Servers {
				if s := servers[n]; s != nil && ctx.Err() == nil {
					res.Loads = append(res.Loads, senv.Fanout(ctx, s, it.N, it.SRTP, c.Window))
				}
			}
		}
	}
	for _, it := range c.Echo {
		for rep := 0; rep < c.Reps && ctx.Err() == nil; rep++ {
			for _, n := range c.Servers {
				if s := servers[n]; s != nil && s.SupportsEcho() && ctx.Err() == nil {
					res.Loads = append(res.Loads, senv.Echo(ctx, s, it.N, it.SRTP, c.Window))
				}
			}
		}
	}
	for _, n := range c.SetupServers {
		if s := servers[n]; s != nil && s.SupportsEcho() && ctx.Err() == nil {
			res.Setups = append(res.Setups, senv.SetupTimes(ctx, s, c.SetupSRTP, c.SetupSeq, c.SetupConc))
		}
	}
	for _, n := range c.ChurnServers {
		if s := servers[n]; s != nil && s.SupportsEcho() && ctx.Err() == nil {
			res.Churns = append(res.Churns, senv.Churn(ctx, s, c.SetupSRTP, c.ChurnCycles, c.ChurnSettle))
		}
	}
	for _, n := range c.ReleaseServers {
		if s := servers[n]; s != nil && ctx.Err() == nil {
			res.Releases = append(res.Releases, senv.ReleaseAll(ctx, s, c.SetupSRTP, c.ReleaseN))
		}
	}
	for _, n := range c.RampServers {
		if s := servers[n]; s != nil && ctx.Err() == nil {
			res.Ramps = append(res.Ramps, senv.Ramp(ctx, s, c.SetupSRTP, c.RampStart, c.RampStep, c.RampMax, c.RampWindow))
		}
	}
	res.Seconds = time.Since(start).Seconds()
	if err := report.Write(out, res); err != nil {
		logf("report: %v", err)
		return 1
	}
	logf("results: %s", filepath.Join(out, "results.md"))
	if ctx.Err() != nil {
		return 1
	}
	if c.Mode == "smoke" {
		return smokeVerdict(res, c.MaxLoss, logf)
	}
	return 0
}

// smokeVerdict fails the smoke run on any error, excessive loss, or a
// measurement that produced no figure.
func smokeVerdict(res *report.Results, maxLoss float64, logf func(string, ...any)) int {
	bad := 0
	for _, l := range res.Loads {
		switch {
		case l.Err != "":
			logf("FAIL %s %s n=%d: %s", l.Server, l.Scenario, l.N, l.Err)
			bad++
		case l.Loss > maxLoss || l.Received == 0 || math.IsNaN(l.CPUPerPktUs) || l.LatN == 0:
			logf("FAIL %s %s n=%d: loss %.2f%%, %d packets, %d latency samples", l.Server, l.Scenario, l.N, 100*l.Loss, l.Received, l.LatN)
			bad++
		}
	}
	for _, s := range res.Setups {
		if s.Err != "" || s.Failures > 0 {
			logf("FAIL %s setup: %s (%d failures)", s.Server, s.Err, s.Failures)
			bad++
		}
	}
	for _, ch := range res.Churns {
		if ch.Err != "" || ch.Failures > 0 {
			logf("FAIL %s churn: %s (%d failures)", ch.Server, ch.Err, ch.Failures)
			bad++
		}
	}
	if len(res.Loads) == 0 {
		logf("FAIL: no load ran (%v)", res.Unavailable)
		bad++
	}
	for _, rl := range res.Releases {
		if rl.Err != "" {
			logf("FAIL %s release-all: %s", rl.Server, rl.Err)
			bad++
		}
	}
	total := len(res.Loads) + len(res.Setups) + len(res.Churns) + len(res.Releases)
	fmt.Printf("gorento-bench: %d passed, %d failed\n", total-bad, bad)
	if bad > 0 {
		return 1
	}
	return 0
}

func unique(ls ...list) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range ls {
		for _, s := range l {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func (c *Config) plan() map[string]string {
	return map[string]string{
		"servers": c.Servers.String(), "fanout": c.Fanout.String(), "echo": c.Echo.String(),
		"reps": fmt.Sprint(c.Reps), "window": c.Window.String(), "warmup": c.Warmup.String(),
		"setup": c.SetupServers.String(), "setupSeq": fmt.Sprint(c.SetupSeq), "setupConc": fmt.Sprint(c.SetupConc),
		"churn": c.ChurnServers.String(), "churnCycles": fmt.Sprint(c.ChurnCycles), "churnSettle": c.ChurnSettle.String(),
		"release": c.ReleaseServers.String(), "releaseN": fmt.Sprint(c.ReleaseN),
		"ramp": c.RampServers.String(), "rampSteps": fmt.Sprintf("%d..%d step %d, %s each", c.RampStart, c.RampMax, c.RampStep, c.RampWindow),
		"srtpSetupChurnRamp": c.SetupSRTP, "sampleEvery": fmt.Sprint(c.SampleEvery),
		"serverCPU": c.ServerCPU, "generatorCPU": c.GenCPU, "media": c.Media,
	}
}

// reportMain re-renders a run's report from its raw results.
func reportMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: gorento-bench report <output directory>")
		return 2
	}
	res, err := report.Read(args[0])
	if err == nil {
		err = report.Write(args[0], res)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorento-bench report:", err)
		return 1
	}
	return 0
}
