package kms_test

import (
	"os"
	"testing"

	"github.com/gorento/gorento/internal/media/process/processtest"
)

// TestMain removes the gorento-worker a test built (without
// GORENTO_WORKER_BIN, processtest.WorkerBin builds one per test binary).
func TestMain(m *testing.M) {
	code := m.Run()
	processtest.Cleanup()
	os.Exit(code)
}
