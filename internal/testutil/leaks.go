package testutil

import (
	"testing"
	"time"

	"go.uber.org/goleak"
)

// NoLeaks fails t if goroutines other than those opts ignore are still
// running 10 s after it is called. goleak alone gives them about 0.4 s to
// end, less than a loaded machine under -race may take to finish the
// goroutines of a connection or a worker that was just closed.
func NoLeaks(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for goleak.Find(opts...) != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	goleak.VerifyNone(t, opts...)
}

// LeakCheck makes t fail if goroutines it started are still running 10 s
// after it ended (NoLeaks): those running when it is called are ignored.
func LeakCheck(t testing.TB) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { NoLeaks(t, ignore) })
}

// VerifyTestMain is goleak.VerifyTestMain giving goroutines 10 s to end
// after the package's tests passed (goleak alone gives them ~0.4 s).
func VerifyTestMain(m *testing.M, opts ...goleak.Option) {
	goleak.VerifyTestMain(settled{m}, opts...)
}

// settled runs the tests, then waits for the goroutines they left to end.
type settled struct{ m *testing.M }

func (s settled) Run() int {
	code := s.m.Run()
	deadline := time.Now().Add(10 * time.Second)
	for code == 0 && goleak.Find() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	return code
}
