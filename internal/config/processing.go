package config

import (
	"fmt"
	"time"
)

// ProcessingConfig configures the media processing back end: the
// gorento-worker processes that run GStreamer for filters, transcoding,
// mixing and recording (docs/processing.md).
type ProcessingConfig struct {
	// WorkerPath is the gorento-worker executable. Empty: next to the
	// gorento executable, else on $PATH.
	WorkerPath string `json:"workerPath"`
	// HangTimeout: a worker silent, or producing nothing while its input
	// flows, for this long is killed and its elements report an error
	// (default 5s).
	HangTimeout Duration `json:"hangTimeout"`
	// StartTimeout bounds a worker's start-up (default 10s).
	StartTimeout Duration `json:"startTimeout"`
	// RequestTimeout bounds one request to a worker, e.g. fetching an
	// overlay image (default 15s).
	RequestTimeout Duration `json:"requestTimeout"`
	// MaxWorkers caps the worker processes, one per MediaPipeline with
	// processing (default 64; -1 = no cap).
	MaxWorkers int `json:"maxWorkers"`
	// MemoryLimit caps each worker's address space in bytes (0 = none).
	MemoryLimit int64 `json:"memoryLimit"`
	// GStreamerFilter commands: with AllowedElements set, only those
	// element factories; otherwise any but DeniedElements and, unless
	// AllowIOElements, elements that read or write files, sockets or
	// devices.
	AllowedElements []string `json:"allowedElements"`
	DeniedElements  []string `json:"deniedElements"`
	AllowIOElements bool     `json:"allowIOElements"`
}

func defaultProcessing() ProcessingConfig {
	return ProcessingConfig{HangTimeout: Duration{5 * time.Second}, StartTimeout: Duration{10 * time.Second},
		RequestTimeout: Duration{15 * time.Second}, MaxWorkers: 64}
}

func init() {
	envVars["GORENTO_WORKER_PATH"] = func(c *Config, v string) error { c.Processing.WorkerPath = v; return nil }
}

func (c *Config) validateProcessing() []error {
	p := c.Processing
	var errs []error
	for name, d := range map[string]Duration{"processing.hangTimeout": p.HangTimeout, "processing.startTimeout": p.StartTimeout, "processing.requestTimeout": p.RequestTimeout} {
		if d.Duration < 0 || (d.Duration > 0 && d.Duration < 100*time.Millisecond) {
			errs = append(errs, fmt.Errorf("%s %v: want at least 100ms (0 = default)", name, d))
		}
	}
	if p.MaxWorkers < -1 {
		errs = append(errs, fmt.Errorf("processing.maxWorkers %d: want -1 (no cap), 0 (default) or more", p.MaxWorkers))
	}
	if p.MemoryLimit < 0 || (p.MemoryLimit > 0 && p.MemoryLimit < 64<<20) {
		errs = append(errs, fmt.Errorf("processing.memoryLimit %d: want 0 (none) or at least 64 MiB", p.MemoryLimit))
	}
	for _, e := range append(append([]string{}, p.AllowedElements...), p.DeniedElements...) {
		if e == "" {
			errs = append(errs, fmt.Errorf("processing: empty element name in allowedElements/deniedElements"))
			break
		}
	}
	return errs
}
