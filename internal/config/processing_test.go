package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProcessingValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*ProcessingConfig)
		want string
	}{
		{"default", func(*ProcessingConfig) {}, ""},
		{"hang timeout", func(p *ProcessingConfig) { p.HangTimeout.Duration = time.Millisecond }, "processing.hangTimeout"},
		{"negative start timeout", func(p *ProcessingConfig) { p.StartTimeout.Duration = -time.Second }, "processing.startTimeout"},
		{"max workers", func(p *ProcessingConfig) { p.MaxWorkers = -2 }, "processing.maxWorkers"},
		{"no cap", func(p *ProcessingConfig) { p.MaxWorkers = -1 }, ""},
		{"memory", func(p *ProcessingConfig) { p.MemoryLimit = 1000 }, "processing.memoryLimit"},
		{"empty element", func(p *ProcessingConfig) { p.DeniedElements = []string{""} }, "empty element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.edit(&c.Processing)
			err := c.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestProcessingFromFileAndEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gorento.json")
	if err := os.WriteFile(path, []byte(`{"processing": {"hangTimeout": "8s", "maxWorkers": 3, "deniedElements": ["textoverlay"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEnv(func(k string) (string, bool) { return "/opt/gorento-worker", k == "GORENTO_WORKER_PATH" }); err != nil {
		t.Fatal(err)
	}
	p := c.Processing
	if p.HangTimeout.Duration != 8*time.Second || p.MaxWorkers != 3 || p.DeniedElements[0] != "textoverlay" || p.WorkerPath != "/opt/gorento-worker" {
		t.Fatalf("processing = %+v", p)
	}
	if p.StartTimeout.Duration != 10*time.Second {
		t.Fatalf("defaults lost: %+v", p)
	}
}
