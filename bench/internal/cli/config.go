package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Item is one load configuration: N peers with an SRTP profile.
type Item struct {
	N    int
	SRTP string
}

func (i Item) String() string { return fmt.Sprintf("%d/%s", i.N, i.SRTP) }

type items []Item

func (l *items) String() string {
	var s []string
	for _, i := range *l {
		s = append(s, i.String())
	}
	return strings.Join(s, ",")
}

func (l *items) Set(v string) error {
	*l = nil
	if v == "" || v == "none" {
		return nil
	}
	for _, f := range strings.Split(v, ",") {
		n, p, ok := strings.Cut(strings.TrimSpace(f), "/")
		if !ok {
			p = "gcm"
		}
		k, err := strconv.Atoi(n)
		if err != nil || k <= 0 {
			return fmt.Errorf("bad item %q (want N/cm or N/gcm)", f)
		}
		if p != "cm" && p != "gcm" {
			return fmt.Errorf("bad SRTP profile %q (cm or gcm)", p)
		}
		*l = append(*l, Item{N: k, SRTP: p})
	}
	return nil
}

type list []string

func (l *list) String() string { return strings.Join(*l, ",") }
func (l *list) Set(v string) error {
	*l = nil
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" && f != "none" {
			*l = append(*l, f)
		}
	}
	return nil
}

