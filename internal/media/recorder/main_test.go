package recorder

import (
	"os"
	"testing"
)

// tempRoot holds files shared by the package's tests.
var tempRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "recorder-test-")
	if err != nil {
		panic(err)
	}
	tempRoot = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func mkdir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
