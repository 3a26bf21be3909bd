package uriep

import (
	"strings"
	"testing"
)

// FuzzResolve: any client string resolves to a URI with a scheme, and the
// path checks never panic on it.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"a.webm", "file:///tmp/x.webm", "file:%2F%2F%2Fx", "http://u:p@h/x", ":x", "", "%2F", "c:\\x", "rtsp://[::1]:554/c"} {
		f.Add(s)
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, s string) {
		u := Resolve(s, "file:///data/media/")
		if !hasScheme(u) {
			t.Fatalf("Resolve(%q) = %q has no scheme", s, u)
		}
		if strings.Contains(u, "%2F") {
			t.Fatalf("Resolve(%q) = %q kept a %%2F", s, u)
		}
		_ = CheckPath(u, []string{root})
		_, _, _ = FilePath(u)
	})
}
