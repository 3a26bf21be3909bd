// Command gorento-bench is Gorento's load benchmark: synthetic Pion peers
// drive gorento and its peers (a bare Pion floor, Janus, LiveKit) through
// the same scenarios in one invocation, inside a private network
// namespace, and report the ratios gorento ÷ peer. See docs/benchmark.md.
//
//	cd bench && go run ./cmd/gorento-bench compare   # the full comparison (~30 min)
//	cd bench && go run ./cmd/gorento-bench smoke     # gorento only, N=5, 5 s (./dev test)
package main

import (
	"os"

	"github.com/gorento/gorento/bench/internal/cli"
	_ "github.com/gorento/gorento/bench/livekit" // registers the LiveKit target
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
