package process

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// WorkerBinary is the name of the worker executable.
const WorkerBinary = "gorento-worker"

// Config configures the processing back end. Zero values take the defaults.
type Config struct {
	// WorkerPath is the gorento-worker executable. Empty: next to the running
	// executable, else on $PATH.
	WorkerPath string `json:"workerPath"`
	// HangTimeout: a worker silent (no heartbeat), or producing nothing while
	// its input flows, for this long is killed. Default 5 s.
	HangTimeout time.Duration `json:"hangTimeout"`
	// HeartbeatInterval is how often the worker reports. Default 1 s.
	HeartbeatInterval time.Duration `json:"heartbeatInterval"`
	// StartTimeout bounds the worker's start-up handshake. Default 10 s.
	StartTimeout time.Duration `json:"startTimeout"`
	// RequestTimeout bounds one control request (create, set property…) when
	// the caller's context has no deadline. Default 15 s (fetching an image).
	RequestTimeout time.Duration `json:"requestTimeout"`
	// MaxWorkers caps concurrent worker processes. Default 64; negative = no cap.
	MaxWorkers int `json:"maxWorkers"`
	// MemoryLimit caps each worker's address space (RLIMIT_AS), bytes; 0 = none.
	MemoryLimit int64 `json:"memoryLimit"`
	// Policy restricts the element factories a GStreamerFilter command may use.
	Policy ElementPolicy `json:"elementPolicy"`
	// Env is added to the worker's environment (e.g. GST_DEBUG).
	Env []string `json:"env"`
	// Logger receives the workers' stderr and lifecycle; default slog.Default().
	Logger *slog.Logger `json:"-"`
}

func (c Config) withDefaults() Config {
	if c.HangTimeout <= 0 {
		c.HangTimeout = 5 * time.Second
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = time.Second
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 10 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 15 * time.Second
	}
	if c.MaxWorkers == 0 {
		c.MaxWorkers = 64
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// FindWorker resolves the worker executable: the configured path, else
// gorento-worker next to the running executable, else on $PATH.
func FindWorker(configured string) (string, error) {
	if configured != "" {
		if err := checkExecutable(configured); err != nil {
			return "", fmt.Errorf("%w: processing.workerPath %q: %v; install it with ./dev or the packages %s",
				ErrWorkerNotFound, configured, err, debianPackages)
		}
		return configured, nil
	}
	var looked []string
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), WorkerBinary)
		if checkExecutable(p) == nil {
			return p, nil
		}
		looked = append(looked, filepath.Dir(exe))
	}
	if p, err := exec.LookPath(WorkerBinary); err == nil {
		return p, nil
	}
	looked = append(looked, "$PATH")
	return "", fmt.Errorf("%w (looked in %v; set processing.workerPath): build it with ./dev, "+
		"it needs the Debian packages %s", ErrWorkerNotFound, looked, debianPackages)
}

func checkExecutable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("not an executable file")
	}
	return nil
}
