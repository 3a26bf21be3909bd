package cli

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// loopbackOnly reports whether the only network interfaces are loopback
// (plus the veth pair this tool adds for Janus), i.e. we are already in a
// private network namespace.
func loopbackOnly() bool {
	ifs, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 && !strings.HasPrefix(i.Name, "gbj") {
			return false
		}
	}
	return true
}

// moduleRoot finds the gorento module root from the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/gorento/gorento\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run gorento-bench from inside the gorento repository")
		}
		dir = parent
	}
}

// reexecInNetns replaces this process with itself inside a private network
// namespace (scripts/netns-run.sh: only lo, brought up), with the generator
// pinned to genCPU.
func reexecInNetns(root, genCPU string, args []string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	argv := []string{filepath.Join(root, "scripts", "netns-run.sh")}
	if genCPU != "" {
		if tp, err := exec.LookPath("taskset"); err == nil {
			argv = append(argv, tp, "-c", genCPU)
		}
	}
	argv = append(argv, self)
	argv = append(argv, args...)
	env := append(os.Environ(), "GORENTO_BENCH_PINNED=1")
	return syscall.Exec(argv[0], argv, env)
}

// pinSelf re-executes under taskset when not yet pinned (already inside a
// namespace, e.g. from ./dev test).
func pinSelf(genCPU string, args []string) error {
	if genCPU == "" || os.Getenv("GORENTO_BENCH_PINNED") != "" {
		return nil
	}
	tp, err := exec.LookPath("taskset")
	if err != nil {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "GORENTO_BENCH_PINNED=1")
	return syscall.Exec(tp, append([]string{tp, "-c", genCPU, self}, args...), env)
}

// run runs a command, echoing it, with output to the terminal.
func run(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	fmt.Fprintf(os.Stderr, "+ %s %s\n", name, strings.Join(args, " "))
	return cmd.Run()
}