func (l list) has(s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Config is one invocation's plan.
type Config struct {
	Mode    string
	Servers list
	Fanout  items
	Echo    items
	Reps    int
	Window  time.Duration
	Warmup  time.Duration
	Drain   time.Duration

	SetupServers list
	SetupSeq     int
	SetupConc    int
	SetupSRTP    string

	ChurnServers list
	ChurnCycles  int
	ChurnSettle  time.Duration

	ReleaseServers list
	ReleaseN       int

	RampServers         list
	RampStart, RampStep int
	RampMax             int
	RampSRTP            string
	RampWindow          time.Duration
	SampleEvery         int
	Media               string // real or synthetic
	Out                 string
	GorentoBin, LiveKit string
	GorentoBaseBin      string
	GorentoPerEndpoint  bool
	IVF, OGG            string
	ServerCPU, GenCPU   string
	GorentoUDPPort      int
	MaxLoss             float64 // smoke: fail above this loss
	NoInstall           bool
	CPUProfile          string
	SetupBudget         time.Duration
	Notes               list // server=reason notes handed over from the preparation step
}

func flags(mode string, args []string) (*Config, error) {
	c := &Config{Mode: mode}
	fs := flag.NewFlagSet("gorento-bench "+mode, flag.ContinueOnError)
	// defaults per mode
	smoke := mode == "smoke"
	def := func(smokeV, fullV string) string {
		if smoke {
			return smokeV
		}
		return fullV
	}
	_ = c.Servers.Set(def("gorento,gorento-room", "gorento,gorento-room,pion-floor,janus,livekit"))
	_ = c.Fanout.Set(def("5/gcm", "40/gcm,40/cm,100/gcm"))
	_ = c.Echo.Set(def("5/gcm", "20/gcm,20/cm,60/gcm"))
	_ = c.SetupServers.Set(def("gorento", "gorento,pion-floor,janus"))
	_ = c.ChurnServers.Set(def("gorento", "gorento"))
	_ = c.RampServers.Set(def("none", "gorento,pion-floor,janus,livekit"))
	_ = c.ReleaseServers.Set("gorento")
	if mode == "run" { // only what the flags ask for
		_ = c.Servers.Set("gorento")
		for _, l := range []*list{&c.SetupServers, &c.ChurnServers, &c.ReleaseServers, &c.RampServers} {
			_ = l.Set("none")
		}
		_ = c.Fanout.Set("none")
		_ = c.Echo.Set("none")
	}
	fs.Var(&c.Servers, "servers", "servers to compare (gorento, gorento-base, gorento-room, pion-floor, janus, livekit)")
	fs.Var(&c.Fanout, "fanout", "fan-out loads: N/profile list, e.g. 40/gcm,40/cm,100/gcm (none = skip)")
	fs.Var(&c.Echo, "echo", "echo loads: N/profile list (none = skip)")
	fs.IntVar(&c.Reps, "reps", map[bool]int{true: 1, false: 3}[smoke], "repetitions of each load (A-B-A-B order; median and range reported)")
	fs.DurationVar(&c.Window, "window", map[bool]time.Duration{true: 5 * time.Second, false: 8 * time.Second}[smoke], "measurement window of each load")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "media time before the window")
	fs.DurationVar(&c.Drain, "drain", time.Second, "wait after the window for packets in flight")
	fs.Var(&c.SetupServers, "setup", "servers whose session setup is timed (none = skip)")
	fs.IntVar(&c.SetupSeq, "setup-seq", map[bool]int{true: 5, false: 20}[smoke], "sequential sessions timed")
	fs.IntVar(&c.SetupConc, "setup-conc", map[bool]int{true: 5, false: 50}[smoke], "concurrent sessions timed")
	fs.StringVar(&c.SetupSRTP, "setup-srtp", "gcm", "SRTP profile of setup, churn and ramp runs")
	fs.Var(&c.ChurnServers, "churn", "servers run through the churn loop (none = skip)")
	fs.IntVar(&c.ChurnCycles, "churn-cycles", map[bool]int{true: 20, false: 1000}[smoke], "create/connect/release cycles")
	fs.DurationVar(&c.ChurnSettle, "churn-settle", map[bool]time.Duration{true: 4 * time.Second, false: 30 * time.Second}[smoke], "wait after the last churn cycle before the after reading (KMS and gorento keep answers 20 s for retried requests)")
	fs.Var(&c.ReleaseServers, "release", "servers whose release of many connected endpoints at once is timed (none = skip)")
	fs.IntVar(&c.ReleaseN, "release-n", map[bool]int{true: 20, false: 1000}[smoke], "endpoints released at once (one pipeline)")
	fs.Var(&c.RampServers, "ramp", "servers ramped to their max subscribers (none = skip)")
	fs.IntVar(&c.RampStart, "ramp-start", 50, "first ramp step (subscribers)")
	fs.IntVar(&c.RampStep, "ramp-step", 50, "ramp step")
	fs.IntVar(&c.RampMax, "ramp-max", 400, "largest ramp step")
	fs.DurationVar(&c.SetupBudget, "setup-budget", 150*time.Second, "longest time to connect one load's peers before the load fails")
	fs.DurationVar(&c.RampWindow, "ramp-window", 6*time.Second, "window of each ramp step")
	fs.IntVar(&c.SampleEvery, "sample", 32, "cheap subscribers decrypt 1 in this many packets (1 = full Pion subscribers)")
	fs.StringVar(&c.Media, "media", def("synthetic", "real"), "real (ffmpeg VP8 720p + Opus) or synthetic")
	fs.StringVar(&c.Out, "out", "", "output directory (default .build/bench/<mode>-<time>)")
	fs.StringVar(&c.GorentoBin, "gorento", "", "gorento binary (default: built into .build/bench)")
	fs.StringVar(&c.LiveKit, "livekit-server", "", "livekit-server binary (default: go install v1.13.5 into .build/bench/bin)")
	fs.StringVar(&c.IVF, "ivf", "", "VP8 IVF file (default: generated with ffmpeg)")
	fs.StringVar(&c.OGG, "ogg", "", "Ogg Opus file (default: generated with ffmpeg)")
	fs.StringVar(&c.ServerCPU, "server-cpu", "1", "CPU list the server is pinned to (taskset; empty = no pinning)")
	fs.StringVar(&c.GenCPU, "gen-cpu", "0", "CPU list the generator is pinned to")
	fs.IntVar(&c.GorentoUDPPort, "gorento-udp-port", 0, "gorento's single UDP port (0 = a free one)")
	fs.BoolVar(&c.GorentoPerEndpoint, "gorento-per-endpoint-ports", false, "gorento: a UDP port per endpoint instead of the single port")
	fs.StringVar(&c.GorentoBaseBin, "gorento-base", "", "an older gorento binary, measured as the server gorento-base (add it to -servers) for before/after ratios")
	fs.Float64Var(&c.MaxLoss, "max-loss", 0.05, "smoke: fail when a load loses more than this fraction")
	fs.BoolVar(&c.NoInstall, "no-install", false, "never run apt-get or go install; servers that are missing are skipped")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write the generator's CPU profile to this file (to check the generator's own cost)")
	fs.Func("note", "internal: server=reason for a server that could not be prepared", func(v string) error {
		c.Notes = append(c.Notes, v)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	return c, nil
}
