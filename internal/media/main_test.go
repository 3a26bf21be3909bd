package media_test

import (
	"testing"

	"github.com/gorento/gorento/internal/testutil"
)

// Every test releases what it built: no goroutine may outlive the package's tests.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }
