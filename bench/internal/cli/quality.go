package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gorento/gorento/bench/internal/quality"
)

// qualityMain is `gorento-bench quality`: issue 15's impaired-link rows in
// Chromium against gorento's room demo and livekit-server with
// livekit-client, alternated (bench/internal/quality).
func qualityMain(args []string) int {
	fs := flag.NewFlagSet("gorento-bench quality", flag.ContinueOnError)
	var servers, rows list
	_ = servers.Set("gorento,livekit")
	fs.Var(&servers, "servers", "servers, alternated in this order (reversed every other repetition): gorento, livekit")
	fs.Var(&rows, "rows", "rows to run (default all): clean, loss10, loss3, 800k, drop600, onlyB")
	reps := fs.Int("reps", 2, "repetitions (A-B, then B-A, …)")
	mode := fs.String("mode", "full", "timing of e2e/quality_test.go: short (8 s warm-up, 10 s window) or full (20 s, 30 s)")
	gorentoBin := fs.String("gorento", "", "gorento binary (default: built with the web bundles into .build/bench/quality)")
	lkBin := fs.String("livekit-server", "", "livekit-server binary (default: .build/bench/bin/livekit-server, go install "+LiveKitVersion+" unless -no-install)")
	noInstall := fs.Bool("no-install", false, "never run npm install or go install")
	out := fs.String("out", "", "output directory (default .build/bench/quality-<time>)")
	report := fs.String("report", "", "print the table of earlier runs instead of measuring: their output directories, comma-separated")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	tm, ok := quality.Modes[*mode]
	if !ok {
		fmt.Fprintln(os.Stderr, "gorento-bench quality: -mode short or full")
		return 2
	}
	if *report != "" {
		return qualityReport(strings.Split(*report, ","), servers, tm)
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorento-bench:", err)
		return 1
	}
	work := filepath.Join(root, ".build", "bench")
	if !loopbackOnly() {
		extra, err := prepareQuality(root, work, servers, *gorentoBin, *lkBin, *noInstall)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gorento-bench quality:", err)
			return 1
		}
		err = reexecInNetns(root, "", append(append([]string{"quality"}, args...), extra...))
		fmt.Fprintln(os.Stderr, "gorento-bench: cannot enter a private network namespace:", err)
		return 1
	}
	if *out == "" {
		*out = filepath.Join(work, "quality-"+time.Now().Format("20060102-150405"))
	}
	if err := os.MkdirAll(filepath.Join(*out, "logs"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cam, err := quality.Camera(filepath.Join(work, "media"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorento-bench quality:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	logf := func(f string, a ...any) {
		fmt.Fprintf(os.Stderr, "[%7.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(f, a...))
	}
	c := quality.Config{
		Env:  quality.Env{GorentoBin: *gorentoBin, LiveKitBin: *lkBin, PagesDir: filepath.Join(root, "bench", "quality")},
		Root: root, Out: *out, Servers: servers, Rows: rows, Reps: *reps, Timing: tm, Y4M: cam, Logf: logf,
	}
	logf("quality: %s, %d repetition(s), servers %s, output %s", *mode, *reps, strings.Join(servers, ","), *out)
	res, err := quality.Run(ctx, c)
	fmt.Println(quality.Markdown(res, c))
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorento-bench quality:", err)
		return 1
	}
	return 0
}

// qualityReport prints one table of the results of several runs.
func qualityReport(dirs []string, servers list, tm quality.Timing) int {
	var all []quality.Result
	reps := 0
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "results.json"))
		var rs []quality.Result
		if err == nil {
			err = json.Unmarshal(b, &rs)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gorento-bench quality:", err)
			return 1
		}
		n := 0
		for _, r := range rs {
			n = max(n, r.Rep)
			r.Rep += reps
			all = append(all, r)
		}
		reps += n
	}
	fmt.Println(quality.Markdown(all, quality.Config{Servers: servers, Reps: reps, Timing: tm}))
	return 0
}

// prepareQuality builds and installs, outside the namespace, what the run
// needs: the web bundles and gorento, livekit-server, the pinned
// livekit-client. It returns the flags that pin them for the run inside.
func prepareQuality(root, work string, servers list, gorentoBin, lkBin string, noInstall bool) ([]string, error) {
	var extra []string
	if servers.has("gorento") && gorentoBin == "" {
		// The room demo's KurentoRoom.js is embedded from web/static/vendor.
		if !exists(filepath.Join(root, "web", "static", "vendor", "KurentoRoom.js")) {
			if !exists(filepath.Join(root, "js", "node_modules")) {
				if err := run(filepath.Join(root, "js"), nil, "npm", "ci", "--ignore-scripts"); err != nil {
					return nil, err
				}
			}
			if err := run(root, nil, "npm", "--prefix", "js", "run", "build"); err != nil {
				return nil, err
			}
		}
		bin := filepath.Join(work, "quality", "gorento")
		if err := run(root, nil, "go", "build", "-o", bin, "./cmd/gorento"); err != nil {
			return nil, err
		}
		extra = append(extra, "-gorento", bin)
	}
	if servers.has("livekit") {
		if lkBin == "" {
			lkBin = filepath.Join(work, "bin", "livekit-server")
			if !exists(lkBin) && !noInstall {
				gobin := filepath.Join(work, "lkbin")
				if err := run(root, []string{"GOBIN=" + gobin}, "go", "install", "github.com/livekit/livekit-server/cmd/server@"+LiveKitVersion); err != nil {
					return nil, err
				}
				if err := os.Rename(filepath.Join(gobin, "server"), lkBin); err != nil {
					return nil, err
				}
			}
			if !exists(lkBin) {
				return nil, fmt.Errorf("no livekit-server (give -livekit-server, or run without -no-install)")
			}
			extra = append(extra, "-livekit-server", lkBin)
		}
		pages := filepath.Join(root, "bench", "quality")
		if !exists(filepath.Join(pages, "node_modules", "livekit-client")) {
			if noInstall {
				return nil, fmt.Errorf("livekit-client is not installed in %s (npm ci there)", pages)
			}
			if err := run(pages, nil, "npm", "ci", "--ignore-scripts"); err != nil {
				return nil, err
			}
		}
	}
	return extra, nil
}
