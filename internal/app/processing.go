package app

import (
	"log/slog"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media/process"
)

// processingConfig maps the processing section onto the worker manager's
// configuration.
func processingConfig(c config.ProcessingConfig, log *slog.Logger) process.Config {
	return process.Config{
		WorkerPath: c.WorkerPath, HangTimeout: c.HangTimeout.Duration, StartTimeout: c.StartTimeout.Duration,
		RequestTimeout: c.RequestTimeout.Duration, MaxWorkers: c.MaxWorkers, MemoryLimit: c.MemoryLimit,
		Policy: process.ElementPolicy{Allow: c.AllowedElements, Deny: c.DeniedElements, AllowIO: c.AllowIOElements},
		Logger: log.With("component", "processing"),
	}
}
