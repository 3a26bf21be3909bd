package e2e

import (
	"testing"

	"github.com/gorento/gorento/internal/media/process/processtest"
)

// TestMain removes the gorento-worker a test built (without
// GORENTO_WORKER_BIN, processtest.WorkerBin builds one per test binary).
func TestMain(m *testing.M) { processtest.Main(m) }
