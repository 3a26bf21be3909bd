package impair

import (
	"testing"

	"github.com/gorento/gorento/internal/testutil"
)

// Every relay, pipe and shaper a test makes is closed: no goroutine outlives it.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
