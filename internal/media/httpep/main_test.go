package httpep

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test releases what it built: no goroutine may outlive the package's tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
