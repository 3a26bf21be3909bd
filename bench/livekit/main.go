// Command gorento-bench-full is gorento-bench with the LiveKit driver. It
// lives in its own Go module so LiveKit's SDK and its dependencies are only
// fetched for the full comparison, never by the main module. gorento-bench
// builds and switches to it by itself when LiveKit is among the servers:
//
//	go run ./cmd/gorento-bench compare
package main

import (
	"os"

	"github.com/gorento/gorento/internal/bench/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
