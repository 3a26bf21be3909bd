package target

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// forks runs cmd.Start on one OS thread that lives as long as the tool:
// Pdeathsig fires when the thread that forked the child exits, and Go ends
// threads whose goroutine exits while locked to them (the socket readers
// are), which would kill a server in the middle of a run.
var forks = make(chan func())

func init() {
	go func() {
		runtime.LockOSThread()
		for f := range forks {
			f()
		}
	}()
}

func startOnForkThread(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	forks <- func() { errc <- cmd.Start() }
	return <-errc
}

// process is a server process whose output goes to a log file and is
// scanned for lines the driver waits for.
type process struct {
	cmd  *exec.Cmd
	log  *os.File
	mu   sync.Mutex
	seen []string
	cond chan struct{}
	done chan struct{}
}

// startProcess runs argv (under taskset when cpu is set) with extra
// environment, logging to dir/name.log.
func startProcess(dir, name, cpu string, env []string, argv ...string) (*process, error) {
	if cpu != "" {
		if _, err := exec.LookPath("taskset"); err == nil {
			argv = append([]string{"taskset", "-c", cpu}, argv...)
		}
	}
	lf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	p := &process{cmd: cmd, log: lf, cond: make(chan struct{}, 1), done: make(chan struct{})}
	if err := startOnForkThread(cmd); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(lf, line)
			p.mu.Lock()
			if len(p.seen) < 2000 {
				p.seen = append(p.seen, line)
			}
			p.mu.Unlock()
			select {
			case p.cond <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	return p, nil
}

// waitLine waits for an output line matching re and returns its submatches.
func (p *process) waitLine(ctx context.Context, re *regexp.Regexp) ([]string, error) {
	checked := 0
	for {
		p.mu.Lock()
		lines := p.seen[checked:]
		checked = len(p.seen)
		p.mu.Unlock()
		for _, l := range lines {
			if m := re.FindStringSubmatch(l); m != nil {
				return m, nil
			}
		}
		select {
		case <-p.cond:
		case <-time.After(100 * time.Millisecond):
		case <-p.done:
			return nil, fmt.Errorf("process exited before %q; last output:\n%s", re, p.tail())
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %q: %w; last output:\n%s", re, ctx.Err(), p.tail())
		}
	}
}

func (p *process) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	from := len(p.seen) - 15
	if from < 0 {
		from = 0
	}
	return strings.Join(p.seen[from:], "\n")
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM, then SIGKILL to the group after a grace period.
func (p *process) stop(grace time.Duration) {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	p.log.Close()
}

// Process is a server process for drivers outside this package (LiveKit's
// lives in its own module): output logged to dir/name.log, pinned with
// taskset when cpu is set.
type Process struct{ p *process }

// StartProcess starts argv as a server process.
func StartProcess(dir, name, cpu string, env []string, argv ...string) (*Process, error) {
	p, err := startProcess(dir, name, cpu, env, argv...)
	if err != nil {
		return nil, err
	}
	return &Process{p}, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.p.pid() }

// Exited is closed when the process ends.
func (p *Process) Exited() <-chan struct{} { return p.p.done }

// Tail returns the last lines of output.
func (p *Process) Tail() string { return p.p.tail() }

// Stop terminates the process (SIGTERM, then SIGKILL after grace).
func (p *Process) Stop(grace time.Duration) { p.p.stop(grace) }
