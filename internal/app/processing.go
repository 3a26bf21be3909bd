package app

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/web"
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

// hatImageFile writes the demo's hat (embedded with the web pages) into the
// data directory and returns its file:// URI for the room's hat filter:
// the worker reads it from there (the web port's certificate may be
// self-signed, and the web listener may be off).
func hatImageFile(dataDir string) (string, error) {
	b, err := fs.ReadFile(web.Static(), "img/hat.png")
	if err != nil {
		return "", fmt.Errorf("hat image: %w", err)
	}
	dir, err := filepath.Abs(dataDir)
	if err == nil {
		err = os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return "", fmt.Errorf("hat image: data directory: %w", err)
	}
	path := filepath.Join(dir, "hat.png")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", fmt.Errorf("hat image: %w", err)
	}
	return "file://" + path, nil
}
