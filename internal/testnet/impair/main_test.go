package impair

import (
	"testing"

	"go.uber.org/goleak"
)

// Every relay, pipe and shaper a test makes is closed: no goroutine outlives it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
